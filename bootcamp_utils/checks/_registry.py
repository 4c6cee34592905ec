"""The machinery shared by every lesson's checks: Feedback, the registry, ``check``, helpers.

A check is a small function ``answer -> (correct, message, hint)``, registered under an
exercise id with :func:`exercise`. It returns :func:`right` or :func:`wrong`, and it reads
the answer with the helpers below, which stop the check with :class:`Refused` (a message
saying what was expected) when the answer has the wrong shape. They are strict on purpose:

* ``True`` is not ``1``: a bool is never accepted as a number;
* ``1.9`` is not ``1``: nothing is rounded or cut off; ``2.0`` is the whole number 2;
* NumPy scalars count as what they hold (``np.uint32(7)`` is 7, ``np.True_`` is True);
* text is not a number: ``"336"`` is refused, with a message saying so.
"""

from __future__ import annotations

import contextlib
import difflib
import html
import math
import numbers
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "EXERCISES",
    "Feedback",
    "Refused",
    "boolean",
    "check",
    "exercise",
    "integer",
    "mapping",
    "number",
    "outside_samples",
    "pair",
    "right",
    "written_file",
    "wrong",
]


@dataclass
class Feedback:
    """The verdict on one answer: truthy when correct, shown as a coloured box in a notebook.

    Parameters
    ----------
    exercise : str
        The exercise id, such as ``"01-tag-number"``.
    correct : bool
        Whether the answer is right.
    message : str
        What is right, or what is wrong, about the answer.
    hint : str, optional
        How to get there; shown only when the answer is not right.
    crashed : bool, optional
        True when the check raised on this answer instead of judging it: the student sees
        a "Not yet" asking to report it, never a traceback; the tests fail on it.

    Examples
    --------
    >>> feedback = Feedback("01-demo", False, "off by one.", "Count from 0.")
    >>> bool(feedback)
    False
    >>> print(feedback)
    [01-demo] Not yet: off by one.
    Hint: Count from 0.
    """

    exercise: str
    correct: bool
    message: str
    hint: str = ""
    #: True when the check itself raised on this answer (a bug the tests look for).
    crashed: bool = False

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        mark = "Correct" if self.correct else "Not yet"
        hint = f"\nHint: {self.hint}" if self.hint and not self.correct else ""
        return f"[{self.exercise}] {mark}: {self.message}{hint}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1b7f3b", "✔ Correct") if self.correct else ("#b3261e", "✘ Not yet")
        hint = (
            f"<br><b>Hint:</b> {html.escape(self.hint)}" if self.hint and not self.correct else ""
        )
        return (
            f'<div role="status" style="border-left:4px solid {colour};padding:4px 8px;'
            f'margin:4px 0"><b style="color:{colour}">{mark}</b> '
            f"({html.escape(self.exercise)}): {html.escape(self.message)}{hint}</div>"
        )


Verdict = tuple[bool, str, str]
_Check = Callable[[Any], Feedback]
#: exercise id -> (the question it asks, the function that checks an answer)
EXERCISES: dict[str, tuple[str, _Check]] = {}


