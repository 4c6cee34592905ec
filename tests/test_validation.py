"""bootcamp_utils.validation: VR value rules and Type 1/2 presence, alone and against dciodvfy."""

from __future__ import annotations

import re
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import Tag
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from bootcamp_utils.data import SAMPLES, sample_path
from bootcamp_utils.validation import (
    CONDITIONS,
    IODS,
    MODULES,
    VR_RULES,
    Problem,
    check_value,
    iod_for,
    type_problems,
    validate,
    value_problems,
)
from tests.conftest import require_tool

# (VR, values that follow PS3.5 6.2, values that break it)
CASES = [
    ("AE", ["STORESCP", " PACS1 "], ["A" * 17, "AE\x01", "ÄE"]),
    ("AS", ["054Y", "003M", "012W", "001D"], ["54Y", "054y", "054 Y", "0054Y", "054A"]),
    ("CS", ["HEAD", "ORIGINAL", "ISO_IR 100", "T1_MAP", "HFS "], ["head", "Head", "A-B", "X" * 17]),
    ("DA", ["20240115", "20240229", "19000101"], ["20240231", "20230229", "2024-01-15", "240115"]),
    ("DA", ["20241231"], ["20241301", "20240100", "2024011"]),
    ("DS", ["-1024", "0.9375", " 1.5 ", "1e-3", "+2.", ".5", "1234567890123456"], []),
    ("DS", [], ["4.0mm", "1,5", "12345678901234567", "1.2.3", "e3", "NaN", "inf"]),
    ("DT", ["2024", "202401", "20240115093512.123456", "20240115093512+0100"], []),
    ("DT", [], ["20241315", "20240115253512", "2024011509351", "20240115093512+1500"]),
    ("IS", ["42", "-3", "+7", " 12 ", "2147483647", "-2147483648"], []),
    ("IS", [], ["1.5", "1e3", "2147483648", "-2147483649", "1234567890123", "A"]),
    ("LO", ["CT HEAD WITHOUT CONTRAST", "L" * 64, "Müller"], ["L" * 65, "tab\there"]),
    ("LT", ["line 1\r\nline 2\tend", "L" * 10240], ["L" * 10241, "bell\x07"]),
    ("PN", ["Phantom^Head", "A^B^C^D^E", "Yamada^Tarou=山田^太郎=やまだ^たろう"], []),
    ("PN", [], ["A^B^C^D^E^F", "A=B=C=D", "X" * 65, "A^B=C^D^E^F^G^H"]),
    ("SH", ["SOFT", "S" * 16], ["S" * 17, "A\x00"]),
    ("ST", ["S" * 1024, "a\nb"], ["S" * 1025]),
    ("TM", ["09", "0935", "093512", "093512.5", "235960.123456", "000000"], []),
    ("TM", [], ["256100", "09:35:12", "0935121.5", "093512.1234567", "2400", "096000"]),
    ("UI", ["1.2.840.10008.5.1.4.1.1.2", "2.25.1521713724472302082282723701088765255"], []),
    ("UI", ["1.2.0.3", "1." + "9" * 62], []),
    (
        "UI",
        [],
        ["1.2.03.4", "1..2", "1.2.", ".1.2", "1.2.a", "1." + "9" * 63, "9.8.7.6", "0.0.0"],
    ),
    ("UR", ["http://dicom.nema.org/medical/dicom/current/"], ["http://a b", "é"]),
    ("UT", ["x" * 20000], ["\x00"]),
    ("UC", ["code"], ["\x1f"]),
]


@pytest.mark.parametrize(("vr", "value"), [(vr, value) for vr, good, _ in CASES for value in good])
def test_good_values_have_no_problem(vr, value):
    assert check_value(vr, value) == []


@pytest.mark.parametrize(("vr", "value"), [(vr, value) for vr, _, bad in CASES for value in bad])
def test_bad_values_are_reported_with_their_section(vr, value):
    messages = check_value(vr, value)
    assert messages, f"{vr} {value!r} should break PS3.5"
    assert all("PS3.5" in message for message in messages)


