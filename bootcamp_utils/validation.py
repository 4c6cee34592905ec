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

The second half checks *presence*: which attributes an object of a given kind must hold
(PS3.3). The SOP Class UID names the kind, an IOD (CT Image, MR Image, Secondary
Capture Image: :data:`IODS`); the IOD is a list of modules (:data:`MODULES`, with their
PS3.3 sections), and each module gives each attribute a Type: 1 (present, with a value),
2 (present, maybe empty), 1C and 2C (the same, when a condition holds:
:data:`CONDITIONS`). :func:`type_problems` reports what is missing or empty, with the
words dciodvfy uses; :func:`validate` runs both halves.

Not checked here: the Type 3 attributes, the optional (User) modules such as VOI LUT,
the 1C and 2C attributes whose condition is not in :data:`CONDITIONS` (Specific
Character Set, Laterality, Content Date and Time ...), inside sequence items, other
IODs, the Value Multiplicity, enumerated values and defined terms, and the binary VRs
(US, FL, OB ...), whose values cannot break a character rule.
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from pydicom.charset import convert_encodings, decode_bytes
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.uid import CTImageStorage, MRImageStorage, SecondaryCaptureImageStorage

__all__ = [
    "CONDITIONS",
    "IODS",
    "MAX_LENGTH",
    "MODULES",
    "VR_RULES",
    "Module",
    "Problem",
    "check_value",
    "iod_for",
    "type_problems",
    "validate",
    "value_problems",
]

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
    return [str(v) for v in values if v is not None]


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


# --- Presence: Type 1, 1C, 2 and 2C attributes of the course's IODs (PS3.3) --------------
#
# An IOD (Information Object Definition, PS3.3 Annex A) is a list of modules; a module is
# a table of attributes, each with a Type (PS3.5 7.4):
#
# * Type 1: must be present, with a value.
# * Type 2: must be present, and may be empty (zero length) when the value is unknown.
# * Type 1C / 2C: like 1 / 2, but only when a condition written in the module holds.
#   Whatever the condition, a Type 1C attribute that is present must have a value.
# * Type 3: optional. Not listed here: nothing to check.


class Module(NamedTuple):
    """One module of PS3.3: its section and the Type of each attribute we check."""

    section: str
    types: dict[str, str]


#: Module name (as dciodvfy spells it) -> its PS3.3 section and {keyword: Type}. Only the
#: Type 1, 2 and the 1C/2C attributes whose condition :data:`CONDITIONS` can evaluate.
MODULES: dict[str, Module] = {
    "Patient": Module(
        "C.7.1.1",
        {"PatientName": "2", "PatientID": "2", "PatientBirthDate": "2", "PatientSex": "2"},
    ),
    "GeneralStudy": Module(
        "C.7.2.1",
        {
            "StudyInstanceUID": "1",
            "StudyDate": "2",
            "StudyTime": "2",
            "ReferringPhysicianName": "2",
            "StudyID": "2",
            "AccessionNumber": "2",
        },
    ),
    "GeneralSeries": Module(
        "C.7.3.1",
        {
            "Modality": "1",
            "SeriesInstanceUID": "1",
            "SeriesNumber": "2",
            "PatientPosition": "2C",
        },
    ),
    "FrameOfReference": Module(
        "C.7.4.1", {"FrameOfReferenceUID": "1", "PositionReferenceIndicator": "2"}
    ),
    "GeneralEquipment": Module("C.7.5.1", {"Manufacturer": "2"}),
    "GeneralImage": Module("C.7.6.1", {"InstanceNumber": "2", "PatientOrientation": "2C"}),
    "ImagePlane": Module(
        "C.7.6.2",
        {
            "PixelSpacing": "1",
            "ImageOrientationPatient": "1",
            "ImagePositionPatient": "1",
            "SliceThickness": "2",
        },
    ),
    "ImagePixel": Module(
        "C.7.6.3",
        {
            "SamplesPerPixel": "1",
            "PhotometricInterpretation": "1",
            "Rows": "1",
            "Columns": "1",
            "BitsAllocated": "1",
            "BitsStored": "1",
            "HighBit": "1",
            "PixelRepresentation": "1",
            "PlanarConfiguration": "1C",
            "PixelData": "1C",
        },
    ),
    "CTImage": Module(
        "C.8.2.1",
        {
            "ImageType": "1",
            "SamplesPerPixel": "1",
            "PhotometricInterpretation": "1",
            "BitsAllocated": "1",
            "BitsStored": "1",
            "HighBit": "1",
            "RescaleIntercept": "1",
            "RescaleSlope": "1",
            "RescaleType": "1C",
            "KVP": "2",
            "AcquisitionNumber": "2",
        },
    ),
    "MRImage": Module(
        "C.8.3.1",
        {
            "ImageType": "1",
            "SamplesPerPixel": "1",
            "PhotometricInterpretation": "1",
            "BitsAllocated": "1",
            "ScanningSequence": "1",
            "SequenceVariant": "1",
            "ScanOptions": "2",
            "MRAcquisitionType": "2",
            "RepetitionTime": "2C",
            "EchoTime": "2",
            "EchoTrainLength": "2",
            "InversionTime": "2C",
        },
    ),
    "SCEquipment": Module("C.8.6.1", {"ConversionType": "1"}),
    "SCImage": Module("C.8.6.2", {"NominalScannedPixelSpacing": "1C"}),
    "SOPCommon": Module("C.12.1", {"SOPClassUID": "1", "SOPInstanceUID": "1"}),
}

