"""The notebook template of shared/COURSE.md, as checks that name what is missing.

Conventions a notebook follows so that the checks (and the book and slides) can find things:

* cell 0: markdown starting with ``# Title``, a one-line purpose and the "Open in Colab" text
  link of the notebook's own path (``bootcamp_utils.course.colab_link``); no markdown cell
  shows an image from the web (offline, a broken image);
* one code cell tagged ``setup``, the first code cell, whose source is
  ``bootcamp_utils.course.setup_cell()`` to the letter, folded to its first line in JupyterLab
  and Colab (``bootcamp_utils.course.SETUP_FOLDED``) and in the book (``hide-input``);
* headings ``Learning objectives``, ``Prerequisites``, ``Estimated time``;
* every exercise: a markdown cell with a heading ``### Exercise ...``, then a starter code
  cell that calls ``check("...")``, tagged ``remove-output`` (the book shows no "Not yet"),
  then its solution: a *markdown* cell tagged ``solution``, skipped in the slides, holding the
  code in a closed ``<details class="solution"><summary>Solution</summary>`` block (see
  ``SOLUTION_OPEN``). Markdown is never executed, so Run All in JupyterLab, Notebook or Colab
  shows neither the solution's code nor its output until the student opens it, and every
  front end (and the book) renders ``<details>`` closed. The tests run the solution's code
  (``with_solutions_as_code``) to prove it still solves the exercise;
* every teacher's note (slide type ``notes``): markdown tagged ``remove-cell`` (not in the
  book), wrapped in a closed ``<details class="teacher-note"><summary>For the teacher</summary>``
  block, so students in Jupyter and Colab see only that line; the slides' speaker view shows
  it open;
* headings ``Summary``, ``Common pitfalls``, ``Further reading`` at the end;
* every cell has ``slideshow.slide_type`` metadata.

The lesson template (``templates/NN_lesson_template.ipynb``) is checked as the lesson it
becomes: ``problems(path, repo, as_path="notebooks/NN_lesson_template.ipynb")``. Its badge
points there, and CONTRIBUTING.md says to replace ``NN`` and the name when copying it.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from bootcamp_utils.course import SETUP_FOLDED, colab_link, colab_url, setup_cell

SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
MIN_EXERCISES = {"01": 6}  # by notebook number; others need at least one
_HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)
_COLAB = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+")
_REMOTE_IMAGE = re.compile(
    r"!\[[^\]]*\]\((https?://[^)\s]+)|<img\b[^>]*\bsrc=[\"'](https?://[^\"']+)"
)


def _headings(cell) -> list[str]:
    return (
        [h.strip() for h in _HEADING.findall(cell.source)] if cell.cell_type == "markdown" else []
    )


def _tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


#: The book's toggle on the setup cell (tagged ``hide-input``): says what the folded code is.
SETUP_MYSTNB = {
    "code_prompt_show": "Show the setup code (it matters on Colab only)",
    "code_prompt_hide": "Hide the setup code",
}
#: How a solution cell starts and ends: closed until the student clicks "Solution".
SOLUTION_OPEN = '<details class="solution"><summary>Solution</summary>\n\n```python\n'
SOLUTION_CLOSE = "\n```\n\n</details>"
#: How a teacher's note starts and ends: closed for students, opened in the speaker view.
NOTE_OPEN = '<details class="teacher-note"><summary>For the teacher</summary>\n\n'
NOTE_CLOSE = "\n\n</details>"


def _wrapped(source: str, start: str, end: str) -> str | None:
    """The text between ``start`` and ``end`` if ``source`` is exactly that, else None."""
    source = source.strip("\n")
    if source.startswith(start) and source.endswith(end) and len(source) > len(start + end):
        return source[len(start) : -len(end)]
    return None


def solution_code(cell) -> str | None:
    """The Python code of a solution cell (None if the cell is not laid out as one)."""
    if cell.cell_type != "markdown":
        return None
    code = _wrapped(cell.source, SOLUTION_OPEN, SOLUTION_CLOSE)
    return code if code is not None and "```" not in code else None


def solution_problems(cell) -> list[str]:
    """What a solution cell lacks to stay hidden until a student chooses to open it."""
    found = []
    if solution_code(cell) is None:
        found.append(
            "must be a markdown cell holding only its code, as SOLUTION_OPEN + code + "
            "SOLUTION_CLOSE (tests/notebook_structure.py): a code cell would show its source "
            "or its output after Run All"
        )
    if cell.metadata.get("slideshow", {}).get("slide_type") != "skip":
        found.append("must have slide_type 'skip' (never in the slides)")
    return found


def note_problems(cell) -> list[str]:
    """What a teacher's note (slide type ``notes``) lacks to stay out of students' sight."""
    found = []
    if cell.cell_type != "markdown" or _wrapped(cell.source, NOTE_OPEN, NOTE_CLOSE) is None:
        found.append(
            "must be markdown wrapped as NOTE_OPEN + text + NOTE_CLOSE "
            "(a closed 'For the teacher' block in Jupyter and Colab)"
        )
    if "remove-cell" not in _tags(cell):
        found.append("must be tagged 'remove-cell' (the book leaves it out)")
    return found


def with_solutions_as_code(nb):
    """A copy of ``nb`` in which every solution is a code cell tagged ``solution``, to run."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        code = solution_code(cell) if "solution" in _tags(cell) else None
        if code is not None:
            nb.cells[index] = nbformat.v4.new_code_cell(code, metadata=dict(cell.metadata))
    return nb


