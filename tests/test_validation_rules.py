"""validate against dciodvfy on the rules of issue 23.20, 23.24 and 23.

Each case breaks one rule in a copy of head_ct/CT0001.dcm and writes it; dciodvfy must report
it (an error line, else the file is not broken; for the cases of :data:`DCIODVFY_WARNS`, which
dciodvfy reports as a warning only, that warning) and so must ``validate``. Files dciodvfy
accepts (every generated sample, pydicom's CT_small, MR_small and DICOMDIR) get no problem from
``validate``.
"""

from __future__ import annotations

import datetime
import subprocess
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
    generate_uid,
)

from bootcamp_utils.validation import (
    lossy_copy_problems,
    pixel_problems,
    private_creator_problems,
    validate,
    value_problems,
)

from .conftest import dciodvfy_errors, require_tool

REFERENCE_FILES = ["CT_small.dcm", "MR_small.dcm", "DICOMDIR"]  # dciodvfy: 0 errors, measured


def _code(value="113076", scheme="DCM", meaning="Segmentation", drop=()):
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    for keyword in drop:
        delattr(item, keyword)
    return item


def _source(ds, drop=None, **values):
    item = Dataset()
    item.ReferencedSOPClassUID = ds.SOPClassUID
    item.ReferencedSOPInstanceUID = generate_uid()
    if drop:
        delattr(item, drop)
    for keyword, value in values.items():
        setattr(item, keyword, value)
    ds.SourceImageSequence = [item]
    ds.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]


def _private(ds, vr, creator="MY LAB 1.0"):
    if vr:
        ds.add_new(0x00290010, vr, creator)
    ds.add_new(0x00291001, "LO", "case 17")


def _implicit(ds):
    """Written Implicit VR Little Endian: no VR in the file (PS3.5 A.1)."""
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian


def _same_uid(ds, keyword, twin):
    setattr(ds, keyword, ds[twin].value)
    if keyword == "SOPInstanceUID":
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID


def _patch_meta(path, old, new):
    raw = path.read_bytes()
    assert raw.count(old) == 1
    path.write_bytes(raw.replace(old, new))


EXPLICIT = b"1.2.840.10008.1.2.1\0"