def test_every_rule_has_cases():
    assert (
        set(VR_RULES)
        == {vr for vr, good, bad in CASES if good}
        == {vr for vr, good, bad in CASES if bad}
    )


def test_messages_name_what_is_wrong():
    assert check_value("UI", "1.2.03.4") == ["component '03' starts with 0 (PS3.5 9.1)"]
    assert "day is out of range" in check_value("DA", "20240231")[0]
    assert "17 characters, more than the 16 SH allows" in check_value("SH", "S" * 17)[0]
    assert check_value("CS", "head")[0].startswith("characters 'a', 'd', 'e', 'h' not allowed")
    assert check_value("CS", "A-B")[0].startswith("character '-' not allowed in CS")
    assert "6 components" in check_value("PN", "A^B^C^D^E^F")[0]
    assert "outside -2**31" in check_value("IS", "99999999999")[0]


@pytest.mark.parametrize("vr", sorted(VR_RULES))
def test_an_empty_value_is_no_vr_problem(vr):
    """Whether a value may be empty is a Type question (PS3.5 7.4), not a VR rule."""
    assert check_value(vr, "") == []


def test_binary_and_unknown_vrs_have_no_rules():
    assert check_value("US", "anything") == []
    assert check_value("OB", "\x00\x01") == []
    assert check_value("US or SS", "x") == []


def test_paths_inside_sequences_and_file_meta():
    ds = Dataset()
    ds.PatientName = "Phantom^Head"
    inner = Dataset()
    inner.ReferencedSOPInstanceUID = "1.2.3"
    item = Dataset()
    item.SeriesDate = "20240231"
    item.ReferencedInstanceSequence = [Dataset(), inner]
    ds.ReferencedSeriesSequence = [Dataset(), item]
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    with pytest.warns(UserWarning, match="Invalid value for VR UI"):  # pydicom warns only
        inner.ReferencedSOPInstanceUID = "1.2.3.04"
    with pytest.warns(UserWarning, match="exceeds the maximum length"):
        ds.file_meta.ImplementationVersionName = "V" * 17
    problems = value_problems(ds)
    assert [p.path for p in problems] == [
        "file_meta.ImplementationVersionName",
        "ReferencedSeriesSequence[1].SeriesDate",
        "ReferencedSeriesSequence[1].ReferencedInstanceSequence[1].ReferencedSOPInstanceUID",
    ]
    uid = problems[-1]
    assert (uid.tag, uid.vr, uid.value, uid.keyword, uid.kind) == (
        0x00081155,
        "UI",
        "1.2.3.04",
        "ReferencedSOPInstanceUID",
        "value",
    )
    assert str(uid).startswith(
        "ReferencedSeriesSequence[1].ReferencedInstanceSequence[1].ReferencedSOPInstanceUID "
        "(0008,1155) UI '1.2.3.04': component '04'"
    )


def test_each_value_of_a_multi_valued_element():
    ds = Dataset()
    with pytest.warns(UserWarning, match="Invalid value for VR CS"):
        ds.ImageType = ["ORIGINAL", "primary", "AXIAL"]
    ds.WindowCenter = ["40", "600"]
    assert [(p.path, p.value) for p in value_problems(ds)] == [("ImageType", "primary")]


def test_problem_has_room_for_other_checks():
    missing = Problem("SOPInstanceUID", Tag(0x00080018), "UI", "", "Type 1: missing", "type")
    assert missing.kind == "type" and missing.keyword == "SOPInstanceUID"
    assert str(missing) == "SOPInstanceUID (0008,0018) UI '': Type 1: missing"


# --- Files: raw (unconverted) elements, as pydicom reads them ---------------------------


def _raw(keyword: str, text: str, vr: str | None = None) -> RawDataElement:
    """An element holding exactly these bytes (explicit VR little endian), unvalidated.

    pydicom refuses or converts some invalid values when they are set as attributes
    (a DS of "4.0mm" raises); a raw element is written to the file as it is.
    """
    tag = Tag(tag_for_keyword(keyword))
    vr = vr or dictionary_VR(tag)
    data = text.encode("utf-8")
    if len(data) % 2:
        data += b"\0" if vr == "UI" else b" "
    return RawDataElement(tag, vr, len(data), data, 0, False, True)


