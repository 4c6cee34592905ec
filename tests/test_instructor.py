"""The instructor edition: ``python book/instructor.py --pdf`` (the README's command), read.

The edition is built once per module into a temporary folder (``--out``), from the same
notebooks as the student book; the tests then read its pages, its executed notebooks and its
PDF. The pieces that make it (the timing table, the opened notes, the solutions turned into
code cells) are also tested alone on small notebooks made here. Screenshots go to
``test-artifacts/instructor/``.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import subprocess
import sys
import time
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

import bootcamp_utils
from bootcamp_utils.plan import Section, estimated_minutes, lesson_plan

from .browser import browser_page, node_module
from .conftest import IN_CI, REPO, require_tool
from .notebook_harness import snapshot_changes, tree_snapshot
from .test_book import ARTIFACTS as BOOK_ARTIFACTS
from .test_book import LESSONS, _build_env

SCRIPT = REPO / "book" / "instructor.py"
ARTIFACTS = BOOK_ARTIFACTS.parent / "instructor"
_spec = importlib.util.spec_from_file_location("instructor", SCRIPT)
instructor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(instructor)

_NOTE_TEXT = re.compile(r"\*\*Teaching note\.\*\*\s*(.*)", re.S)


# -- small notebooks: the pieces alone --------------------------------------------------------


def _notebook(tmp_path: Path, cells: list[tuple[str, str, list[str]]], estimated: int) -> Path:
    nb = nbformat.v4.new_notebook()
    new = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb.cells = [new["markdown"]("# 99 · A lesson\n\nIntro.")]
    nb.cells.append(new["markdown"](f"## Estimated time\n{estimated} minutes, exercises included."))
    for kind, source, tags in cells:
        nb.cells.append(new[kind](source))
        nb.cells[-1].metadata["tags"] = tags
    path = tmp_path / "99_lesson.ipynb"
    nbformat.write(nb, path)
    return path


def _note(text: str) -> tuple[str, str, list[str]]:
    source = (
        '<details class="teacher-note"><summary>For the teacher</summary>\n\n'
        f"**Teaching note.** {text}\n\n</details>"
    )
    return ("markdown", source, ["remove-cell"])


def _solution(code: str) -> tuple[str, str, list[str]]:
    source = (
        '<details class="solution"><summary>Solution</summary>\n\n'
        f"```python\n{code}\n```\n\n</details>"
    )
    return ("markdown", source, ["solution"])


_LESSON = [
    ("markdown", "## 1. Files", []),
    _note("About 10 minutes. Ask what a file is."),
    ("markdown", "### Exercise: size", []),
    ("code", 'answer = None\ncheck("99-size", answer)', ["remove-output"]),
    _solution('answer = 4\ncheck("99-size", answer)'),
    ("markdown", "## 2. Tags", []),
    _note("About 20 minutes. Let them guess."),
    ("code", 'check("99-tag", None)\ncheck("99-vr", None)', ["remove-output"]),
]


def test_timing_table_rows_and_total(tmp_path):
    path = _notebook(tmp_path, _LESSON, estimated=30)
    plan = lesson_plan(path)
    assert [(s.number, s.minutes, s.exercises) for s in plan] == [
        (1, 10, ["99-size"]),
        (2, 20, ["99-tag", "99-vr"]),
    ]
    table = instructor.timing_table(plan, estimated_minutes(path))
    assert ":class: timing-table" in table
    assert "Timing: 30 minutes, as the Estimated time says" in table
    assert "* - 1\n  - Files\n  - 10\n  - `99-size`" in table
    assert "* - 2\n  - Tags\n  - 20\n  - `99-tag`, `99-vr`" in table
    assert "  - **Total**\n  - **30**\n  - 3 exercises" in table
    assert instructor.timing_problems(plan, 30) == []


@pytest.mark.parametrize(
    ("plan", "estimated", "expected"),
    [
        ([Section(1, "A", 10), Section(2, "B", None)], 10, "section 2 (B) states no minutes"),
        ([Section(1, "A", 10), Section(2, "B", 5)], 20, "add up to 15 minutes, the Estimated"),
        ([Section(1, "A", 10)], None, "no '## Estimated time'"),
        ([], 10, "no numbered section"),
    ],
)
def test_timing_problems_are_named(plan, estimated, expected):
    problems = instructor.timing_problems(plan, estimated)
    assert any(expected in p for p in problems), problems
    assert "they differ" in instructor.timing_table(plan, estimated)


def test_instructor_notebook_opens_notes_runs_solutions_and_adds_the_table(tmp_path):
    path = _notebook(tmp_path, _LESSON, estimated=30)
    cells = instructor.instructor_notebook(path).cells
    assert cells[0].source.startswith("# 99 · A lesson")
    assert "timing-table" in cells[1].source and cells[1].metadata["tags"] == ["timing-table"]
    notes = [c for c in cells if "teacher-note" in c.source]
    assert len(notes) == 2
    for note in notes:
        assert note.source.startswith("::::{admonition} For the teacher\n:class: teacher-note")
        assert "<details" not in note.source and "remove-cell" not in note.metadata["tags"]
    # the solution: a label and a code cell, right after the starter, in place of the markdown
    starter = next(i for i, c in enumerate(cells) if 'answer = None\ncheck("99-size"' in c.source)
    label, code = cells[starter + 1], cells[starter + 2]
    assert label.cell_type == "markdown" and "Solution · 99-size" in label.source
    assert code.cell_type == "code" and code.source == 'answer = 4\ncheck("99-size", answer)'
    assert "solution" in code.metadata["tags"]
    assert not any(c.cell_type == "markdown" and "```python" in c.source for c in cells)
    assert len(cells) == 2 + len(_LESSON) + 2  # title, time; the lesson; table, label


def test_untimed_or_miscounted_lesson_stops_the_build_unless_asked(tmp_path, capsys):
    path = _notebook(tmp_path, _LESSON, estimated=45)
    with pytest.raises(instructor.BuildError, match="add up to 30 minutes.*45"):
        instructor.instructor_notebook(path)
    nb = instructor.instructor_notebook(path, require_timing=False)  # BOOTCAMP_REQUIRE_TIMING=0
    assert "they differ" in nb.cells[1].source
    assert "WARNING" in capsys.readouterr().err


def test_a_note_or_solution_out_of_form_is_refused(tmp_path):
    broken = [("markdown", "## 1. A", []), ("markdown", '<details class="teacher-note">x', [])]
    with pytest.raises(instructor.BuildError, match="cell 3.*teaching note not in the form"):
        instructor.instructor_notebook(_notebook(tmp_path, broken, 0), require_timing=False)
    broken = [("markdown", "## 1. A", []), ("markdown", "answer = 1", ["solution"])]
    with pytest.raises(instructor.BuildError, match="cell 3.*solution not in the form"):
        instructor.instructor_notebook(_notebook(tmp_path, broken, 0), require_timing=False)


def test_every_lesson_adds_up():
    """What the build requires of the real lessons: every section timed, the Estimated time."""
    for lesson in LESSONS:
        path = REPO / f"{lesson}.ipynb"
        problems = instructor.timing_problems(lesson_plan(path), estimated_minutes(path))
        assert problems == [], f"{lesson}: {problems}"


# -- the edition, built -----------------------------------------------------------------------

_WATCHED = ("book", "notebooks", "templates", "data")


def _snapshot() -> dict:
    return {
        f"{folder}/{path}": stat
        for folder in _WATCHED
        for path, stat in tree_snapshot(REPO / folder, exclude=("__pycache__",)).items()
    }


def _can_print() -> bool:
    return Path(instructor.CHROMIUM).is_file() and importlib.util.find_spec("playwright")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list, float]:
    """The build folder of ``book/instructor.py [--pdf] --out DIR`` (with ``--pdf`` when
    Chromium is here), what it changed in the checkout, and its seconds."""
    node_module("mathjax3")
    require_tool("Orthanc", "orthanc orthanc-dicomweb")  # lesson 05, as for the student book
    out = tmp_path_factory.mktemp("instructor")
    command = [sys.executable, str(SCRIPT), "--out", str(out / "build")]
    command += ["--pdf"] if _can_print() or IN_CI else []
    before = _snapshot()
    start = time.perf_counter()
    run = subprocess.run(command, cwd=out, capture_output=True, text=True, env=_build_env(out))
    seconds = time.perf_counter() - start
    print(f"\n{' '.join(command[1:])}: {seconds:.1f} s")
    assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]
    return out / "build", snapshot_changes(before, _snapshot()), seconds


class _Text(HTMLParser):
    """The text of an HTML page, and the rows of each table of a class (cells' text)."""

    def __init__(self, table_class: str = "timing-table"):
        super().__init__()
        self.table_class, self.tables, self.text = table_class, [], []
        self._depth = 0  # inside a wanted table: its nesting depth

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and self.table_class in classes:
            self.tables.append([])
            self._depth = 1
        elif tag == "table" and self._depth:
            self._depth += 1
        elif self._depth and tag == "tr":
            self.tables[-1].append([])
        elif self._depth and tag in ("td", "th"):
            self.tables[-1][-1].append("")

    def handle_endtag(self, tag):
        if tag == "table" and self._depth:
            self._depth -= 1

    def handle_data(self, data):
        self.text.append(data)
        if self._depth and self.tables[-1] and self.tables[-1][-1]:
            self.tables[-1][-1][-1] += data


def _read(page: Path) -> _Text:
    parser = _Text()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


_TYPOGRAPHY = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "--", "—": "---"})


