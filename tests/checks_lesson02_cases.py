"""Right and plausible wrong answers to the exercises of notebook 02 (used by test_checks.py).

Most answers of lesson 02 are files a student wrote: each case is built here, from the
sample data, into a temporary folder, by the code a student would plausibly have written.
``right_answers(name, tmp)`` and ``wrong_answers(name, tmp)`` mirror ``_right_answers`` and
``_wrong_answers`` of test_checks.py; every wrong answer comes with words its feedback must
contain.
"""

from __future__ import annotations

import copy
import datetime
import shutil
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import ImplicitVRLittleEndian, MRImageStorage, generate_uid

from bootcamp_utils.checks.lesson02 import (
    CROP,
    DERIVED_SOURCE,
    EDIT_SOURCE,
    LOCALIZER,
    UID_CANDIDATES,
    broken_copy,
    source,
    text_pixels,
    uid_is_valid,
)
from bootcamp_utils.data import sample_path
from bootcamp_utils.deid import deidentify, deidentify_folder


def _study() -> Path:
    """The identified study (looked up per call: the tests move the data folder)."""
    return sample_path(EDIT_SOURCE[0])


def _save(ds: Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path)
    return path


def _apply(ds: Dataset, changes: dict) -> Dataset:
    """``ds`` with ``changes`` applied: keyword -> new value, or None to delete it."""
    for keyword, value in changes.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    return ds


# --- 02-edit -----------------------------------------------------------------------------


def _edited(**changes) -> Dataset:
    """The notebook's solution, with ``changes`` (None deletes) applied on top."""
    original = source(EDIT_SOURCE)
    edited = copy.deepcopy(original)
    edited.PatientName = "Doe^Jane"
    edited.PatientBirthDate = ""
    del edited.PatientComments
    edited.WindowCenter = [original.WindowCenter, 600]
    edited.WindowWidth = [original.WindowWidth, 2800]
    return _apply(edited, changes)


def _edit_right(tmp: Path) -> list:
    right = _save(_edited(), tmp / "doe.dcm")
    # ds.copy() shares the element table with the original: the file is right all the same
    original = source(EDIT_SOURCE)
    shallow = original.copy()
    shallow.PatientName = "Doe^Jane"
    shallow.PatientBirthDate = ""
    del shallow.PatientComments
    shallow.WindowCenter = [original.WindowCenter, 600]
    shallow.WindowWidth = [original.WindowWidth, 2800]
    shallow_path = _save(shallow, tmp / "shallow.dcm")
    text_values = _save(
        _edited(WindowCenter=["40", "600"], WindowWidth=["80", "2800"]), tmp / "text.dcm"
    )
    return [right, str(right), shallow_path, text_values]


def _edit_wrong(tmp: Path) -> list[tuple]:
    original = source(EDIT_SOURCE)
    other = dcmread(_study() / "CT0002.dcm")
    other.PatientName = "Doe^Jane"
    other.PatientBirthDate = ""
    del other.PatientComments
    other.WindowCenter, other.WindowWidth = [other.WindowCenter, 600], [other.WindowWidth, 2800]
    unsaved = tmp / "never_saved.dcm"
    not_dicom = tmp / "notes.txt"
    not_dicom.write_text("Doe^Jane, no birth date, 600/2800\n")
    return [
        (_save(_edited(PatientBirthDate=None), tmp / "deleted.dcm"), "birth date", "type 2"),
        (_save(_edited(PatientComments=""), tmp / "comments.dcm"), "comments", "type 3"),
        (
            _save(_edited(WindowCenter=600, WindowWidth=2800), tmp / "replaced.dcm"),
            "one window",
            "after",
        ),
        (
            _save(
                _edited(
                    WindowCenter=[600, original.WindowCenter],
                    WindowWidth=[2800, original.WindowWidth],
                ),
                tmp / "order.dcm",
            ),
            "order",
        ),
        (
            _save(_edited(WindowWidth=original.WindowWidth), tmp / "centre_only.dcm"),
            "not done yet",
            "windowwidth",
        ),
        (
            _save(_edited(WindowCenter=[40, 2800], WindowWidth=[80, 600]), tmp / "swap.dcm"),
            "centre",
            "600/2800",
        ),
        (_save(_edited(StudyDescription="CT HEAD"), tmp / "extra.dcm"), "studydescription"),
        (
            _save(_edited(WindowCenter=[40, None]), tmp / "none_centre.dcm"),
            "windowcenter",
            "none may be missing",
        ),
        (_save(_edited(PatientName="Jane^Doe"), tmp / "name.dcm"), "jane^doe", "family^given"),
        (_save(_edited(PatientName="Doe Jane"), tmp / "space.dcm"), "doe jane", "family^given"),
        (_save(source(EDIT_SOURCE), tmp / "untouched.dcm"), "not done yet", "patientname"),
        (_save(other, tmp / "ct0002.dcm"), "not a copy of ct0001"),
        (_study() / EDIT_SOURCE[1], "inside the sample data"),
        (unsaved, "no file", "save"),
        (tmp, "folder"),
        (not_dicom, "not a dicom file"),
        (None, "path"),
        (_edited(), "path", "dataset"),  # the data set instead of the file
    ]


