"""PS3.15 Table E.1-1: what the Basic Profile does with each attribute.

The standard lists, in Annex E of PS3.15, every attribute that may identify a patient, a
clinician, an institution or a device, with one action for each (PS3.15 E.1.1):

==========  ==============================================================================
``D``       replace with a non-zero length dummy value consistent with the VR
``Z``       replace with a zero length value (or a dummy value consistent with the VR)
``X``       remove
``K``       keep (sequences are cleaned)
``C``       clean: replace with values of similar meaning that identify no one
``U``       replace a UID with a new one, consistently within the set of instances
``Z/D``     Z unless D is needed to keep the IOD valid (Type 2 versus Type 1)
``X/Z``     X unless Z is needed (Type 3 versus Type 2)
``X/D``     X unless D is needed (Type 3 versus Type 1)
``X/Z/D``   X unless Z or D is needed (Type 3 versus Type 2 versus Type 1)
``X/Z/U*``  X unless Z, or new UIDs inside the sequence, are needed (sequences of references)
==========  ==============================================================================

The Basic Profile column uses all but ``K`` and ``C``; those appear in the option columns
(Retain Longitudinal Temporal Information, Retain Device Identity, Clean Descriptors, ...),
which this package does not ship. A few rows are patterns: ``(50xx,xxxx)`` is every element
of the retired curve groups 5000-50FF, ``(60xx,4000)`` the Overlay Comments of every overlay
group. One row is not a tag at all: "Private Attributes (gggg,eeee) where gggg is odd": ``X``.
An attribute the table does not list (Modality, Rows, SOP Class UID, ...) is kept.

The table ships as package data, ``e1_1.csv`` beside this file, converted once from the copy
in the PyPI package ``dicom-anonymizer`` 2.1.0 (edition 2026c) by ``_build_table.py``; its
header names the source. :data:`EDITION` says which edition it is.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from pydicom.datadict import tag_for_keyword
from pydicom.tag import BaseTag, Tag

__all__ = [
    "ACTIONS",
    "EDITION",
    "PRIVATE_ACTION",
    "ProfileRow",
    "action_for",
    "basic_profile_actions",
    "profile_rows",
]

#: The edition of PS3.15 the shipped table was taken from.
EDITION = "2026c"

#: Action code -> what it asks for (PS3.15 E.1.1).
ACTIONS: dict[str, str] = {
    "D": "replace with a non-zero length dummy value consistent with the VR",
    "Z": "replace with a zero length value, or a dummy value consistent with the VR",
    "X": "remove",
    "K": "keep (unchanged for non-sequence attributes, cleaned for sequences)",
    "C": "clean: replace with values of similar meaning that identify no one",
    "U": "replace with a non-zero length UID, consistently within the set of instances",
    "Z/D": "Z unless D is required to keep the IOD valid (Type 2 versus Type 1)",
    "X/Z": "X unless Z is required to keep the IOD valid (Type 3 versus Type 2)",
    "X/D": "X unless D is required to keep the IOD valid (Type 3 versus Type 1)",
    "X/Z/D": "X unless Z or D is required to keep the IOD valid (Type 3 / 2 / 1)",
    "X/Z/U*": "X unless Z or new UIDs inside the sequence are required to keep the IOD valid",
}

#: The Basic Profile's action for the row "Private Attributes (gggg,eeee), gggg odd".
PRIVATE_ACTION = "X"

_TABLE = "e1_1.csv"
_COLUMNS = ["tag", "keyword", "name", "basic_profile"]
_TAG = re.compile(r"[0-9A-Fx]{4},[0-9A-Fx]{4}")


class ProfileRow(NamedTuple):
    """One row of Table E.1-1: ``tag`` as ``"gggg,eeee"`` (``x`` in patterns), the pydicom
    ``keyword`` (empty where pydicom has none), the standard's ``name`` and the Basic
    Profile ``action``."""

    tag: str
    keyword: str
    name: str
    action: str


def _read_table(path: Path) -> tuple[ProfileRow, ...]:
    """The rows of a table file, checked: ``# `` comment lines, then a CSV with a header."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} is missing: bootcamp_utils was installed without its package data. "
            "Reinstall it (pip install --force-reinstall bootcamp_utils, or pip install -e . "
            "in a checkout); pyproject.toml lists deid/*.csv as package data."
        ) from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.startswith("#")]
    if not lines:
        raise ValueError(f"{path}: no header line {','.join(_COLUMNS)!r} and no rows")
    # One line, one row (no field spans lines): each line is parsed on its own, so an
    # error names the right line.
    parsed = [(n, next(csv.reader([line]), [])) for n, line in lines]
    header = parsed[0][1]
    if header != _COLUMNS:
        raise ValueError(
            f"{path}, line {lines[0][0]}: header {header!r}, expected {_COLUMNS!r}; "
            "rebuild the file with python -m bootcamp_utils.deid._build_table"
        )
    rows = []
    for number, fields in parsed[1:]:
        where = f"{path}, line {number}"
        if len(fields) != len(_COLUMNS):
            raise ValueError(f"{where}: {len(fields)} fields, expected {len(_COLUMNS)}")
        row = ProfileRow(*fields)
        if not _TAG.fullmatch(row.tag):
            raise ValueError(f"{where}: tag {row.tag!r} is not gggg,eeee (hex digits or x)")
        if row.action not in ACTIONS:
            raise ValueError(f"{where}: action {row.action!r} is not one of {list(ACTIONS)}")
        rows.append(row)
    tags = [row.tag for row in rows]
    if len(set(tags)) != len(tags):
        twice = sorted({t for t in tags if tags.count(t) > 1})
        raise ValueError(f"{path}: tags listed twice: {twice}")
    return tuple(rows)


