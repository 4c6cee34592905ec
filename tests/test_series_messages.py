"""list_series and load_series say what a folder holds and how to load it (issue 24.8, 24.7).

Files without a Series Instance UID are listed under a label that load_series accepts; a
folder holding only a DICOMDIR is named as a file-set index with where its images should be;
duplicate files in different sub-folders are named by their path in the folder loaded; a
damaged decimal (DS) or integer (IS) string names the file, the attribute and the fix.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from bootcamp_utils import sample_path
from bootcamp_utils.series import MultipleSeriesError, list_series, load_series

from .series_cases import write_case
from .test_series_errors import _corrupt_value, _edit, expect_error

N_SLICES = 10


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good") / "series"
    write_case(folder, n_slices=N_SLICES, name="messages_base")
    return folder


# --- files without a Series Instance UID ----------------------------------------------------


@pytest.fixture
def without_uid(good, tmp_path) -> Path:
    """The good series without Series Instance UID in ``a/``, another series in ``b/``."""
    folder = tmp_path / "study"
    shutil.copytree(good, folder / "a")
    for path in (folder / "a").iterdir():
        _edit(path, lambda ds: delattr(ds, "SeriesInstanceUID"))
    write_case(folder / "b", n_slices=6, name="messages_second", centre=(0.0, 8.0, 0.0))
    return folder


def test_files_without_series_uid_load_by_the_label_list_series_gives(without_uid, good):
    (info,) = [i for i in list_series(without_uid) if len(i.files) == N_SLICES]
    assert info.uid == "(none)"
    assert "series_uid='(none)'" in str(info)  # the listing says how to load them
    image = load_series(without_uid, series_uid=info.uid)
    assert np.array_equal(image.get_fdata(), load_series(good).get_fdata())
    error = expect_error(lambda: load_series(without_uid), MultipleSeriesError)
    assert "series_uid='(none)'" in str(error)
    assert {s.uid for s in error.series} >= {"(none)"}


def test_the_viewer_takes_the_label_too(without_uid, good):
    from bootcamp_utils.viewer import window_level_viewer

    viewer = window_level_viewer(without_uid, series_uid="(none)")
    assert viewer._meta["shape"][0] == N_SLICES


# --- a DICOMDIR without its images ----------------------------------------------------------


@pytest.fixture
def medium(good, tmp_path) -> Path:
    """A file-set as on a CD: DICOMDIR at the top, the slices in sub-folders."""
    fileset = FileSet()
    for path in sorted(good.iterdir()):
        fileset.add(path)
    fileset.write(tmp_path / "cd")
    return tmp_path / "cd"


def _file_ids(dicomdir: Path) -> list[str]:
    records = dcmread(dicomdir).DirectoryRecordSequence
    return ["/".join(r.ReferencedFileID) for r in records if "ReferencedFileID" in r]


def test_dicomdir_alone_is_named_as_an_index_with_where_its_images_are(medium, tmp_path):
    folder = tmp_path / "copied"
    folder.mkdir()
    shutil.copy(medium / "DICOMDIR", folder / "DICOMDIR")
    ids = _file_ids(folder / "DICOMDIR")
    assert len(ids) == N_SLICES
    for call in (lambda: load_series(folder), lambda: list_series(folder)):
        error = expect_error(
            call,
            words=[
                "DICOMDIR",
                "index",
                "file-set",
                r"Referenced File ID \(0004,1500\)",
                f"{N_SLICES} file",
                re.escape(ids[0]),
                f"{N_SLICES} of them are not in",
                "copy the whole medium",
            ],
            names=["DICOMDIR"],
        )
        assert "without the DICOM marker ()" not in str(error)


def test_dicomdir_with_other_files_names_them_too(medium, tmp_path):
    folder = tmp_path / "copied"
    folder.mkdir()
    shutil.copy(medium / "DICOMDIR", folder / "DICOMDIR")
    (folder / "README.txt").write_text("Images exported by the PACS.\n")
    expect_error(
        lambda: load_series(folder),
        words=["DICOMDIR", "index", "no DICOM marker"],
        names=["DICOMDIR", "README.txt"],
    )


def test_dicomdir_whose_files_are_there_but_not_dicom(medium):
    for file_id in _file_ids(medium / "DICOMDIR"):
        (medium / file_id).write_text("not an image\n")
    expect_error(
        lambda: load_series(medium),
        words=["DICOMDIR", "they are there, but are not DICOM files"],
    )


def test_empty_dicomdir(tmp_path):
    (tmp_path / "empty").mkdir()
    FileSet().write(tmp_path / "empty")
    expect_error(
        lambda: load_series(tmp_path / "empty"),
        words=["DICOMDIR", "index", "lists no files"],
        names=["DICOMDIR"],
    )


# --- duplicates in different sub-folders ----------------------------------------------------


@pytest.fixture
def two_copies(good, tmp_path) -> Path:
    """The series in ``x/``, and one of its slices again under the same name in ``y/``."""
    folder = tmp_path / "export"
    shutil.copytree(good, folder / "x")
    (folder / "y").mkdir()
    shutil.copy(good / "CT0005.dcm", folder / "y" / "CT0005.dcm")
    return folder


def test_same_file_in_two_sub_folders_is_named_by_its_path(two_copies):
    error = expect_error(
        lambda: load_series(two_copies), words=["duplicate", "same image"], names=["CT0005.dcm"]
    )
    assert re.search(r"x/CT0005\.dcm and y/CT0005\.dcm|y/CT0005\.dcm and x/CT0005\.dcm", str(error))


def test_other_image_in_a_sub_folder_at_the_same_position_is_named_by_its_path(two_copies):
    _edit(two_copies / "y" / "CT0005.dcm", lambda ds: setattr(ds, "SOPInstanceUID", generate_uid()))
    error = expect_error(lambda: load_series(two_copies), words=["duplicate slice positions"])
    assert "x/CT0005.dcm" in str(error) and "y/CT0005.dcm" in str(error)


# --- damaged numbers ------------------------------------------------------------------------

FIX = r"ds\.{keyword} = .*ds\.save_as\(path\)"


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns about the bad value
@pytest.mark.parametrize("keyword", ["SliceThickness", "RescaleIntercept"])
def test_damaged_number_of_a_slice_names_file_attribute_and_fix(good, tmp_path, keyword):
    folder = Path(shutil.copytree(good, tmp_path / "series"))
    _corrupt_value(folder / "CT0005.dcm", keyword)
    expect_error(
        lambda: load_series(folder),
        words=[keyword, "not (a number|numeric)", FIX.format(keyword=keyword)],
        names=["CT0005.dcm"],
    )


def test_several_values_where_one_is_expected(good, tmp_path):
    folder = Path(shutil.copytree(good, tmp_path / "series"))
    _edit(folder / "CT0005.dcm", lambda ds: setattr(ds, "RescaleSlope", ["1", "2"]))
    expect_error(
        lambda: load_series(folder),
        words=[r"RescaleSlope \(0028,1053\) is '1\\\\2'", "2 values where one is expected"],
        names=["CT0005.dcm"],
    )


def _perfusion(folder: Path) -> Path:
    shutil.copytree(sample_path("head_perfusion"), folder)
    return folder


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("keyword", "tag"), [("EchoTime", "0018,0081"), ("EchoNumbers", "0018,0086")]
)
def test_damaged_echo_is_not_taken_for_a_second_echo(tmp_path, keyword, tag):
    """Before: 'several echoes or image types mixed in one series', for one damaged value."""
    folder = _perfusion(tmp_path / "perfusion")
    _corrupt_value(folder / "MR0004.dcm", keyword)
    error = expect_error(
        lambda: load_series(folder),
        words=[
            re.escape(f"{keyword} ({tag}) is 'xx'"),
            "not a number",
            FIX.format(keyword=keyword),
        ],
        names=["MR0004.dcm"],
    )
    assert "several echoes" not in str(error)
    assert error.files == [folder / "MR0004.dcm"]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_damaged_instance_number_that_orders_volumes(tmp_path):
    folder = _perfusion(tmp_path / "perfusion")
    for path in folder.iterdir():  # no Temporal Position Identifier: Instance Number orders
        _edit(path, lambda ds: delattr(ds, "TemporalPositionIdentifier"))
        _edit(path, lambda ds: setattr(ds, "AcquisitionNumber", 1))
    _corrupt_value(folder / "MR0004.dcm", "InstanceNumber")
    expect_error(
        lambda: load_series(folder),
        words=[
            r"InstanceNumber \(0020,0013\) is 'xx'",
            "Integer String",
            FIX.format(keyword="InstanceNumber"),
        ],
        names=["MR0004.dcm"],
    )


def test_disagreeing_orientation_is_shown_as_numbers(good, tmp_path):
    folder = Path(shutil.copytree(good, tmp_path / "series"))
    _edit(
        folder / "CT0005.dcm",
        lambda ds: setattr(ds, "ImageOrientationPatient", [1, 0, 0, 0, 0, -1]),
    )
    error = expect_error(
        lambda: load_series(folder),
        words=[r"\(1, 0, 0, 0, 1, 0\) in CT0001\.dcm", r"\(1, 0, 0, 0, 0, -1\) in CT0005\.dcm"],
        names=["CT0005.dcm"],
    )
    assert "np.float64" not in str(error)