# --- 02-uid ------------------------------------------------------------------------------


def _uid_truth() -> dict[str, bool]:
    truth = {u: uid_is_valid(u) for u in UID_CANDIDATES}
    assert sorted(truth.values()) == [False] * 5 + [True] * 3
    return truth


def _uid_right(tmp: Path) -> list:
    truth = _uid_truth()
    return [
        truth,
        {u: np.bool_(v) for u, v in truth.items()},
        dict(truth, **{"1.2.3": True}),  # an extra key of one's own: ignored
    ]


def _uid_wrong(tmp: Path) -> list[tuple]:
    truth = _uid_truth()
    flip = {u: not v for u, v in truth.items()}
    leading, long_one, letters, space = (UID_CANDIDATES[i] for i in (1, 4, 6, 7))
    trailing_dot = UID_CANDIDATES[3]
    return [
        ({u: True for u in truth}, "5 of 8", "leading zero"),
        ({u: False for u in truth}, "3 of 8", "valid ones"),
        (flip, "8 of 8"),
        (dict(truth, **{leading: True}), "1 of 8", "leading zero"),
        (dict(truth, **{long_one: True}), "1 of 8", "64 characters"),
        (dict(truth, **{letters: True}), "1 of 8", "digits and dots"),
        (dict(truth, **{space: True}), "1 of 8", "digits and dots"),
        (dict(truth, **{trailing_dot: True}), "1 of 8", "empty component"),
        (dict(truth, **{"2.25.0": False}), "1 of 8", "valid ones"),
        ({u: int(v) for u, v in truth.items()}, "true or false", "not 1 or 0"),
        ({u: str(v) for u, v in truth.items()}, "true or false"),
        ({u: None for u in truth}, "8 strings", "no true or false"),
        ({u: v for u, v in truth.items() if u != leading}, "no answer for", leading),
        ({u.strip(): v for u, v in truth.items()}, "exactly", "space"),
        (list(truth.values()), "expected a dict"),
    ]


# --- 02-derived --------------------------------------------------------------------------


def _crop(**changes) -> Dataset:
    """The notebook's solution; ``changes`` (None deletes) are applied on top."""
    original = source(DERIVED_SOURCE)
    r0, c0, n = CROP
    crop = copy.deepcopy(original)
    crop.PixelData = original.pixel_array[r0 : r0 + n, c0 : c0 + n].copy().tobytes()
    crop.Rows, crop.Columns = n, n
    iop = np.array(original.ImageOrientationPatient, dtype=float)
    row_spacing, col_spacing = (float(v) for v in original.PixelSpacing)
    ipp = np.array(original.ImagePositionPatient, dtype=float)
    crop.ImagePositionPatient = list(ipp + c0 * col_spacing * iop[:3] + r0 * row_spacing * iop[3:])
    crop.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]
    crop.DerivationDescription = f"Cropped to rows {r0}-{r0 + n - 1}, columns {c0}-{c0 + n - 1}"
    crop.SeriesInstanceUID = generate_uid(prefix=None)
    crop.SOPInstanceUID = generate_uid(prefix=None)
    crop.file_meta.MediaStorageSOPInstanceUID = crop.SOPInstanceUID
    origin = Dataset()
    origin.ReferencedSOPClassUID = original.SOPClassUID
    origin.ReferencedSOPInstanceUID = original.SOPInstanceUID
    crop.SourceImageSequence = [origin]
    return _apply(crop, changes)