class Refused(Exception):
    """Raised by a helper when an answer has the wrong shape; the check says so, kindly."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def exercise(name: str, question: str) -> Callable[[Callable[[Any], Verdict]], _Check]:
    """Register the decorated function as the check of exercise ``name``."""

    def register(func: Callable[[Any], Verdict]) -> _Check:
        def run(answer: Any) -> Feedback:
            try:
                correct, message, hint = func(answer)
            except Refused as refused:
                correct, message, hint = False, refused.message, refused.hint
            except Exception as err:  # a bug of the check's, never the student's traceback
                return Feedback(name, False, *_crashed(err), crashed=True)
            if correct:
                _note_pass(name)
            return Feedback(name, correct, message, hint)

        run.__doc__ = question
        EXERCISES[name] = (question, run)
        return run

    return register


def check(exercise: str, answer: Any) -> Feedback:
    """Check ``answer`` to an exercise; the result shows as a coloured box in a notebook.

    Every check works the right answer out from the data (never from a stored value) and,
    for a wrong answer, names the mistake and gives a hint. Each lesson's checks are in
    ``bootcamp_utils/checks/lessonNN.py``, short enough to read.

    Parameters
    ----------
    exercise : str
        The exercise id, such as ``"01-tag-number"``; ``EXERCISES`` lists them all.
    answer : object
        The answer, in the form the exercise asks for.

    Returns
    -------
    Feedback
        Truthy when the answer is right; ``message`` and ``hint`` say why (not).

    Raises
    ------
    ValueError
        If there is no exercise ``exercise``; the message suggests the closest id.

    Examples
    --------
    >>> from bootcamp_utils.checks import check
    >>> check("01-tag-number", 0x0010 << 16 | 0x0010)
    [01-tag-number] Correct: 1048592 == 0x00100010: group 0x0010, element 0x0010.
    >>> print(check("01-tag-number", True))
    [01-tag-number] Not yet: True is a bool, not a number (True is not 1 here).
    Hint: Give the number itself.
    """
    if exercise not in EXERCISES:
        close = difflib.get_close_matches(exercise, list(EXERCISES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"No exercise {exercise!r}.{hint} Known: {', '.join(EXERCISES)}")
    return EXERCISES[exercise][1](answer)


def _note_pass(name: str) -> None:
    """Record a pass in the student's progress file (bootcamp_utils.progress); the verdict
    never depends on it: a file problem is a warning there, anything else is ignored here."""
    with contextlib.suppress(Exception):  # progress is a convenience, the check is the judge
        from ..progress import record_pass

        record_pass(name)


def _crashed(err: Exception) -> tuple[str, str]:
    """What a student sees when a check fails on an answer it did not foresee."""
    return (
        f"the check could not judge this answer ({type(err).__name__}: {err}).",
        "Compare your answer's form with what the exercise asks for; if it has that form, "
        "this is a bug of the course's: please report it with your answer.",
    )


def right(message: str) -> Verdict:
    """The verdict for a right answer."""
    return True, message, ""


def wrong(message: str, hint: str = "") -> Verdict:
    """The verdict for a wrong answer: what is wrong, and a hint."""
    return False, message, hint


def _shown(answer: Any) -> str:
    if answer is Ellipsis:
        return "... (nothing yet)"
    text = repr(answer)
    return text if len(text) <= 40 else f"a {type(answer).__name__}"


def number(answer: Any, what: str = "one number") -> float:
    """``answer`` as a float; refuses bools, text, NaN and anything that is not one number."""
    if isinstance(answer, np.ndarray) and answer.ndim == 0:
        answer = answer[()]  # a 0-d array: the scalar it holds
    if isinstance(answer, (bool, np.bool_)):
        raise Refused(
            f"{answer!r} is a bool, not a number (True is not 1 here).", "Give the number itself."
        )
    if isinstance(answer, (str, bytes)):
        raise Refused(
            f"{_shown(answer)} is text; expected {what}.", "Give the number itself, without quotes."
        )
    if not isinstance(answer, numbers.Real):
        raise Refused(f"expected {what}, got {_shown(answer)}.")
    value = float(answer)
    if not math.isfinite(value):
        raise Refused(f"{value} is not a finite number; expected {what}.")
    return value


def integer(answer: Any, what: str = "one whole number") -> int:
    """``answer`` as an int; refuses what :func:`number` refuses, and 1.9 (never truncated)."""
    value = number(answer, what)
    if isinstance(answer, numbers.Integral):
        return int(answer)
    if not value.is_integer():
        raise Refused(
            f"{answer!r} is not a whole number; expected {what}.",
            "Nothing is rounded or cut off: work with whole numbers (// divides "
            "without a remainder).",
        )
    return int(value)


def boolean(answer: Any, what: str = "True or False") -> bool:
    """``answer`` as a bool; only True and False (or NumPy's) count, not 0, 1 or None."""
    if not isinstance(answer, (bool, np.bool_)):
        raise Refused(
            f"{_shown(answer)} is not a boolean; expected {what}.",
            "Use True or False, such as the transfer syntax's .is_little_endian.",
        )
    return bool(answer)


def pair(answer: Any, what: str) -> tuple[Any, Any]:
    """``answer`` as a 2-tuple: a tuple, list or array of exactly two items, in order."""
    try:
        count = len(answer)
    except TypeError:
        count = None
    if count is None or isinstance(answer, (str, bytes, Mapping, set, frozenset)):
        raise Refused(f"expected {what}, got {_shown(answer)}.")
    if count != 2:
        raise Refused(f"expected {what}: 2 values, got {count}.")
    return answer[0], answer[1]


def mapping(answer: Any, example: str) -> Mapping:
    """``answer`` if it is a dict (any mapping); refuses anything else."""
    if not isinstance(answer, Mapping):
        raise Refused(f"expected a dict such as {example}, got {_shown(answer)}.")
    return answer


def outside_samples(path: Path, example: str = "OUT / 'edited.dcm'") -> None:
    """Refuses a path inside the sample data: the exercises never write there."""
    from ..data import sample_path

    samples = sample_path("head_ct").parent.resolve()
    if samples == path.resolve() or samples in path.resolve().parents:
        raise Refused(
            f"{path} is inside the sample data ({samples}): never write there.",
            f"Save into the output folder OUT, e.g. {example}.",
        )


def written_file(
    answer: Any, what: str = "the path of the file you wrote", example: str = "OUT / 'edited.dcm'"
) -> Path:
    """``answer`` as the path of a file the student wrote, outside the sample data."""
    if not isinstance(answer, (str, os.PathLike)):
        raise Refused(f"expected {what} (a str or Path), got {type(answer).__name__}.")
    path = Path(answer)
    if path.is_dir():
        raise Refused(f"{path} is a folder: answer with the file you wrote in it.")
    if not path.is_file():
        raise Refused(f"there is no file at {str(path)!r}.", "Give the path you saved to.")
    outside_samples(path, example)
    return path
