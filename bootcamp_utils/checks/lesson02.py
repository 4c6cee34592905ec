"""The checks of notebook 02, metadata editing: one function per exercise.

Most answers here are files the student wrote: each check reads the file back, compares it
with the sample it came from (with :func:`bootcamp_utils.diff.diff_datasets`, the helper
the lesson teaches), and names the first thing that is off. Nothing is compared with a
stored value: the expected edit is computed from the sample each time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue

from ..data import sample_path
from ..diff import diff_datasets
from ._registry import (
    Refused,
    exercise,
    integer,
    mapping,
    outside_samples,
    right,
    written_file,
    wrong,
)

#: The files the exercises start from (sample name, file name).
EDIT_SOURCE = ("identified_study", "CT0001.dcm")
DERIVED_SOURCE = ("head_ct", "CT0023.dcm")
BROKEN_SOURCE = ("head_ct", "CT0001.dcm")
LOCALIZER = ("identified_study", "SCOUT0001.dcm")

#: The crop of exercise 02-derived: first row, first column, size (rows = columns).
CROP = (40, 100, 128)

#: The strings of exercise 02-uid, in the order the notebook shows them.
UID_CANDIDATES = (
    "1.2.840.10008.5.1.4.1.1.2",
    "1.2.840.10008.05.1.4",
    "2.25.329800735698586629295641978511506172918",
    "1.2.826.0.1.3680043.8.498.",
    "1.2.840.113619.2.55.3.604688119.969.1268071029.320.1234567890.123",
    "2.25.0",
    "1.3.6.1.4.1.9590.100.1.2.A17",
    "1.2.840.10008.1.2.1 ",
)

_UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")


def uid_is_valid(text: str) -> bool:
    """PS3.5 9.1: at most 64 characters, digits and dots, no component with a leading zero.

    Examples
    --------
    >>> uid_is_valid("1.2.840.10008.1.2"), uid_is_valid("1.2.03"), uid_is_valid("2.25.0")
    (True, False, True)
    """
    return len(text) <= 64 and _UID.fullmatch(text) is not None


def source(name: tuple[str, str]) -> Dataset:
    """A fresh read of one of the exercises' sample files."""
    return dcmread(sample_path(name[0]) / name[1])


def _written(answer, what: str = "the path of the file you wrote") -> tuple[Path, Dataset]:
    """The file a student wrote, read back; refuses a path into the sample data."""
    path = written_file(answer, what)
    try:
        return path, dcmread(path)
    except InvalidDicomError as err:
        raise Refused(f"{path} is not a DICOM file pydicom can read: {err}") from None


def _invalid(path: Path, ds: Dataset):
    """A "Not yet" naming the first problems the course's validator finds, or None."""
    from ..validation import validate

    if problems := validate(ds):
        shown = "; ".join(str(p) for p in problems[:2])
        more = f" (and {len(problems) - 2} more)" if len(problems) > 2 else ""
        return wrong(
            f"{path.name} breaks the standard: {shown}{more}.",
            "bc.validate(dcmread(path)) lists every problem it finds (section 5).",
        )
    return None


def _paths(changes) -> dict[str, str]:
    """path -> kind, for the changes outside the file meta information."""
    return {c.path: c.kind for c in changes if not c.path.startswith("file_meta.")}


# --- 1. editing ---------------------------------------------------------------------------


