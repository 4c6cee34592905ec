"""Does every value follow the rules of its Value Representation? (PS3.5 section 6.2)

pydicom reads many files that break the standard, and, unless told otherwise, writes some
too. A validator reads the rules back from the standard and checks each value. This
module checks the *value rules*: each data element has a Value Representation (VR), and
PS3.5 Table 6.2-1 says, for each VR, which characters a value may use, how long it may be
and what form it takes. For example:

* **UI** (a UID, PS3.5 6.2 and 9.1): at most 64 bytes, digits and dots only, components
  separated by dots, none empty, none starting with ``0`` unless it is just ``0``:
  ``1.2.840.10008.5.1.4.1.1.2`` is good, ``1.2.03.4`` is not.
* **DA** (a date): ``YYYYMMDD``, and a real one: ``20240229`` is good, ``20240231`` and
  ``2024-01-15`` are not.
* **TM** (a time): ``HHMMSS.FFFFFF``, the parts after ``HH`` optional; ``093512`` is
  good, ``09:35:12`` and ``256100`` are not.
* **PN** (a person name): up to 5 components ``Family^Given^Middle^Prefix^Suffix`` in up
  to 3 component groups (alphabetic, ideographic, phonetic) separated by ``=``.
* **CS** (a code string): at most 16 characters, only upper case letters, digits, space
  and underscore: ``HEAD`` is good, ``head`` is not.
* **DS** and **IS** (numbers written as text): a decimal number in at most 16 bytes, an
  integer in at most 12 bytes between -2**31 and 2**31 - 1.
* **LO**, **SH**, **ST**, **LT**, **UT** ...: text of at most 64, 16, 1024, 10240 or
  2**32 - 2 characters; the short ones (LO, SH, PN ...) may not hold a backslash, which
  separates the values of a multi-valued element (PS3.5 6.4), nor control characters.

:func:`value_problems` walks a data set, inside every sequence item too, and returns one
:class:`Problem` per broken rule, with the element's path (such as
``ReferencedSeriesSequence[0].SeriesInstanceUID``) and a message that cites the section.
Each VR has one small checking function in :data:`VR_RULES`: read them next to PS3.5
Table 6.2-1.

The values checked are those the file holds: an element pydicom has not converted yet
(a ``RawDataElement``) is checked from its bytes, so a value pydicom could not convert
(a DS of ``"4.0mm"``) is reported rather than raising an exception.

The other checks of :func:`~bootcamp_utils.validation.validate` (presence, Value
Multiplicity, Image Type, private creators, UIDs, file meta) live in the sibling modules.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

from pydicom.charset import convert_encodings, decode_bytes
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag

__all__ = ["MAX_LENGTH", "VR_RULES", "Problem", "as_written", "check_value", "value_problems"]

#: Maximum length of one value, in characters (bytes for the VRs limited to the default
#: character repertoire), PS3.5 Table 6.2-1. UC, UR and UT may hold up to 2**32 - 2 bytes.
MAX_LENGTH: dict[str, int] = {
    "AE": 16,
    "AS": 4,
    "CS": 16,
    "DA": 8,
    "DS": 16,
    "DT": 26,
    "IS": 12,
    "LO": 64,
    "LT": 10240,
    "PN": 64,  # per component group
    "SH": 16,
    "ST": 1024,
    "TM": 14,
    "UI": 64,
}

#: VRs whose element may hold several values separated by a backslash (PS3.5 6.4). In
#: LT, ST, UT and UR a backslash is an ordinary character and there is only one value.
_SINGLE_VALUED = {"LT", "ST", "UT", "UR"}

#: VRs that may use the extended character sets of Specific Character Set (0008,0005):
#: their bytes are decoded with it. The others use the default repertoire (ASCII) only.
_EXTENDED_TEXT = {"LO", "LT", "PN", "SH", "ST", "UC", "UT"}

#: Control characters allowed in the long texts, besides ESC (PS3.5 6.1.3, Table 6.2-1).
_TEXT_CONTROLS = "\t\n\f\r"


@dataclass(frozen=True)
class Problem:
    """One broken rule in a data set.

    Attributes
    ----------
    path : str
        Where the element is: its keyword, with the sequences above it, e.g.
        ``"ReferencedSeriesSequence[0].SeriesInstanceUID"`` (a private or unknown element
        shows its tag, ``"(0029,1010)"``).
    tag : pydicom.tag.BaseTag or None
        The element's tag; None for a problem that concerns no single element.
    vr : str
        The element's VR ("" when unknown).
    value : str
        The offending value as text (one value of a multi-valued element; "" when the
        element is missing).
    message : str
        What is wrong and where the standard says so, e.g.
        ``"component '03' starts with 0 (PS3.5 9.1)"``.
    kind : str
        Which family of rules: ``"value"`` for the VR rules of this module; other checks
        (such as Type 1/1C/2 presence, PS3.3) use their own word.
    """

    path: str
    tag: BaseTag | None
    vr: str
    value: str
    message: str
    kind: str = "value"

    @property
    def keyword(self) -> str:
        """The element's keyword ("" for a private or unknown element)."""
        return keyword_for_tag(self.tag) if self.tag is not None else ""

    def __str__(self) -> str:
        tag = f" ({self.tag.group:04X},{self.tag.element:04X})" if self.tag is not None else ""
        vr = f" {self.vr}" if self.vr else ""
        return f"{self.path}{tag}{vr} {self.value!r}: {self.message}"