def _squash(text: str) -> str:
    """Text with its spaces collapsed and Sphinx's smart quotes and dashes undone."""
    return " ".join(text.translate(_TYPOGRAPHY).replace("…", "...").split())


def _notes(lesson: str) -> list[str]:
    """The text of each teaching note of a lesson (from the student notebook)."""
    cells = nbformat.read(REPO / f"{lesson}.ipynb", 4).cells
    found = [_NOTE_TEXT.search(c.source) for c in cells if 'class="teacher-note"' in c.source]
    emphasis = r"[*`]|(?<!\w)_|_(?!\w)|</?details>"  # markdown marks, not seg_to_mask's
    return [re.sub(emphasis, "", m.group(1)) for m in found]


def _solutions(lesson: str) -> list[str]:
    cells = nbformat.read(REPO / f"{lesson}.ipynb", 4).cells
    sources = [c.source for c in cells if "solution" in c.metadata.get("tags", [])]
    return [re.search(r"```python\n(.*?)\n```", s, re.S).group(1) for s in sources]


def test_build_writes_nothing_into_the_checkout(built):
    assert built[1] == []


def test_build_is_timed(built):
    """The build's seconds (printed with -s), within the CI's budget for it."""
    assert 0 < built[2] < 1800, built[2]


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_page_opens_with_its_timing_table(built, lesson):
    page = _read(built[0] / "html" / f"{lesson}.html")
    plan = lesson_plan(REPO / f"{lesson}.ipynb")
    assert len(page.tables) == 1, f"{lesson}: {len(page.tables)} timing tables"
    header, *rows, total = [[_squash(cell) for cell in row] for row in page.tables[0]]
    assert header == ["§", "Section", "Minutes", "Exercises"]
    expected = [
        [str(s.number), _squash(s.title.replace("`", "")), str(s.minutes), ", ".join(s.exercises)]
        for s in plan
    ]
    assert [[n, t, m, "" if e == "---" else e] for n, t, m, e in rows] == expected
    assert total[1:3] == ["Total", str(estimated_minutes(REPO / f"{lesson}.ipynb"))]
    assert "as the Estimated time says" in html.unescape("".join(page.text))
    source = (built[0] / "html" / f"{lesson}.html").read_text(encoding="utf-8")
    # after the title, before the first section
    assert source.index("<h1>") < source.index("timing-table") < source.index("<h2>1. ")


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_teaching_note_is_shown_open(built, lesson):
    source = (built[0] / "html" / f"{lesson}.html").read_text(encoding="utf-8")
    boxes = re.findall(r'<div class="teacher-note admonition">(.*?)</div>', source, re.S)
    notes = _notes(lesson)
    assert len(boxes) == len(notes) > 0
    shown = _squash(html.unescape(re.sub(r"<[^>]+>", "", " ".join(boxes))))
    for note in notes:
        assert _squash(note)[:60] in shown, note[:60]
    assert 'class="teacher-note"' not in source  # no closed <details> left


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_solution_runs_under_its_starter_with_correct(built, lesson):
    executed = nbformat.read(built[0] / "jupyter_execute" / f"{lesson}.ipynb", 4)
    ran = [
        c
        for c in executed.cells
        if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])
    ]
    assert [c.source for c in ran] == _solutions(lesson)
    for cell in ran:
        text = json.dumps(cell.outputs)
        assert "Correct" in text and "Not yet" not in text, cell.source
    page = (built[0] / "html" / f"{lesson}.html").read_text(encoding="utf-8")
    assert page.count('class="solution-label"') == len(ran)
    assert len(re.findall(r'<div class="cell tag_solution\b', page)) == len(ran)
    assert '<details class="solution"' not in page