@exercise(
    "02-edit",
    "Write an edited copy of identified_study/CT0001.dcm into OUT: Patient's Name 'Doe^Jane', "
    "Patient's Birth Date emptied (Type 2), Patient Comments deleted (Type 3), and the BONE "
    "window 600/2800 added after the brain window. Answer with the path of the file you wrote.",
)
def _edit(answer):
    path, ds = _written(answer)
    original = source(EDIT_SOURCE)
    changes = _paths(diff_datasets(original, ds))
    if ds.get("SOPInstanceUID") != original.SOPInstanceUID:
        return wrong(f"{path.name} is not a copy of {EDIT_SOURCE[1]} (another SOP Instance UID).")
    expected = {
        "PatientName": "changed",
        "PatientBirthDate": "changed",
        "PatientComments": "removed",
        "WindowCenter": "changed",
        "WindowWidth": "changed",
    }
    if changes.get("PatientBirthDate") == "removed":
        return wrong(
            "Patient's Birth Date was deleted: it is Type 2 in the Patient module, so the IOD "
            "needs it present; empty it instead.",
            'ds.PatientBirthDate = ""',
        )
    if changes.get("PatientComments") == "changed":
        return wrong(
            "Patient Comments is still there (emptied?): it is Type 3, delete it.",
            "del ds.PatientComments",
        )
    if missing := [k for k in expected if changes.get(k) != expected[k]]:
        return wrong(f"not done yet: {', '.join(missing)}.", "diff_datasets(original, edited)")
    if ds.get("PatientBirthDate", "") != "":
        return wrong(
            f"Patient's Birth Date holds {ds.PatientBirthDate!r}: empty it.",
            'ds.PatientBirthDate = ""',
        )
    if extra := sorted(set(changes) - set(expected)):
        return wrong(
            f"more changed than asked: {', '.join(extra)}.", "Start again from a deepcopy."
        )
    if str(ds.PatientName) != "Doe^Jane":
        return wrong(
            f"Patient's Name is {str(ds.PatientName)!r}, not 'Doe^Jane'.",
            "A person name is family^given: 'Doe^Jane'.",
        )
    centers, widths = _values(ds.WindowCenter), _values(ds.WindowWidth)
    for keyword, numbers in (("WindowCenter", centers), ("WindowWidth", widths)):
        if numbers is None:
            bad = next(v for v in _listed(ds[keyword].value) if _values(v) is None)
            return wrong(
                f"{keyword} holds {str(bad)!r}, which is no number: every value of a window "
                "is a number (DS), none may be missing.",
                "A value with VM > 1 is a list of numbers: ds.WindowCenter = [40, 600].",
            )
    brain = [float(original.WindowCenter), float(original.WindowWidth)]
    if len(centers) == 1:
        return wrong(
            f"only one window ({centers[0]:g}/{widths[0]:g}): the BONE window comes after "
            f"the brain window {brain[0]:g}/{brain[1]:g}, it does not replace it.",
            "A value with VM > 1 is a list: ds.WindowCenter = [40, 600].",
        )
    if [centers, widths] == [[600, brain[0]], [2800, brain[1]]]:
        return wrong(
            "both windows are there, in the wrong order: the file's own window comes first.",
            "The first window is the default a viewer shows.",
        )
    if [centers, widths] != [[brain[0], 600], [brain[1], 2800]]:
        return wrong(
            f"the windows are centres {centers} and widths {widths}: expected two, the "
            f"original {brain[0]:g}/{brain[1]:g} first, then 600/2800 (centre/width).",
            "A value with VM > 1 is a list: ds.WindowCenter = [40, 600].",
        )
    if refused := _invalid(path, ds):
        return refused
    return right(
        f"{path.name}: five elements changed, nothing else (the diff proves it); the birth "
        "date is empty but present (Type 2), the comments gone (Type 3), WindowCenter has VM 2."
    )


def _values(value) -> list[float] | None:
    """The numbers of a value with VM 1 (one number) or VM > 1 (a list); None when one of
    them is missing or no number."""
    try:
        return [float(v) for v in _listed(value)]
    except (TypeError, ValueError):
        return None


def _listed(value) -> list:
    """The values of an element as a list: one item for VM 1."""
    return list(value) if isinstance(value, (list, MultiValue)) else [value]


def _shown(value) -> str:
    """A value as a student typed it: a list for a multi-valued one, numbers unquoted."""
    if isinstance(value, (list, MultiValue)):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return repr(value) if type(value) is str else str(value)


# --- 2. derived objects and UIDs ------------------------------------------------------------