# --- One function per VR: each returns the problems of one value, as messages ----------


def _length(vr: str, value: str) -> list[str]:
    """The maximum length of PS3.5 Table 6.2-1."""
    limit = MAX_LENGTH[vr]
    if len(value) > limit:
        return [f"{len(value)} characters, more than the {limit} {vr} allows (PS3.5 6.2)"]
    return []


def _characters(vr: str, value: str, allowed: str, description: str) -> list[str]:
    """Every character not matching ``allowed`` (a regular-expression class)."""
    bad = sorted(set(re.sub(f"[{allowed}]", "", value)))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        noun = "character" if len(bad) == 1 else "characters"
        return [f"{noun} {shown} not allowed in {vr}: only {description} (PS3.5 6.2)"]
    return []


def _no_controls(vr: str, value: str, extra: str = "") -> list[str]:
    """Text VRs: no control character except ESC (and ``extra``), PS3.5 6.1.2 and 6.2."""
    bad = sorted({c for c in value if (ord(c) < 32 or ord(c) == 127) and c not in "\x1b" + extra})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return [f"control character {shown} not allowed in {vr} (PS3.5 6.2)"]
    return []


def check_ae(value: str) -> list[str]:
    """AE, Application Entity: 16 characters of the default repertoire, no control ones."""
    return _length("AE", value.strip(" ")) + _characters(
        "AE", value, "\x20-\x7e", "printable ASCII characters"
    )


def check_as(value: str) -> list[str]:
    """AS, Age String: ``nnnD``, ``nnnW``, ``nnnM`` or ``nnnY``, exactly 4 characters."""
    if not re.fullmatch(r"\d{3}[DWMY]", value):
        return ["not an age nnnD, nnnW, nnnM or nnnY such as '054Y' (PS3.5 6.2 AS)"]
    return []


def check_cs(value: str) -> list[str]:
    """CS, Code String: 16 characters, upper case letters, digits, space, underscore."""
    value = value.strip(" ")  # leading and trailing spaces are not significant
    return _length("CS", value) + _characters(
        "CS", value, "A-Z0-9 _", "upper case letters, digits, space and underscore"
    )


def check_da(value: str) -> list[str]:
    """DA, Date: ``YYYYMMDD``, a date that exists in the Gregorian calendar."""
    value = value.rstrip(" ")
    if not re.fullmatch(r"\d{8}", value):
        return ["not a date YYYYMMDD such as '20240115' (PS3.5 6.2 DA)"]
    try:
        datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as error:
        return [f"no such date: {error} (PS3.5 6.2 DA)"]
    return []


_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def check_ds(value: str) -> list[str]:
    """DS, Decimal String: a fixed or floating point number in at most 16 bytes."""
    problems = _length("DS", value)
    if not _DECIMAL.fullmatch(value.strip(" ")):
        problems.append("not a decimal number such as '-1024' or '0.9375' (PS3.5 6.2 DS)")
    return problems


# HH, then optionally MM, then optionally SS (60 for a leap second), then .F to .FFFFFF
_TIME = r"([01]\d|2[0-3])([0-5]\d(([0-5]\d|60)(\.\d{1,6})?)?)?"