def _derived_right(tmp: Path) -> list:
    right = _save(_crop(), tmp / "crop.dcm")
    generated = _crop(ImageType=["DERIVED", "PRIMARY", "AXIAL"])  # PRIMARY is allowed too
    generated.SOPInstanceUID = generate_uid()  # pydicom's root is fine too
    generated.file_meta.MediaStorageSOPInstanceUID = generated.SOPInstanceUID
    return [right, str(right), _save(generated, tmp / "crop_pydicom_root.dcm")]


def _derived_wrong(tmp: Path) -> list[tuple]:
    original = source(DERIVED_SOURCE)
    r0, c0, n = CROP
    ipp = np.array(original.ImagePositionPatient, dtype=float)
    iop = np.array(original.ImageOrientationPatient, dtype=float)
    spacing = float(original.PixelSpacing[0])
    assert spacing == float(original.PixelSpacing[1])  # a spacing swap cannot be seen here
    swapped_ipp = list(ipp + r0 * spacing * iop[:3] + c0 * spacing * iop[3:])
    swapped_region = _crop(
        PixelData=original.pixel_array[c0 : c0 + n, r0 : r0 + n].copy().tobytes()
    )
    stale_meta = _crop()
    stale_meta.file_meta.MediaStorageSOPInstanceUID = original.SOPInstanceUID
    not_cropped = _crop(PixelData=original.PixelData)
    uncropped_rows = _crop(Rows=original.Rows, Columns=original.Columns)
    one_value = _crop(ImageType="DERIVED")
    bad_uid = _crop(SOPInstanceUID="1.2.826.0.1.3680043.8.498.007")
    bad_uid.file_meta.MediaStorageSOPInstanceUID = bad_uid.SOPInstanceUID
    inclusive = _crop(
        PixelData=original.pixel_array[r0 : r0 + n + 1, c0 : c0 + n + 1].copy().tobytes(),
        Rows=n + 1,
        Columns=n + 1,
    )
    old_sop = _crop(SOPInstanceUID=original.SOPInstanceUID)
    old_sop.file_meta.MediaStorageSOPInstanceUID = original.SOPInstanceUID
    cases = {
        "old_sop": (old_sop, "sopinstanceuid", "original's"),
        "old_series": (_crop(SeriesInstanceUID=original.SeriesInstanceUID), "seriesinstanceuid"),
        "meta": (stale_meta, "mediastoragesopinstanceuid"),
        "rows": (uncropped_rows, "rows x columns", "256"),
        "pixels": (not_cropped, "pixeldata", "not cropped"),
        "swapped": (swapped_region, "rows and columns swapped"),
        "inclusive": (inclusive, "129", "half-open"),
        "ipp_kept": (_crop(ImagePositionPatient=original.ImagePositionPatient), "still the"),
        "ipp_swapped": (_crop(ImagePositionPatient=swapped_ipp), "row and column offsets"),
        "original": (_crop(ImageType=["ORIGINAL", "PRIMARY", "AXIAL"]), "derived"),
        "one_value": (one_value, "image type", "one value"),
        "description": (_crop(DerivationDescription=None), "derivation description"),
        "source": (_crop(SourceImageSequence=None), "source image sequence"),
        "study": (_crop(StudyInstanceUID=generate_uid()), "studyinstanceuid", "same study"),
        "frame": (_crop(FrameOfReferenceUID=generate_uid()), "frameofreferenceuid"),
        "bad_uid": (bad_uid, "not a valid uid"),
    }
    no_class = _crop()  # dciodvfy: Missing attribute Type 1 ... ReferencedSOPClassUID
    del no_class.SourceImageSequence[0].ReferencedSOPClassUID
    cases["no_class"] = (no_class, "breaks the standard", "referencedsopclassuid")
    mr_class = _crop()  # the pair names the object: an MR Image Storage class is not it
    mr_class.SourceImageSequence[0].ReferencedSOPClassUID = MRImageStorage
    cases["other_class"] = (mr_class, "referenced sop class uid", "not the original's")
    cases["ipp_two"] = (
        _crop(ImagePositionPatient=list(original.ImagePositionPatient)[:2]),
        "image position (patient)",
        "three numbers",
    )
    cases.update(_derived_pending())
    return [(_save(ds, tmp / f"{k}.dcm"), *words) for k, (ds, *words) in cases.items()] + [
        (sample_path(DERIVED_SOURCE[0]) / DERIVED_SOURCE[1], "inside the sample data"),
        (None, "path"),
        (source(DERIVED_SOURCE), "path"),
    ]


