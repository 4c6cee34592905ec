"""Rules beyond presence and the VR: multiplicity, Image Type, private creators, pixels, UIDs, meta

Each function takes a data set and returns a list of
:class:`~bootcamp_utils.validation.values.Problem`, worded as dciodvfy words the same
error, with the section to read and how to fix it:

* :func:`vm_problems`: each standard element holds as many values as the data dictionary
  says (PS3.6 Table 6-1, ``pydicom.datadict.dictionary_VM``): Image Type ``2-n``, Pixel
  Spacing ``2``, Image Orientation (Patient) ``6`` ... (``kind="vm"``);
* :func:`image_type_problems`: Image Type value 1 is ORIGINAL or DERIVED, value 2 PRIMARY
  or SECONDARY (PS3.3 C.7.6.1.1.2), a CT image has a value 3 (C.8.2.1.1.1)
  (``kind="enumerated"``); :func:`lossy_copy_problems`, given the source too, that a lossy
  compressed copy is DERIVED with a new SOP Instance UID (C.7.6.1.1.5; not part of
  ``validate``: one file cannot tell a copy from an image the sensor compressed);
* :func:`private_creator_problems`: a private creator (gggg,0010-00FF) is LO, a private
  data element (gggg,xxyy) has its creator (gggg,00xx) (PS3.5 7.8.1) (``kind="private"``);
* :func:`pixel_problems`: native Pixel Data is OW when Bits Allocated is more than 8
  (PS3.5 A.1, A.2), High Bit is Bits Stored - 1 (PS3.3 C.7.6.3.3) (``kind="pixel"``);
* :func:`uid_problems`: Study, Series, SOP Instance and Frame of Reference UIDs are four
  different UIDs (PS3.5 9.1: a UID names one thing) (``kind="uid"``);
* :func:`file_meta_problems`: the file meta information (PS3.10 7.1) has its Type 1
  attributes, names the data set's SOP Class and Instance, and its Transfer Syntax says
  how the data set is encoded (``kind="meta"``).
"""

from __future__ import annotations

import functools

from pydicom.datadict import dictionary_VM, tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.uid import UID

from .presence import _items, _values_of
from .values import _SINGLE_VALUED, VR_RULES, Problem, _is_empty, _name, _vr

__all__ = [
    "file_meta_problems",
    "image_type_problems",
    "lossy_copy_problems",
    "pixel_problems",
    "private_creator_problems",
    "uid_problems",
    "vm_problems",
]

# --- Value Multiplicity (PS3.5 6.4, PS3.6 Table 6-1) -------------------------------------

#: Bytes of one value of each binary VR whose values can be counted.
_BINARY_SIZE = {"AT": 4, "FD": 8, "FL": 4, "SL": 4, "SS": 2, "SV": 8, "UL": 4, "US": 2, "UV": 8}


def _multiplicity(elem: DataElement | RawDataElement, vr: str) -> int | None:
    """How many values the element holds (as it will be written); None if not countable."""
    if _is_empty(elem):
        return 0
    value = elem.value
    if vr in VR_RULES and vr not in _SINGLE_VALUED:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).count(b"\\") + 1
        return len(value) if isinstance(value, (MultiValue, list, tuple)) else 1
    if vr in _BINARY_SIZE:
        if isinstance(value, (bytes, bytearray)):
            return len(value) // _BINARY_SIZE[vr]
        return len(value) if isinstance(value, (MultiValue, list, tuple)) else 1
    return None


def _vm_allows(vm: str, count: int) -> bool:
    """Whether ``count`` values fit a dictionary VM such as ``1``, ``1-3``, ``2-n``, ``3-3n``."""
    low, _, high = vm.partition("-")
    if not high:
        return count == int(low)
    if high == "n":
        return count >= int(low)
    if high.endswith("n"):
        return count >= int(low) and count % int(high[:-1]) == 0
    return int(low) <= count <= int(high)


@functools.lru_cache(maxsize=4096)
def _dictionary_vm(tag: int) -> str | None:
    """The data dictionary's VM of a standard element; None for a private or unknown one."""
    if (tag >> 16) % 2:
        return None  # private
    try:
        return dictionary_VM(tag)
    except KeyError:  # not in the data dictionary
        return None