# name -> (edit of the data set, (kind, path) validate must report, how to save)
# how to save: "file" (enforce_file_format=True), "as is" (the file meta as edited), or
# (old, new) bytes replaced in the saved file's meta (a Transfer Syntax pydicom would refuse).
CASES = {
    "source_no_class": (
        lambda ds: _source(ds, "ReferencedSOPClassUID"),
        ("type", "SourceImageSequence[0].ReferencedSOPClassUID"),
        "file",
    ),
    "source_no_instance": (
        lambda ds: _source(ds, "ReferencedSOPInstanceUID"),
        ("type", "SourceImageSequence[0].ReferencedSOPInstanceUID"),
        "file",
    ),
    "derivation_no_meaning": (
        lambda ds: setattr(ds, "DerivationCodeSequence", [_code(drop=["CodeMeaning"])]),
        ("type", "DerivationCodeSequence[0].CodeMeaning"),
        "file",
    ),
    "derivation_no_scheme": (
        lambda ds: setattr(ds, "DerivationCodeSequence", [_code(drop=["CodingSchemeDesignator"])]),
        ("type", "DerivationCodeSequence[0].CodingSchemeDesignator"),
        "file",
    ),
    "deid_no_code_value": (
        lambda ds: setattr(
            ds, "DeidentificationMethodCodeSequence", [_code("113100", drop=["CodeValue"])]
        ),
        ("type", "DeidentificationMethodCodeSequence[0].CodeValue"),
        "file",
    ),
    "deid_empty_meaning": (
        lambda ds: setattr(ds, "DeidentificationMethodCodeSequence", [_code("113100", "DCM", "")]),
        ("type", "DeidentificationMethodCodeSequence[0].CodeMeaning"),
        "file",
    ),
    "image_type_one_value": (
        lambda ds: setattr(ds, "ImageType", ["ORIGINAL"]),
        ("vm", "ImageType"),
        "file",
    ),
    "image_type_value_1": (
        lambda ds: setattr(ds, "ImageType", ["FOO", "PRIMARY", "AXIAL"]),
        ("enumerated", "ImageType"),
        "file",
    ),
    "image_type_value_2": (
        lambda ds: setattr(ds, "ImageType", ["ORIGINAL", "BAR", "AXIAL"]),
        ("enumerated", "ImageType"),
        "file",
    ),
    "ct_image_type_no_value_3": (
        lambda ds: setattr(ds, "ImageType", ["DERIVED", "SECONDARY"]),
        ("enumerated", "ImageType"),
        "file",
    ),
    "pixel_spacing_one_value": (
        lambda ds: setattr(ds, "PixelSpacing", [0.9]),
        ("vm", "PixelSpacing"),
        "file",
    ),
    "pixel_spacing_three_values": (
        lambda ds: setattr(ds, "PixelSpacing", [0.9, 0.9, 0.9]),
        ("vm", "PixelSpacing"),
        "file",
    ),
    "orientation_five_values": (
        lambda ds: setattr(ds, "ImageOrientationPatient", [1, 0, 0, 0, 1]),
        ("vm", "ImageOrientationPatient"),
        "file",
    ),
    "two_uids_in_a_source_item": (
        lambda ds: (
            _source(ds, "ReferencedSOPClassUID"),
            setattr(ds.SourceImageSequence[0], "ReferencedSOPClassUID", ds.SOPClassUID),
            setattr(ds.SourceImageSequence[0], "ReferencedSOPInstanceUID", ["1.2.3", "1.2.4"]),
        ),
        ("vm", "SourceImageSequence[0].ReferencedSOPInstanceUID"),
        "file",
    ),
    "source_frame_number_empty": (
        lambda ds: _source(ds, ReferencedFrameNumber=None),
        ("type", "SourceImageSequence[0].ReferencedFrameNumber"),
        "file",
    ),
    "private_creator_sh": (lambda ds: _private(ds, "SH"), ("private", "(0029,0010)"), "file"),
    "private_creator_cs": (lambda ds: _private(ds, "CS"), ("private", "(0029,0010)"), "file"),
    "private_element_without_creator": (
        lambda ds: _private(ds, None),
        ("private", "(0029,1001)"),
        "file",
    ),
    "private_element_without_creator_implicit": (
        lambda ds: (_private(ds, None), _implicit(ds)),
        ("private", "(0029,1001)"),
        "file",
    ),
    "private_creator_empty": (
        lambda ds: _private(ds, "LO", ""),
        ("private", "(0029,1001)"),
        "file",
    ),
    "pixel_data_ob_16_bits": (
        lambda ds: setattr(ds["PixelData"], "VR", "OB"),
        ("pixel", "PixelData"),
        "file",
    ),
    "high_bit_below_bits_stored": (
        lambda ds: setattr(ds, "HighBit", ds.BitsStored - 9),
        ("pixel", "HighBit"),
        "file",
    ),
    "high_bit_is_bits_stored": (
        lambda ds: setattr(ds, "HighBit", ds.BitsStored),
        ("pixel", "HighBit"),
        "file",
    ),
    "series_uid_is_study_uid": (
        lambda ds: _same_uid(ds, "SeriesInstanceUID", "StudyInstanceUID"),
        ("uid", "SeriesInstanceUID"),
        "file",
    ),
    "sop_uid_is_series_uid": (
        lambda ds: _same_uid(ds, "SOPInstanceUID", "SeriesInstanceUID"),
        ("uid", "SOPInstanceUID"),
        "file",
    ),
    "frame_of_reference_is_study_uid": (
        lambda ds: _same_uid(ds, "FrameOfReferenceUID", "StudyInstanceUID"),
        ("uid", "FrameOfReferenceUID"),
        "file",
    ),
    "frame_of_reference_is_sop_uid": (
        lambda ds: _same_uid(ds, "FrameOfReferenceUID", "SOPInstanceUID"),
        ("uid", "FrameOfReferenceUID"),
        "file",
    ),
    "lossy_flag_not_enumerated": (
        lambda ds: setattr(ds, "LossyImageCompression", "1"),
        ("enumerated", "LossyImageCompression"),
        "file",
    ),
    "burned_in_annotation_not_enumerated": (
        lambda ds: setattr(ds, "BurnedInAnnotation", "Y"),
        ("enumerated", "BurnedInAnnotation"),
        "file",
    ),
    "recognizable_features_not_enumerated": (
        lambda ds: setattr(ds, "RecognizableVisualFeatures", "MAYBE"),
        ("enumerated", "RecognizableVisualFeatures"),
        "file",
    ),
    "meta_sop_class_differs": (
        lambda ds: setattr(ds.file_meta, "MediaStorageSOPClassUID", "1.2.840.10008.5.1.4.1.1.4"),
        ("meta", "file_meta.MediaStorageSOPClassUID"),
        "as is",
    ),
    "meta_sop_instance_differs": (
        lambda ds: setattr(ds.file_meta, "MediaStorageSOPInstanceUID", generate_uid()),
        ("meta", "file_meta.MediaStorageSOPInstanceUID"),
        "as is",
    ),
    "meta_without_version": (
        lambda ds: delattr(ds.file_meta, "FileMetaInformationVersion"),
        ("meta", "file_meta.FileMetaInformationVersion"),
        "as is",
    ),
    "meta_without_implementation_uid": (
        lambda ds: delattr(ds.file_meta, "ImplementationClassUID"),
        ("meta", "file_meta.ImplementationClassUID"),
        "as is",
    ),
    "meta_without_sop_class": (
        lambda ds: delattr(ds.file_meta, "MediaStorageSOPClassUID"),
        ("meta", "file_meta.MediaStorageSOPClassUID"),
        "as is",
    ),
    "meta_implicit_but_explicit": (
        lambda ds: None,
        ("meta", "file_meta.TransferSyntaxUID"),
        (EXPLICIT, b"1.2.840.10008.1.2\0\0\0"),
    ),
    "meta_rle_but_native_pixels": (
        lambda ds: None,
        ("meta", "file_meta.TransferSyntaxUID"),
        (EXPLICIT, b"1.2.840.10008.1.2.5\0"),
    ),
}


