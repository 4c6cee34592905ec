"""PS3.15 Table E.1-1 as package data: rows checked by hand, patterns, the wheel, the errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections import Counter

import pytest

from bootcamp_utils.deid import _build_table, table
from bootcamp_utils.deid.table import (
    ACTIONS,
    EDITION,
    action_for,
    basic_profile_actions,
    profile_rows,
)

from .conftest import REPO

CSV = REPO / "bootcamp_utils" / "deid" / "e1_1.csv"

# Checked by hand against PS3.15 Table E.1-1 (Basic Profile column) as I know it from the
# editions up to 2024/2025, and found in the shipped table (edition 2026c, the copy in
# dicom-anonymizer 2.1.0). One row differs from older editions, see PatientID below.
BY_HAND = [
    ("PatientName", "0010,0010", "Z"),
    # Z in the 2020 and 2023e tables (dicom-standard 0.1.0, dicom-anonymizer's 2023e copy),
    # Z/D from 2024b on (its 2024b and 2026c copies): Patient ID is Type 1 in some IODs.
    ("PatientID", "0010,0020", "Z/D"),
    ("PatientBirthDate", "0010,0030", "Z"),
    ("PatientSex", "0010,0040", "Z"),
    ("PatientBirthTime", "0010,0032", "X"),
    ("PatientAge", "0010,1010", "X"),
    ("PatientAddress", "0010,1040", "X"),
    ("OtherPatientIDsSequence", "0010,1002", "X"),
    ("PatientComments", "0010,4000", "X"),
    ("StudyInstanceUID", "0020,000D", "U"),
    ("SeriesInstanceUID", "0020,000E", "U"),
    ("SOPInstanceUID", "0008,0018", "U"),
    ("FrameOfReferenceUID", "0020,0052", "U"),
    ("MediaStorageSOPInstanceUID", "0002,0003", "U"),
    ("ReferencedSOPInstanceUID", "0008,1155", "U"),
    ("InstitutionName", "0008,0080", "X/Z/D"),
    ("InstitutionAddress", "0008,0081", "X"),
    ("StationName", "0008,1010", "X/Z/D"),
    ("DeviceSerialNumber", "0018,1000", "X/Z/D"),
    ("OperatorsName", "0008,1070", "X/Z/D"),
    ("ReferringPhysicianName", "0008,0090", "Z"),
    ("PerformingPhysicianName", "0008,1050", "X"),
    ("AccessionNumber", "0008,0050", "Z"),
    ("StudyID", "0020,0010", "Z"),
    ("StudyDate", "0008,0020", "Z"),
    ("StudyTime", "0008,0030", "Z"),
    ("SeriesDate", "0008,0021", "X/D"),
    ("AcquisitionDate", "0008,0022", "X/Z"),
    ("ContentDate", "0008,0023", "Z/D"),
    ("ContentTime", "0008,0033", "Z/D"),
    ("AcquisitionDateTime", "0008,002A", "X/Z/D"),
    ("InstanceCreationDate", "0008,0012", "X/D"),
    ("StudyDescription", "0008,1030", "X"),
    ("SeriesDescription", "0008,103E", "X"),
    ("ProtocolName", "0018,1030", "X/D"),
    ("ImageComments", "0020,4000", "X"),
    ("DerivationDescription", "0008,2111", "X"),
    ("ReferencedImageSequence", "0008,1140", "X/Z/U*"),
    ("SourceImageSequence", "0008,2112", "X/Z/U*"),
    ("ReferencedStudySequence", "0008,1110", "X/Z"),
    ("RequestedProcedureDescription", "0032,1060", "X/Z"),
    ("ContrastBolusAgent", "0018,0010", "Z/D"),
    ("VerifyingObserverName", "0040,A075", "D"),
    ("PersonName", "0040,A123", "D"),
]


@pytest.mark.parametrize(("keyword", "tag", "action"), BY_HAND, ids=[k for k, _, _ in BY_HAND])
def test_rows_checked_by_hand(keyword, tag, action):
    row = next(r for r in profile_rows() if r.tag == tag)
    assert (row.keyword, row.action) == (keyword, action)
    assert basic_profile_actions()[tag] == action
    assert action_for(keyword) == action


def test_attributes_the_table_does_not_list_are_kept():
    # Needed to read and display an image, identify no one: not in the table.
    for keyword in ("Modality", "SOPClassUID", "Rows", "Columns", "PixelData", "BitsStored"):
        assert action_for(keyword) is None, keyword
    assert action_for("BurnedInAnnotation") is None  # a flag, not identifying data


def test_the_table_as_shipped():
    rows = profile_rows()
    assert EDITION == "2026c"
    assert len(rows) == 655
    assert rows == sorted(rows)
    counts = Counter(r.action for r in rows)
    # The Basic Profile column has no K or C (those are in the option columns).
    assert set(counts) == set(ACTIONS) - {"K", "C"}
    assert counts["U"] == 55
    header = [line for line in CSV.read_text().splitlines() if line.startswith("#")]
    assert "edition 2026c" in header[0]
    assert any("dicom-anonymizer 2.1.0" in line for line in header)
    assert any("Copyright 2020, Kitware Europe" in line for line in header)


@pytest.mark.parametrize(
    ("tag", "action"),
    [
        ((0x5000, 0x3000), "X"),  # Curve Data, first curve group
        ((0x501E, 0x0010), "X"),  # any element of the last curve group
        ((0x6000, 0x4000), "X"),  # Overlay Comments
        ((0x6002, 0x4000), "X"),  # ... of the second overlay group
        ((0x601E, 0x3000), "X"),  # Overlay Data of the last one
        ((0x6000, 0x0010), None),  # Overlay Rows: not in the table
        ((0x6000, 0x0050), None),  # Overlay Origin: not in the table
        ((0x5100, 0x3000), None),  # outside the 50xx groups
        ((0x0009, 0x0010), "X"),  # a private creator
        ((0x0029, 0x1010), "X"),  # a private element
        ((0x6001, 0x4000), "X"),  # odd group: private, not an overlay
    ],
)
def test_masked_patterns_and_private_attributes(tag, action):
    assert action_for(tag) == action
    assert action_for(tag[0] << 16 | tag[1]) == action


def test_patterns_are_kept_as_patterns():
    actions = basic_profile_actions()
    assert {t: a for t, a in actions.items() if "x" in t} == {
        "50xx,xxxx": "X",
        "60xx,3000": "X",
        "60xx,4000": "X",
    }


def test_tag_spellings():
    from pydicom.tag import Tag

    for spelling in ("InstitutionName", 0x00080080, (0x0008, 0x0080), Tag(0x00080080)):
        assert action_for(spelling) == "X/Z/D"
    for spelling in ("(0008,0080)", "0008,0080", "(0008, 0080)", "(0008,0080)".lower()):
        assert action_for(spelling) == "X/Z/D"


# "": pydicom's Tag("") is (300A,0782), whose keyword is empty in its dictionary.
@pytest.mark.parametrize("bad", ["PatientsName", "(0010,001G)", "", " ", -1, 0x1_0000_0000])
def test_action_for_rejects_what_is_not_a_tag(bad):
    with pytest.raises(ValueError, match=r"is not a DICOM keyword or tag: pass a keyword"):
        action_for(bad)


@pytest.mark.parametrize("bad", [1.5, None, True, [0x10, 0x10]])
def test_action_for_rejects_other_types(bad):
    with pytest.raises(TypeError, match=r"is not a DICOM tag: pass a keyword"):
        action_for(bad)


def test_basic_profile_actions_is_a_fresh_copy():
    basic_profile_actions()["0010,0010"] = "K"
    assert basic_profile_actions()["0010,0010"] == "Z"
    assert action_for("PatientName") == "Z"


GOOD = "# comment\ntag,keyword,name,basic_profile\n" + '"0010,0010",PatientName,Name,Z\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# only comments\n", r"no header line"),
        ("tag,name,basic_profile\n", r"line 1: header .* expected"),
        (GOOD + '"0010,0020",PatientID,ID\n', r"line 4: 3 fields, expected 4"),
        (GOOD + '"0010;0020",PatientID,ID,Z\n', r"line 4: tag '0010;0020' is not gggg,eeee"),
        (GOOD + '"0010,0020",PatientID,ID,Q\n', r"line 4: action 'Q' is not one of"),
        (GOOD + '"0010,0010",PatientName,Name,X\n', r"tags listed twice: \['0010,0010'\]"),
    ],
)
def test_loader_errors_name_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "e1_1.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as caught:
        table._read_table(path)
    assert str(path) in str(caught.value)


def test_loader_reads_a_good_file_and_says_how_to_fix_a_missing_one(tmp_path):
    path = tmp_path / "e1_1.csv"
    path.write_text(GOOD)
    assert table._read_table(path) == (table.ProfileRow("0010,0010", "PatientName", "Name", "Z"),)
    with pytest.raises(FileNotFoundError, match=r"missing: .*Reinstall it"):
        table._read_table(tmp_path / "absent.csv")


SOURCE = """\
D_TAGS = [
    (0x0040, 0xA123),  # Person Name
]
U_TAGS = [
    (
        0x0040,
        0x4023,
    ),  # Referenced General Purpose Scheduled Procedure Step Transaction UID
]
X_TAGS = [
    (0x5000, 0x0000, 0xFF00, 0x0000),  # Curve Data
    (0x6000, 0x4000, 0xFF00, 0xFFFF),  # Overlay Comments
    (0x0088, 0x0200),  # Icon Image Sequence(see Note 11)
]
ALL_TAGS = []
ALL_TAGS.extend(D_TAGS)
"""


def test_the_converter_reads_the_source_layout(tmp_path):
    rows = _build_table.parse_source(SOURCE)
    assert rows == [
        (
            "0040,4023",
            "ReferencedGeneralPurposeScheduledProcedureStepTransactionUID",
            "Referenced General Purpose Scheduled Procedure Step Transaction UID",
            "U",
        ),
        ("0040,A123", "PersonName", "Person Name", "D"),
        ("0088,0200", "IconImageSequence", "Icon Image Sequence", "X"),
        ("50xx,xxxx", "", "Curve Data", "X"),
        ("60xx,4000", "OverlayComments", "Overlay Comments", "X"),
    ]
    out = tmp_path / "e1_1.csv"
    _build_table.write_csv(rows, "0" * 64, out)
    assert [r.tag for r in table._read_table(out)] == [r[0] for r in rows]
    with pytest.raises(ValueError, match="listed under two actions"):
        _build_table.parse_source(SOURCE + "Z_TAGS = [\n    (0x0040, 0xA123),  # Person Name\n]\n")


def test_the_table_is_in_the_wheel(tmp_path):
    """Build a wheel from a copy of the package (nothing written into the checkout)."""
    src = tmp_path / "src"
    shutil.copytree(
        REPO / "bootcamp_utils",
        src / "bootcamp_utils",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--wheel-dir", str(tmp_path / "dist"), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("bootcamp_utils-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("bootcamp_utils/deid/e1_1.csv") == CSV.read_bytes()
        archive.extractall(tmp_path / "site")
    script = "from bootcamp_utils.deid.table import action_for; print(action_for('PatientName'))"
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "Z"