def _vm_problems_of(ds: Dataset, prefix: str) -> list[Problem]:
    problems = []
    for tag in ds.keys():  # noqa: SIM118 - walk tags: do not convert every element
        vm = _dictionary_vm(tag)
        if vm is None:
            continue
        elem = ds.get_item(tag)
        vr = _vr(elem)
        count = _multiplicity(elem, vr)
        if not count or _vm_allows(vm, count):
            continue  # empty (Type 2 allows it: presence rules judge) or right
        keyword = _name(BaseTag(tag))
        message = (
            f"Bad attribute Value Multiplicity {count} ({vm} Required by Dictionary) "
            f"Element=<{keyword}> (PS3.6 Table 6-1: give it {vm} value{'' if vm == '1' else 's'}; "
            "in pydicom a list, "
            "written with backslashes between the values)"
        )
        problems.append(Problem(prefix + keyword, BaseTag(tag), vr, "", message, kind="vm"))
    return problems


def vm_problems(ds: Dataset, items: list | None = None) -> list[Problem]:
    """Standard elements holding more or fewer values than the data dictionary allows.

    The Value Multiplicity (VM) of each element is in PS3.6 Table 6-1, and in pydicom's
    ``dictionary_VM``: ``1``, ``2``, ``6``, ``1-n``, ``2-n``, ``3-3n`` ... The top level,
    every sequence item and the file meta are checked; empty elements (VM 0) and private
    elements are not. Counted as the file holds the values (the backslashes of text, the
    bytes of binary numbers) or, in memory, as pydicom will write them.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set; nothing is modified.
    items : list, optional
        Its sequence items as ``presence._items`` lists them, when already walked.

    Returns
    -------
    list of Problem
        ``kind="vm"``, one per element.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.ImageType = ["ORIGINAL"]
    >>> ds.PixelSpacing = [0.5, 0.5]
    >>> [problem.message for problem in vm_problems(ds)]
    ['Bad attribute Value Multiplicity 1 (2-n Required by Dictionary) Element=<ImageType> (PS3.6 Table 6-1: give it 2-n values; in pydicom a list, written with backslashes between the values)']
    """  # noqa: E501
    problems = []
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        problems += _vm_problems_of(meta, "file_meta.")
    problems += _vm_problems_of(ds, "")
    for path, _, item in _items(ds) if items is None else items:
        problems += _vm_problems_of(item, path)
    return problems


# --- Image Type (PS3.3 C.7.6.1.1.2, C.8.2.1.1.1, C.7.6.1.1.5) -------------------------------

#: Value index (0-based) -> its enumerated values (PS3.3 C.7.6.1.1.2).
IMAGE_TYPE_ENUMERATED = {0: ("ORIGINAL", "DERIVED"), 1: ("PRIMARY", "SECONDARY")}


def _image_type_problem(message: str, value: str = "") -> Problem:
    return Problem("ImageType", BaseTag(0x00080008), "CS", value, message, kind="enumerated")


def image_type_problems(ds: Dataset, modules: list[str]) -> list[Problem]:
    """The Image Type values that break what its module requires.

    * value 1 is ORIGINAL or DERIVED, value 2 PRIMARY or SECONDARY (enumerated values,
      PS3.3 C.7.6.1.1.2);
    * a CT image (``"CTImage"`` in ``modules``) has a value 3, AXIAL or LOCALIZER
      (defined terms, PS3.3 C.8.2.1.1.1);

    Not judged: whether a lossy compressed image is DERIVED; it is ORIGINAL when the
    sensor compressed it (PS3.3 C.7.6.1.1.5): see :func:`lossy_copy_problems`.

    An absent or empty Image Type is left to :func:`~.presence.type_problems`, a wrong
    number of values to :func:`vm_problems`.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set; nothing is modified.
    modules : list of str
        The modules of its IOD (``IODS[sop_class][2]``); [] for an IOD not in the table,
        whose Image Type is then not judged.

    Returns
    -------
    list of Problem
        ``kind="enumerated"``.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.ImageType = ["ORIGINAL", "PRIMARY"]
    >>> for problem in image_type_problems(ds, ["GeneralImage", "CTImage"]):
    ...     print(problem.message)
    A value is required for value 3 in CT Images - attribute <ImageType>: AXIAL or LOCALIZER (PS3.3 C.8.2.1.1.1)
    """  # noqa: E501
    values = _values_of(ds, "ImageType")
    if not values or "GeneralImage" not in modules:
        return []
    problems = []
    for index, allowed in IMAGE_TYPE_ENUMERATED.items():
        if index < len(values) and values[index] not in allowed:
            problems.append(
                _image_type_problem(
                    f"Unrecognized enumerated value <{values[index]}> for value {index + 1} "
                    f"of attribute <ImageType>: {' or '.join(allowed)} (PS3.3 C.7.6.1.1.2)",
                    values[index],
                )
            )
    if "CTImage" in modules and (len(values) < 3 or not values[2]):
        problems.append(
            _image_type_problem(
                "A value is required for value 3 in CT Images - attribute <ImageType>: "
                "AXIAL or LOCALIZER (PS3.3 C.8.2.1.1.1)"
            )
        )
    return problems