#: SOP Class UID -> (IOD name, PS3.3 section, its modules that hold Type 1/2 attributes).
#: Optional (User) modules such as VOI LUT are left out.
IODS: dict[str, tuple[str, str, list[str]]] = {
    str(CTImageStorage): (
        "CT Image",
        "A.3",
        [
            "Patient",
            "GeneralStudy",
            "GeneralSeries",
            "FrameOfReference",
            "GeneralEquipment",
            "GeneralImage",
            "ImagePlane",
            "ImagePixel",
            "CTImage",
            "SOPCommon",
        ],
    ),
    str(MRImageStorage): (
        "MR Image",
        "A.4",
        [
            "Patient",
            "GeneralStudy",
            "GeneralSeries",
            "FrameOfReference",
            "GeneralEquipment",
            "GeneralImage",
            "ImagePlane",
            "ImagePixel",
            "MRImage",
            "SOPCommon",
        ],
    ),
    str(SecondaryCaptureImageStorage): (
        "Secondary Capture Image",
        "A.8.1",
        [
            "Patient",
            "GeneralStudy",
            "GeneralSeries",
            "SCEquipment",
            "GeneralImage",
            "ImagePixel",
            "SCImage",
            "SOPCommon",
        ],
    ),
}


def _has_value(ds: Dataset, keyword: str) -> bool:
    elem = ds.get_item(keyword)
    return elem is not None and not _is_empty(elem)


def _values_of(ds: Dataset, keyword: str) -> list[str]:
    """The values of ``ds``'s attribute as stripped text; [] when absent, empty or unreadable."""
    elem = ds.get_item(keyword)
    if elem is None or _is_empty(elem):
        return []
    try:
        value = ds[keyword].value
    except Exception:  # noqa: BLE001 - a broken value: its VR check reports it
        return []
    values = list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]
    return [str(v).strip(" \0") for v in values]


#: Keyword of a 1C or 2C attribute -> (its condition, as PS3.3 words it, shortened; a
#: function of the data set and the IOD's modules that says whether it holds).
CONDITIONS: dict[str, tuple[str, Callable[[Dataset, list[str]], bool]]] = {
    "PatientPosition": (
        "required for CT and MR images without a Patient Orientation Code Sequence",
        lambda ds, modules: (
            ("CTImage" in modules or "MRImage" in modules)
            and "PatientOrientationCodeSequence" not in ds
        ),
    ),
    "PatientOrientation": (
        "required if the image does not require Image Orientation and Image Position "
        "(Patient), that is, if its IOD has no Image Plane module",
        lambda ds, modules: "ImagePlane" not in modules,
    ),
    "PlanarConfiguration": (
        "required if Samples per Pixel is more than 1",
        lambda ds, modules: any(v not in ("", "1") for v in _values_of(ds, "SamplesPerPixel")),
    ),
    "PixelData": (
        "required if Pixel Data Provider URL is absent (and the pixels are not float)",
        lambda ds, modules: (
            not any(
                k in ds for k in ("PixelDataProviderURL", "FloatPixelData", "DoubleFloatPixelData")
            )
        ),
    ),
    "RescaleType": (
        "required if Multi-energy CT Acquisition is YES",
        lambda ds, modules: _values_of(ds, "MultienergyCTAcquisition") == ["YES"],
    ),
    "RepetitionTime": (
        "required unless Scanning Sequence is EP and Sequence Variant is not SK",
        lambda ds, modules: (
            not (
                _values_of(ds, "ScanningSequence") == ["EP"]
                and "SK" not in _values_of(ds, "SequenceVariant")
            )
        ),
    ),
    "InversionTime": (
        "required if Scanning Sequence includes IR",
        lambda ds, modules: "IR" in _values_of(ds, "ScanningSequence"),
    ),
    "NominalScannedPixelSpacing": (
        "required if Conversion Type is DF, SD or SI (digitized film, scanned document or image)",
        lambda ds, modules: bool(set(_values_of(ds, "ConversionType")) & {"DF", "SD", "SI"}),
    ),
}


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
    except TypeError:  # a number
        return False


def iod_for(ds: Dataset) -> str | None:
    """The name of the IOD this validator knows for ``ds``'s SOP Class, or None.

    The SOP Class UID (0008,0016) says which IOD the data set claims to be; when it is
    missing, the file meta's Media Storage SOP Class UID is used.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    >>> iod_for(ds)
    'Secondary Capture Image'
    >>> ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.2"  # RT Dose: not in the table
    >>> iod_for(ds) is None
    True
    """
    uid = _sop_class(ds)
    return IODS[uid][0] if uid in IODS else None