def test_a_value_pydicom_cannot_convert_is_reported_not_raised(tmp_path):
    ds = Dataset()
    ds["SliceThickness"] = _raw("SliceThickness", "4.0mm")
    ds["InstanceNumber"] = _raw("InstanceNumber", "1.5")
    assert [(p.keyword, p.value) for p in value_problems(ds)] == [
        ("SliceThickness", "4.0mm"),
        ("InstanceNumber", "1.5"),
    ]


def test_padding_and_nul():
    ds = Dataset()
    ds["SOPInstanceUID"] = _raw("SOPInstanceUID", "1.2.3")  # padded with NUL: fine
    ds["StudyID"] = _raw("StudyID", "ABC")  # padded with a space: fine
    assert value_problems(ds) == []
    ds["StudyID"] = RawDataElement(Tag(0x00200010), "SH", 4, b"ABC\0", 0, False, True)
    assert [p.keyword for p in value_problems(ds)] == ["StudyID"]  # NUL is not SH padding


def test_unknown_vr_elements_use_the_dictionary():
    """Implicit VR files name no VR; some files store known elements as UN."""
    ds = Dataset()
    ds[0x00080020] = RawDataElement(Tag(0x00080020), None, 8, b"20240231", 0, True, True)
    ds[0x00080030] = RawDataElement(Tag(0x00080030), "UN", 6, b"256100", 0, False, True)
    assert [(p.keyword, p.vr) for p in value_problems(ds)] == [
        ("StudyDate", "DA"),
        ("StudyTime", "TM"),
    ]


def test_specific_character_set_decodes_raw_text():
    ds = Dataset()
    ds[0x00080005] = RawDataElement(Tag(0x00080005), "CS", 10, b"ISO_IR 192", 0, False, True)
    name = "Müller^Jürgen".encode()  # 15 bytes, 13 characters
    ds[0x00100010] = RawDataElement(Tag(0x00100010), "PN", 16, name + b" ", 0, False, True)
    sh = ("é" * 16).encode()  # 32 bytes, 16 characters: fits SH
    ds[0x00200010] = RawDataElement(Tag(0x00200010), "SH", 32, sh, 0, False, True)
    assert value_problems(ds) == []


def test_generated_samples_have_no_value_problems(samples_root):
    for name in SAMPLES:
        for path in sorted((samples_root / name).glob("*.dcm")):
            assert value_problems(pydicom.dcmread(path)) == [], path


# --- Against dciodvfy -------------------------------------------------------------------

# dciodvfy's VR errors: "Error - Value invalid for this VR - (0x0008,0x0018) UI ..." and
# "Error - Illegal root for UID - "3.4.5" in (0x0020,0x0052) Frame of Reference UID".
_DCIODVFY_VR_ERROR = re.compile(
    r"^Error - (?:Value invalid for this VR|Illegal root for UID)"
    r".*?\(0x([0-9a-f]{4}),0x([0-9a-f]{4})\)",
    re.MULTILINE,
)

# name: {keyword: raw value} written into a copy of the first head_ct file
BROKEN = {
    "bad_uid": {"FrameOfReferenceUID": "1.2.03.4", "StudyInstanceUID": "1.2..3"},
    "long_uid": {"SeriesInstanceUID": "2.25." + "1" * 60},
    "uid_root": {"FrameOfReferenceUID": "3.4.5"},
    "bad_date": {"StudyDate": "2024-01-15", "SeriesDate": "2024011"},
    "pn_components": {"PatientName": "A^B^C^D^E^F"},
    "long_sh_cs": {"ConvolutionKernel": "X" * 17, "PatientPosition": "HFSHFSHFSHFSHFSHFS"},
    "long_lo": {"Manufacturer": "M" * 65},
    "lowercase_cs": {"BodyPartExamined": "head", "Modality": "ct"},
    "bad_ds": {"SliceThickness": "4.0mm", "KVP": "12345678901234567", "RescaleSlope": "1,5"},
    "bad_is": {"InstanceNumber": "1.5", "SeriesNumber": "99999999999"},
    "bad_tm": {"StudyTime": "256100", "SeriesTime": "09:35:12", "ContentTime": "0935121.5"},
    "bad_as": {"PatientAge": "54Y"},
    "control_characters": {"AccessionNumber": "A\tB", "ImageComments": "a\x01b"},
    # dciodvfy reports no error on these: it checks only the characters of dates and
    # times, and calls 4 PN groups a "Warning - Value dubious ... Too many component group
    # delimiters (=)"; PS3.5 6.2.1 allows 3 groups, so value_problems says it is an error
    "pn_groups": {"PatientName": "A=B=C=D"},
    "impossible_date": {"StudyDate": "20240231", "AcquisitionDateTime": "20241315"},
    "tm_fraction": {"ContentTime": "093512.1234567"},
    "dt_offset": {"AcquisitionDateTime": "20240115093512+1500"},
}
DCIODVFY_SILENT = {"impossible_date", "tm_fraction", "dt_offset", "pn_groups"}