def test_every_page_names_the_release_and_the_edition(built):
    for page in (built[0] / "html").rglob("*.html"):
        if "_static" in page.parts:  # the theme's templates
            continue
        if page.name in ("index.html", "search.html", "genindex.html"):  # index: a redirect
            continue
        text = page.read_text(encoding="utf-8")
        line = f"DICOM in Python {bootcamp_utils.__version__} · instructor edition"
        assert line in text, page
    assert "Instructor edition" in (built[0] / "html" / "intro.html").read_text()


def test_nothing_on_any_page_comes_from_elsewhere(built):
    loads = re.compile(
        r'<(?:script|img|link|iframe|source)\b[^>]*\b(?:src|href)="(https?:)?//', re.I
    )
    for folder in ("html", "singlehtml"):
        for page in (built[0] / folder).rglob("*.html"):
            text = page.read_text(encoding="utf-8")
            for tag in loads.finditer(text):
                snippet = text[tag.start() : tag.start() + 200]
                assert re.match(r'<link\b[^>]*rel="(?:canonical|author|license)"', snippet), (
                    f"{page} loads {snippet}"
                )


# -- in the browser, and the PDF ---------------------------------------------------------------


def _pdf_text(pdf: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:
        if IN_CI:
            pytest.fail("pypdf not installed (requirements-dev.txt)")
        pytest.skip("pypdf not installed: pip install pypdf")
    text = " ".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
    return _squash(unicodedata.normalize("NFKC", text))  # the ﬁ ligature: fi


@pytest.mark.external
def test_pdf_holds_every_timing_table_and_the_teaching_notes(built):
    pdf = built[0] / instructor.PDF_NAME
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Instructor edition" in text
    text = re.sub(r"\s+", "", text)  # wrapped table cells, spaces around inline code
    for lesson in LESSONS:
        path = REPO / f"{lesson}.ipynb"
        plan = lesson_plan(path)
        rows = [re.sub(r"\s+|`", "", _squash(f"{s.number} {s.title} {s.minutes}")) for s in plan]
        missing = [row for row in rows if row not in text]
        assert missing == [], f"{lesson}: timing rows not in the PDF: {missing}"
        assert f"Total{estimated_minutes(path)}" in text, lesson
        note = re.sub(r"\s+", "", _squash(_notes(lesson)[0]))[:50]
        assert note in text, f"{lesson}: teaching note not in the PDF: {note}"


@pytest.mark.external
@pytest.mark.parametrize("lesson", LESSONS)
def test_instructor_page_in_the_browser(built, lesson):
    """Offline, no console error; the timing table, every note and every solution's output
    in sight (not folded away). Screenshots of the table, a note and a solution."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = Path(lesson).name
    with browser_page(1280, 900) as (page, log):
        page.goto((built[0] / "html" / f"{lesson}.html").as_uri())
        page.wait_for_load_state("load")
        table = page.locator("table.timing-table")
        assert table.is_visible()
        page.evaluate("window.scrollTo(0, 0)")  # the title, then the table
        page.screenshot(path=str(ARTIFACTS / f"{stem}-timing-table.png"))
        notes = page.locator("div.admonition.teacher-note")
        assert notes.count() == len(_notes(lesson))
        assert all(notes.nth(i).is_visible() for i in range(notes.count()))
        notes.first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"{stem}-teaching-note.png"))
        solutions = page.locator("div.cell.tag_solution")
        assert solutions.count() == len(_solutions(lesson))
        for i in range(solutions.count()):
            output = solutions.nth(i).locator(".cell_output")
            assert output.is_visible() and "Correct" in output.inner_text()
        solutions.first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"{stem}-solution.png"))
    assert log.blocked == [] and log.failed == [] and log.errors == []