# Cases dciodvfy (dicom3tools 1.00~20220618) reports as a warning, not an error -> the warning.
# PS3.5 7.8.1: the block (gggg,xx00-xxFF) of a private element is reserved by its private
# creator (gggg,00xx), a Type 1 element; PS3.3 C.7.6.3.3 (Table C.7-11c): "High Bit (0028,0102)
# shall be one less than Bits Stored (0028,0101)" (dciodvfy errs only when it is less: see
# high_bit_below_bits_stored).
DCIODVFY_WARNS = {
    "private_element_without_creator": "(0x0029,0x1001)  ?  - Warning - Private tag without owner",
    "private_element_without_creator_implicit": (
        "(0x0029,0x1001)  ?  - Warning - Private tag without owner"
    ),
    "private_creator_empty": "Warning - Bad private owner value - empty value",
    "high_bit_is_bits_stored": "Warning - Bad attribute value - High Bit = 12 exceeds 11",
}


def _lossy(ds):
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = 10
    ds.LossyImageCompressionMethod = "ISO_10918_1"


def _write(samples_root: Path, folder: Path, name: str, case) -> Path:
    edit, _, how = case
    ds = pydicom.dcmread(samples_root / "head_ct" / "CT0001.dcm")
    edit(ds)
    path = folder / f"{name}.dcm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about some of the broken values
        ds.save_as(path, enforce_file_format=how == "file")
    if isinstance(how, tuple):
        _patch_meta(path, *how)
    return path


def _validate(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return validate(pydicom.dcmread(path))


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_reports_each_broken_rule(samples_root, tmp_path, name):
    problems = _validate(_write(samples_root, tmp_path, name, CASES[name]))
    assert CASES[name][1] in {(p.kind, p.path) for p in problems}, [str(p) for p in problems]
    assert all(p.message.endswith(")") and "PS3." in p.message for p in problems)


@pytest.mark.external
@pytest.mark.parametrize("name", sorted(CASES))
def test_dciodvfy_reports_each_broken_rule_too(samples_root, tmp_path, name):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    path = _write(samples_root, tmp_path, name, CASES[name])
    if name in DCIODVFY_WARNS:
        report = _dciodvfy_report(dciodvfy, path)
        assert DCIODVFY_WARNS[name] in report, report
    else:
        assert dciodvfy_errors(dciodvfy, path), f"dciodvfy finds no error: {name} is not broken"


def _dciodvfy_report(dciodvfy: str, path: Path) -> str:
    run = subprocess.run([dciodvfy, str(path)], capture_output=True, text=True, check=False)
    return run.stdout + run.stderr


def test_a_lossy_original_image_is_valid_alone(samples_root, tmp_path):
    """ORIGINAL with Lossy Image Compression 01 is what a sensor that compresses writes."""
    path = _write(samples_root, tmp_path, "lossy_original", (_lossy, None, "file"))
    assert _validate(path) == []


@pytest.mark.external
def test_dciodvfy_accepts_a_lossy_original_image(samples_root, tmp_path):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    path = _write(samples_root, tmp_path, "lossy_original", (_lossy, None, "file"))
    assert dciodvfy_errors(dciodvfy, path) == []


def test_a_lossy_copy_is_derived_with_a_new_uid(samples_root):
    source = pydicom.dcmread(samples_root / "head_ct" / "CT0001.dcm")
    copy = pydicom.dcmread(samples_root / "head_ct" / "CT0001.dcm")
    _lossy(copy)
    found = {(p.kind, p.path) for p in lossy_copy_problems(copy, source)}
    assert found == {("enumerated", "ImageType"), ("uid", "SOPInstanceUID")}
    copy.ImageType = ["DERIVED", "PRIMARY", "AXIAL"]
    copy.SOPInstanceUID = generate_uid()
    assert lossy_copy_problems(copy, source) == []
    assert lossy_copy_problems(source, source) == []  # not lossy: nothing to judge


def _good_files(samples_root: Path) -> list[Path]:
    paths = [Path(get_testdata_file(name)) for name in REFERENCE_FILES]
    # ml_archive: 1000 files, two damaged on purpose; tests/test_data_archive.py checks each kind
    archive = samples_root / "ml_archive"
    for path in sorted(p for p in samples_root.rglob("*") if p.is_file()):
        if path.is_relative_to(archive):
            continue
        try:
            pydicom.dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError):
            continue  # NIfTI, Analyze, manifests
        paths.append(path)
    return paths