#: Attributes of one value whose enumerated values the course's files use (PS3.3).
ENUMERATED = {
    "LossyImageCompression": (("00", "01"), "C.7.6.1.1.5"),
    "BurnedInAnnotation": (("YES", "NO"), "C.7.6.1"),
    "RecognizableVisualFeatures": (("YES", "NO"), "C.7.6.1"),
    "PatientIdentityRemoved": (("YES", "NO"), "C.7.1.1"),
}


def enumerated_problems(ds: Dataset) -> list[Problem]:
    """Values outside their attribute's enumerated values (:data:`ENUMERATED`), as dciodvfy.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.LossyImageCompression = "1"
    >>> print(enumerated_problems(ds)[0].message)
    Unrecognized enumerated value <1> for value 1 of attribute <LossyImageCompression>: 00 or 01 (PS3.3 C.7.6.1.1.5)
    """  # noqa: E501
    problems = []
    for keyword, (allowed, section) in ENUMERATED.items():
        value = ds.get(keyword)
        if value in (None, "") or str(value) in allowed:
            continue
        problems.append(
            Problem(
                keyword,
                ds[keyword].tag,
                "CS",
                str(value),
                f"Unrecognized enumerated value <{value}> for value 1 of attribute "
                f"<{keyword}>: {' or '.join(allowed)} (PS3.3 {section})",
                kind="enumerated",
            )
        )
    return problems


def lossy_copy_problems(copy: Dataset, source: Dataset) -> list[Problem]:
    """What a lossy compressed copy of ``source`` must change (PS3.3 C.7.6.1.1.5).

    An image obtained lossy compressed from the sensor is ORIGINAL with Lossy Image
    Compression ``01``; a lossy compressed *version of another image* is DERIVED and,
    its predecessor being DICOM, has a new SOP Instance UID. One file cannot tell which
    it is, so :func:`~bootcamp_utils.validation.validate` does not judge this (nor does
    dciodvfy): give the source. Nothing is reported unless ``copy`` records a lossy
    compression (Lossy Image Compression ``01``) that ``source`` did not.

    Parameters
    ----------
    copy : pydicom.dataset.Dataset
        The compressed copy.
    source : pydicom.dataset.Dataset
        The image it was made from. Neither is modified.

    Returns
    -------
    list of Problem
        ``kind="enumerated"`` for Image Type value 1, ``kind="uid"`` for a SOP Instance
        UID kept from the source.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> source = Dataset()
    >>> source.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    >>> source.SOPInstanceUID = "1.2.3.4"
    >>> copy = Dataset()
    >>> copy.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    >>> copy.SOPInstanceUID = "1.2.3.4"
    >>> copy.LossyImageCompression = "01"
    >>> for problem in lossy_copy_problems(copy, source):
    ...     print(problem.path, "|", problem.message)
    ImageType | Image Type value 1 is ORIGINAL in a lossy compressed copy of another image: it is DERIVED (PS3.3 C.7.6.1.1.5)
    SOPInstanceUID | SOP Instance UID is the source's: a lossy compressed copy of a DICOM image receives a new SOP Instance UID (PS3.3 C.7.6.1.1.5; generate_uid())
    """  # noqa: E501
    if _values_of(copy, "LossyImageCompression") != ["01"]:
        return []
    if _values_of(source, "LossyImageCompression") == ["01"]:
        return []  # already lossy: the copy may be the same image, decompressed
    problems = []
    values = _values_of(copy, "ImageType")
    if values and values[0] != "DERIVED":
        problems.append(
            _image_type_problem(
                f"Image Type value 1 is {values[0]} in a lossy compressed copy of another "
                "image: it is DERIVED (PS3.3 C.7.6.1.1.5)",
                values[0],
            )
        )
    uid = _values_of(copy, "SOPInstanceUID")
    if uid and uid == _values_of(source, "SOPInstanceUID"):
        message = (
            "SOP Instance UID is the source's: a lossy compressed copy of a DICOM image "
            "receives a new SOP Instance UID (PS3.3 C.7.6.1.1.5; generate_uid())"
        )
        problems.append(
            Problem("SOPInstanceUID", BaseTag(0x00080018), "UI", uid[0], message, kind="uid")
        )
    return problems