def _write_broken(tmp_path: Path, name: str, values: dict[str, str]) -> Path:
    source = sorted(sample_path("head_ct").glob("*.dcm"))[0]
    ds = pydicom.dcmread(source)
    for keyword, text in values.items():
        ds[keyword] = _raw(keyword, text)
    if name == "bad_uid":  # and one inside a sequence item
        item = Dataset()
        item["ReferencedSOPClassUID"] = _raw("ReferencedSOPClassUID", str(ds.SOPClassUID))
        item["ReferencedSOPInstanceUID"] = _raw("ReferencedSOPInstanceUID", "1.2.3.0045")
        ds.ReferencedImageSequence = [item]
    out = tmp_path / f"{name}.dcm"
    with warnings.catch_warnings():  # pydicom warns about the values we broke on purpose
        warnings.simplefilter("ignore", UserWarning)
        ds.save_as(out)
    assert source.read_bytes() != out.read_bytes()
    return out


def _dciodvfy_vr_errors(dciodvfy: str, path: Path) -> tuple[set[str], str]:
    run = subprocess.run([dciodvfy, str(path)], capture_output=True, text=True, check=False)
    report = run.stdout + run.stderr
    tags = {int(group + element, 16) for group, element in _DCIODVFY_VR_ERROR.findall(report)}
    return {keyword_for_tag(tag) for tag in tags}, report


@pytest.mark.external
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_every_dciodvfy_vr_error_is_reported(tmp_path, name):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    path = _write_broken(tmp_path, name, BROKEN[name])
    theirs, report = _dciodvfy_vr_errors(dciodvfy, path)
    ours = {p.keyword for p in value_problems(pydicom.dcmread(path))}
    if name in DCIODVFY_SILENT:
        assert theirs == set(), report  # when dciodvfy learns these, move them up
    else:
        assert theirs, f"dciodvfy found no VR error in {name}: the file is not broken\n{report}"
    assert theirs <= ours, f"dciodvfy reports {sorted(theirs - ours)} too\n{report}"
    expected = set(BROKEN[name]) | ({"ReferencedSOPInstanceUID"} if name == "bad_uid" else set())
    assert ours == expected


@pytest.mark.external
def test_generated_samples_pass_dciodvfy_and_value_problems(samples_root):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    for name in SAMPLES:
        files = sorted(p for p in (samples_root / name).iterdir() if p.suffix == ".dcm")
        # unlabelled: its files are not DICOM files; ml_archive: no extensions, in export
        # folders (tests/test_data_archive.py runs dciodvfy on a file of every kind)
        assert files or name in ("unlabelled", "ml_archive")
        for path in files[:2]:
            theirs, report = _dciodvfy_vr_errors(dciodvfy, path)
            assert theirs == set(), report
            assert value_problems(pydicom.dcmread(path)) == []


# --- Presence: Type 1, 1C, 2 and 2C (type_problems) -------------------------------------