@exercise(
    "02-uid",
    "Which strings of UID_CANDIDATES are valid UIDs? A dict candidate -> True/False.",
)
def _uid(answer):
    given = mapping(answer, "{'1.2.3': True, ...}")
    if missing := [u for u in UID_CANDIDATES if u not in given]:
        if missing[0].strip() in given:
            return wrong(
                f"no answer for {missing[0]!r}: the keys must be the strings exactly as given, "
                "spaces included.",
                "answer = {uid: ... for uid in UID_CANDIDATES} keeps them as they are.",
            )
        return wrong(f"no answer for {missing[0]!r}.", "One key per string of UID_CANDIDATES.")
    if unsure := [u for u in UID_CANDIDATES if not isinstance(given[u], (bool, np.bool_))]:
        example = given[unsure[0]]
        if example is None:
            return wrong(f"{len(unsure)} strings have no True or False yet, e.g. {unsure[0]!r}.")
        return wrong(
            f"{len(unsure)} answers are not True or False, e.g. {example!r} for {unsure[0]!r}.",
            "Answer with the booleans True and False, not 1 or 0 or text.",
        )
    off = [u for u in UID_CANDIDATES if bool(given[u]) is not uid_is_valid(u)]
    if not off:
        return right("three rules: at most 64 characters, digits and dots, no leading zero.")
    # Only the count and the rules missed: naming a string would give its answer away.
    return wrong(
        f"{len(off)} of {len(UID_CANDIDATES)} are wrong.",
        "Look again for: " + "; ".join(sorted({_rule_missed(u) for u in off})) + ".",
    )


def _rule_missed(uid: str) -> str:
    """The rule a student overlooked when judging ``uid`` wrongly (for the hint)."""
    if uid_is_valid(uid):
        return "valid ones judged invalid (only the three rules count)"
    if len(uid) > 64:
        return "the length (at most 64 characters)"
    if not set(uid) <= set("0123456789."):
        return "characters other than digits and dots (a space counts)"
    if "" in uid.split("."):
        return "an empty component (a trailing dot)"
    return "a component with a leading zero"


