"""Build the instructor edition of the book: ``python book/instructor.py [--pdf] [--out DIR]``.

The student book (``jupyter-book build book/``) hides what is for the teacher: teaching notes
are cells tagged ``remove-cell``, and each exercise's solution is a closed ``<details>`` block
of markdown that never runs. The instructor edition is built from the *same* notebooks, copied
and changed in a build folder (never in the checkout):

* each lesson opens, after its title, with a **timing table**: every numbered section, the
  minutes its teaching note states ("About N minutes", read by :mod:`bootcamp_utils.plan`) and
  its exercises, with the total against the lesson's "Estimated time". The build stops when a
  section states no minutes or the total differs (``BOOTCAMP_REQUIRE_TIMING=0``: build
  anyway, with a warning on the page and in the log);
* every teaching note is shown, open, as a "For the teacher" box;
* every solution becomes a code cell right after its starter, labelled "Solution", and runs
  with the lesson, so the page shows its output ("Correct") under it. The starter's "Not yet"
  stays hidden (``remove-output``), as in the student book.

Jupyter Book then builds the copy with the book's own configuration and extension
(``_ext/course_book.py``: MathJax from ``node_modules``, every warning fails the build, lesson
05 needs Orthanc) into ``DIR/html`` (default ``book/_build/instructor``). ``--pdf`` adds a
``singlehtml`` build from the same doctrees (nothing runs twice) and prints it with headless
Chromium into ``DIR/instructor-edition.pdf``; every request that would leave the machine is
refused and fails the build.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

BOOK = Path(__file__).resolve().parent
REPO = BOOK.parent
sys.path.insert(0, str(REPO))  # run as a script from a fresh clone: bootcamp_utils importable

from bootcamp_utils.plan import Section, estimated_minutes, lesson_plan  # noqa: E402

DEFAULT_OUT = BOOK / "_build" / "instructor"
PDF_NAME = "instructor-edition.pdf"
CHROMIUM = "/usr/bin/chromium"
EDITION = "Instructor edition"
REQUIRE_TIMING = "BOOTCAMP_REQUIRE_TIMING"
LOCAL = ("file:", "data:", "blob:", "about:")

_NOTE = re.compile(
    r'\A\s*<details class="teacher-note"><summary>For the teacher</summary>\s*\n(.*?)\n'
    r"\s*</details>\s*\Z",
    re.S,
)
_SOLUTION = re.compile(
    r'\A\s*<details class="solution"><summary>Solution</summary>\s*\n\s*```python\n(.*?)\n```'
    r"\s*\n\s*</details>\s*\Z",
    re.S,
)
_CHECK = re.compile(r"""check\(\s*["']([0-9]{2}-[\w-]+)["']""")


class BuildError(RuntimeError):
    """The instructor edition cannot be built as asked (the message says how to fix it)."""


# -- the timing table ------------------------------------------------------------------------


def timing_problems(plan: list[Section], estimated: int | None) -> list[str]:
    """What keeps a lesson's timing table from adding up: sections without minutes, a total
    that differs from the Estimated time, no Estimated time."""
    problems = [
        f"section {s.number} ({s.title}) states no minutes: its teaching note needs "
        "'About N minutes'"
        for s in plan
        if s.minutes is None
    ]
    total = sum(s.minutes or 0 for s in plan)
    if estimated is None:
        problems.append("no '## Estimated time' with 'N minutes'")
    elif not problems and total != estimated:
        problems.append(
            f"the sections add up to {total} minutes, the Estimated time is {estimated}"
        )
    if not plan:
        problems.append("no numbered section ('## 1. Title')")
    return problems


def timing_table(plan: list[Section], estimated: int | None) -> str:
    """The lesson's timing table, as a MyST ``list-table`` (class ``timing-table``).

    One row per section (number, title, minutes, exercise ids), then the total; the caption
    gives the total against the Estimated time.
    """

    def row(*cells: str) -> str:  # a list-table row; an empty cell holds a no-break space
        return "* - " + "\n  - ".join(cell or "&nbsp;" for cell in cells)

    total = sum(s.minutes or 0 for s in plan)
    untimed = any(s.minutes is None for s in plan)
    if untimed or estimated is None or total != estimated:
        verdict = f"sections {total} minutes{' and some untimed' if untimed else ''}, "
        verdict += f"Estimated time {estimated if estimated is not None else 'not stated'}: "
        verdict += "they differ"
    else:
        verdict = f"{total} minutes, as the Estimated time says"
    exercises = sum(len(s.exercises) for s in plan)
    rows = [row("§", "Section", "Minutes", "Exercises")]
    rows += [
        row(
            str(s.number),
            s.title,
            "—" if s.minutes is None else str(s.minutes),
            ", ".join(f"`{e}`" for e in s.exercises) or "—",
        )
        for s in plan
    ]
    rows.append(row("", "**Total**", f"**{total}**", f"{exercises} exercises"))
    lines = ["::::{list-table} Timing: " + verdict, ":header-rows: 1", ":class: timing-table", ""]
    return "\n".join([*lines, *rows, "::::"])


# -- the lesson notebooks --------------------------------------------------------------------


def _open_note(cell: nbformat.NotebookNode, where: str) -> None:
    found = _NOTE.match(cell.source)
    if not found:
        raise BuildError(
            f"{where}: a teaching note not in the form CONTRIBUTING.md gives ('<details "
            'class="teacher-note"><summary>For the teacher</summary>\', a blank line, the '
            "note, a blank line, '</details>'): fix the cell"
        )
    cell.source = (
        "::::{admonition} For the teacher\n:class: teacher-note\n\n"
        + found.group(1).strip()
        + "\n::::"
    )
    tags = [t for t in cell.metadata.get("tags", []) if t != "remove-cell"]
    cell.metadata["tags"] = tags


def _solution_cells(cell: nbformat.NotebookNode, where: str) -> list[nbformat.NotebookNode]:
    found = _SOLUTION.match(cell.source)
    if not found:
        raise BuildError(
            f"{where}: a solution not in the form CONTRIBUTING.md gives ('<details "
            'class="solution"><summary>Solution</summary>\', a blank line, a fenced python '
            "block, a blank line, '</details>'): fix the cell"
        )
    code = found.group(1)
    ids = ", ".join(_CHECK.findall(code))
    label = nbformat.v4.new_markdown_cell(
        f'<p class="solution-label">Solution{f" · {ids}" if ids else ""}</p>'
    )
    run = nbformat.v4.new_code_cell(code)
    for new in (label, run):
        new.metadata["tags"] = ["solution"]
        new.metadata["slideshow"] = {"slide_type": "skip"}
    return [label, run]


def instructor_notebook(path: Path, require_timing: bool = True) -> nbformat.NotebookNode:
    """The instructor copy of the lesson ``path``: timing table, open notes, run solutions.

    Raises
    ------
    BuildError
        When a teaching note or a solution is not in the form CONTRIBUTING.md gives, or, with
        ``require_timing``, when the timing table does not add up (the message lists why).
    """
    plan, estimated = lesson_plan(path), estimated_minutes(path)
    problems = timing_problems(plan, estimated)
    if problems and require_timing:
        raise BuildError(f"{path}: " + "; ".join(problems) + f" ({REQUIRE_TIMING}=0 builds anyway)")
    for problem in problems:
        print(f"WARNING: {path.name}: {problem} ({REQUIRE_TIMING}=0)", file=sys.stderr)
    nb = nbformat.read(path, as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        where = f"{path} cell {index}"
        if cell.cell_type == "markdown" and 'class="teacher-note"' in cell.source:
            _open_note(cell, where)
        if cell.cell_type == "markdown" and "solution" in cell.metadata.get("tags", []):
            cells += _solution_cells(cell, where)
            continue
        cells.append(cell)
    table = nbformat.v4.new_markdown_cell(timing_table(plan, estimated))
    table.metadata["tags"] = ["timing-table"]
    table.metadata["slideshow"] = {"slide_type": "skip"}
    nb.cells = cells[:1] + [table] + cells[1:]
    return nb


# -- the book's sources ----------------------------------------------------------------------

_INTRO_NOTE = """
```{{admonition}} {edition}
:class: teacher-note

This is the edition for whoever teaches the course: every lesson opens with its timing table
(the minutes of each section, from its teaching note), every teaching note is shown, and every
exercise's solution is run under its starter. Students read the student edition, where the
notes are left out and the solutions are closed.
```

| Lesson | Sections | Exercises | Minutes planned | Estimated time |
| --- | --- | --- | --- | --- |
{rows}
"""


def _intro(text: str, lessons: list[Path]) -> str:
    """The landing page with the edition's note and each lesson's total after its title."""
    rows = []
    for path in lessons:
        plan = lesson_plan(path)
        minutes = sum(s.minutes or 0 for s in plan)
        exercises = sum(len(s.exercises) for s in plan)
        rows.append(
            f"| [{path.stem}](notebooks/{path.name}) | {len(plan)} | {exercises} | {minutes} "
            f"| {estimated_minutes(path)} |"
        )
    title, _, rest = text.partition("\n")
    title = f"{title} · {EDITION}"  # the page's heading, the sidebar's first entry
    note = _INTRO_NOTE.format(edition=EDITION, rows="\n".join(rows))
    return f"{title}\n{note}\n{rest}"


def _config(text: str) -> str:
    """The book's _config.yml with the edition's title and ``course_edition: instructor``."""
    config = re.sub(r"(?m)^title: (.+)$", rf"title: \1 · {EDITION}", text, count=1)
    config, found = re.subn(
        r"(?m)^  config:\n", "  config:\n    course_edition: instructor\n", config
    )
    if "· " + EDITION not in config or found != 1:
        raise BuildError(f"{BOOK / '_config.yml'}: no 'title:' or 'sphinx: config:' to extend")
    return config


def write_sources(src: Path, require_timing: bool = True) -> list[Path]:
    """Write the instructor edition's sources into ``src`` (emptied first); return the
    instructor copies of the lessons. ``_ext`` links to the book's own extension."""
    if src.exists():
        shutil.rmtree(src)
    skip = shutil.ignore_patterns("_build", "_ext", "notebooks", "README.md", "instructor.py")
    shutil.copytree(BOOK, src, ignore=skip)
    (src / "_ext").symlink_to(BOOK / "_ext", target_is_directory=True)
    (src / "_config.yml").write_text(_config((BOOK / "_config.yml").read_text()))
    lessons = sorted((BOOK / "notebooks").resolve().glob("[0-9][0-9]_*.ipynb"))
    (src / "notebooks").mkdir()
    for path in lessons:
        nbformat.write(instructor_notebook(path, require_timing), src / "notebooks" / path.name)
    (src / "intro.md").write_text(_intro((BOOK / "intro.md").read_text(), lessons))
    return [src / "notebooks" / path.name for path in lessons]


# -- the build -------------------------------------------------------------------------------


def _sphinx(src: Path, out: Path, builder: str) -> None:
    """Jupyter Book's own build (``jupyter-book build``'s call), into ``out/builder``, with
    the doctrees in ``out/.doctrees`` shared by the builders: the second one runs nothing."""
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(
        src,
        out / builder,
        noconfig=True,
        path_config=str(src / "_config.yml"),
        confoverrides={
            "external_toc_path": (src / "_toc.yml").as_posix(),
            "latex_individualpages": False,
        },
        doctreedir=out / ".doctrees",
        builder=builder,
    )
    if result != 0:
        raise BuildError(f"jupyter-book ({builder}) failed: see the warnings above")


def print_pdf(page_html: Path, pdf: Path, chromium: str = CHROMIUM) -> Path:
    """Print ``page_html`` to ``pdf`` (A4) with headless Chromium, offline: a request that
    would leave the machine fails the build."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BuildError("--pdf needs playwright: pip install -r requirements-dev.txt") from exc
    if not Path(chromium).is_file():
        raise BuildError(f"--pdf needs {chromium}: apt-get install chromium")
    blocked: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", route)
            page.goto(page_html.as_uri(), wait_until="load", timeout=120_000)
            if page.locator(".math").count():  # MathJax typesets every formula first
                page.wait_for_function(
                    "document.querySelectorAll('.math').length"
                    " <= document.querySelectorAll('mjx-container').length",
                    timeout=120_000,
                )
            page.evaluate("document.fonts.ready")
            page.pdf(
                path=str(pdf),
                format="A4",
                print_background=True,
                margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=(
                    '<div style="font-size:8px;width:100%;text-align:center">'
                    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
                ),
            )
        finally:
            browser.close()
    if blocked:
        raise BuildError(f"printing {page_html} asked for other hosts: {sorted(set(blocked))}")
    return pdf


def build(out: Path = DEFAULT_OUT, pdf: bool = False) -> dict[str, float]:
    """Build the instructor edition into ``out`` (``html/``; with ``pdf``, ``singlehtml/`` and
    the PDF); return the seconds each step took."""
    out = out.resolve()
    require = os.environ.get(REQUIRE_TIMING, "1").strip() != "0"
    seconds = {}
    start = time.perf_counter()
    write_sources(out / "src", require_timing=require)
    _sphinx(out / "src", out, "html")
    seconds["html"] = time.perf_counter() - start
    if pdf:
        start = time.perf_counter()
        _sphinx(out / "src", out, "singlehtml")
        print_pdf(out / "singlehtml" / "index.html", out / PDF_NAME)
        seconds["pdf"] = time.perf_counter() - start
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pdf", action="store_true", help=f"also print {PDF_NAME}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="build folder")
    args = parser.parse_args(argv)
    try:
        seconds = build(args.out, pdf=args.pdf)
    except BuildError as exc:
        print(f"instructor edition: {exc}", file=sys.stderr)
        return 1
    print(f"instructor edition: {args.out / 'html' / 'index.html'}", json.dumps(seconds))
    if args.pdf:
        print(f"instructor edition PDF: {args.out / PDF_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
