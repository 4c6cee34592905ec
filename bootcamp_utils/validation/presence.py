"""Which attributes must an object hold? Type 1, 1C, 2 and 2C presence (PS3.3, PS3.5 7.4)

The SOP Class UID names the kind of object, an IOD (CT Image, MR Image, Secondary Capture
Image: :data:`IODS`); the IOD is a list of modules (:data:`MODULES`, with their PS3.3
sections), and each module gives each attribute a Type: 1 (present, with a value), 2
(present, maybe empty), 1C and 2C (the same, when a condition holds: :data:`CONDITIONS`).
:func:`type_problems` reports what is missing or empty at the top level, with the words
dciodvfy uses.

Inside sequence items the same Types hold, defined by *macros* that many modules share
(:data:`MACROS`): an item of Source Image Sequence is an Image SOP Instance Reference
(PS3.3 Table 10-3: Referenced SOP Class and Instance UID, Type 1; Referenced Frame
Number and Referenced Segment Number, 1C, which need a value when present), an item of a
code sequence (Derivation Code Sequence, De-identification Method Code Sequence ...) is a Code
Sequence Macro item (PS3.3 Table 8.8-1: Code Value, Coding Scheme Designator, Code
Meaning). :func:`item_problems` checks every such item, at any depth. The file meta
information is checked in :mod:`~bootcamp_utils.validation.rules`.

Not checked here: the Type 3 attributes, the optional (User) modules such as VOI LUT,
the 1C and 2C attributes whose condition is not in :data:`CONDITIONS` (Specific
Character Set, Laterality, Content Date and Time ...), other IODs and other macros.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import NamedTuple

from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.uid import (
    CTImageStorage,
    MediaStorageDirectoryStorage,
    MRImageStorage,
    SecondaryCaptureImageStorage,
)

from .values import Problem, _is_empty, _name, _vr

__all__ = [
    "CONDITIONS",
    "IODS",
    "MACROS",
    "MODULES",
    "Module",
    "iod_for",
    "item_problems",
    "macro_for",
    "type_problems",
]

# --- Type 1, 1C, 2 and 2C attributes of the course's IODs (PS3.3) ------------------------
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


def _type_problem(
    keyword: str, module: str, kind: str, missing: bool, why: str, path: str = ""
) -> Problem:
    """One missing or empty attribute, in dciodvfy's words, with the section to read."""
    what = "Missing attribute" if missing else "Empty attribute (no value)"
    required = "Conditional" if kind.endswith("C") else "Required"
    section = (MODULES.get(module) or MACROS[module]).section
    where = f"PS3.3 {section}: {why}" if why else f"PS3.3 {section}"
    message = f"{what} Type {kind} {required} Element=<{keyword}> Module=<{module}> ({where})"
    tag = BaseTag(tag_for_keyword(keyword))
    return Problem(path + keyword, tag, str(dictionary_VR(tag)), "", message, kind="type")


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
    if not _has_value(ds, "SOPClassUID") and uid != MediaStorageDirectoryStorage:
        # a DICOMDIR (Basic Directory IOD, PS3.3 F) has no SOP Common module
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


# --- Inside sequence items: the macros (PS3.3 Chapter 8 and 10) --------------------------

#: Macro name (as dciodvfy spells it) -> its PS3.3 table and {keyword: Type}.
MACROS: dict[str, Module] = {
    "SOPInstanceReferenceMacro": Module(
        "Table 10-11", {"ReferencedSOPClassUID": "1", "ReferencedSOPInstanceUID": "1"}
    ),
    # includes Table 10-11 (see _INCLUDES), then its own two 1C attributes
    "ImageSOPInstanceReferenceMacro": Module(
        "Table 10-3", {"ReferencedFrameNumber": "1C", "ReferencedSegmentNumber": "1C"}
    ),
    "BasicCodeSequenceMacro": Module(
        "Table 8.8-1a", {"CodeValue": "1C", "CodingSchemeDesignator": "1C", "CodeMeaning": "1"}
    ),
}

#: Macro -> the macros its table includes ("Include Table ..."), checked first.
_INCLUDES: dict[str, tuple[str, ...]] = {
    "ImageSOPInstanceReferenceMacro": ("SOPInstanceReferenceMacro",),
}

#: Sequences whose items are SOP Instance References (SOP Instance Reference Macro, PS3.3
#: Table 10-11); those of :data:`IMAGE_REFERENCE_SEQUENCES` follow the Image SOP Instance
#: Reference Macro (Table 10-3), which includes Table 10-11 (General Image, C.7.6.1).
REFERENCE_SEQUENCES = {
    "SourceImageSequence",
    "ReferencedImageSequence",
    "SourceInstanceSequence",
    "ReferencedInstanceSequence",
}
IMAGE_REFERENCE_SEQUENCES = {"SourceImageSequence", "ReferencedImageSequence"}

#: Code sequences whose keyword does not end with "CodeSequence".
_CODE_SEQUENCES = {
    "AnatomicRegionSequence",
    "AnatomicRegionModifierSequence",
    "PrimaryAnatomicStructureSequence",
    "PrimaryAnatomicStructureModifierSequence",
}

