"""The notebook template of shared/COURSE.md, as checks that name what is missing.

Conventions a notebook follows so that the checks (and the book and slides) can find things:

* cell 0: markdown starting with ``# Title``, a one-line purpose and the Colab badge of the
  notebook's own path (``bootcamp_utils.course.colab_badge``);
* one code cell tagged ``setup``, the first code cell, whose source is
  ``bootcamp_utils.course.setup_cell()`` to the letter;
* headings ``Learning objectives``, ``Prerequisites``, ``Estimated time``;
* every exercise: a markdown cell with a heading ``### Exercise ...``, then a starter code
  cell that calls ``check("...")``, tagged ``remove-output`` (the book shows no "Not yet"),
  then a solution: a code cell tagged ``solution`` and ``hide-cell``, its source and output
  hidden in Jupyter (``jupyter.source_hidden``, ``jupyter.outputs_hidden``), behind a "Show
  solution" toggle in the book (``mystnb.code_prompt_show``), skipped in the slides;
* headings ``Summary``, ``Common pitfalls``, ``Further reading`` at the end;
* every cell has ``slideshow.slide_type`` metadata.

The lesson template (``templates/NN_lesson_template.ipynb``) is checked as the lesson it
becomes: ``problems(path, repo, as_path="notebooks/NN_lesson_template.ipynb")``. Its badge
points there, and CONTRIBUTING.md says to replace ``NN`` and the name when copying it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from bootcamp_utils.course import colab_url, setup_cell

SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
MIN_EXERCISES = {"01": 6}  # by notebook number; others need at least one
_HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)
_COLAB = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+")


def _headings(cell) -> list[str]:
    return (
        [h.strip() for h in _HEADING.findall(cell.source)] if cell.cell_type == "markdown" else []
    )


def _tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


#: What every solution cell carries: hidden (source and output) in JupyterLab, Notebook and
#: the book until the student opens it, and never in the slides.
SOLUTION_TAGS = {"solution", "hide-cell"}
SOLUTION_JUPYTER = {"source_hidden": True, "outputs_hidden": True}
SOLUTION_MYSTNB = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}


def solution_problems(cell) -> list[str]:
    """What a solution cell lacks to stay hidden until a student chooses to open it."""
    found = []
    if not SOLUTION_TAGS.issubset(_tags(cell)) or "hide-input" in _tags(cell):
        found.append(
            "must be tagged 'solution' and 'hide-cell' (source and output collapsed in the "
            "book), not 'hide-input'"
        )
    jupyter = cell.metadata.get("jupyter", {})
    if any(jupyter.get(k) is not v for k, v in SOLUTION_JUPYTER.items()):
        found.append("must have jupyter.source_hidden and jupyter.outputs_hidden true")
    mystnb = cell.metadata.get("mystnb", {})
    if any(mystnb.get(k) != v for k, v in SOLUTION_MYSTNB.items()):
        found.append(f"must have mystnb {SOLUTION_MYSTNB} (the book's toggle says what it hides)")
    if cell.metadata.get("slideshow", {}).get("slide_type") != "skip":
        found.append("must have slide_type 'skip' (never in the slides)")
    return found


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
        found.append("cell 0 needs the title, a one-line purpose and the Colab badge")
    links = {
        link
        for cell in cells
        if cell.cell_type == "markdown"
        for link in _COLAB.findall(cell.source)
    }
    if colab_url(rel) not in first.source:
        found.append(f"cell 0 has no Colab badge for {rel} ({colab_url(rel)})")
    if links - {colab_url(rel)}:
        found.append(f"Colab links that do not open this notebook: {sorted(links)}")

    code = [i for i, c in enumerate(cells) if c.cell_type == "code"]
    setup = [i for i in code if "setup" in _tags(cells[i])]
    if len(setup) != 1:
        found.append(f"exactly one code cell must be tagged 'setup' (found {len(setup)})")
    elif code and setup[0] != code[0]:
        found.append(f"the setup cell (cell {setup[0]}) must be the first code cell")
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

    untyped = [
        i
        for i, c in enumerate(cells)
        if c.metadata.get("slideshow", {}).get("slide_type") not in SLIDE_TYPES
    ]
    if untyped:
        found.append(f"cells without a valid slideshow.slide_type: {untyped}")
    return found