def _mask(pattern: str) -> tuple[int, int]:
    """``"60xx,4000"`` -> (value, mask): a tag matches when ``tag & mask == value``."""
    digits = pattern.replace(",", "")
    mask = int("".join("0" if d == "x" else "F" for d in digits), 16)
    return int(digits.replace("x", "0"), 16), mask


@lru_cache(maxsize=1)
def _packaged() -> tuple[tuple[ProfileRow, ...], dict[int, str], tuple[tuple[int, int, str], ...]]:
    """The shipped rows, the exact tags as a dict, and the patterns as (value, mask, action)."""
    rows = _read_table(Path(str(resources.files(__package__) / _TABLE)))
    exact = {int(r.tag.replace(",", ""), 16): r.action for r in rows if "x" not in r.tag}
    patterns = tuple((*_mask(r.tag), r.action) for r in rows if "x" in r.tag)
    return rows, exact, patterns


def profile_rows() -> list[ProfileRow]:
    """Every row of Table E.1-1 shipped with the package (edition :data:`EDITION`).

    Returns
    -------
    list of ProfileRow
        Sorted by tag; the patterns such as ``"60xx,4000"`` included.

    Examples
    --------
    >>> rows = profile_rows()
    >>> len(rows)
    655
    >>> [row for row in rows if row.keyword == "PatientName"]
    [ProfileRow(tag='0010,0010', keyword='PatientName', name="Patient's Name", action='Z')]
    """
    return list(_packaged()[0])


def basic_profile_actions() -> dict[str, str]:
    """The Basic Profile column: ``{"gggg,eeee": action}``, patterns included.

    A new dict each call: change it freely.

    Returns
    -------
    dict of str to str
        Tag (``"0010,0010"``, or a pattern such as ``"50xx,xxxx"``) -> action code (a key
        of :data:`ACTIONS`).

    Examples
    --------
    >>> actions = basic_profile_actions()
    >>> actions["0010,0010"], actions["0020,000D"], actions["50xx,xxxx"]
    ('Z', 'U', 'X')
    >>> from collections import Counter
    >>> Counter(actions.values()).most_common(3)
    [('X', 415), ('D', 93), ('U', 55)]
    """
    return {row.tag: row.action for row in _packaged()[0]}


_HOW = (
    "pass a keyword ('PatientName'), a tag as an int (0x00100010), a pair "
    "((0x0010, 0x0010)) or a string ('(0010,0010)')"
)


def _as_tag(tag: int | tuple[int, int] | str) -> BaseTag:
    if isinstance(tag, bool) or not isinstance(tag, (int, tuple, str)):
        raise TypeError(f"{tag!r} ({type(tag).__name__}) is not a DICOM tag: {_HOW}")
    if isinstance(tag, str):
        # Not Tag(tag) for strings: pydicom maps "" to (300A,0782), an empty keyword.
        text = tag.strip().strip("()").replace(" ", "")
        if re.fullmatch(r"[0-9A-Fa-f]{4},[0-9A-Fa-f]{4}", text):
            return Tag(int(text.replace(",", ""), 16))
        number = tag_for_keyword(tag) if tag else None
        if number is None:
            raise ValueError(f"{tag!r} is not a DICOM keyword or tag: {_HOW}")
        return Tag(number)
    try:
        return Tag(tag)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"{tag!r} is not a DICOM keyword or tag: {_HOW}") from None


def action_for(tag: int | tuple[int, int] | str) -> str | None:
    """The Basic Profile's action for one attribute, or ``None`` when the table keeps it.

    Exact tags are looked up first, then the repeating-group patterns (``50xx,xxxx`` curve
    data, ``60xx,3000`` overlay data, ``60xx,4000`` overlay comments), then the private
    attributes row (odd group: :data:`PRIVATE_ACTION`).

    Parameters
    ----------
    tag : int, tuple of int or str
        A keyword (``"PatientName"``), a tag (``0x00100010``, ``(0x0010, 0x0010)``, a
        :class:`pydicom.tag.BaseTag`) or a string ``"(0010,0010)"`` / ``"0010,0010"``.

    Returns
    -------
    str or None
        A key of :data:`ACTIONS`, or ``None`` for an attribute the table does not list
        (keep it).

    Raises
    ------
    ValueError
        If ``tag`` is neither a known keyword nor a valid tag.
    TypeError
        If ``tag`` is not an int, a pair or a string (a float, say).

    Examples
    --------
    >>> action_for("PatientID"), action_for((0x0008, 0x0080)), action_for("(0008,0018)")
    ('Z/D', 'X/Z/D', 'U')
    >>> action_for(0x60024000)  # Overlay Comments of the second overlay group
    'X'
    >>> action_for((0x0009, 0x1001)) == PRIVATE_ACTION  # odd group: private
    True
    >>> print(action_for("Modality"))
    None
    """
    value = _as_tag(tag)
    _, exact, patterns = _packaged()
    if value in exact:
        return exact[value]
    for pattern, mask, action in patterns:
        if value & mask == pattern:
            return action
    if value.is_private:
        return PRIVATE_ACTION
    return None