# name: (sample, {keyword: "delete" or "empty"}, keywords type_problems must report)
BROKEN_TYPES = {
    "no_sop_instance_uid": ("head_ct", {"SOPInstanceUID": "delete"}, {"SOPInstanceUID"}),
    "empty_modality": ("head_ct", {"Modality": "empty"}, {"Modality"}),
    "no_patient_name": ("head_ct", {"PatientName": "delete"}, {"PatientName"}),
    "no_rows": ("head_ct", {"Rows": "delete"}, {"Rows"}),
    "empty_study_uid": ("head_ct", {"StudyInstanceUID": "empty"}, {"StudyInstanceUID"}),
    "no_patient_id": ("head_ct", {"PatientID": "delete"}, {"PatientID"}),
    "ct_rescale": (
        "head_ct",
        {"RescaleSlope": "delete", "RescaleIntercept": "empty", "KVP": "delete"},
        {"RescaleSlope", "RescaleIntercept", "KVP"},
    ),
    "ct_1c_present_but_empty": ("head_ct", {"RescaleType": "empty"}, {"RescaleType"}),
    "ct_plane": (
        "head_ct",
        {"PixelSpacing": "empty", "SliceThickness": "delete", "FrameOfReferenceUID": "delete"},
        {"PixelSpacing", "SliceThickness", "FrameOfReferenceUID"},
    ),
    "ct_2c_patient_position": ("head_ct", {"PatientPosition": "delete"}, {"PatientPosition"}),
    "ct_no_pixels": ("head_ct", {"PixelData": "delete"}, {"PixelData"}),
    "ct_image_type": (
        "head_ct",
        {"ImageType": "empty", "BitsStored": "empty"},
        {"ImageType", "BitsStored"},
    ),
    "mr_no_patient_name": ("head_mr", {"PatientName": "delete"}, {"PatientName"}),
    "mr_sequence": (
        "head_mr",
        {"ScanningSequence": "delete", "SequenceVariant": "empty", "EchoTime": "delete"},
        {"ScanningSequence", "SequenceVariant", "EchoTime"},
    ),
    "mr_2c_repetition_time": ("head_mr", {"RepetitionTime": "delete"}, {"RepetitionTime"}),
    "mr_study": (
        "head_mr",
        {"StudyInstanceUID": "delete", "AccessionNumber": "delete", "Manufacturer": "delete"},
        {"StudyInstanceUID", "AccessionNumber", "Manufacturer"},
    ),
}

# dciodvfy's presence errors, e.g. "Error - Missing attribute Type 1 Required
# Element=<SOPInstanceUID> Module=<SOPCommon>" and "Error - Empty attribute (no value) Type 1C
# Conditional Element=<Modality> Module=<GeneralSeries>"
_DCIODVFY_TYPE_ERROR = re.compile(
    r"^Error - (?:Missing|Empty) attribute.*? Type (\w+) \w+ Element=<(\w+)> Module=<(\w+)>",
    re.MULTILINE,
)
# dciodvfy checks the attributes of Image Pixel in a macro of its own
_DCIODVFY_MODULE = {"ImagePixelDescriptionMacro": "ImagePixel"}


def _write_without(tmp_path: Path, name: str) -> Path:
    sample, changes, _ = BROKEN_TYPES[name]
    ds = pydicom.dcmread(sorted(sample_path(sample).glob("*.dcm"))[0])
    for keyword, change in changes.items():
        if change == "delete":
            del ds[keyword]
        else:
            ds[keyword].value = None
    out = tmp_path / f"{name}.dcm"
    ds.save_as(out)
    return out


def _dciodvfy_type_errors(dciodvfy: str, path: Path, modules: list[str]) -> tuple[set, str]:
    """The keywords dciodvfy reports missing or empty in one of ``modules``, and its report."""
    run = subprocess.run([dciodvfy, str(path)], capture_output=True, text=True, check=False)
    report = run.stdout + run.stderr
    found = {
        keyword
        for _, keyword, module in _DCIODVFY_TYPE_ERROR.findall(report)
        if _DCIODVFY_MODULE.get(module, module) in modules
    }
    return found, report


def test_generated_samples_have_no_type_problems(samples_root):
    for name in ("head_ct", "head_mr"):
        paths = sorted((samples_root / name).glob("*.dcm"))
        assert paths
        for path in paths:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # their SOP Classes are known: no warning
                assert type_problems(pydicom.dcmread(path)) == [], path
                assert validate(pydicom.dcmread(path)) == [], path