@exercise(
    "02-derived",
    "Crop head_ct/CT0023.dcm to the 128 x 128 square whose first pixel is row 40, column 100, "
    "and write it into OUT as a new, derived image. Answer with the path.",
)
def _derived(answer):
    path, ds = _written(answer)
    original = source(DERIVED_SOURCE)
    r0, c0, n = CROP
    square = f"original.pixel_array[{r0}:{r0 + n}, {c0}:{c0 + n}]"
    if (ds.get("Rows"), ds.get("Columns")) != (n, n):
        return wrong(
            f"Rows x Columns is {ds.get('Rows')} x {ds.get('Columns')}, not {n} x {n}.",
            f"Slices are half-open: {square} is {n} x {n}; set Rows and Columns to match.",
        )
    raw = not ds.file_meta.TransferSyntaxUID.is_compressed
    if raw and len(ds.get("PixelData", b"")) != n * n * original.BitsAllocated // 8:
        return wrong(
            f"Rows and Columns say {n} x {n}, but PixelData holds "
            f"{len(ds.get('PixelData', b''))} bytes: the pixel data was not cropped.",
            f"crop.PixelData = {square}.copy().tobytes()",
        )
    if np.array_equal(ds.pixel_array, original.pixel_array[c0 : c0 + n, r0 : r0 + n]):
        return wrong(
            f"the crop starts at row {c0}, column {r0}: rows and columns swapped.",
            f"A NumPy image is indexed [row, column]: {square}.",
        )
    if not np.array_equal(ds.pixel_array, original.pixel_array[r0 : r0 + n, c0 : c0 + n]):
        return wrong("the pixels are not the asked square of the original.", square)
    for keyword in ("SOPInstanceUID", "SeriesInstanceUID"):
        if ds.get(keyword) == original.get(keyword):
            return wrong(f"{keyword} is the original's: a new object needs a new one.")
        if not uid_is_valid(str(ds.get(keyword, ""))):
            return wrong(f"{keyword} {ds.get(keyword)!r} is not a valid UID.")
    if ds.file_meta.get("MediaStorageSOPInstanceUID") != ds.SOPInstanceUID:
        return wrong(
            "the file meta's Media Storage SOP Instance UID differs from the SOP Instance UID.",
            "Set ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID.",
        )
    for keyword in ("StudyInstanceUID", "FrameOfReferenceUID"):
        if ds.get(keyword) != original.get(keyword):
            return wrong(f"{keyword} changed: the crop is in the same study and the same space.")
    image_type = ds.get("ImageType")
    if isinstance(image_type, str) and image_type:
        return wrong(
            f"Image Type has one value, {image_type!r}: it takes at least two (VM 2-n).",
            "A list: ['DERIVED', 'SECONDARY', 'AXIAL'].",
        )
    if not image_type or image_type[0] != "DERIVED":
        return wrong("Image Type should start with DERIVED.", "['DERIVED', 'SECONDARY', ...]")
    if not str(ds.get("DerivationDescription", "")).strip():
        return wrong("no Derivation Description: say in words what was done.")
    refs = [item.get("ReferencedSOPInstanceUID") for item in ds.get("SourceImageSequence", [])]
    if original.SOPInstanceUID not in refs:
        return wrong(
            "the Source Image Sequence does not point at the original slice.",
            "An item with ReferencedSOPClassUID and ReferencedSOPInstanceUID of the original.",
        )
    item = ds.SourceImageSequence[refs.index(original.SOPInstanceUID)]
    if "ReferencedSOPClassUID" in item and item.ReferencedSOPClassUID != original.SOPClassUID:
        return wrong(
            "the Source Image Sequence item points at the original slice, but its Referenced "
            "SOP Class UID is not the original's SOP Class UID: the pair names one object, "
            "its kind and its instance.",
            "Copy both from the original: its SOPClassUID and its SOPInstanceUID.",
        )
    given = _position(ds)
    if given is None:
        return wrong(
            f"Image Position (Patient) is {_shown(ds.get('ImagePositionPatient'))}: it is "
            "three numbers, x, y and z of the first pixel in mm (VM 3).",
            "PS3.3 C.7.6.2.1.1: ds.ImagePositionPatient = [x, y, z].",
        )
    ipp = np.array(original.ImagePositionPatient, dtype=float)
    iop = np.array(original.ImageOrientationPatient, dtype=float)
    row_spacing, col_spacing = (float(v) for v in original.PixelSpacing)
    expected = ipp + c0 * col_spacing * iop[:3] + r0 * row_spacing * iop[3:]
    swapped = ipp + r0 * col_spacing * iop[:3] + c0 * row_spacing * iop[3:]
    if np.allclose(given, ipp, atol=1e-3):
        return wrong(
            "Image Position (Patient) is still the original's: it is the position of the "
            f"first pixel, and the crop's first pixel is row {r0}, column {c0} of the original.",
            "PS3.3 C.7.6.2.1.1: move it by the offsets times the spacing, along IOP.",
        )
    if np.allclose(given, swapped, atol=1e-3):
        return wrong(
            f"Image Position (Patient) is {given.tolist()}: the row and column offsets are "
            "swapped. Moving along a row (IOP[:3]) changes the column.",
            "Column offset along IOP[:3], row offset along IOP[3:].",
        )
    if not np.allclose(given, expected, atol=1e-3):
        return wrong(
            f"Image Position (Patient) is {given.tolist()}: the first pixel moved, so its "
            "position moves too.",
            "Add column offset x column spacing along the row direction (IOP[:3]) and row "
            "offset x row spacing along the column direction (IOP[3:]).",
        )
    if refused := _invalid(path, ds):
        return refused
    return right(
        f"a valid derived CT: new SOP and series UIDs, same study and frame of reference, "
        f"its first pixel at {np.round(expected, 2).tolist()} mm."
    )


def _position(ds: Dataset) -> np.ndarray | None:
    """Image Position (Patient) as three numbers, or None unless it has three."""
    value = ds.get("ImagePositionPatient")
    if not isinstance(value, (list, MultiValue)) or len(value) != 3:
        return None
    try:
        return np.array([float(v) for v in value])
    except (TypeError, ValueError):
        return None


# --- 3. private data ----------------------------------------------------------------------

MY_CREATOR, MY_OFFSET, MY_VALUE = "MY LAB 1.0", 0x01, "case 17"