def _sop_class(ds: Dataset) -> str:
    values = _values_of(ds, "SOPClassUID")
    meta = getattr(ds, "file_meta", None)
    if not values and meta is not None:
        values = _values_of(meta, "MediaStorageSOPClassUID")
    return values[0] if values else ""


def _type_problem(keyword: str, module: str, kind: str, missing: bool, why: str) -> Problem:
    what = "Missing attribute" if missing else "Empty attribute (no value)"
    required = "Conditional" if kind.endswith("C") else "Required"
    section = MODULES[module].section
    where = f"PS3.3 {section}: {why}" if why else f"PS3.3 {section}"
    message = f"{what} Type {kind} {required} Element=<{keyword}> Module=<{module}> ({where})"
    tag = BaseTag(tag_for_keyword(keyword))
    return Problem(keyword, tag, str(dictionary_VR(tag)), "", message, kind="type")


def type_problems(ds: Dataset) -> list[Problem]:
    """The Type 1, 1C, 2 and 2C attributes of ``ds``'s IOD that are missing or empty (PS3.3).

    The IOD is chosen by the SOP Class UID (see :data:`IODS`); its modules' attributes
    and Types come from :data:`MODULES`, the conditions of 1C and 2C from
    :data:`CONDITIONS`. Reported, as dciodvfy reports them:

    * a Type 1 or 2 attribute that is missing (and a 1C or 2C one whose condition holds);
    * a Type 1 attribute that is empty (and a Type 1C one that is present but empty).

    Only the top level of the data set is checked, not the items of sequences.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set of an IOD in :data:`IODS` (CT Image, MR Image, Secondary Capture
        Image). Read it with its pixels: Pixel Data is Type 1C. Nothing is modified.

    Returns
    -------
    list of Problem
        One :class:`Problem` (``kind="type"``, ``value=""``) per attribute, in module
        order. For a SOP Class not in :data:`IODS` there is no table to check against:
        a warning says so and the list is empty (:func:`validate` then checks the value
        rules only).

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage
    >>> ds.Modality = ""
    >>> for problem in type_problems(ds)[:3]:
    ...     print(problem.message)
    Missing attribute Type 2 Required Element=<PatientName> Module=<Patient> (PS3.3 C.7.1.1)
    Missing attribute Type 2 Required Element=<PatientID> Module=<Patient> (PS3.3 C.7.1.1)
    Missing attribute Type 2 Required Element=<PatientBirthDate> Module=<Patient> (PS3.3 C.7.1.1)
    >>> [p.message for p in type_problems(ds) if p.keyword == "Modality"]
    ['Empty attribute (no value) Type 1 Required Element=<Modality> Module=<GeneralSeries> (PS3.3 C.7.3.1)']
    """  # noqa: E501
    problems = []
    uid = _sop_class(ds)
    if not _has_value(ds, "SOPClassUID"):
        problems.append(_type_problem("SOPClassUID", "SOPCommon", "1", "SOPClassUID" not in ds, ""))
    if uid not in IODS:
        warnings.warn(
            f"SOP Class {uid or '(none)'} is not one of the IODs this validator knows "
            f"({', '.join(name for name, _, _ in IODS.values())}): Type 1/2 presence not "
            "checked, only the value rules",
            UserWarning,
            stacklevel=2,
        )
        return problems
    modules = IODS[uid][2]
    for module in modules:
        for keyword, kind in MODULES[module].types.items():
            if keyword == "SOPClassUID":
                continue  # checked above
            elem = ds.get_item(keyword)
            why = ""
            if kind.endswith("C"):
                why, condition = CONDITIONS[keyword]
                if elem is not None and kind == "1C" and _is_empty(elem):
                    # present: a Type 1C attribute then needs a value, condition or not
                    problems.append(_type_problem(keyword, module, kind, False, why))
                    continue
                if not condition(ds, modules):
                    continue
            if elem is None:
                problems.append(_type_problem(keyword, module, kind, True, why))
            elif kind.startswith("1") and _is_empty(elem):
                problems.append(_type_problem(keyword, module, kind, False, why))
    return problems


def validate(ds: Dataset) -> list[Problem]:
    """All the problems this module finds: :func:`type_problems` then :func:`value_problems`.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read with its pixels (or built in memory). Nothing is modified.

    Returns
    -------
    list of Problem
        The missing or empty attributes (``kind="type"``, PS3.3), then the values that
        break their VR (``kind="value"``, PS3.5); empty when nothing is found.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    >>> ds.StudyDate = "2024-01-15"
    >>> problems = validate(ds)
    >>> sorted({problem.kind for problem in problems})
    ['type', 'value']
    >>> print([p for p in problems if p.kind == "value"][0])
    StudyDate (0008,0020) DA '2024-01-15': not a date YYYYMMDD such as '20240115' (PS3.5 6.2 DA)
    """
    return type_problems(ds) + value_problems(ds)
