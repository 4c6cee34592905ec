"""Lesson 05's checks never give the answer away (issue 23.19).

A student who resubmits after every "Not yet" must not be able to read the right answer off
the feedback: for every code of 05-status and every wrong category, and for every attribute
of 05-levels and every wrong level, the message and hint name neither the right category nor
the right level.
"""

from __future__ import annotations

import pytest

from bootcamp_utils import check

from .checks_lesson05_cases import _CODES, _LEVELS, _STATUS

_CATEGORIES = ("Success", "Pending", "Cancel", "Warning", "Failure")


@pytest.mark.parametrize("code", _CODES, ids=lambda c: f"0x{c:04X}")
def test_status_feedback_does_not_name_the_category(code):
    truth = _STATUS[code]
    for category in _CATEGORIES:
        if category == truth:
            continue
        feedback = check("05-status", {**_STATUS, code: category})
        assert not feedback.correct and not feedback.crashed
        text = f"{feedback.message} {feedback.hint}"
        assert f"0x{code:04X}" in feedback.message and category in feedback.message, text
        assert truth not in text and truth.lower() not in text, text


@pytest.mark.parametrize("keyword", sorted(_LEVELS))
def test_levels_feedback_does_not_name_the_level(keyword):
    truth = _LEVELS[keyword]
    for level in ("PATIENT", "STUDY", "SERIES", "IMAGE"):
        if level == truth:
            continue
        feedback = check("05-levels", {**_LEVELS, keyword: level})
        assert not feedback.correct and not feedback.crashed
        text = f"{feedback.message} {feedback.hint}"
        assert keyword in feedback.message and level in feedback.message, text
        assert truth not in text, text