def check_dt(value: str) -> list[str]:
    """DT, Date Time: ``YYYYMMDDHHMMSS.FFFFFF&ZZXX``, parts on the right optional."""
    value = value.rstrip(" ")
    problems = _length("DT", value)
    match = re.fullmatch(
        r"(?P<year>\d{4})((?P<month>\d{2})((?P<day>\d{2})(" + _TIME + r")?)?)?"
        r"(?P<offset>[+-]\d{4})?",
        value,
    )
    if not match:
        return [
            *problems,
            "not a date-time YYYYMMDDHHMMSS.FFFFFF&ZZXX such as '20240115093512' (PS3.5 6.2 DT)",
        ]
    year, month, day, offset = match.group("year", "month", "day", "offset")
    try:
        datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError as error:
        problems.append(f"no such date: {error} (PS3.5 6.2 DT)")
    if offset and not -1200 <= int(offset) <= 1400:
        problems.append(f"UTC offset {offset} is outside -1200 ... +1400 (PS3.5 6.2 DT)")
    return problems


def check_is(value: str) -> list[str]:
    """IS, Integer String: an integer in at most 12 bytes, -2**31 <= n <= 2**31 - 1."""
    problems = _length("IS", value)
    if not re.fullmatch(r"[+-]?\d+", value.strip(" ")):
        problems.append("not an integer such as '42' or '-3' (PS3.5 6.2 IS)")
    elif not -(2**31) <= int(value) <= 2**31 - 1:
        problems.append(f"{int(value)} is outside -2**31 ... 2**31 - 1 (PS3.5 6.2 IS)")
    return problems


def _short_text(vr: str, value: str) -> list[str]:
    """LO and SH: leading and trailing spaces are padding; no control characters."""
    return _length(vr, value.strip(" ")) + _no_controls(vr, value)


def check_lo(value: str) -> list[str]:
    """LO, Long String: at most 64 characters."""
    return _short_text("LO", value)


def check_sh(value: str) -> list[str]:
    """SH, Short String: at most 16 characters."""
    return _short_text("SH", value)


def check_lt(value: str) -> list[str]:
    """LT, Long Text: at most 10240 characters; TAB, LF, FF, CR allowed."""
    return _length("LT", value.rstrip(" ")) + _no_controls("LT", value, _TEXT_CONTROLS)


def check_st(value: str) -> list[str]:
    """ST, Short Text: at most 1024 characters; TAB, LF, FF, CR allowed."""
    return _length("ST", value.rstrip(" ")) + _no_controls("ST", value, _TEXT_CONTROLS)


def check_ut(value: str) -> list[str]:
    """UT, Unlimited Text: up to 2**32 - 2 bytes; TAB, LF, FF, CR allowed."""
    return _no_controls("UT", value, _TEXT_CONTROLS)


def check_uc(value: str) -> list[str]:
    """UC, Unlimited Characters: any length, no control character."""
    return _no_controls("UC", value)


def check_pn(value: str) -> list[str]:
    """PN, Person Name: at most 3 groups of at most 5 components, 64 characters a group.

    ``Family^Given^Middle^Prefix^Suffix``; the groups (alphabetic, ideographic, phonetic)
    are separated by ``=`` (PS3.5 6.2.1).
    """
    value = value.rstrip(" ")
    problems = _no_controls("PN", value)
    groups = value.split("=")
    if len(groups) > 3:
        problems.append(
            f"{len(groups)} component groups, at most 3 (alphabetic=ideographic=phonetic) "
            "are allowed (PS3.5 6.2.1)"
        )
    for group in groups:
        components = group.split("^")
        if len(components) > 5:
            problems.append(
                f"{len(components)} components in {group!r}, at most 5 "
                "(family^given^middle^prefix^suffix) are allowed (PS3.5 6.2.1)"
            )
        if len(group) > MAX_LENGTH["PN"]:
            problems.append(
                f"component group {group!r} has {len(group)} characters, more than 64 (PS3.5 6.2)"
            )
    return problems


def check_tm(value: str) -> list[str]:
    """TM, Time: ``HHMMSS.FFFFFF``; minutes, seconds and fraction optional."""
    value = value.rstrip(" ")
    problems = _length("TM", value)
    if not re.fullmatch(_TIME, value):
        problems.append(
            "not a time HHMMSS.FFFFFF (00-23 hours, 00-59 minutes, 00-60 seconds) "
            "such as '093512' (PS3.5 6.2 TM)"
        )
    return problems