@pytest.mark.parametrize("name", sorted(BROKEN_TYPES))
def test_missing_and_empty_attributes_are_reported(tmp_path, name):
    _, changes, expected = BROKEN_TYPES[name]
    ds = pydicom.dcmread(_write_without(tmp_path, name))
    problems = type_problems(ds)
    assert {p.keyword for p in problems} == expected, [p.message for p in problems]
    for problem in problems:
        assert problem.kind == "type"
        assert problem.value == ""
        assert problem.path == problem.keyword
        what = "Missing attribute" if changes[problem.keyword] == "delete" else "Empty attribute"
        assert problem.message.startswith(what), problem.message
        module = re.search(r"Module=<(\w+)>", problem.message).group(1)
        kind = MODULES[module].types[problem.keyword]
        assert f" Type {kind} " in problem.message
        assert f"(PS3.3 {MODULES[module].section}" in problem.message
    assert problems == [p for p in validate(ds) if p.kind == "type"]


def test_message_reads_like_dciodvfy(tmp_path):
    ds = pydicom.dcmread(_write_without(tmp_path, "no_sop_instance_uid"))
    assert [p.message for p in type_problems(ds)] == [
        "Missing attribute Type 1 Required Element=<SOPInstanceUID> Module=<SOPCommon>"
        " (PS3.3 C.12.1)"
    ]
    ds = pydicom.dcmread(_write_without(tmp_path, "no_patient_id"))
    assert str(type_problems(ds)[0]) == (
        "PatientID (0010,0020) LO '': Missing attribute Type 2 Required Element=<PatientID>"
        " Module=<Patient> (PS3.3 C.7.1.1)"
    )


def test_a_type_2_attribute_may_be_empty_a_type_1_may_not(tmp_path):
    ds = pydicom.dcmread(sorted(sample_path("head_ct").glob("*.dcm"))[0])
    ds.PatientName = ""  # Type 2: present and empty is fine
    ds.PatientID = None
    assert type_problems(ds) == []
    ds.SeriesInstanceUID = ""  # Type 1
    assert [p.keyword for p in type_problems(ds)] == ["SeriesInstanceUID"]


def test_conditions(tmp_path):
    ds = pydicom.dcmread(sorted(sample_path("head_mr").glob("*.dcm"))[0])
    assert type_problems(ds) == []
    ds.ScanningSequence = ["IR", "SE"]  # Inversion Time (2C) is now required
    assert [p.keyword for p in type_problems(ds)] == ["InversionTime"]
    ds.InversionTime = None  # 2C: may be empty
    assert type_problems(ds) == []
    ds.ScanningSequence = "EP"  # echo planar: Repetition Time is not required
    del ds.InversionTime
    del ds.RepetitionTime
    assert type_problems(ds) == []
    ds.SequenceVariant = "SK"  # ... unless segmented k-space
    assert [p.keyword for p in type_problems(ds)] == ["RepetitionTime"]
    # Planar Configuration (1C) when there are several samples per pixel
    ds = pydicom.dcmread(sorted(sample_path("head_ct").glob("*.dcm"))[0])
    ds.SamplesPerPixel = 3
    assert [p.keyword for p in type_problems(ds)] == ["PlanarConfiguration"]
    # Patient Position (2C) only for CT and MR: no problem in an SC image
    sc = _secondary_capture()
    del sc.PatientPosition
    assert type_problems(sc) == []
    sc.ConversionType = "DF"  # digitized film: Nominal Scanned Pixel Spacing (1C)
    assert [p.keyword for p in type_problems(sc)] == ["NominalScannedPixelSpacing"]


def test_read_without_pixels_misses_pixel_data():
    path = sorted(sample_path("head_ct").glob("*.dcm"))[0]
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert [p.keyword for p in type_problems(ds)] == ["PixelData"]