@exercise(
    "02-private",
    "In a copy of identified_study/CT0001.dcm, reserve a private block in group 0x0029 for the "
    "creator 'MY LAB 1.0' and write element 0x01 = 'case 17' (LO) in it; save it into OUT. "
    "Answer with the path.",
)
def _private(answer):
    path, ds = _written(answer)
    original = source(EDIT_SOURCE)
    how = "ds.private_block(0x0029, 'MY LAB 1.0', create=True).add_new(0x01, 'LO', ...)"
    creators = {
        (e.tag.group, e.tag.element): e.value
        for e in ds
        if e.tag.is_private_creator  # (gggg,00xx), gggg odd: a block's creator
    }
    if several := [k for k, name in creators.items() if not isinstance(name, str)]:
        group, slot = several[0]
        return wrong(
            f"the private creator ({group:04X},{slot:04X}) holds "
            f"{_shown(creators[several[0]])}: a private creator is one LO value, the name "
            "of its block (PS3.5 7.8.1).",
            how,
        )
    if creators.get((0x0029, 0x10)) != "SEGH PACS 1.0":
        return wrong(
            "the creator 'SEGH PACS 1.0' of slot 0x10 was overwritten or removed: its "
            "elements (0029,1010)-(0029,1012) now belong to another block, or are gone.",
            "A block's slot is taken: private_block(..., create=True) finds the next free one.",
        )
    slots = [s for (g, s), name in creators.items() if g == 0x0029 and name == MY_CREATOR]
    if not slots:
        elsewhere = [g for (g, _), name in creators.items() if name == MY_CREATOR]
        if elsewhere:
            return wrong(
                f"the creator {MY_CREATOR!r} is in group {elsewhere[0]:04X}, not 0029.", how
            )
        return wrong(
            f"no private creator {MY_CREATOR!r} in group 0029 "
            f"(found {sorted(n for (g, _), n in creators.items() if g == 0x0029)}).",
            how,
        )
    tag = (0x0029, slots[0] << 8 | MY_OFFSET)
    if tag not in ds:
        return wrong(
            f"your block starts at (0029,{slots[0] << 8:04X}): element 0x01 is "
            f"(0029,{tag[1]:04X}), and there is nothing there.",
            how,
        )
    if ds[tag].VR == "UN":
        return wrong(
            f"(0029,{tag[1]:04X}) reads back as UN: the file was saved implicit VR, where a "
            "private element's VR is lost.",
            "Keep the original's transfer syntax, explicit VR little endian.",
        )
    if ds[tag].VR != "LO" or ds[tag].value != MY_VALUE:
        return wrong(
            f"(0029,{tag[1]:04X}) is {ds[tag].VR} {ds[tag].value!r}: it should be LO {MY_VALUE!r}.",
            how,
        )
    kept = [c for c in diff_datasets(original, ds) if not c.path.startswith("file_meta.")]
    if spoiled := [str(c) for c in kept if c.kind != "added"]:
        return wrong(f"the original's own data changed: {spoiled[0]}", "Respect other blocks.")
    if refused := _invalid(path, ds):
        return refused
    return right(
        f"the SEGH block kept slot 0x10; yours got the next free one, 0x{slots[0]:02X}, so "
        f"element 0x01 lives at (0029,{tag[1]:04X})."
    )


# --- 4. de-identification -----------------------------------------------------------------


def text_pixels(ds: Dataset) -> np.ndarray:
    """The localizer's burned-in text: the pixels at the largest stored value (4095)."""
    return ds.pixel_array == (1 << int(ds.BitsStored)) - 1


@exercise(
    "02-box",
    "Find a box (row0, row1, col0, col1), half-open like a slice, that covers every burned-in "
    "text pixel of identified_study/SCOUT0001.dcm and not much more.",
)
def _box(answer):
    if isinstance(answer, np.ndarray) and answer.ndim == 1:
        answer = list(answer)
    if not isinstance(answer, (tuple, list)) or len(answer) != 4:
        return wrong("expected four whole numbers (row0, row1, col0, col1).")
    r0, r1, c0, c1 = (integer(v, "four whole numbers") for v in answer)
    ds = source(LOCALIZER)
    mask = text_pixels(ds)
    rows, cols = np.nonzero(mask)
    if not (0 <= r0 < r1 <= ds.Rows and 0 <= c0 < c1 <= ds.Columns):
        return wrong(
            f"({r0}, {r1}, {c0}, {c1}) is not a box inside {ds.Rows} x {ds.Columns}.",
            "The order is (row0, row1, col0, col1), with row0 < row1 and col0 < col1.",
        )
    covered = mask[r0:r1, c0:c1].sum()
    if covered < mask.sum():
        if mask[c0:c1, r0:r1].sum() == mask.sum():
            return wrong(
                "this box covers the text only with its rows and columns swapped.",
                "np.nonzero(mask) gives (rows, columns), in that order.",
            )
        closed = mask[r0 : r1 + 1, c0 : c1 + 1].sum() == mask.sum()
        return wrong(
            f"{mask.sum() - covered} of {mask.sum()} text pixels are outside the box.",
            "Remember the half-open ends: row1 is one past the last row."
            if closed
            else "Find the box from the text pixels: np.nonzero(mask).",
        )
    tight = (rows.max() + 1 - rows.min()) * (cols.max() + 1 - cols.min())
    if (r1 - r0, c1 - c0) == (ds.Rows, ds.Columns):
        return wrong(
            "the box is the whole image: it hides the text, and all the anatomy with it.",
            "np.nonzero(...) gives the rows and columns of the text pixels.",
        )
    if (r1 - r0) * (c1 - c0) > 1.2 * tight:
        return wrong(
            f"the box covers {(r1 - r0) * (c1 - c0)} pixels, {tight} would do: a box much "
            "larger than the text blacks out anatomy too.",
            "np.nonzero(...) gives the rows and columns of the text pixels.",
        )
    return right(f"all {mask.sum()} text pixels covered, in a box of {(r1 - r0) * (c1 - c0)}.")