def shown_for_the_teacher(nb, text: str) -> list[str]:
    """What of ``nb``'s teaching notes and solutions a page shows: every sentence of a
    teaching note (over 25 characters) in ``text``, and every line of a solution's code (over
    12 characters) in ``text`` that no other cell of the lesson also has. ``text`` is what a
    student sees: closed solutions and speaker notes already taken out (the instructor
    edition shows both, ``book/instructor.py``)."""
    solutions = [c for c in nb.cells if "solution" in _tags(c)]
    elsewhere = "\n".join(c.source for c in nb.cells if c not in solutions)
    shown = []
    for cell in nb.cells:
        if NOTE_OPEN.strip() in cell.source:
            prose = re.sub(r"<[^>]+>|[*`_]|For the teacher", " ", cell.source)
            sentences = [" ".join(s.split()) for s in re.split(r"(?<=[.?!])\s", prose)]
            shown += [s for s in sentences if len(s) > 25 and s in text]
    for cell in solutions:
        lines = [line.strip() for line in (solution_code(cell) or "").splitlines()]
        shown += [
            line for line in lines if len(line) > 12 and line not in elsewhere and line in text
        ]
    return shown


def problems(path: Path, repo: Path, as_path: str | None = None) -> list[str]:
    """Everything about the notebook at ``path`` that breaks the template ([] if none).

    The rules that depend on where the notebook lives (its Colab badge, the number that sets
    how many exercises it needs) use ``as_path``, its path relative to ``repo``, when given:
    the path a template will have once copied into place. By default, its actual path.
    """
    nb = nbformat.read(path, as_version=4)
    rel = as_path if as_path is not None else path.relative_to(repo).as_posix()
    cells = nb.cells
    found: list[str] = []
    if not cells:
        return ["the notebook has no cells"]

    first = cells[0]
    if first.cell_type != "markdown" or not first.source.lstrip().startswith("# "):
        found.append("cell 0 must be markdown starting with a '# Title'")
    elif len([line for line in first.source.splitlines() if line.strip()]) < 3:
        found.append("cell 0 needs the title, a one-line purpose and the Colab link")
    links = {
        link
        for cell in cells
        if cell.cell_type == "markdown"
        for link in _COLAB.findall(cell.source)
    }
    if colab_link(rel) not in first.source:
        found.append(
            f"cell 0 has no Colab link for {rel} (paste the output of python -c 'from "
            f'bootcamp_utils.course import colab_link; print(colab_link("{rel}"))\')'
        )
    remote = sorted(
        {
            a or b
            for cell in cells
            if cell.cell_type == "markdown"
            for a, b in _REMOTE_IMAGE.findall(cell.source)
        }
    )
    if remote:
        found.append(f"images from the web, broken offline (use text or a local file): {remote}")
    if links - {colab_url(rel)}:
        found.append(f"Colab links that do not open this notebook: {sorted(links)}")

    code = [i for i, c in enumerate(cells) if c.cell_type == "code"]
    setup = [i for i in code if "setup" in _tags(cells[i])]
    if len(setup) != 1:
        found.append(f"exactly one code cell must be tagged 'setup' (found {len(setup)})")
    elif code and setup[0] != code[0]:
        found.append(f"the setup cell (cell {setup[0]}) must be the first code cell")
    elif cells[setup[0]].metadata.get("mystnb", {}) != SETUP_MYSTNB or "hide-input" not in _tags(
        cells[setup[0]]
    ):
        found.append(
            f"the setup cell must be tagged 'hide-input' with mystnb {SETUP_MYSTNB} (the book "
            "folds it behind a toggle that says what it is)"
        )
    elif any(cells[setup[0]].metadata.get(k) != v for k, v in SETUP_FOLDED.items()):
        found.append(
            f"the setup cell's metadata must hold {SETUP_FOLDED} (bootcamp_utils.course."
            "SETUP_FOLDED): JupyterLab and Colab fold it to its first line"
        )
    elif cells[setup[0]].source.strip() != setup_cell():
        found.append(
            "the setup cell differs from bootcamp_utils.course.setup_cell() (paste "
            "its text: python -c 'from bootcamp_utils.course import setup_cell; "
            "print(setup_cell())')"
        )

    headings = [(i, h) for i, c in enumerate(cells) for h in _headings(c)]
    titles = [h.lower() for _, h in headings]
    for needed in (
        "learning objectives",
        "prerequisites",
        "estimated time",
        "summary",
        "common pitfalls",
        "further reading",
    ):
        if not any(t.startswith(needed) for t in titles):
            found.append(f"no heading '{needed.capitalize()}'")

    exercises = [i for i, h in headings if h.lower().startswith("exercise")]
    number = Path(rel).name[:2]
    if len(exercises) < MIN_EXERCISES.get(number, 1):
        found.append(
            f"{len(exercises)} exercise(s); at least {MIN_EXERCISES.get(number, 1)} needed"
        )
    for n, start in enumerate(exercises):
        end = exercises[n + 1] if n + 1 < len(exercises) else len(cells)
        block = cells[start + 1 : end]
        title = _headings(cells[start])[0]
        if not any(
            c.cell_type == "code" and re.search(r"\bcheck\(\s*['\"]", c.source) for c in block
        ):
            found.append(f'exercise at cell {start} ({title!r}) has no check("...") call')
        solutions = [c for c in block if "solution" in _tags(c)]
        if not solutions:
            found.append(f"exercise at cell {start} ({title!r}) has no cell tagged 'solution'")
        for c in solutions:
            found += [f"the solution of {title!r} {p}" for p in solution_problems(c)]
        for c in block:
            if (
                c.cell_type == "code"
                and "solution" not in _tags(c)
                and re.search(r"\bcheck\(\s*['\"]", c.source)
                and "remove-output" not in _tags(c)
            ):
                found.append(
                    f"the starter cell of {title!r} must be tagged 'remove-output' (the book "
                    "would greet readers with its 'Not yet')"
                )

    for i, c in enumerate(cells):
        if c.metadata.get("slideshow", {}).get("slide_type") == "notes":
            found += [f"the teacher's note at cell {i} {p}" for p in note_problems(c)]
        elif "solution" not in _tags(c) and (
            _wrapped(c.source, NOTE_OPEN, NOTE_CLOSE) or "**Teaching note.**" in c.source
        ):
            found.append(f"cell {i} is a teacher's note: give it slide type 'notes'")

    untyped = [
        i
        for i, c in enumerate(cells)
        if c.metadata.get("slideshow", {}).get("slide_type") not in SLIDE_TYPES
    ]
    if untyped:
        found.append(f"cells without a valid slideshow.slide_type: {untyped}")
    return found