def check_ui(value: str) -> list[str]:
    """UI, Unique Identifier: at most 64 bytes of digits and dots (PS3.5 6.2 and 9.1).

    Each dot-separated component is a number: not empty, and without a leading 0 unless
    the component is just ``0``.
    """
    value = value.rstrip("\0")  # UI values are padded with NUL, not space
    problems = _length("UI", value) + _characters("UI", value, "0-9.", "digits and dots")
    if problems:
        return problems
    components = value.split(".")
    if components[0] not in ("0", "1", "2"):
        problems.append(
            f"root {components[0]!r}: a UID is an OSI object identifier, whose first "
            "component is 0, 1 or 2 (PS3.5 9.1, ISO/IEC 8824)"
        )
    elif all(component == "0" for component in components):
        problems.append("every component is 0: this identifies nothing (PS3.5 9.1)")
    for component in components:
        if not component:
            problems.append("empty component (two dots, or a dot at an end) (PS3.5 9.1)")
        elif len(component) > 1 and component.startswith("0"):
            problems.append(f"component {component!r} starts with 0 (PS3.5 9.1)")
    return problems


def check_ur(value: str) -> list[str]:
    """UR, Universal Resource Identifier: no leading space, RFC 3986 characters."""
    value = value.rstrip(" ")
    return _characters(
        "UR", value, r"A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%", "the characters of RFC 3986"
    )


#: VR -> the function that checks one of its values and returns the problems as messages.
VR_RULES: dict[str, Callable[[str], list[str]]] = {
    "AE": check_ae,
    "AS": check_as,
    "CS": check_cs,
    "DA": check_da,
    "DS": check_ds,
    "DT": check_dt,
    "IS": check_is,
    "LO": check_lo,
    "LT": check_lt,
    "PN": check_pn,
    "SH": check_sh,
    "ST": check_st,
    "TM": check_tm,
    "UC": check_uc,
    "UI": check_ui,
    "UR": check_ur,
    "UT": check_ut,
}


def check_value(vr: str, value: str) -> list[str]:
    """The problems of one value of VR ``vr``, as messages (empty when it is valid).

    Parameters
    ----------
    vr : str
        A Value Representation, such as ``"UI"``. VRs without character rules (binary
        ones such as US or OB, sequences) have no problems.
    value : str
        One value, as text (for a multi-valued element, one of its values).

    Returns
    -------
    list of str
        What is wrong, each message citing PS3.5.

    Examples
    --------
    >>> check_value("UI", "1.2.840.10008.5.1.4.1.1.2")
    []
    >>> check_value("UI", "1.2.03.4")
    ["component '03' starts with 0 (PS3.5 9.1)"]
    >>> check_value("DA", "20240231")
    ['no such date: day is out of range for month (PS3.5 6.2 DA)']
    """
    rule = VR_RULES.get(str(vr))
    return rule(value) if rule and value != "" else []


# --- Walking a data set -----------------------------------------------------------------


def _vr(elem: DataElement | RawDataElement) -> str:
    """The element's VR; from the dictionary when the file does not say.

    An implicit VR file names no VR, and a file may store a known element as UN (unknown):
    pydicom then uses the dictionary's VR, and so do validators.
    """
    if elem.VR and elem.VR != "UN":
        return str(elem.VR)
    try:
        return str(dictionary_VR(elem.tag))
    except KeyError:  # a private or unknown element in an implicit VR file
        return "UN"


def _values(elem: DataElement | RawDataElement, vr: str, encodings: list[str]) -> list[str]:
    """The element's values as the text the file holds (or would hold once written)."""
    raw = elem.value
    if raw is None:
        return []
    if isinstance(raw, (bytes, bytearray)):
        if vr in _EXTENDED_TEXT:
            delimiters = {"^", "=", "\\"} if vr == "PN" else {"\\"}
            text = decode_bytes(bytes(raw), encodings, delimiters)
        else:
            text = bytes(raw).decode("latin-1")  # one character a byte, ASCII checked later
        # Padding to an even length: NUL for UI, a space for the others (PS3.5 6.2); a
        # NUL anywhere else stays, and is reported as a character the VR does not allow.
        text = text.rstrip("\0") if vr == "UI" else text.rstrip(" ")
        return [text] if vr in _SINGLE_VALUED else text.split("\\")
    values = list(raw) if isinstance(raw, (MultiValue, list, tuple)) else [raw]
    return [as_written(v, vr) for v in values if v is not None]