def test_files_dciodvfy_accepts_have_no_problem(samples_root):
    paths = _good_files(samples_root)
    assert len(paths) > 100
    found = {p.name: [str(x) for x in _validate(p)] for p in paths}
    assert not {name: problems for name, problems in found.items() if problems}


@pytest.mark.external
def test_dciodvfy_accepts_those_files(samples_root):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    paths = _good_files(samples_root)[: len(REFERENCE_FILES)] + [
        sorted((samples_root / name).glob("*.dcm"))[0]
        for name in ("head_ct", "head_mr", "identified_study")
    ]
    assert not {p.name: e for p in paths if (e := dciodvfy_errors(dciodvfy, p))}


@pytest.mark.parametrize(
    ("keyword", "value", "written"),
    [
        ("StudyDate", datetime.date(2024, 1, 15), b"20240115"),
        ("StudyTime", datetime.time(9, 35, 12), b"093512"),
        ("StudyTime", datetime.time(9, 35, 12, 500000), b"093512.500000"),
        ("AcquisitionDateTime", datetime.datetime(2024, 1, 15, 9, 35, 12), b"20240115093512"),
        ("StudyDate", pydicom.valuerep.DA("20240115"), b"20240115"),
    ],
)
def test_dates_and_times_are_judged_as_written(tmp_path, keyword, value, written):
    """Issue 23.24: a datetime.date Study Date is written 20240115 and is a good DA."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    setattr(ds, keyword, value)
    assert [str(p) for p in value_problems(ds)] == []
    path = tmp_path / "dated.dcm"
    ds.save_as(path)
    assert pydicom.dcmread(path)[keyword].value is not None
    assert written in path.read_bytes()


def test_a_date_written_with_dashes_is_still_reported():
    ds = Dataset()
    ds.StudyDate = "2024-01-15"
    assert [p.path for p in value_problems(ds)] == ["StudyDate"]


def test_macro_tables_are_consistent():
    from pydicom.datadict import dictionary_VR

    from bootcamp_utils.validation import MACROS
    from bootcamp_utils.validation.presence import (
        _INCLUDES,
        _MACRO_CONDITIONS,
        IMAGE_REFERENCE_SEQUENCES,
        REFERENCE_SEQUENCES,
    )

    for macro in MACROS.values():
        assert macro.section.startswith("Table ")
        for keyword, kind in macro.types.items():
            assert dictionary_VR(keyword)  # a real keyword
            assert (kind == "1C") == (keyword in _MACRO_CONDITIONS)
    assert all(dictionary_VR(keyword) == "SQ" for keyword in REFERENCE_SEQUENCES)
    assert IMAGE_REFERENCE_SEQUENCES <= REFERENCE_SEQUENCES
    assert all(set(included) <= set(MACROS) for included in _INCLUDES.values())


def test_items_are_checked_at_any_depth():
    outer, inner = Dataset(), Dataset()
    inner.CodeValue, inner.CodingSchemeDesignator = "113076", "DCM"
    outer.PurposeOfReferenceCodeSequence = [inner]
    outer.ReferencedSOPClassUID, outer.ReferencedSOPInstanceUID = "1.2.3", "1.2.4"
    ds = Dataset()
    ds.SourceImageSequence = [outer]
    assert [p.path for p in validate(ds) if p.kind == "type" and "Sequence" in p.path] == [
        "SourceImageSequence[0].PurposeOfReferenceCodeSequence[0].CodeMeaning"
    ]


def _pixels(bits: int, syntax=None) -> Dataset:
    ds = Dataset()
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.add_new(0x7FE00010, "OB", bytes(8))
    if syntax is not None:
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = syntax
    return ds


def test_pixel_data_ob_is_judged_only_where_ow_is_required():
    """PS3.5 A.2: OB or OW for 8 bits or fewer, else OW; A.1 implicit: no VR written; A.4: OB."""
    assert [p.path for p in pixel_problems(_pixels(16))] == ["PixelData"]
    assert [p.path for p in pixel_problems(_pixels(16, ExplicitVRLittleEndian))] == ["PixelData"]
    assert pixel_problems(_pixels(8, ExplicitVRLittleEndian)) == []
    assert pixel_problems(_pixels(16, ImplicitVRLittleEndian)) == []  # written without VR
    assert pixel_problems(_pixels(16, RLELossless)) == []  # encapsulated: OB
    ow = _pixels(16, ExplicitVRLittleEndian)
    ow["PixelData"].VR = "OW"
    assert pixel_problems(ow) == []


def test_high_bit_is_judged_in_items_too():
    icon = _pixels(8)
    icon.HighBit = 8
    ds = _pixels(8)
    ds.IconImageSequence = [icon]
    assert [p.path for p in pixel_problems(ds)] == ["IconImageSequence[0].HighBit"]
    icon.HighBit = 7
    assert pixel_problems(ds) == []


def test_a_private_creator_read_back_in_any_vr_owns_its_block(samples_root, tmp_path):
    """The creator slot holding a name is what counts: LO, UN, or no VR (implicit VR file)."""
    ds = pydicom.dcmread(samples_root / "head_ct" / "CT0001.dcm")
    ds.private_block(0x0029, "MY LAB 1.0", create=True).add_new(0x01, "LO", "case 17")
    _implicit(ds)
    ds.save_as(tmp_path / "implicit.dcm", enforce_file_format=True)
    implicit = pydicom.dcmread(tmp_path / "implicit.dcm")
    assert implicit.get_item(0x00290010).VR is None  # as read: no VR in the file
    assert _validate(tmp_path / "implicit.dcm") == []
    ds = pydicom.dcmread(samples_root / "head_ct" / "CT0001.dcm")
    ds.add_new(0x00290010, "UN", b"MY LAB 1.0")
    ds.add_new(0x00291001, "UN", b"case 17 ")
    ds.save_as(tmp_path / "un.dcm", enforce_file_format=True)
    assert pydicom.dcmread(tmp_path / "un.dcm").get_item(0x00290010).VR == "UN"
    assert _validate(tmp_path / "un.dcm") == []


def test_a_private_element_without_creator_is_found_in_items():
    item, ds = Dataset(), Dataset()
    item.add_new(0x00091010, "LO", "no owner")
    item.add_new(0x00090011, "LO", "OTHER LAB")  # owns (0009,11xx), not (0009,10xx)
    ds.ReferencedSeriesSequence = [item]
    problems = private_creator_problems(ds)
    assert [p.path for p in problems] == ["ReferencedSeriesSequence[0].(0009,1010)"]
    assert "(0009,0010)" in problems[0].message
    item.add_new(0x00090010, "LO", "MY LAB 1.0")
    assert private_creator_problems(ds) == []


def test_a_frame_number_is_judged_only_when_present(samples_root):
    """PS3.3 Table 10-3: Referenced Frame Number is 1C on the referenced image; present, it
    needs a value (PS3.5 7.4), absent it is not judged (the item cannot tell)."""
    ds = pydicom.dcmread(samples_root / "head_ct" / "CT0001.dcm")
    _source(ds)
    assert validate(ds) == []
    ds.SourceImageSequence[0].ReferencedFrameNumber = 1
    assert validate(ds) == []
    ds.SourceImageSequence[0].ReferencedFrameNumber = None
    assert [p.path for p in validate(ds)] == ["SourceImageSequence[0].ReferencedFrameNumber"]
