"""Every lesson states its minutes section by section, and they add up to its Estimated time.

The instructor edition prints each lesson's timing table (section, minutes, exercises) from the
teaching notes (``bootcamp_utils.plan``), so a section whose note gives no ``About N minutes``
would leave a hole in the table, and minutes that do not add up would contradict the lesson's
own "Estimated time". The fixtures at the end show that the checks below do fail.
"""

from __future__ import annotations

import json
import re

import pytest

from bootcamp_utils.plan import estimated_minutes, lesson_plan

from .conftest import REPO
from .notebook_structure import NOTE_CLOSE, NOTE_OPEN

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
TEMPLATE = REPO / "templates" / "NN_lesson_template.ipynb"
LESSONS = [*NOTEBOOKS, TEMPLATE]  # a lesson copied from the template starts consistent
# an exercise's self-check in a starter cell, as CONTRIBUTING.md writes it
_CHECK = re.compile(r"""\bcheck\(\s*["'](\d\d-[\w-]+)["']""")
_SECTION = re.compile(r"^## (\d+)\. ", re.M)
_MINUTES = re.compile(r"\bAbout \d+ minutes?\b")
_FIRST = re.compile(r"\*\*Teaching note\.\*\* About \d+ minutes?\b")


def plan_problems(path) -> list[str]:
    """What keeps ``path``'s teaching notes from giving a timing table that adds up."""
    try:
        sections = lesson_plan(path)
    except ValueError as error:  # two notes of one section state minutes
        return [str(error)]
    total = estimated_minutes(path)
    found = [] if sections else ["no numbered section ('## 1. Title')"]
    found += [
        f"section {s.number} ({s.title}): no teaching note says 'About N minutes'"
        for s in sections
        if s.minutes is None
    ]
    stated = sum(s.minutes or 0 for s in sections)
    if total is None:
        found.append("no '## Estimated time' with 'N minutes'")
    elif sections and stated != total:
        found.append(f"the sections' minutes add up to {stated}, the Estimated time is {total}")
    return found


def _cells(path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [dict(c, source="".join(c["source"])) for c in cells]


def exercise_problems(path) -> list[str]:
    """Exercises (``check("NN-...")`` in a code cell, found here independently of the plan)
    that no numbered section of the plan lists."""
    everywhere = [
        i for c in _cells(path) if c["cell_type"] == "code" for i in _CHECK.findall(c["source"])
    ]
    in_sections = [i for s in lesson_plan(path) for i in s.exercises]
    found = [] if everywhere else ['no exercise (check("NN-id", answer)) at all']
    found += [
        f"exercise {i} is outside every numbered section"
        for i in everywhere
        if i not in in_sections
    ]
    return found


def note_problems(path) -> list[str]:
    """Sections whose minutes are not stated first in one teaching note: the speaker view and
    the timing table must agree on which note is the section's."""
    section, stating = None, {}
    for cell in _cells(path):
        text = cell["source"]
        heading = _SECTION.search(text) if cell["cell_type"] == "markdown" else None
        if heading:
            section = int(heading.group(1))
        if section is None or 'class="teacher-note"' not in text:
            continue
        body = text.removeprefix(NOTE_OPEN).removesuffix(NOTE_CLOSE)
        if _MINUTES.search(body):
            stating.setdefault(section, []).append(body)
    found = []
    for number, bodies in stating.items():
        if len(bodies) > 1:
            found.append(f"section {number}: {len(bodies)} teaching notes state minutes")
        elif not _FIRST.match(bodies[0]):
            found.append(
                f"section {number}: its note does not start with its minutes: {bodies[0][:60]!r}"
            )
    return found


def _ids(paths):
    return [p.name for p in paths]


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_every_section_states_its_minutes_and_they_add_up(path):
    found = plan_problems(path) + note_problems(path)
    assert not found, f"{path.name}:\n- " + "\n- ".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_every_exercise_belongs_to_a_section(path):
    found = exercise_problems(path)
    assert not found, f"{path.name}:\n- " + "\n- ".join(found)


# --- the checks above can fail: small made-up lessons --------------------------------------


def _note(text):
    return {
        "cell_type": "markdown",
        "metadata": {"slideshow": {"slide_type": "notes"}, "tags": ["remove-cell"]},
        "source": NOTE_OPEN + "**Teaching note.** " + text + NOTE_CLOSE,
    }


def _lesson(tmp_path, minutes, estimated=30):
    """A lesson with one section per entry of ``minutes`` (None: a note without minutes)."""
    cells = [{"cell_type": "markdown", "source": f"## Estimated time\n\n{estimated} minutes."}]
    for n, m in enumerate(minutes, start=1):
        cells.append({"cell_type": "markdown", "source": f"## {n}. Part {n}"})
        cells.append(_note("Ask the room." if m is None else f"About {m} minutes. Ask."))
        cells.append({"cell_type": "code", "source": f'answer = None\ncheck("99-part{n}", answer)'})
    path = tmp_path / "99_made_up.ipynb"
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    return path


def _insert(path, index, cell):
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].insert(index, cell)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_a_lesson_whose_minutes_add_up_passes(tmp_path):
    path = _lesson(tmp_path, [10, 20])
    assert plan_problems(path) == note_problems(path) == exercise_problems(path) == []


def test_a_section_without_minutes_is_reported(tmp_path):
    found = plan_problems(_lesson(tmp_path, [10, None]))
    assert any("section 2 (Part 2): no teaching note" in f for f in found), found
    assert any("add up to 10, the Estimated time is 30" in f for f in found), found


def test_a_wrong_total_is_reported(tmp_path):
    found = plan_problems(_lesson(tmp_path, [10, 25]))
    assert found == ["the sections' minutes add up to 35, the Estimated time is 30"]


def test_minutes_outside_a_teaching_note_do_not_count(tmp_path):
    path = _insert(
        _lesson(tmp_path, [10, None]),
        5,
        {"cell_type": "markdown", "source": "About 20 minutes to read."},
    )
    assert any("section 2 (Part 2): no teaching note" in f for f in plan_problems(path))


def test_minutes_not_stated_first_are_reported(tmp_path):
    path = _insert(_lesson(tmp_path, [10]), 3, _note("Ask first. About 20 minutes."))
    path = _insert(path, 3, {"cell_type": "markdown", "source": "## 2. Part 2"})
    assert plan_problems(path) == []  # 10 + 20 = 30: only the note's form is wrong
    assert note_problems(path) == [
        "section 2: its note does not start with its minutes:"
        " '**Teaching note.** Ask first. About 20 minutes.'"
    ]


def test_two_notes_with_minutes_in_one_section_are_reported(tmp_path):
    path = _insert(_lesson(tmp_path, [10, 20]), 3, _note("About 5 minutes for the figure."))
    assert note_problems(path) == ["section 1: 2 teaching notes state minutes"]
    assert "section 1 has two teaching notes stating minutes" in plan_problems(path)[0]


def test_an_exercise_outside_the_sections_is_reported(tmp_path):
    stray = {"cell_type": "code", "source": 'check("99-stray", answer)'}
    path = _insert(_lesson(tmp_path, [10, 20]), 1, stray)
    assert exercise_problems(path) == ["exercise 99-stray is outside every numbered section"]