# --- Private creators (PS3.5 7.8.1) -------------------------------------------------------


def _holds_a_name(elem: DataElement | RawDataElement | None) -> bool:
    """Whether a private creator slot holds a name (as LO, as UN, or in an implicit file)."""
    if elem is None or elem.value is None:
        return False
    value = elem.value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).strip(b" \0") != b""
    if isinstance(value, (MultiValue, list, tuple)):
        return any(str(v).strip(" \0") for v in value)
    return str(value).strip(" \0") != ""


def _orphan_problem(tag: BaseTag, vr: str, prefix: str) -> Problem:
    creator = f"({tag.group:04X},00{tag.element >> 8:02X})"
    name = _name(tag)
    message = (
        f"Private tag without owner: Element=<{name}> has no private creator {creator} "
        "holding a name (PS3.5 7.8.1: the private creator (gggg,00xx) reserves the block "
        f"(gggg,xx00-xxFF); write the element with ds.private_block(0x{tag.group:04X}, "
        "creator, create=True))"
    )
    return Problem(prefix + name, tag, vr, "", message, kind="private")


def _creator_problem(tag: BaseTag, vr: str, prefix: str) -> Problem:
    name = _name(tag)
    message = (
        f"Private creator is not LO VR; Explicit <{vr}> Element=<{name}> (PS3.5 7.8.1: "
        "a private creator (gggg,0010-00FF) is LO; write it with private_block(..., "
        "create=True) or add_new(tag, 'LO', creator))"
    )
    return Problem(prefix + name, tag, vr, "", message, kind="private")


def _private_creators_of(ds: Dataset, prefix: str) -> list[Problem]:
    problems = []
    for tag in ds.keys():  # noqa: SIM118 - walk tags: do not convert every element
        group, element = tag >> 16, tag & 0xFFFF
        if not group % 2 or element < 0x10 or 0xFF < element < 0x1000:
            continue  # standard, a group length, or not in a reserved block
        elem = ds.get_item(tag)
        if element <= 0xFF:  # a private creator (gggg,0010-00FF)
            if elem.VR not in ("LO", "UN", None):
                problems.append(_creator_problem(BaseTag(tag), str(elem.VR), prefix))
        elif not _holds_a_name(ds.get_item((group << 16) | (element >> 8))):
            problems.append(_orphan_problem(BaseTag(tag), str(elem.VR or "UN"), prefix))
    return problems


def private_creator_problems(ds: Dataset, items: list | None = None) -> list[Problem]:
    """Private creators not LO, private elements without creator (PS3.5 7.8.1), items included.

    * A private creator (gggg,0010-00FF), gggg odd, is LO. An implicit VR file names no
      VR: its private creators are read as LO (or UN), and written as the dictionary
      says. In memory or in an explicit VR file, the element's own VR is the one written.
    * A private data element (gggg,xxyy), xx from 10 to FF, belongs to the block its
      private creator (gggg,00xx) reserves: that creator must be there, holding a name
      (whatever VR it was read with: LO, UN, or none in an implicit VR file).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set; nothing is modified.
    items : list, optional
        Its sequence items as ``presence._items`` lists them, when already walked.

    Returns
    -------
    list of Problem
        ``kind="private"``.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.add_new(0x00290010, "SH", "MY LAB 1.0")
    >>> [problem.path for problem in private_creator_problems(ds)]
    ['(0029,0010)']
    >>> ds = Dataset()
    >>> ds.add_new(0x00291001, "LO", "case 17")  # no (0029,0010)
    >>> print(private_creator_problems(ds)[0].message)
    Private tag without owner: Element=<(0029,1001)> has no private creator (0029,0010) holding a name (PS3.5 7.8.1: the private creator (gggg,00xx) reserves the block (gggg,xx00-xxFF); write the element with ds.private_block(0x0029, creator, create=True))
    """  # noqa: E501
    problems = _private_creators_of(ds, "")
    for path, _, item in _items(ds) if items is None else items:
        problems += _private_creators_of(item, path)
    return problems


