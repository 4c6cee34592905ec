"""The VR value rules of bootcamp_utils.validation, rule by rule and against dciodvfy."""

from __future__ import annotations

import re
import subprocess
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from bootcamp_utils.data import SAMPLES, sample_path
from bootcamp_utils.validation import VR_RULES, Problem, check_value, value_problems
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
        assert files or name == "unlabelled"  # its files are not DICOM files
        for path in files[:2]:
            theirs, report = _dciodvfy_vr_errors(dciodvfy, path)
            assert theirs == set(), report
            assert value_problems(pydicom.dcmread(path)) == []
