"""What the de-identified file must keep: the choices PS3.15 Table E.1-1 leaves open.

Table E.1-1 gives some attributes a combined action: ``Z/D`` is "Z unless D is required
to maintain IOD conformance (Type 2 versus Type 1)", ``X/Z``, ``X/D``, ``X/Z/D`` and
``X/Z/U*`` likewise (PS3.15 E.1.1). The Type of an attribute is not a property of the
attribute but of the module that holds it in the file's IOD (PS3.3): Content Date is
Type 2C in the General Image module of a CT image and Type 1 in a Structured Report. This
module holds what :func:`~bootcamp_utils.deid.profile.deidentify` needs to choose: a
small table of the cases where the choice matters (:data:`REQUIREMENTS`), not the whole
of PS3.3; and the default for everything else.

**Without a Type from the table** (:func:`resolve`), the action chosen is valid whatever
the attribute's Type (1, 2 or 3) may be, and leaves no identifying value:

============ ======================== ===============================================
code         elements                 sequences
============ ======================== ===============================================
``Z/D``      ``Z`` (Patient ID: Type  --
             2 in the image IODs)
``X/Z``      ``Z`` (valid for Type 2  ``X`` (Referenced Study Sequence: Type 3; an
             and 3)                   empty Type 3 sequence is an error, VM 1-n)
``X/D``      ``D`` (valid for Type 1  ``X`` (Operator Identification Sequence: Type 3)
             and 3)
``X/Z/D``    ``D`` (Device Serial     ``X`` (Institution Code Sequence: Type 3)
             Number, Acquisition
             DateTime: Type 1 in the
             enhanced IODs)
``X/Z/U*``   ``U``                    kept, the UIDs inside replaced (``U``)
============ ======================== ===============================================

**With a Type from the table**: Type 1 gets ``D`` (a dummy value; an emptied Content Date
is an error in an SR), Type 2 gets ``Z`` (emptied; a sequence with no items), wherever
the table's action allows it. ``Z`` itself allows a dummy ("a zero length value, or a
non-zero length value that may be a dummy value"), so a Type 1 ``Z`` becomes ``D`` too.
Two cases go further than the table's letter, and keep no value either way: a Type 2(C)
attribute the table marks ``X`` (Responsible Person of an animal) is emptied instead of
removed; and an overlay whose Overlay Data (60xx,3000) the table removes is removed
whole (:func:`drop_overlays`), since the rest of its Overlay Plane module (rows,
columns, origin: Type 1, PS3.3 C.9.2) would describe an overlay that is not there.

**The file meta information** (PS3.10 7.1) is not in Table E.1-1. Its Source, Sending
and Receiving Application Entity Titles name the machines the file came from (often the
Station Name again), and the Presentation Addresses are their network addresses: all
Type 3, removed (:data:`META_REMOVED`), with the Private Information they may carry. The
Implementation Class UID and Version Name name the software that wrote the file, and
are kept.

**A DICOMDIR** (Media Storage Directory, Basic Directory IOD, PS3.3 F) is refused
(:func:`refuse_dicomdir`): its directory records repeat the patients' names, IDs and
study dates, and its Referenced File IDs are file paths, often made of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from pydicom import uid
from pydicom.dataset import Dataset
from pydicom.uid import MediaStorageDirectoryStorage

__all__ = [
    "META_REMOVED",
    "REQUIREMENTS",
    "DeidError",
    "Requirement",
    "clean_file_meta",
    "drop_overlays",
    "refuse_dicomdir",
    "required_types",
    "resolve",
]


class DeidError(ValueError):
    """A data set that :func:`~bootcamp_utils.deid.profile.deidentify` refuses; the
    message names the file, says why and what to do instead."""


class Requirement(NamedTuple):
    """Attributes that a module of PS3.3 needs, and the files that have the module."""

    module: str  #: as dciodvfy names it
    section: str  #: PS3.3 section of the module
    types: dict[str, str]  #: keyword -> "1" or "2" (a 2C whose condition holds: "2")
    applies: Callable[[Dataset], bool]  #: whether the file has the module
    when: str  #: which files, in words


def _sop_class(ds: Dataset) -> str:
    meta = getattr(ds, "file_meta", None)
    sop_class = ds.get("SOPClassUID") or getattr(meta, "MediaStorageSOPClassUID", "")
    return str(sop_class or "")


#: The IODs with the Multi-frame Functional Groups module (PS3.3 A.36 ff.: the enhanced
#: images), by the names pydicom gives their SOP Classes. A file of one of them may have
#: lost its functional groups (a file cut down for testing): the SOP Class still decides.
#: Listing one too many is harmless here: a dummy Content Date is valid for any Type.
_FUNCTIONAL_GROUPS_CLASSES = frozenset(
    str(getattr(uid, name))
    for name in (
        "EnhancedCTImageStorage",
        "LegacyConvertedEnhancedCTImageStorage",
        "EnhancedMRImageStorage",
        "MRSpectroscopyStorage",
        "EnhancedMRColorImageStorage",
        "LegacyConvertedEnhancedMRImageStorage",
        "EnhancedPETImageStorage",
        "LegacyConvertedEnhancedPETImageStorage",
        "EnhancedUSVolumeStorage",
        "PhotoacousticImageStorage",
        "EnhancedXAImageStorage",
        "EnhancedXRFImageStorage",
        "XRay3DAngiographicImageStorage",
        "XRay3DCraniofacialImageStorage",
        "BreastTomosynthesisImageStorage",
        "BreastProjectionXRayImageStorageForPresentation",
        "BreastProjectionXRayImageStorageForProcessing",
        "IntravascularOpticalCoherenceTomographyImageStorageForPresentation",
        "IntravascularOpticalCoherenceTomographyImageStorageForProcessing",
        "SegmentationStorage",
        "ParametricMapStorage",
        "OphthalmicTomographyImageStorage",
        "OphthalmicOpticalCoherenceTomographyEnFaceImageStorage",
        "OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysisStorage",
        "VLWholeSlideMicroscopyImageStorage",
        "EnhancedRTImageStorage",
        "EnhancedContinuousRTImageStorage",
    )
)


def has_functional_groups(ds: Dataset) -> bool:
    """An enhanced image (Multi-frame Functional Groups module), by SOP Class or by its groups."""
    return (
        _sop_class(ds) in _FUNCTIONAL_GROUPS_CLASSES
        or "SharedFunctionalGroupsSequence" in ds
        or "PerFrameFunctionalGroupsSequence" in ds
    )


def _is_sr(ds: Dataset) -> bool:
    # Every SR Storage SOP Class, Key Object Selection (88.59) included, is
    # 1.2.840.10008.5.1.4.1.1.88.x; the root of an SR document's content tree has a Value
    # Type (SR Document Content module, C.17.3).
    return _sop_class(ds).startswith("1.2.840.10008.5.1.4.1.1.88.") or "ValueType" in ds


#: The cases where the Type decides (PS3.3, module by module), each one seen on real files
#: (pydicom's test files: ``test-SR.dcm``, ``waveform_ecg.dcm``, ``eCT_Supplemental.dcm``,
#: ``liver_1frame.dcm``; deid-data's ``animals/cat.dcm``), where an emptied or removed
#: value made dciodvfy report an error the original did not have.
REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        "MultiFrameFunctionalGroupsCommon",
        "C.7.6.16",
        {"ContentDate": "1", "ContentTime": "1"},
        has_functional_groups,
        "enhanced multi-frame images (Enhanced CT, MR, PET, XA, US, Segmentation ...): "
        "their SOP Class, or functional groups in the file",
    ),
    Requirement(
        "SRDocumentGeneral, KeyObjectDocument",
        "C.17.2, C.17.6.2",
        {"ContentDate": "1", "ContentTime": "1"},
        _is_sr,
        "Structured Reports and Key Object Selection documents",
    ),
    Requirement(
        "SRDocumentSeries, KeyObjectDocumentSeries",
        "C.17.1, C.17.6.1",
        {"ReferencedPerformedProcedureStepSequence": "2"},
        _is_sr,
        "Structured Reports and Key Object Selection documents",
    ),
    Requirement(
        "WaveformIdentification",
        "C.10.8",
        {"ContentDate": "1", "ContentTime": "1", "AcquisitionDateTime": "1"},
        lambda ds: _sop_class(ds).startswith("1.2.840.10008.5.1.4.1.1.9."),
        "waveforms (ECG, hemodynamic, audio ...: SOP Classes 1.2.840.10008.5.1.4.1.1.9.x)",
    ),
    Requirement(
        "Patient",
        "C.7.1.1",
        {"ResponsiblePerson": "2", "ResponsibleOrganization": "2"},
        lambda ds: (
            bool(ds.get("PatientSpeciesDescription")) or bool(ds.get("PatientSpeciesCodeSequence"))
        ),
        "animals (a Patient Species is given): Type 2C, one of the two is required",
    ),
    Requirement(
        "AcquisitionContext",
        "C.7.6.14",
        {"AcquisitionContextSequence": "2"},
        lambda ds: True,
        "every IOD with the module (the sequence is only defined there)",
    ),
)

#: Without a Type: the action valid whatever the Type is, (for an element, for a sequence).
_DEFAULT = {
    "Z/D": ("Z", "Z"),
    "X/Z": ("Z", "X"),
    "X/D": ("D", "X"),
    "X/Z/D": ("D", "X"),
    "X/Z/U*": ("U", "K"),
}

#: File meta elements (PS3.10 Table 7.1-1, all Type 3 or 1C) removed by deidentify.
META_REMOVED = (
    "SourceApplicationEntityTitle",
    "SendingApplicationEntityTitle",
    "ReceivingApplicationEntityTitle",
    "SourcePresentationAddress",
    "SendingPresentationAddress",
    "ReceivingPresentationAddress",
    "PrivateInformationCreatorUID",
    "PrivateInformation",  # 1C: required only with its creator UID, removed with it
)


def required_types(ds: Dataset) -> dict[str, str]:
    """The Types :data:`REQUIREMENTS` gives the top-level attributes of ``ds``.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The original data set (its SOP Class, functional groups and species decide).

    Returns
    -------
    dict of str to str
        Keyword -> ``"1"`` or ``"2"``, for the modules that ``ds`` has.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> sr = Dataset()
    >>> sr.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"  # Comprehensive SR
    >>> required_types(sr)["ContentDate"], required_types(sr)["AcquisitionContextSequence"]
    ('1', '2')
    >>> ct = Dataset()
    >>> ct.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image: not in the table
    >>> "ContentDate" in required_types(ct)
    False
    """
    types: dict[str, str] = {}
    for requirement in REQUIREMENTS:
        if requirement.applies(ds):
            for keyword, kind in requirement.types.items():
                types[keyword] = min(kind, types.get(keyword, "3"))  # "1" wins over "2"
    return types


def resolve(action: str, is_sequence: bool, required: str | None = None) -> str:
    """The one action (``X``, ``Z``, ``D``, ``U`` or ``K``) taken for a table action.

    Parameters
    ----------
    action : str
        The Basic Profile action of Table E.1-1 (``"Z/D"``, ``"X"``, ``"C"`` ...).
    is_sequence : bool
        Whether the attribute is a sequence (VR SQ).
    required : {"1", "2"}, optional
        Its Type in the file's IOD, from :func:`required_types`; None when not known.

    Examples
    --------
    >>> resolve("Z/D", False), resolve("Z/D", False, "1"), resolve("X/Z/D", True, "2")
    ('Z', 'D', 'Z')
    >>> resolve("X/Z", True), resolve("X", False, "2"), resolve("C", False)
    ('X', 'Z', 'D')
    """
    if required == "1" and action not in ("X", "U", "K", "X/Z/U*"):
        return "D"
    if required == "2" and ("Z" in action or action == "X") and action != "X/Z/U*":
        return "Z"
    if action in _DEFAULT:
        return _DEFAULT[action][is_sequence]
    return "D" if action == "C" else action


def drop_overlays(ds: Dataset) -> None:
    """Remove, in place, every overlay group (60xx, xx even) that holds Overlay Data.

    Table E.1-1 removes Overlay Data (60xx,3000): an overlay can carry drawn text. The
    other elements of its group (Overlay Rows, Columns, Type, Origin, Bits Allocated,
    Bit Position: Type 1 in the Overlay Plane module, PS3.3 C.9.2) go with it.
    """
    tags = list(ds.keys())  # noqa: SIM118 - tags only: iterating a Dataset decodes elements
    groups = {tag >> 16 for tag in tags if _is_overlay(tag >> 16) and tag & 0xFFFF == 0x3000}
    for tag in tags:
        if tag >> 16 in groups:
            del ds[tag]


def _is_overlay(group: int) -> bool:
    return 0x6000 <= group <= 0x601E and group % 2 == 0  # PS3.5 7.6: repeating groups


def clean_file_meta(meta: Dataset) -> None:
    """Remove, in place, the file meta elements of :data:`META_REMOVED`."""
    for keyword in META_REMOVED:
        if keyword in meta:
            delattr(meta, keyword)


def refuse_dicomdir(ds: Dataset) -> None:
    """Raise :class:`DeidError` if ``ds`` is a DICOMDIR (Media Storage Directory).

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> from pydicom import dcmread
    >>> refuse_dicomdir(dcmread(get_testdata_file("DICOMDIR")))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bootcamp_utils.deid.iod.DeidError: .../DICOMDIR is a DICOMDIR ...
    """
    meta = getattr(ds, "file_meta", None)
    sop_class = getattr(meta, "MediaStorageSOPClassUID", None) if meta is not None else None
    if sop_class != MediaStorageDirectoryStorage and "DirectoryRecordSequence" not in ds:
        return
    name = getattr(ds, "filename", None) or "this data set"
    raise DeidError(
        f"{name} is a DICOMDIR (Media Storage Directory, SOP Class "
        f"{MediaStorageDirectoryStorage}): its directory records repeat the patients' "
        "names, IDs and study dates, and its Referenced File IDs are file paths, often made "
        "of them. It is not de-identified: de-identify the image files (deidentify_folder "
        "leaves the DICOMDIR out), then build a new DICOMDIR from the de-identified files "
        "with pydicom.fileset.FileSet (fs.add(path) for each file, then fs.write(folder))."
    )