@exercise(
    "02-deid-study",
    "De-identify the whole identified_study into a new folder in OUT, burned-in text "
    "included. Answer with the folder.",
)
def _deid_study(answer):
    from ..deid import phi_findings

    if not isinstance(answer, (str, os.PathLike)) or not Path(answer).is_dir():
        return wrong(f"{answer!r} is not a folder.", "Answer with the folder you wrote into.")
    folder = Path(answer)
    outside_samples(folder)
    originals = [dcmread(p) for p in sorted(sample_path(LOCALIZER[0]).glob("*.dcm"))]
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    out = []
    for path in files:
        try:
            out.append(dcmread(path))
        except InvalidDicomError:
            return wrong(
                f"{path.name} is not a DICOM file: the folder should hold the study only.",
                "Write into a new, empty folder; keep notes and reports elsewhere.",
            )
    if len(files) != len(originals):
        return wrong(f"{len(files)} files in {folder}, expected {len(originals)}.")
    if {ds.SOPInstanceUID for ds in out} & {ds.SOPInstanceUID for ds in originals}:
        return wrong(
            "these are the original files (their SOP Instance UIDs), not de-identified copies.",
            "bc.deidentify_folder(STUDY, OUT / 'deidentified', burned_in_boxes=...)",
        )
    localizers = [ds for ds in out if "LOCALIZER" in ds.get("ImageType", [])]
    if len(localizers) != 1:
        return wrong(
            f"expected one localizer (the SCOUT) among the files, found {len(localizers)}."
        )
    localizer = localizers[0]
    flag = localizer.get("BurnedInAnnotation")
    if not text_pixels(localizer).any() and flag != "NO":
        says = f"still says {flag!r}" if flag else "is missing"
        return wrong(
            f"the localizer's text is blacked out, but its Burned In Annotation (0028,0301) "
            f"{says}: after blacking out the text it must say NO, or a reader still takes "
            "the pixels to show a name.",
            "deidentify sets it when it blacks out the boxes you give (burned_in_boxes).",
        )
    if text_pixels(localizer).any():
        return wrong(
            f"the localizer (SCOUT0001.dcm) still shows {text_pixels(localizer).sum()} pixels "
            "of burned-in text.",
            "deidentify_folder(..., burned_in_boxes=boxes), boxes(ds) returning the box of "
            "exercise 02-box for the localizer and None for the others.",
        )
    if refused := _pixels_spared(files, out, originals, localizer):
        return refused
    original_values = {str(e.value) for o in originals for e in o.iterall() if e.VR != "SQ"}
    for path, ds in zip(files, out, strict=True):
        findings = [f for f in phi_findings(ds) if not _a_dummy(f, original_values)]
        if _modified_dates(ds):
            dates = [f for f in findings if _vr(f) in ("DA", "DT")]
            if kept := [f for f in dates if f.value in original_values]:
                return wrong(
                    f"{path.name}: {kept[0].path} {kept[0].value!r} is the original's date, "
                    "yet the file says its dates were modified (113107, Longitudinal "
                    "Temporal Information Modified MODIFIED): shift every date.",
                    "deidentify(..., shift_dates=-30) moves every date the profile does not "
                    "keep by the same number of days.",
                )
            # E.3.6: the dates moved (none is an original's), by whole days, so the times
            # of day may stay as they were
            findings = [f for f in findings if f not in dates and _vr(f) != "TM"]
        if findings:
            return wrong(
                f"{path.name}: {findings[0]}",
                "bc.phi_findings(ds) lists what is left; keep_private keeps vendor blocks.",
            )
        if refused := _invalid(path, ds):
            return refused
    old_uids = {str(v) for ds in originals for v in _uids(ds)}
    for path in files:
        data = path.read_bytes()
        if leaked := [u for u in old_uids if u.encode() in data]:
            return wrong(f"{path.name} still contains the original UID {leaked[0]}.")
    consistently = "UIDs were not replaced consistently: give every file the same key."
    series = {}
    for ds in out:
        series.setdefault(ds.SeriesInstanceUID, []).append(ds)
    if sorted(len(v) for v in series.values()) != [1, 4]:
        return wrong(
            "the series grouping was lost (expected one localizer and four slices): "
            + consistently,
            "deidentify_folder uses one key for the whole folder.",
        )
    refs = {
        item.ReferencedSOPInstanceUID
        for ds in out
        if ds is not localizer
        for item in ds.get("ReferencedImageSequence", [])
    }
    if refs != {localizer.SOPInstanceUID}:
        return wrong("the slices no longer point at the localizer: " + consistently)
    return right(
        f"{len(files)} files, no identifying value left, no original UID anywhere, two series "
        "kept, the slices still reference the localizer, and its text is black."
    )