# --- Pixel description (PS3.5 8.2 and A.2, PS3.3 C.7.6.3.3) -------------------------------


#: Tags of the Image Pixel Description Macro's attributes judged here (PS3.3 Table C.7-11c).
_BITS_ALLOCATED, _BITS_STORED, _HIGH_BIT = 0x00280100, 0x00280101, 0x00280102
_PIXEL_DATA = 0x7FE00010


def _integer(ds: Dataset, tag: int) -> int | None:
    """The one integer value of ``ds``'s element; None when absent, empty or not one."""
    elem = ds.get_item(tag)
    if elem is None or _is_empty(elem):
        return None
    try:
        value = ds[tag].value
    except Exception:  # noqa: BLE001 - a broken value: its VR check reports it
        return None
    return value if isinstance(value, int) else None


def _written_explicit_native(ds: Dataset) -> bool:
    """Whether Pixel Data is written with its VR and not encapsulated (or no syntax says)."""
    meta = getattr(ds, "file_meta", None)
    syntax = _values_of(meta, "TransferSyntaxUID") if meta is not None else []
    if not syntax:
        return True  # in memory, no Transfer Syntax yet: judged as the element says
    uid = UID(syntax[0])
    return not uid.is_transfer_syntax or not (uid.is_implicit_VR or uid.is_encapsulated)


def _pixel_data_problems(ds: Dataset, root: Dataset, prefix: str) -> list[Problem]:
    """Pixel Data OB with more than 8 bits allocated, where the VR is written (PS3.5 A.2)."""
    pixels = ds.get_item(_PIXEL_DATA)
    if pixels is None or pixels.VR != "OB":
        return []
    bits = _integer(ds, _BITS_ALLOCATED)
    if bits is None or bits <= 8 or not _written_explicit_native(root):
        return []
    message = (
        f"Invalid Value Representation - Pixel Data - VR = OB, Explicit VR, Bits Allocated "
        f"= {bits} exceeds 8 (PS3.5 8.2, A.2: native Pixel Data is OW when Bits Allocated "
        "is more than 8, OB or OW only when it is 8 or less; ds['PixelData'].VR = 'OW')"
    )
    tag = BaseTag(_PIXEL_DATA)
    return [Problem(prefix + "PixelData", tag, "OB", "", message, kind="pixel")]


def _high_bit_problems(ds: Dataset, prefix: str) -> list[Problem]:
    """High Bit other than Bits Stored - 1 (PS3.3 C.7.6.3.3, Table C.7-11c)."""
    stored, high = _integer(ds, _BITS_STORED), _integer(ds, _HIGH_BIT)
    if stored is None or high is None or high == stored - 1:
        return []
    message = (
        f"Bad attribute value - High Bit = {high}, Bits Stored = {stored}: High Bit shall "
        "be one less than Bits Stored (PS3.3 C.7.6.3.3, Table C.7-11c; "
        "ds.HighBit = ds.BitsStored - 1)"
    )
    tag = BaseTag(_HIGH_BIT)
    return [Problem(prefix + "HighBit", tag, "US", str(high), message, kind="pixel")]