#: 1C conditions of the macros: keyword -> (as PS3.3 words it, shortened; the test).
_MACRO_CONDITIONS: dict[str, tuple[str, Callable[[Dataset], bool]]] = {
    "CodeValue": (
        "required if Long Code Value and URN Code Value are absent",
        lambda item: "LongCodeValue" not in item and "URNCodeValue" not in item,
    ),
    "CodingSchemeDesignator": (
        "required if Code Value or Long Code Value is present",
        lambda item: "CodeValue" in item or "LongCodeValue" in item,
    ),
    # These two depend on the referenced instance, which the item does not hold: only a
    # present but empty one is judged (present, a Type 1C attribute has a value, PS3.5 7.4).
    "ReferencedFrameNumber": (
        "required if the referenced instance is a multi-frame image and the reference is "
        "to some of its frames only; present, it needs a value",
        lambda item: False,
    ),
    "ReferencedSegmentNumber": (
        "required if the referenced instance is a segmentation and the reference is to "
        "some of its segments only; present, it needs a value",
        lambda item: False,
    ),
}


def macro_for(keyword: str) -> str | None:
    """The macro that the items of sequence ``keyword`` follow, or None if not known.

    Examples
    --------
    >>> macro_for("SourceImageSequence")
    'ImageSOPInstanceReferenceMacro'
    >>> macro_for("ReferencedInstanceSequence")
    'SOPInstanceReferenceMacro'
    >>> macro_for("DeidentificationMethodCodeSequence")
    'BasicCodeSequenceMacro'
    >>> macro_for("ContentCreatorIdentificationCodeSequence") is None  # a person, not a code
    True
    """
    if keyword in IMAGE_REFERENCE_SEQUENCES:
        return "ImageSOPInstanceReferenceMacro"
    if keyword in REFERENCE_SEQUENCES:
        return "SOPInstanceReferenceMacro"
    code = keyword.endswith("CodeSequence") and not keyword.endswith("IdentificationCodeSequence")
    return "BasicCodeSequenceMacro" if code or keyword in _CODE_SEQUENCES else None


def _items(ds: Dataset, prefix: str = "") -> Iterator[tuple[str, str, Dataset]]:
    """(path of the item, its sequence's keyword, the item) for every item, at any depth."""
    for tag in ds.keys():  # noqa: SIM118 - walk tags: do not convert every element
        if _vr(ds.get_item(tag)) != "SQ":
            continue
        keyword = _name(BaseTag(tag))
        for index, item in enumerate(ds[tag].value or []):
            path = f"{prefix}{keyword}[{index}]."
            yield path, keyword, item
            yield from _items(item, path)


def _macro_item_problems(item: Dataset, macro: str, path: str) -> list[Problem]:
    """The missing or empty Type 1 and 1C attributes of one item that follows ``macro``.

    The macros ``macro`` includes (:data:`_INCLUDES`) are checked first. A 1C attribute
    that is present must have a value whatever its condition (PS3.5 7.4).
    """
    problems = []
    for included in _INCLUDES.get(macro, ()):
        problems += _macro_item_problems(item, included, path)
    for keyword, kind in MACROS[macro].types.items():
        why = ""
        elem = item.get_item(keyword)
        if kind == "1C":
            why, condition = _MACRO_CONDITIONS[keyword]
            if elem is None and not condition(item):
                continue
        if elem is None or _is_empty(elem):
            problems.append(_type_problem(keyword, macro, kind, elem is None, why, path))
    return problems


def item_problems(ds: Dataset, items: list | None = None) -> list[Problem]:
    """The Type 1 and 1C attributes missing or empty in sequence items (PS3.3 macros).

    Every item, at any depth, of a sequence that :func:`macro_for` knows is checked
    against its macro in :data:`MACROS`, whatever the IOD: a Source Image Sequence item
    needs its Referenced SOP Class UID and Referenced SOP Instance UID (and a value in
    its Referenced Frame Number, if present), a code item its Code Value, Coding Scheme
    Designator and Code Meaning.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set; nothing is modified.
    items : list, optional
        Its sequence items as :func:`_items` lists them, when already walked.

    Returns
    -------
    list of Problem
        ``kind="type"``, the path naming the item, e.g.
        ``"SourceImageSequence[0].ReferencedSOPClassUID"``.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds, item = Dataset(), Dataset()
    >>> item.ReferencedSOPInstanceUID = "1.2.3.4"
    >>> ds.SourceImageSequence = [item]
    >>> for problem in item_problems(ds):
    ...     print(problem.path, "|", problem.message)
    SourceImageSequence[0].ReferencedSOPClassUID | Missing attribute Type 1 Required Element=<ReferencedSOPClassUID> Module=<SOPInstanceReferenceMacro> (PS3.3 Table 10-11)
    """  # noqa: E501
    problems = []
    for path, keyword, item in _items(ds) if items is None else items:
        macro = macro_for(keyword)
        if macro is not None:
            problems += _macro_item_problems(item, macro, path)
    return problems
