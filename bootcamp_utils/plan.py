"""A lesson's plan, read from the notebook itself: its sections, their minutes, their exercises.

A teacher planning a class needs to know how long each part of a lesson takes. The course keeps
that where the teacher reads it anyway: in the **teaching note** of each numbered section (a
markdown cell ``<details class="teacher-note">``, slide type ``notes``, see CONTRIBUTING.md),
whose text says ``About N minutes``. This module reads a notebook's cells in order and gives one
:class:`Section` per ``## N. Title`` heading, with the minutes of its teaching note and the ids
of its exercises (the ``check("NN-id", ...)`` of each ``### Exercise`` starter). The
instructor edition of the book prints it as each lesson's timing table, and
tests/test_notebook_structure.py requires every section to have its minutes and the total to
equal the lesson's "Estimated time".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Section", "estimated_minutes", "lesson_plan"]

_SECTION = re.compile(r"^## (\d+)\. (.+)$", re.M)
_MINUTES = re.compile(r"\bAbout (\d+) minutes?\b")
_CHECK = re.compile(r"""check\(\s*["']([0-9]{2}-[\w-]+)["']""")
_ESTIMATED = re.compile(r"^## Estimated time\s*\n+\s*(\d+) minutes", re.M)


@dataclass
class Section:
    """One numbered section of a lesson: ``number``, ``title``, ``minutes`` (None when its
    teaching note gives none, or it has no note), ``exercises`` (ids, in order)."""

    number: int
    title: str
    minutes: int | None = None
    exercises: list[str] = field(default_factory=list)


def _cells(notebook: str | Path) -> list[tuple[str, str]]:
    with open(notebook, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    return [(c["cell_type"], "".join(c["source"])) for c in cells]


def lesson_plan(notebook: str | Path) -> list[Section]:
    """The sections of ``notebook`` with their minutes and exercises, in order.

    Parameters
    ----------
    notebook : str or Path
        A lesson notebook (``.ipynb``).

    Returns
    -------
    list of Section
        One per ``## N. Title`` heading. A section's minutes come from the first ``About N
        minutes`` in a teaching note (``class="teacher-note"``) inside it; exercises from the
        ``check("NN-id", ...)`` calls of its code cells (solutions are markdown: not counted).

    Raises
    ------
    ValueError
        When a section has two teaching notes that state minutes (which one would count?).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> cells = [{"cell_type": "markdown", "source": "## 1. Files"},
    ...          {"cell_type": "markdown", "source":
    ...           '<details class="teacher-note">About 10 minutes.</details>'},
    ...          {"cell_type": "code", "source": 'check("01-size", answer)'}]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lesson.ipynb"
    >>> _ = path.write_text(json.dumps({"cells": cells}))
    >>> lesson_plan(path)
    [Section(number=1, title='Files', minutes=10, exercises=['01-size'])]
    """
    sections: list[Section] = []
    for kind, text in _cells(notebook):
        heading = _SECTION.search(text) if kind == "markdown" else None
        if heading:
            sections.append(Section(int(heading.group(1)), heading.group(2).strip()))
        if not sections:
            continue
        here = sections[-1]
        if kind == "markdown" and 'class="teacher-note"' in text:
            minutes = _MINUTES.search(text)
            if minutes and here.minutes is not None:
                raise ValueError(
                    f"{notebook}: section {here.number} has two teaching notes stating minutes;"
                    " keep the minutes in one of them"
                )
            if minutes:
                here.minutes = int(minutes.group(1))
        if kind == "code":
            here.exercises += _CHECK.findall(text)
    return sections


def estimated_minutes(notebook: str | Path) -> int | None:
    r"""The minutes of the lesson's "Estimated time" section, or None when it states none.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> text = "## Estimated time\n\n90 minutes, exercises included."
    >>> cell = {"cell_type": "markdown", "source": text}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "lesson.ipynb"
    >>> _ = path.write_text(json.dumps({"cells": [cell]}))
    >>> estimated_minutes(path)
    90
    """
    for kind, text in _cells(notebook):
        found = _ESTIMATED.search(text) if kind == "markdown" else None
        if found:
            return int(found.group(1))
    return None