def pixel_problems(ds: Dataset, items: list | None = None) -> list[Problem]:
    """Pixel Data's VR and High Bit against the pixel description, sequence items included.

    * Pixel Data written in a native (uncompressed) explicit VR Transfer Syntax is OW
      when Bits Allocated is more than 8; OB is allowed only for 8 bits or fewer (PS3.5
      8.2, A.2). Not judged when the Transfer Syntax is implicit VR (no VR is written,
      Pixel Data is read back OW: PS3.5 A.1) or encapsulated (OB: PS3.5 A.4).
    * High Bit is one less than Bits Stored (PS3.3 C.7.6.3.3, Table C.7-11c, the Image
      Pixel Description Macro: top level and items such as an Icon Image Sequence's).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set; nothing is modified.
    items : list, optional
        Its sequence items as ``presence._items`` lists them, when already walked.

    Returns
    -------
    list of Problem
        ``kind="pixel"``, on ``PixelData`` or ``HighBit``.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 15
    >>> print(pixel_problems(ds)[0].message)
    Bad attribute value - High Bit = 15, Bits Stored = 12: High Bit shall be one less than Bits Stored (PS3.3 C.7.6.3.3, Table C.7-11c; ds.HighBit = ds.BitsStored - 1)
    """  # noqa: E501
    problems = _pixel_data_problems(ds, ds, "") + _high_bit_problems(ds, "")
    for path, _, item in _items(ds) if items is None else items:
        if item.get_item(_HIGH_BIT) is not None or item.get_item(_PIXEL_DATA) is not None:
            problems += _pixel_data_problems(item, ds, path) + _high_bit_problems(item, path)
    return problems


# --- UIDs of different levels (PS3.5 9.1) ---------------------------------------------------

#: The UIDs that name different things, and so may never be equal, in the order compared.
LEVEL_UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")


def uid_problems(ds: Dataset) -> list[Problem]:
    """The same UID used for two levels: Study, Series, SOP Instance, Frame of Reference.

    A UID identifies one thing (PS3.5 9.1): a series UID that equals its study's, an
    image UID that equals its series', a frame of reference UID copied from the study ...
    are errors dciodvfy reports.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set; nothing is modified.

    Returns
    -------
    list of Problem
        ``kind="uid"``, one per pair of equal UIDs, on the second of the pair.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.StudyInstanceUID = ds.SeriesInstanceUID = "1.2.3"
    >>> print(uid_problems(ds)[0].message)
    SeriesInstanceUID has same value as StudyInstanceUID <1.2.3> (PS3.5 9.1: a UID names one thing; give the series a new UID, generate_uid())
    """  # noqa: E501
    problems = []
    seen: dict[str, str] = {}
    levels = {"StudyInstanceUID": "study", "SeriesInstanceUID": "series"}
    levels |= {"SOPInstanceUID": "instance", "FrameOfReferenceUID": "frame of reference"}
    for keyword in LEVEL_UIDS:
        values = _values_of(ds, keyword)
        if not values:
            continue
        if values[0] in seen:
            message = (
                f"{keyword} has same value as {seen[values[0]]} <{values[0]}> (PS3.5 9.1: a "
                f"UID names one thing; give the {levels[keyword]} a new UID, generate_uid())"
            )
            tag = ds[keyword].tag
            problems.append(Problem(keyword, tag, "UI", values[0], message, kind="uid"))
        else:
            seen[values[0]] = keyword
    return problems


# --- File meta information (PS3.10 7.1) ---------------------------------------------------

#: The Type 1 attributes of the file meta information that pydicom does not compute on
#: writing (it writes File Meta Information Group Length itself), PS3.10 Table 7.1-1.
FILE_META = (
    "FileMetaInformationVersion",
    "MediaStorageSOPClassUID",
    "MediaStorageSOPInstanceUID",
    "TransferSyntaxUID",
    "ImplementationClassUID",
)

#: Written by pydicom's ``save_as(..., enforce_file_format=True)`` when missing: required
#: only of a data set read from a file.
_WRITTEN_BY_PYDICOM = ("FileMetaInformationVersion", "ImplementationClassUID")

#: Attribute of the file meta -> the data set's attribute it must equal (PS3.10 7.1).
_SAME_AS = {
    "MediaStorageSOPClassUID": "SOPClassUID",
    "MediaStorageSOPInstanceUID": "SOPInstanceUID",
}


def _meta_problem(keyword: str, message: str, value: str = "") -> Problem:
    tag = BaseTag(tag_for_keyword(keyword))
    return Problem(f"file_meta.{keyword}", tag, "UI", value, message, kind="meta")