def _derived_pending() -> dict[str, tuple]:
    """Crops that break rules the validator learns in issue 23 (bootcamp_utils/validation/):
    each is refused once its rule is there, in the validator's words."""
    ob_pixels = _crop()  # PS3.5 A.2: native Pixel Data is OW above 8 bits allocated
    ob_pixels["PixelData"].VR = "OB"
    empty_frame = _crop()  # PS3.3 Table 10-3: Type 1C, so never empty when present
    empty_frame.SourceImageSequence[0].ReferencedFrameNumber = ""
    high_bit = _crop()  # PS3.3 Table C.7-11c: High Bit is one less than Bits Stored
    high_bit.HighBit = int(high_bit.BitsStored) - 2
    return {
        "ob_pixels": (ob_pixels, "breaks the standard", "pixeldata"),
        "empty_frame": (empty_frame, "breaks the standard", "referencedframenumber"),
        "high_bit": (high_bit, "breaks the standard", "highbit"),
    }


# --- 02-private --------------------------------------------------------------------------


def _with_block(group=0x0029, creator="MY LAB 1.0", offset=0x01, vr="LO", value="case 17"):
    ds = source(EDIT_SOURCE)
    ds.private_block(group, creator, create=True).add_new(offset, vr, value)
    return ds


def _private_right(tmp: Path) -> list:
    right = _save(_with_block(), tmp / "private.dcm")
    by_hand = source(EDIT_SOURCE)  # the next free slot, 0x11, chosen by hand
    by_hand.add_new(0x00290011, "LO", "MY LAB 1.0")
    by_hand.add_new(0x00291101, "LO", "case 17")
    far = source(EDIT_SOURCE)  # any free slot is a block: 0x20 is legal, if unusual
    far.add_new(0x00290020, "LO", "MY LAB 1.0")
    far.add_new(0x00292001, "LO", "case 17")
    return [right, str(right), _save(by_hand, tmp / "by_hand.dcm"), _save(far, tmp / "far.dcm")]


def _private_wrong(tmp: Path) -> list[tuple]:
    overwrote = source(EDIT_SOURCE)  # slot 0x10 taken over: SEGH's elements now look like ours
    overwrote[0x00290010].value = "MY LAB 1.0"
    overwrote.add_new(0x00291001, "LO", "case 17")
    no_creator = source(EDIT_SOURCE)
    no_creator.add_new(0x00291101, "LO", "case 17")
    implicit = _with_block()  # saved implicit VR: the private element reads back as UN
    implicit.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    stripped = source(EDIT_SOURCE)
    stripped.remove_private_tags()
    stripped.private_block(0x0029, "MY LAB 1.0", create=True).add_new(0x01, "LO", "case 17")
    sh_creator = source(EDIT_SOURCE)  # dciodvfy: Error - Private creator is not LO VR
    sh_creator.add_new(0x00290011, "SH", "MY LAB 1.0")
    sh_creator.add_new(0x00291101, "LO", "case 17")
    two_names = source(EDIT_SOURCE)  # a creator of VM 2 (backslash): no block's name
    two_names.add_new(0x00290011, "LO", ["MY LAB 1.0", "MY LAB 2.0"])
    two_names.add_new(0x00291101, "LO", "case 17")
    orphan = _with_block()  # a right block, and an element of a block no creator reserved
    orphan.add_new(0x00291201, "LO", "case 18")
    cases = {
        "two_names": (two_names, "(0029,0011)", "one lo value"),
        "orphan": (orphan, "breaks the standard", "(0029,1201)"),
        "sh_creator": (sh_creator, "breaks the standard", "private creator is not lo"),
        "group9": (_with_block(group=0x0009), "0009", "0029"),
        "group11": (_with_block(group=0x0011), "0011", "0029"),
        "offset": (_with_block(offset=0x10), "0x01", "(0029,1101)"),
        "offset_abs": (_with_block(offset=0x00), "0x01", "(0029,1101)"),
        "value": (_with_block(value="Case 17"), "'case 17'", "'Case 17'"),
        "value17": (_with_block(value="17"), "'case 17'"),
        "vr": (_with_block(vr="LT"), "lt", "lo"),
        "vr_sh": (_with_block(vr="SH"), "sh", "lo"),
        "creator": (_with_block(creator="MY LAB"), "my lab 1.0"),
        "overwrote": (overwrote, "segh pacs 1.0", "overwr"),
        "no_creator": (no_creator, "no private creator"),
        "stripped": (stripped, "removed", "segh"),
    }
    return [(_save(ds, tmp / f"{k}.dcm"), *words) for k, (ds, *words) in cases.items()] + [
        (_save(implicit, tmp / "implicit.dcm"), "un", "explicit"),
        (_study() / EDIT_SOURCE[1], "inside the sample data"),
    ]