def _a_dummy(finding, original_values: set[str]) -> bool:
    """A value where Table E.1-1 allows a dummy that is no value of the original files: a
    defensible dummy, not a leak.

    Allowed under D (replace with a dummy) and under Z too: the action codes of PS3.15
    Table E.1-1 (E.1.1) let Z replace a value "with a zero length value, or a non-zero
    length value that may be a dummy value" (Patient's Name ``ANONYMOUS``). So under Z,
    Z/D, X/Z, X/D, X/Z/D and D.
    """
    action = finding.why.split(":", 1)[0]
    return bool({"D", "Z"} & set(action.split("/"))) and finding.value not in original_values


def _modified_dates(ds: Dataset) -> bool:
    """Whether ``ds`` says it applied Retain Longitudinal Temporal Information with Modified
    Dates (PS3.15 E.3.6): (0028,0303) MODIFIED and code 113107 (DCM) in the
    Deidentification Method Code Sequence."""
    codes = {
        (str(item.get("CodeValue", "")), str(item.get("CodingSchemeDesignator", "")))
        for item in ds.get("DeidentificationMethodCodeSequence", [])
    }
    return (
        str(ds.get("LongitudinalTemporalInformationModified", "")).upper() == "MODIFIED"
        and ("113107", "DCM") in codes
    )


def _vr(finding) -> str:
    """The data dictionary's VR of a finding's element ("" for a private or unknown one)."""
    try:
        return dictionary_VR(finding.tag)
    except KeyError:
        return ""


def _pixels_spared(files, out, originals, localizer):
    """A "Not yet" when pixels changed anywhere but around the localizer's text, or None."""
    by_image = {(tuple(o.ImageType), o.get("InstanceNumber")): o for o in originals}
    text = text_pixels(source(LOCALIZER))
    rows, cols = np.nonzero(text)
    near_text = np.zeros_like(text)
    margin = 3  # a box a few pixels wider than the text is fine
    near_text[
        max(rows.min() - margin, 0) : rows.max() + 1 + margin,
        max(cols.min() - margin, 0) : cols.max() + 1 + margin,
    ] = True
    for path, ds in zip(files, out, strict=True):
        original = by_image.get((tuple(ds.get("ImageType", [])), ds.get("InstanceNumber")))
        if original is None:
            return wrong(
                f"{path.name} matches no original image (Image Type, Instance Number).",
                "deidentify keeps both: write the folder with bc.deidentify_folder.",
            )
        if "PixelData" not in ds:
            return wrong(f"{path.name} has no Pixel Data: the image itself is gone.")
        changed = ds.pixel_array != original.pixel_array
        if ds is not localizer and changed.any():
            return wrong(
                f"{path.name}: {int(changed.sum())} pixels differ from the original, which "
                "has no burned-in text (Burned In Annotation "
                f"{original.get('BurnedInAnnotation', 'absent')}).",
                "A list of boxes is blacked out in every file: give burned_in_boxes a "
                "function of the data set that returns boxes only for the file with text.",
            )
        if ds is localizer and (changed & ~near_text).any():
            return wrong(
                f"the localizer: {int((changed & ~near_text).sum())} pixels away from the "
                "text were changed too, anatomy lost.",
                "Black out a box just around the text (exercise 02-box).",
            )
    return None