def _encoding_problems(ds: Dataset, syntax: UID) -> list[Problem]:
    """The Transfer Syntax against how the data set was read and how Pixel Data is held."""
    problems = []
    elements = (ds.get_item(tag) for tag in ds.keys())  # noqa: SIM118
    first = next((elem for elem in elements if isinstance(elem, RawDataElement)), None)
    if isinstance(first, RawDataElement) and syntax.is_transfer_syntax:
        read = (first.is_implicit_VR, first.is_little_endian)
        if read != (syntax.is_implicit_VR, syntax.is_little_endian):
            problems.append(
                _meta_problem(
                    "TransferSyntaxUID",
                    f"Transfer Syntax {syntax.name} does not match the encoding of the data "
                    f"set ({'implicit' if read[0] else 'explicit'} VR, "
                    f"{'little' if read[1] else 'big'} endian) (PS3.10 7.1, PS3.5 Annex A: "
                    "save with pydicom, which encodes as the Transfer Syntax says)",
                    str(syntax),
                )
            )
    pixels = ds.get_item(0x7FE00010)
    if pixels is not None and syntax.is_transfer_syntax and not _is_empty(pixels):
        value = pixels.value
        encapsulated = isinstance(value, (bytes, bytearray)) and value[:4] == b"\xfe\xff\x00\xe0"
        if encapsulated != syntax.is_encapsulated:
            held = "encapsulated fragments" if encapsulated else "native pixels"
            problems.append(
                _meta_problem(
                    "TransferSyntaxUID",
                    f"Pixel Data holds {held} but Transfer Syntax {syntax.name} is "
                    f"{'' if syntax.is_encapsulated else 'not '}encapsulated (PS3.5 A.4: "
                    "compress with ds.compress() or decompress with ds.decompress(), which "
                    "set both)",
                    str(syntax),
                )
            )
    return problems


def file_meta_problems(ds: Dataset) -> list[Problem]:
    """The file meta information's missing attributes and disagreements with the data set.

    Checked only when ``ds`` has a ``file_meta`` (as a data set read from a file has):

    * its Type 1 attributes of :data:`FILE_META` are present with a value (PS3.10 7.1);
      File Meta Information Version and Implementation Class UID only in a data set read
      from a file (in memory, ``save_as(..., enforce_file_format=True)`` writes them);
    * Media Storage SOP Class / Instance UID equal SOP Class / Instance UID;
    * the Transfer Syntax is the encoding the data set was read in (while its elements
      are still as read), and Pixel Data is encapsulated exactly when it says so.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set; nothing is modified.

    Returns
    -------
    list of Problem
        ``kind="meta"``, the path starting ``file_meta.``.

    Examples
    --------
    >>> from pydicom.dataset import Dataset, FileMetaDataset
    >>> ds = Dataset()
    >>> ds.SOPInstanceUID = "1.2.3.4"
    >>> ds.file_meta = FileMetaDataset()
    >>> ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.5"
    >>> for problem in file_meta_problems(ds):
    ...     print(problem.path)
    file_meta.MediaStorageSOPClassUID
    file_meta.TransferSyntaxUID
    file_meta.MediaStorageSOPInstanceUID
    """
    meta = getattr(ds, "file_meta", None)
    if meta is None:
        return []
    problems = []
    for keyword in FILE_META:
        elem = meta.get_item(keyword)
        if keyword in _WRITTEN_BY_PYDICOM and not getattr(ds, "filename", None):
            continue  # in memory: save_as(..., enforce_file_format=True) adds it
        if elem is None or _is_empty(elem):
            what = "Missing attribute" if elem is None else "Empty attribute (no value)"
            problems.append(
                _meta_problem(
                    keyword,
                    f"{what} Type 1 Required Element=<{keyword}> Module=<FileMetaInformation> "
                    "(PS3.10 7.1: save with enforce_file_format=True, which writes it)",
                )
            )
    for keyword, twin in _SAME_AS.items():
        ours, theirs = _values_of(meta, keyword), _values_of(ds, twin)
        if ours and theirs and ours != theirs:
            problems.append(
                _meta_problem(
                    keyword,
                    f"{keyword} different from {twin} (PS3.10 7.1: the file meta names the "
                    f"data set it holds; set ds.file_meta.{keyword} = ds.{twin})",
                    ours[0],
                )
            )
    syntax = _values_of(meta, "TransferSyntaxUID")
    if syntax:
        problems += _encoding_problems(ds, UID(syntax[0]))
    return problems