# --- 02-box ------------------------------------------------------------------------------


def _tight() -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(text_pixels(source(LOCALIZER)))
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


def _box_right(tmp: Path) -> list:
    r0, r1, c0, c1 = _tight()
    return [
        (r0, r1, c0, c1),
        [r0, r1, c0, c1],
        tuple(np.int64(v) for v in (r0, r1, c0, c1)),
        np.array([r0, r1, c0, c1]),
        (float(r0), float(r1), float(c0), float(c1)),
        (r0 - 1, r1 + 1, c0 - 1, c1 + 1),  # a pixel of margin: still a tight box
    ]


def _box_wrong(tmp: Path) -> list[tuple]:
    r0, r1, c0, c1 = _tight()
    assert (r0, r1, c0, c1) != (c0, c1, r0, r1)
    return [
        ((r0, r1 - 1, c0, c1 - 1), "one past the last"),  # closed ends
        ((r0, r1 - 1, c0, c1), "one past the last"),
        ((c0, c1, r0, r1), "rows and columns swapped"),
        ((r0, c0, r1, c1), "order", "(row0, row1, col0, col1)"),
        ((0, 60, 0, 170), "pixels", "would do"),  # a rough box by eye
        ((0, 256, 0, 256), "whole image"),
        ((r0 + 5, r1, c0, c1), "outside the box"),
        ((r0, r1, c0, c1 - 40), "outside the box"),
        ((r0, r1, c0, 300), "inside 256 x 256"),
        ((r0, r1, c0), "four whole numbers"),
        ((r0 + 0.5, r1, c0, c1), "whole number"),
        ((True, r1, c0, c1), "bool"),
        (tuple(str(v) for v in (r0, r1, c0, c1)), "text"),
        ((slice(r0, r1), slice(c0, c1)), "four whole numbers"),
        ({"row0": r0, "row1": r1, "col0": c0, "col1": c1}, "four whole numbers"),
    ]


# --- 02-deid-study -----------------------------------------------------------------------


def _boxes(ds):
    return [_tight()] if ds.get("BurnedInAnnotation") == "YES" else None


def _deid_right(tmp: Path) -> list:
    right = tmp / "deidentified"
    deidentify_folder(_study(), right, key="course", burned_in_boxes=_boxes, progress=False)
    by_file = tmp / "by_file"  # file by file, with one key: as good as the folder helper
    by_file.mkdir()
    for path in sorted(_study().glob("*.dcm")):
        out = deidentify(dcmread(path), key="k", burned_in_boxes=_boxes)
        out.save_as(by_file / f"{out.SOPInstanceUID}.dcm")
    dummy_id = tmp / "dummy_id"  # Patient ID is Z/D: a dummy value is allowed (Table E.1-1)
    deidentify_folder(_study(), dummy_id, key="course", burned_in_boxes=_boxes, progress=False)
    for path in dummy_id.rglob("*.dcm"):
        ds = dcmread(path)
        ds.PatientID = "ANON0001"
        ds.save_as(path)
    anonymous = tmp / "anonymous"  # Patient's Name is Z: a dummy value is allowed (E.1.1)
    deidentify_folder(_study(), anonymous, key="course", burned_in_boxes=_boxes, progress=False)
    for path in anonymous.rglob("*.dcm"):
        ds = dcmread(path)
        ds.PatientName = "ANONYMOUS"
        ds.save_as(path)
    shifted = tmp / "shifted"  # Modified Dates (E.3.6): dates 30 days back, times kept
    deidentify_folder(
        _study(), shifted, key="course", burned_in_boxes=_boxes, progress=False, shift_dates=-30
    )
    return [right, str(right), by_file, dummy_id, anonymous, shifted]