def _uids(ds: Dataset):
    """Every instance UID in ``ds`` and its sequences (file meta included): the UI values
    outside the standard's own root 1.2.840.10008 (SOP classes, transfer syntaxes), except
    the Implementation Class UID, which names the software that wrote the file."""
    meta = getattr(ds, "file_meta", None) or []
    for elem in [*ds.iterall(), *meta]:
        if elem.VR != "UI" or not elem.value or elem.keyword == "ImplementationClassUID":
            continue
        if not elem.value.startswith("1.2.840.10008."):
            yield elem.value


# --- 5. validation ------------------------------------------------------------------------


def broken_copy() -> Dataset:
    """head_ct/CT0001.dcm with the six problems of the validation section."""
    ds = source(BROKEN_SOURCE)
    del ds.Modality  # Type 1, missing
    ds.ImageType = ""  # Type 1, empty
    del ds.PatientName  # Type 2, missing
    ds.FrameOfReferenceUID = ds.FrameOfReferenceUID + ".01"  # a component with a leading zero
    ds.StudyDate = "2024-01-15"  # DA is YYYYMMDD
    ds.ReferringPhysicianName = "Okafor^Daniel^J^Dr.^MD^PhD"  # PN has at most 5 components
    return ds


@exercise(
    "02-validate",
    "Repair broken (six problems) so that validate() finds none, without losing what each "
    "value meant. Answer with the repaired data set.",
)
def _validate(answer):
    from ..validation import as_written, validate

    if isinstance(answer, (str, os.PathLike)):
        return wrong(
            f"expected the repaired pydicom Dataset, got a path ({answer}).",
            "answer = repaired (or dcmread(path) of the file you saved).",
        )
    if not isinstance(answer, Dataset):
        return wrong(f"expected a pydicom Dataset, got {type(answer).__name__}.")
    original = source(BROKEN_SOURCE)
    if (
        answer.get("PixelData") != original.PixelData
        or answer.get("SOPInstanceUID") != original.SOPInstanceUID
    ):
        return wrong(
            "this is not the same image any more: repair, do not replace.",
            "Start from repaired = broken_copy() and change only what validate() names.",
        )
    if problems := validate(answer):
        return wrong(f"{len(problems)} problem(s) left, e.g. {problems[0]}.")
    if answer.Modality != "CT":
        return wrong(f"Modality {answer.Modality!r}: the file is a CT (see its SOP Class).")
    if as_written(answer.StudyDate, "DA") != original.StudyDate:
        return wrong(f"Study Date {answer.StudyDate!r} is not the date '2024-01-15' meant.")
    if answer.get("FrameOfReferenceUID") != original.FrameOfReferenceUID:
        return wrong(
            "Frame of Reference UID is a valid UID now, but not this series' own: the other "
            "slices of head_ct share one Frame of Reference UID, and any other UID puts this "
            "slice in another frame of reference, its positions no longer comparable with "
            "theirs.",
            "Restore the UID the other slices of the series carry (read one of them).",
        )
    if "PatientName" not in answer:
        return wrong("Patient's Name is Type 2: it must be there (it may be empty).")
    name = answer.get("ReferringPhysicianName")
    if not name:
        return wrong(
            "Referring Physician's Name is empty: the repair lost the name it held; keep "
            "Daniel Okafor, MD.",
            "Five components: family^given^middle^prefix^suffix.",
        )
    if name.family_name != "Okafor" or name.given_name != "Daniel":
        return wrong(
            f"Referring Physician's Name {str(name)!r} lost the family or given name.",
            "Five components: family^given^middle^prefix^suffix.",
        )
    return right(
        "six problems, six repairs; pydicom warned about two of them (the UID and the date) "
        "and would have written all six."
    )