def test_tables_are_consistent():
    for uid, (name, section, modules) in IODS.items():
        assert section.startswith("A.")
        assert set(modules) <= set(MODULES), name
        assert "SOPCommon" in modules
        assert uid.startswith("1.2.840.10008.5.1.4.1.1.")
    for module in MODULES.values():
        assert re.fullmatch(r"C\.\d+(\.\d+)+", module.section)
        for keyword, kind in module.types.items():
            assert tag_for_keyword(keyword) is not None, keyword
            assert kind in {"1", "1C", "2", "2C"}
            assert (keyword in CONDITIONS) == kind.endswith("C"), keyword


def test_unknown_sop_class_checks_only_values():
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.2"  # RT Dose Storage
    ds.StudyDate = "2024-01-15"
    assert iod_for(ds) is None
    with pytest.warns(UserWarning, match="only the value rules"):
        assert type_problems(ds) == []
    with pytest.warns(UserWarning, match="not one of the IODs"):
        problems = validate(ds)
    assert [(p.kind, p.keyword) for p in problems] == [("value", "StudyDate")]


def test_missing_sop_class_uses_the_file_meta(tmp_path):
    ds = pydicom.dcmread(sorted(sample_path("head_ct").glob("*.dcm"))[0])
    del ds.SOPClassUID
    assert iod_for(ds) == "CT Image"
    assert [p.keyword for p in type_problems(ds)] == ["SOPClassUID"]


def _secondary_capture() -> Dataset:
    """A small Secondary Capture image built by hand: every Type 1 and 2 of its IOD."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = SecondaryCaptureImageStorage  # SOP Common
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Phantom^Capture"  # Patient
    ds.PatientID = "BOOTCAMP-0002"
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = generate_uid()  # General Study
    ds.StudyDate = "20240115"
    ds.StudyTime = "093000"
    ds.ReferringPhysicianName = ""
    ds.StudyID = "SC1"
    ds.AccessionNumber = ""
    ds.Modality = "OT"  # General Series
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 1
    ds.BodyPartExamined = "HEAD"  # not paired: dciodvfy then needs no Laterality
    ds.PatientPosition = ""
    ds.ConversionType = "WSD"  # SC Equipment: workstation
    ds.InstanceNumber = 1  # General Image
    ds.PatientOrientation = ""  # 2C: no Image Plane module in this IOD
    ds.SamplesPerPixel = 1  # Image Pixel
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 8
    ds.Columns = 8
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = np.arange(64, dtype=np.uint8).tobytes()
    return ds


def test_secondary_capture_built_by_hand_passes(tmp_path):
    ds = _secondary_capture()
    assert iod_for(ds) == "Secondary Capture Image"
    assert validate(ds) == []
    for keyword, kind in [("PatientOrientation", "2C"), ("ConversionType", "1")]:
        broken = _secondary_capture()
        del broken[keyword]
        problems = type_problems(broken)
        assert [p.keyword for p in problems] == [keyword]
        assert f"Missing attribute Type {kind} " in problems[0].message


@pytest.mark.external
@pytest.mark.parametrize("name", sorted(BROKEN_TYPES))
def test_every_dciodvfy_presence_error_is_reported(tmp_path, name):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    sample, changes, expected = BROKEN_TYPES[name]
    path = _write_without(tmp_path, name)
    ds = pydicom.dcmread(path)
    modules = IODS[str(ds.SOPClassUID)][2]
    theirs, report = _dciodvfy_type_errors(dciodvfy, path, modules)
    assert theirs == expected, report  # dciodvfy sees what we broke, and nothing else
    ours = {p.keyword for p in type_problems(ds)}
    assert theirs <= ours, f"dciodvfy reports {sorted(theirs - ours)} too\n{report}"


@pytest.mark.external
def test_samples_and_secondary_capture_pass_dciodvfy_and_type_problems(samples_root, tmp_path):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    sc = tmp_path / "sc.dcm"
    _secondary_capture().save_as(sc, enforce_file_format=True)
    paths = [sc] + [sorted((samples_root / n).glob("*.dcm"))[0] for n in ("head_ct", "head_mr")]
    for path in paths:
        run = subprocess.run([dciodvfy, str(path)], capture_output=True, text=True, check=False)
        report = run.stdout + run.stderr
        assert "Error" not in report, report
        assert run.returncode == 0, report
        assert validate(pydicom.dcmread(path)) == [], path