def _empty(path: Path) -> Path:
    path.mkdir()
    return path


def _deid_wrong(tmp: Path) -> list[tuple]:
    def folder(name: str, **options) -> Path:
        out = tmp / name
        deidentify_folder(_study(), out, key="course", progress=False, **options)
        return out

    copied = tmp / "copied"
    shutil.copytree(_study(), copied)
    slices_only = folder("slices", burned_in_boxes=_boxes)
    for path in list(slices_only.rglob("*.dcm")):
        if "LOCALIZER" in dcmread(path, stop_before_pixels=True).ImageType:
            path.unlink()
    per_file = tmp / "per_file"  # a new random key for every file
    per_file.mkdir()
    for i, path in enumerate(sorted(_study().glob("*.dcm"))):
        out = deidentify(dcmread(path), key=f"key{i}", burned_in_boxes=_boxes)
        out.save_as(per_file / f"{i}.dcm")
    with_notes = folder("with_notes", burned_in_boxes=_boxes)
    (with_notes / "report.txt").write_text("done\n")
    too_small = folder("too_small", burned_in_boxes=lambda ds: _boxes(ds) and [(6, 20, 5, 60)])
    rough = (0, 60, 0, 170)  # the lesson's box by eye: it blacks out the top of the skull
    flag_kept = folder("flag_kept", burned_in_boxes=_boxes)  # text black, flag still YES
    flag_gone = folder("flag_gone", burned_in_boxes=_boxes)  # text black, flag removed
    for out, value in ((flag_kept, "YES"), (flag_gone, None)):
        for path in out.rglob("*.dcm"):
            ds = dcmread(path)
            if "LOCALIZER" in ds.ImageType:
                if value is None:
                    del ds.BurnedInAnnotation
                else:
                    ds.BurnedInAnnotation = value
                ds.save_as(path)
    unshifted = folder("unshifted", burned_in_boxes=_boxes, shift_dates=-30)
    study_date = dcmread(_study() / "CT0001.dcm").StudyDate
    for path in unshifted.rglob("*.dcm"):  # says MODIFIED, 113107, but a date is the original
        ds = dcmread(path)
        ds.StudyDate = study_date
        ds.save_as(path)
    times_kept = folder("times_kept", burned_in_boxes=_boxes)  # no option: times must go
    for path in times_kept.rglob("*.dcm"):
        ds = dcmread(path)
        ds.StudyTime = dcmread(_study() / "CT0001.dcm").StudyTime
        ds.save_as(path)
    return [
        (flag_kept, "burned in annotation", "still says 'yes'", "must say no"),
        (flag_gone, "burned in annotation", "is missing", "must say no"),
        (unshifted, "studydate", "original's date", "shift"),
        (times_kept, "studytime", "empty it"),
        (folder("list", burned_in_boxes=[_tight()]), "pixels differ", "burned in annotation"),
        (folder("rough", burned_in_boxes=lambda ds: _boxes(ds) and [rough]), "away from the text"),
        (copied, "original files", "not de-identified"),
        (_study(), "inside the sample data"),
        (slices_only, "4 files", "expected 5"),
        (folder("no_boxes"), "scout", "burned_in_boxes"),
        (too_small, "scout", "burned_in_boxes"),
        (per_file, "same key", "consistent"),
        (folder("private", keep_private=["SEGH PACS 1.0"], burned_in_boxes=_boxes), "private"),
        (with_notes, "report.txt", "not a dicom file"),
        (tmp / "missing", "not a folder"),
        (_study() / "CT0001.dcm", "not a folder"),
        (_empty(tmp / "empty"), "0 files", "expected 5"),
        (None, "folder"),
    ]


# --- 02-validate -------------------------------------------------------------------------