#: How pydicom writes a date or time value that is not text (``pydicom.filewriter``).
_WRITTEN_FORMATS = {
    "DA": ("%Y%m%d", "%Y%m%d"),
    "DT": ("%Y%m%d%H%M%S%z", "%Y%m%d%H%M%S.%f%z"),
    "TM": ("%H%M%S", "%H%M%S.%f"),
}


def as_written(value: object, vr: str) -> str:
    """One converted value as the text pydicom will write for it.

    A DA, DT or TM element may hold a ``datetime.date``, ``datetime.datetime`` or
    ``datetime.time`` (or pydicom's DA, DT, TM, which are those): pydicom writes the
    text it was read from, or else formats the value (``20240115``, ``093512.5``...). Any
    other value is written as ``str(value)``.

    Parameters
    ----------
    value : object
        One value of an element (of a multi-valued element, one of its values).
    vr : str
        The element's VR.

    Returns
    -------
    str
        The text the file will hold.

    Examples
    --------
    >>> import datetime
    >>> as_written(datetime.date(2024, 1, 15), "DA")
    '20240115'
    >>> as_written(datetime.time(9, 35, 12, 500000), "TM")
    '093512.500000'
    >>> as_written("2024-01-15", "DA")  # text is written as it is
    '2024-01-15'
    """
    original = getattr(value, "original_string", None)
    if isinstance(original, str):
        return original
    if vr in _WRITTEN_FORMATS and isinstance(value, (datetime.date, datetime.time)):
        whole, fraction = _WRITTEN_FORMATS[vr]
        return value.strftime(fraction if getattr(value, "microsecond", 0) else whole)
    return str(value)


def _is_empty(elem: DataElement | RawDataElement) -> bool:
    """Zero length: no value, no characters but padding, no items."""
    value = elem.value
    if value is None:
        return True
    if isinstance(value, (bytes, bytearray)):  # not converted yet: the bytes in the file
        padding = b" \0" if _vr(elem) in VR_RULES else b""  # text is padded, numbers not
        return bytes(value).strip(padding) == b""
    if isinstance(value, str):
        return value.strip(" \0") == ""
    try:
        return len(value) == 0
    except TypeError:  # a number, a date
        return False


def _name(tag: BaseTag) -> str:
    return keyword_for_tag(tag) or f"({tag.group:04X},{tag.element:04X})"


def _walk(ds: Dataset, prefix: str, inherited: list[str]) -> list[Problem]:
    charset = ds.get_item(0x00080005)
    encodings = inherited
    if charset is not None and charset.value:
        names = _values(charset, "CS", ["iso8859"])
        encodings = convert_encodings(names)
    problems = []
    # `for elem in ds` would convert every raw element, and may raise: walk the tags
    for tag in ds.keys():  # noqa: SIM118
        elem = ds.get_item(tag)
        path = prefix + _name(tag)
        vr = _vr(elem)
        if vr == "SQ":
            for index, item in enumerate(ds[tag].value):
                problems += _walk(item, f"{path}[{index}].", encodings)
            continue
        if vr not in VR_RULES:
            continue
        for value in _values(elem, vr, encodings):
            for message in check_value(vr, value):
                problems.append(Problem(path, BaseTag(tag), vr, value, message))
    return problems


def value_problems(ds: Dataset) -> list[Problem]:
    """Every value in ``ds`` that breaks the rules of its VR (PS3.5 6.2), sequences included.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set, read from a file or built in memory. The file meta information
        (``ds.file_meta``) is checked too. Nothing is modified.

    Returns
    -------
    list of Problem
        One :class:`Problem` per broken rule, in the order of the elements; empty when
        every value follows its VR. Print one to read it.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.PatientName = "Phantom^Head"
    >>> ds.StudyDate = "20240115"
    >>> value_problems(ds)
    []
    >>> item = Dataset()
    >>> item.SeriesDate = "20240231"
    >>> ds.ReferencedSeriesSequence = [item]
    >>> for problem in value_problems(ds):
    ...     print(problem)
    ReferencedSeriesSequence[0].SeriesDate (0008,0021) DA '20240231': no such date: day is out of range for month (PS3.5 6.2 DA)
    """  # noqa: E501
    default = ["iso8859"]  # ISO-IR 6 and Latin-1 agree on every valid character
    problems = []
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        problems += _walk(meta, "file_meta.", default)
    return problems + _walk(ds, "", default)
