"""diff_datasets: every addition, removal and change, at any depth, and nothing else."""

from __future__ import annotations

import copy

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ImplicitVRLittleEndian

from bootcamp_utils import diff_datasets, sample_path
from bootcamp_utils.diff import Change


@pytest.fixture
def slice_path():
    return sorted(sample_path("identified_study").glob("CT*.dcm"))[0]


def test_identical_files_have_no_differences(slice_path):
    assert diff_datasets(dcmread(slice_path), dcmread(slice_path)) == []
    assert str(diff_datasets(dcmread(slice_path), dcmread(slice_path))) == "no differences"


def test_added_removed_and_changed_are_each_one_line(slice_path):
    before = dcmread(slice_path)
    after = copy.deepcopy(before)
    after.PatientName = "Doe^Jane"
    del after.PatientBirthDate
    after.ContrastBolusAgent = "IODINE"
    changes = diff_datasets(before, after)
    assert [(c.kind, c.path) for c in changes] == [
        ("changed", "PatientName"),
        ("removed", "PatientBirthDate"),
        ("added", "ContrastBolusAgent"),
    ]
    assert str(changes[0]) == "~ (0010,0010) PatientName: 'Rivera^Elena^Maria^^' -> 'Doe^Jane'"
    assert str(changes[1]) == "- (0010,0030) PatientBirthDate: '19560214'"
    assert str(changes[2]) == "+ (0018,0010) ContrastBolusAgent: 'IODINE'"


def test_inside_sequences_the_path_names_the_item(slice_path):
    before = dcmread(slice_path)
    after = copy.deepcopy(before)
    after.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "1.2.3"
    after.ReferencedImageSequence.append(Dataset())
    after.OtherPatientIDsSequence = Sequence()
    changes = diff_datasets(before, after)
    assert [(c.kind, c.path) for c in changes] == [
        ("changed", "ReferencedImageSequence[0].ReferencedSOPInstanceUID"),
        ("added", "ReferencedImageSequence[1]"),
        ("removed", "OtherPatientIDsSequence[0]"),
    ]


def test_file_meta_and_private_elements_read_back_as_un(slice_path, tmp_path):
    """Implicit VR keeps no VR: the course's private block comes back as UN, padded."""
    before = dcmread(slice_path)
    written = copy.deepcopy(before)
    written.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    written.save_as(tmp_path / "implicit.dcm")
    changes = diff_datasets(before, dcmread(tmp_path / "implicit.dcm"))
    shown = [str(c) for c in changes]
    assert "~ (0002,0010) file_meta.TransferSyntaxUID: '1.2.840.10008.1.2.1' -> " in shown[1] + " "
    assert "~ (0029,1011) [SEGH PACS 1.0] 0x11: LO 'MRN-4821-7734' -> UN b'MRN-4821-7734 '" in shown
    assert all(c.kind == "changed" for c in changes)
    assert {c.path for c in changes if not c.path.startswith("file_meta.")} == {
        "[SEGH PACS 1.0] 0x10",
        "[SEGH PACS 1.0] 0x11",
        "[SEGH PACS 1.0] 0x12",
    }


def test_pixel_data_and_long_values_are_shortened_but_compared_whole(slice_path):
    before = dcmread(slice_path)
    after = copy.deepcopy(before)
    data = bytearray(after.PixelData)
    data[-1] ^= 1  # one bit in the last pixel
    after.PixelData = bytes(data)
    after.ImageComments = before.ImageComments + "!"
    changes = diff_datasets(before, after)
    assert [c.path for c in changes] == ["ImageComments", "PixelData"]
    assert changes[1].before == changes[1].after == f"<{len(data)} bytes>"
    assert changes[0].before.endswith("…") and len(changes[0].before) == 60


def test_change_prints_by_kind():
    assert str(Change("added", "X", "(0001,0002)", after="'1'")) == "+ (0001,0002) X: '1'"
    assert str(Change("removed", "X", "(0001,0002)", before="'1'")) == "- (0001,0002) X: '1'"
    assert str(Change("changed", "X", "(0001,0002)", "'1'", "'2'")) == "~ (0001,0002) X: '1' -> '2'"


def test_inputs_are_not_modified(slice_path):
    before, after = dcmread(slice_path), dcmread(slice_path)
    after.PatientName = "Doe^Jane"
    snapshot = (copy.deepcopy(before), copy.deepcopy(after))
    diff_datasets(before, after)
    assert before == snapshot[0] and after == snapshot[1]