def _repaired(**changes) -> Dataset:
    """The notebook's solution; ``changes`` (None deletes) are applied on top."""
    repaired = broken_copy()
    repaired.Modality = "CT"
    repaired.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    repaired.PatientName = ""
    repaired.FrameOfReferenceUID = _series_frame()  # the one the other slices share
    repaired.StudyDate = "20240115"
    repaired.ReferringPhysicianName = "Okafor^Daniel^J^Dr.^MD"
    for keyword, value in changes.items():
        if value is None:
            delattr(repaired, keyword)
        else:
            setattr(repaired, keyword, value)
    return repaired


def _series_frame(name: str = "CT0002.dcm") -> str:
    """The Frame of Reference UID of another slice of head_ct (all 40 share it)."""
    return dcmread(sample_path("head_ct") / name, stop_before_pixels=True).FrameOfReferenceUID


def _validate_right(tmp: Path) -> list:
    restored_uid = broken_copy().FrameOfReferenceUID[: -len(".01")]  # the ".01" undone
    assert restored_uid == _series_frame("CT0040.dcm")
    return [
        _repaired(),
        _repaired(FrameOfReferenceUID=restored_uid, PatientName="Phantom^Head"),
        _repaired(StudyDate=datetime.date(2024, 1, 15)),  # pydicom writes 20240115
        _repaired(ReferringPhysicianName="Okafor^Daniel^J^Dr.^MD PhD"),
        _repaired(ReferringPhysicianName="Okafor^Daniel^^Dr.^MD"),
    ]


def _validate_wrong(tmp: Path) -> list[tuple]:
    fresh = Dataset()
    fresh.Modality, fresh.StudyDate = "CT", "20240115"
    saved = _save(_repaired(), tmp / "repaired.dcm")
    emptied = _repaired()  # Type 2: valid when empty, but the name is lost
    emptied.ReferringPhysicianName = None
    return [
        (broken_copy(), "6 problem"),
        (_repaired(StudyDate="20240116"), "study date", "2024-01-15"),
        (_repaired(StudyDate="20241501"), "problem"),  # day and month swapped: no 15th month
        (_repaired(Modality="MR"), "modality 'mr'", "ct"),
        (_repaired(Modality="OT"), "modality 'ot'", "ct"),
        (_repaired(PatientName=None), "problem", "patientname"),
        (_repaired(ReferringPhysicianName="Okafor"), "okafor", "given name"),
        (_repaired(ReferringPhysicianName="Daniel^Okafor^J^Dr.^MD"), "family"),
        (_repaired(ReferringPhysicianName="Okafor^Daniel^J^Dr.^MD^PhD"), "problem"),
        (_repaired(FrameOfReferenceUID="1.2.3.01"), "problem"),
        (_repaired(FrameOfReferenceUID=generate_uid()), "frame of reference", "other slices"),
        (
            _repaired(FrameOfReferenceUID=broken_copy().FrameOfReferenceUID[:-3] + ".1"),
            "frame of reference",
            "other slices",
        ),
        (_repaired(StudyDate=datetime.date(2024, 1, 16)), "study date", "2024-01-15"),
        (emptied, "referring physician", "empty"),
        (_repaired(ImageType=None), "problem", "imagetype"),
        (fresh, "not the same image", "broken_copy()"),
        (saved, "dataset", "dcmread"),
        (None, "dataset"),
    ]


_CASES = {
    "02-edit": (_edit_right, _edit_wrong),
    "02-uid": (_uid_right, _uid_wrong),
    "02-derived": (_derived_right, _derived_wrong),
    "02-private": (_private_right, _private_wrong),
    "02-box": (_box_right, _box_wrong),
    "02-deid-study": (_deid_right, _deid_wrong),
    "02-validate": (_validate_right, _validate_wrong),
}


def right_answers(name: str, tmp: Path) -> list | None:
    """The right answers to ``name`` (files built under ``tmp``), or None if not of lesson 02."""
    if name not in _CASES:
        return None
    (tmp / "right").mkdir(parents=True, exist_ok=True)
    return _CASES[name][0](tmp / "right")


def wrong_answers(name: str, tmp: Path) -> list[tuple] | None:
    """(answer, words its feedback must contain) for ``name``, or None if not of lesson 02."""
    if name not in _CASES:
        return None
    (tmp / "wrong").mkdir(parents=True, exist_ok=True)
    return _CASES[name][1](tmp / "wrong")
