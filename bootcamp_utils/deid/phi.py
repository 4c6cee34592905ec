"""What identifying data is left in a data set? A PHI checker, rule by rule.

:func:`phi_findings` walks a data set (the file meta information and every sequence item
at any depth) and returns one :class:`Finding` per value that may still identify someone,
with its path (``OtherPatientIDsSequence[0].PatientID``), the value and why. The rules,
each simple enough to check by hand:

1. **The table.** An attribute whose Basic Profile action (PS3.15 Table E.1-1, read by
   :func:`bootcamp_utils.deid.table.action_for`) is not "keep" and whose value is not
   empty and not what :func:`bootcamp_utils.deid.deidentify` writes: a dummy of
   :data:`bootcamp_utils.deid.profile.DUMMIES`, a zero-length value, or a new UID.
   A sequence that should be removed or emptied is reported when it has items, and its
   items are checked too; inside a sequence whose whole item identifies someone (action
   ``D`` or ``X``: Person Identification Code Sequence, Other Patient IDs Sequence) a
   text value the table does not list (a Code Meaning ``"Thi Nguyen"``) counts as well.
   In the file meta information, which the table does not list, the Source, Sending and
   Receiving AE Titles and Presentation Addresses are reported too (they name machines;
   :data:`bootcamp_utils.deid.iod.META_REMOVED`).
2. **Private elements** (odd groups) are reported whenever present: the checker cannot
   read vendor blocks, so it cannot tell whether they identify someone.
3. **The flags.** Patient Identity Removed (0012,0062) missing or not ``YES``; Burned In
   Annotation (0028,0301) ``YES``: the pixels may show a name or an ID.
4. **Free text the profile keeps** (an LO, LT, SH, ST, UC or UT attribute that the table
   does not list, such as Manufacturer's Model Name or a Code Meaning) that contains a
   name or an ID found elsewhere in the same data set: a part of a person name (PN) of 3
   characters or more, or the value of an identifier such as Patient ID or Accession
   Number, matched as a whole word, case ignored.

**How a new UID is recognised** (rule 1, action ``U``). The checker has no list of the
original UIDs, so it judges a UID by its form: :func:`bootcamp_utils.deid.profile.new_uid`
writes ``2.25.`` and a UUID of version 8 (RFC 9562). A UID of that form is taken as
replaced; any other UID (another root, or a ``2.25.`` UUID of another version, such as
pydicom's random version 4 or the sample's version 5) may be the original and is
reported. This is a heuristic: a version-8 UUID written by another tool passes, and a
UID another de-identifier replaced in its own way is reported.

What the checker does not see: names in the pixels (only the flag), identifying text
that appears nowhere else in the data set (a nickname in Image Comments is reported
only because the table lists Image Comments), and the original value of a date that was
shifted on purpose (``deidentify(ds, shift_dates=...)``): shifted dates are reported,
since a shifted date cannot be told from a real one. Rule 4 needs the names to be still
present: on a de-identified data set it has nothing left to compare with.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import BaseTag, Tag

from .iod import META_REMOVED
from .profile import DUMMIES
from .table import action_for

__all__ = ["Finding", "looks_replaced", "phi_findings"]

#: What each action asks, as an instruction (PS3.15 E.1.1).
_TODO: dict[str, str] = {
    "X": "X: remove it",
    "Z": "Z: empty it",
    "D": "D: replace it with a dummy value",
    "C": "C: clean it (a value of similar meaning that identifies no one)",
    "U": "U: replace the UID consistently (the same new UID wherever the old one appears)",
    "Z/D": "Z/D: empty it (a dummy value where the IOD needs one)",
    "X/Z": "X/Z: remove it (empty it where the IOD needs it)",
    "X/D": "X/D: remove it (a dummy value where the IOD needs one)",
    "X/Z/D": "X/Z/D: remove it (empty or a dummy value where the IOD needs it)",
    "X/Z/U*": "X/Z/U*: remove it, or replace the UIDs inside",
}

#: The action deidentify() takes for an element under a combined code (see profile.py).
_ELEMENT_ACTION = {"Z/D": "Z", "X/Z": "Z", "X/D": "D", "X/Z/D": "D", "X/Z/U*": "U", "C": "D"}

#: The action it takes for a sequence: X or Z (items gone), D (items kept, text dummied),
#: K (items kept, the UIDs inside replaced by their own action).
_SEQUENCE_ACTION = {"Z/D": "Z", "X/Z": "Z", "X/D": "X", "X/Z/D": "Z", "X/Z/U*": "K", "C": "D"}

#: Text VRs: inside a sequence whose items identify someone, such values identify too.
_TEXT_VRS = {"AE", "AS", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UR", "UT"}

#: Free-text VRs searched for names and IDs by rule 4.
_FREE_TEXT_VRS = {"LO", "LT", "SH", "ST", "UC", "UT"}

#: Identifiers whose whole value rule 4 looks for (besides the parts of person names).
#: (Not the issuers: Issuer of Patient ID names an organisation, not a person.)
_IDENTIFIER = re.compile(r"^(?!Issuer).*(ID|IDs|AccessionNumber|MedicalRecordLocator)$")

_SHOWN = 48  # characters of a value shown in a finding


@dataclass(frozen=True)
class Finding:
    """One value that may still identify someone.

    Attributes
    ----------
    path : str
        Where it is: the keyword, with the sequences above it, e.g.
        ``"OtherPatientIDsSequence[0].PatientID"``; ``file_meta.`` in front for the file
        meta information; a private or unknown element shows its tag, ``"(0029,1010)"``.
    tag : pydicom.tag.BaseTag
        The element's tag.
    keyword : str
        The element's keyword ("" for a private or unknown element).
    value : str
        The value as text, shortened to about 48 characters (``"1 item(s)"`` for a
        sequence, ``"(missing)"`` for an attribute that should be there).
    why : str
        The rule and what to do, starting with the action of Table E.1-1 where there is
        one: ``"Z: empty it"``, ``"X: remove it"``, ``"U: replace the UID ..."``.
    """

    path: str
    tag: BaseTag
    keyword: str
    value: str
    why: str

    def __str__(self) -> str:
        return (
            f"{self.path} ({self.tag.group:04X},{self.tag.element:04X}) {self.value!r}: {self.why}"
        )


def looks_replaced(uid: str) -> bool:
    """Whether a UID has the form :func:`~bootcamp_utils.deid.profile.new_uid` gives it.

    That is ``2.25.`` followed by a UUID of version 8 (RFC 9562) as a decimal number. A
    heuristic: another tool may write such UIDs too.

    Parameters
    ----------
    uid : str
        A UID.

    Returns
    -------
    bool
        True for a UID of that form; False for any other (it may be the original).

    Examples
    --------
    >>> from bootcamp_utils.deid.profile import new_uid
    >>> looks_replaced(new_uid("1.2.840.113619.2.55.3")), looks_replaced("1.2.840.113619.2.55.3")
    (True, False)
    >>> from pydicom.uid import generate_uid
    >>> looks_replaced(generate_uid(prefix=None))  # 2.25. but a random version-4 UUID
    False
    """
    text = str(uid).strip().rstrip("\0")
    if not re.fullmatch(r"2\.25\.(0|[1-9][0-9]{0,38})", text):
        return False
    number = int(text[5:])
    if number >= 1 << 128:
        return False
    value = uuid.UUID(int=number)
    return value.version == 8 and value.variant == uuid.RFC_4122


def _name(tag: BaseTag) -> str:
    return keyword_for_tag(tag) or f"({tag.group:04X},{tag.element:04X})"


def _values(elem: DataElement) -> list:
    value = elem.value
    if value is None or value == "" or value == b"":
        return []
    if elem.VM > 1 and not isinstance(value, (str, bytes)):
        return [v for v in value if v is not None and v != ""]
    return [value]


def _text(elem: DataElement) -> str:
    if elem.VR == "SQ":
        return f"{len(elem.value)} item(s)"
    values = _values(elem)
    if any(isinstance(v, (bytes, bytearray)) for v in values):
        text = f"<{sum(len(v) for v in values)} bytes>"
    else:
        text = "\\".join(str(v) for v in values)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _is_dummy(vr: str, value: object) -> bool:
    dummy = DUMMIES.get(vr)
    if dummy is None:
        return False
    if isinstance(dummy, bytes):
        return bytes(value) == dummy if isinstance(value, (bytes, bytearray)) else False
    if isinstance(dummy, (int, float)) or vr in ("DS", "IS"):
        try:
            return float(value) == float(dummy)
        except (TypeError, ValueError):
            return False
    return str(value).strip() == str(dummy)


def _as_written(elem: DataElement, action: str) -> bool:
    """Whether the value is one deidentify() could have written under ``action``."""
    values = _values(elem)
    if not values:
        return True
    if elem.VR == "UI" and action in ("U", "D"):
        return all(looks_replaced(v) for v in values)
    return all(_is_dummy(elem.VR, v) for v in values)


def _finding(path: str, elem: DataElement, why: str) -> Finding:
    tag = BaseTag(elem.tag)
    return Finding(path, tag, keyword_for_tag(tag), _text(elem), why)


def _walk(ds: Dataset, prefix: str, inside: str | None, found: list, texts: list) -> None:
    """Rules 1 and 2 on ``ds``; collects the kept free texts (rule 4) in ``texts``.

    ``inside`` names the enclosing sequence whose items identify someone (rule 1), or is
    None."""
    for tag in list(ds.keys()):
        elem = ds[tag]
        path = prefix + _name(elem.tag)
        if elem.tag.is_private:
            found.append(
                _finding(
                    path,
                    elem,
                    "X: remove it (private data may identify: vendor blocks are not checked; "
                    "keep a block only on purpose, deidentify(ds, keep_private=[creator]))",
                )
            )
            continue
        action = action_for(elem.tag)
        if elem.VR == "SQ":
            what = "K" if action is None else _SEQUENCE_ACTION.get(action, action)
            if what in ("X", "Z", "U") and len(elem.value):
                found.append(_finding(path, elem, _TODO[action]))
            below = inside
            if what in ("X", "Z", "D"):
                below = f"{path} ({action})"
            for index, item in enumerate(elem.value):
                _walk(item, f"{path}[{index}].", below, found, texts)
            continue
        if action is None or action == "K":
            if inside is not None and elem.VR in _TEXT_VRS and not _as_written(elem, "D"):
                found.append(
                    _finding(
                        path,
                        elem,
                        f"D: replace it with a dummy value (it sits in {inside}, whose "
                        "items identify someone)",
                    )
                )
            elif elem.VR in _FREE_TEXT_VRS and _values(elem):
                texts.append((path, elem))
            continue
        if not _as_written(elem, _ELEMENT_ACTION.get(action, action)):
            why = _TODO[action]
            if elem.VR == "UI":
                why += "; a UID not of the form 2.25.<UUID version 8> may be the original"
            found.append(_finding(path, elem, why))


def _needles(ds: Dataset, prefix: str, out: dict[str, str]) -> None:
    """Names and IDs in ``ds`` (attributes the profile acts on) -> the path they come from."""
    for tag in list(ds.keys()):
        elem = ds[tag]
        if elem.tag.is_private:
            continue
        path = prefix + _name(elem.tag)
        if elem.VR == "SQ":
            for index, item in enumerate(elem.value):
                _needles(item, f"{path}[{index}].", out)
            continue
        action = action_for(elem.tag)
        if action in (None, "K") or _as_written(elem, "D"):
            continue
        for value in _values(elem):
            if elem.VR == "PN":
                for group in str(value).split("="):
                    for part in group.split("^")[:3]:  # family, given, middle
                        if len(part.strip()) >= 3:
                            out.setdefault(part.strip(), path)
            elif (
                elem.VR in ("LO", "SH")
                and _IDENTIFIER.search(elem.keyword)
                and len(str(value).strip()) >= 3
            ):
                out.setdefault(str(value).strip(), path)


def phi_findings(ds: Dataset) -> list[Finding]:
    """What identifying data is left in ``ds``: one finding per value, with its path and why.

    The module docstring lists the four rules and what they cannot see.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set, read from a file or built in memory; the file meta information, when
        there is one, is checked too. It is not modified.

    Returns
    -------
    list of Finding
        In the order of the data set (file meta first), then the flags (rule 3) and the
        free texts (rule 4). Empty when no rule finds anything.

    Raises
    ------
    TypeError
        If ``ds`` is not a pydicom Dataset.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.PatientName, ds.PatientID, ds.Modality = "Rivera^Elena", "", "CT"
    >>> ds.PatientIdentityRemoved = "YES"
    >>> ds.ManufacturerModelName = "Phantom for Elena"
    >>> for finding in phi_findings(ds):
    ...     print(f"{finding.path} {finding.value!r}")
    ...     print(f"    {finding.why}")
    PatientName 'Rivera^Elena'
        Z: empty it
    ManufacturerModelName 'Phantom for Elena'
        free text the profile keeps holds 'Elena', as PatientName does: remove or rewrite it
    """
    if not isinstance(ds, Dataset):
        raise TypeError(
            f"phi_findings needs a pydicom Dataset, not {type(ds).__name__}: "
            "read the file first with pydicom.dcmread(path)"
        )
    found: list[Finding] = []
    texts: list[tuple[str, DataElement]] = []
    meta = getattr(ds, "file_meta", None)
    if isinstance(meta, FileMetaDataset):
        _walk(meta, "file_meta.", None, found, texts)
        for keyword in META_REMOVED:
            elem = meta.get(keyword)
            if elem is not None and _values(meta[keyword]):
                found.append(
                    _finding(
                        f"file_meta.{keyword}",
                        meta[keyword],
                        "X: remove it (not in Table E.1-1, but it names the machine or "
                        "address the file came from, often the Station Name again)",
                    )
                )
    _walk(ds, "", None, found, texts)

    removed = str(ds.get("PatientIdentityRemoved", "")).strip().upper()
    if removed != "YES":
        found.append(
            Finding(
                "PatientIdentityRemoved",
                Tag(0x00120062),
                "PatientIdentityRemoved",
                removed or "(missing)",
                "not YES: the data set does not say it was de-identified; set it to YES "
                "once nothing identifying is left",
            )
        )
    if str(ds.get("BurnedInAnnotation", "")).strip().upper() == "YES":
        found.append(
            Finding(
                "BurnedInAnnotation",
                Tag(0x00280301),
                "BurnedInAnnotation",
                "YES",
                "the pixels may show a name or an ID: black the text out (Clean Pixel "
                "Data), then set it to NO",
            )
        )

    needles: dict[str, str] = {}
    _needles(ds, "", needles)
    for path, elem in texts:
        text = "\\".join(str(v) for v in _values(elem))
        for needle, source in needles.items():
            if re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", text, re.IGNORECASE):
                found.append(
                    _finding(
                        path,
                        elem,
                        f"free text the profile keeps holds {needle!r}, as {source} does: "
                        "remove or rewrite it",
                    )
                )
                break
    return found
