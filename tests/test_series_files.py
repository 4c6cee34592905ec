"""load_series given the files of one series (as an archive's index lists them), not a folder.

The list form must give exactly the image of a folder holding just those files, whatever
the order of the list, and equal dcm2niix's conversion of that folder; a missing, repeated
or folder entry is refused with a message naming it.
"""

from __future__ import annotations

import shutil

import nibabel as nib
import numpy as np
import pytest
from pydicom import dcmread

from bootcamp_utils import SeriesError, load_series, sample_path
from bootcamp_utils.series import MultipleSeriesError

from .conftest import require_tool
from .series_cases import canonical, run_dcm2niix, write_case


def _same_image(a: nib.Nifti1Image, b: nib.Nifti1Image) -> None:
    assert a.shape == b.shape
    np.testing.assert_array_equal(a.affine, b.affine)
    np.testing.assert_array_equal(np.asarray(a.dataobj), np.asarray(b.dataobj))
    assert a.header == b.header  # sform/qform codes, units, zooms


@pytest.mark.parametrize("order", ["sorted", "reversed", "shuffled"])
def test_files_equal_the_folder(order):
    folder = sample_path("head_ct")
    files = sorted(folder.glob("*.dcm"))
    assert len(files) == 40
    if order == "reversed":
        files = files[::-1]
    elif order == "shuffled":
        files = [files[k] for k in np.random.default_rng(5).permutation(len(files))]
    _same_image(load_series(files), load_series(folder))


def test_strings_and_a_generator_work_too():
    folder = sample_path("head_ct")
    expected = load_series(folder)
    _same_image(load_series([str(p) for p in folder.glob("*.dcm")]), expected)
    _same_image(load_series(p for p in folder.glob("*.dcm")), expected)


def test_a_subset_equals_a_folder_of_just_those_files(tmp_path):
    """Files 11-30 of the 40 (from a folder holding all 40) give the 20-slice volume."""
    files = sorted(sample_path("head_ct").glob("*.dcm"))[10:30]
    alone = tmp_path / "twenty"
    alone.mkdir()
    for path in files:
        shutil.copy(path, alone / path.name)
    image = load_series(files)
    assert image.shape == (256, 256, 20)
    _same_image(image, load_series(alone))


def test_one_series_of_a_folder_holding_two(tmp_path):
    """Picking the series' files out of a mixed folder equals series_uid=... on the folder."""
    write_case(tmp_path / "mixed", name="a")
    write_case(tmp_path / "b", name="b", n_slices=6)
    for path in (tmp_path / "b").iterdir():
        path.rename(tmp_path / "mixed" / f"b_{path.name}")
    all_files = sorted((tmp_path / "mixed").iterdir())
    with pytest.raises(MultipleSeriesError, match="list of 18 file"):
        load_series(all_files)
    b_files = [p for p in all_files if p.name.startswith("b_")]
    b = load_series(b_files)
    assert b.shape[2] == 6
    uid = str(dcmread(b_files[0]).SeriesInstanceUID)
    _same_image(b, load_series(tmp_path / "mixed", series_uid=uid))


def test_a_missing_file_is_named(tmp_path):
    files = sorted(sample_path("head_ct").glob("*.dcm"))
    gone = tmp_path / "CT0099.dcm"
    with pytest.raises(FileNotFoundError, match=r"CT0099\.dcm \(file 41 of the 41 given\)"):
        load_series([*files, gone])


def test_a_file_listed_twice_or_a_folder_is_refused():
    files = sorted(sample_path("head_ct").glob("*.dcm"))
    with pytest.raises(SeriesError, match="CT0001.dcm is listed twice") as info:
        load_series([*files, files[0]])
    assert info.value.files == [files[0]]
    with pytest.raises(SeriesError, match="is a folder"):
        load_series([sample_path("head_ct")])
    with pytest.raises(SeriesError, match="No files given"):
        load_series([])


def test_a_list_missing_a_slice_is_refused_like_the_folder():
    """A gap in the list is a gap in the volume: the same error as for such a folder."""
    files = sorted(sample_path("head_ct").glob("*.dcm"))
    with pytest.raises(SeriesError, match="CT0020.dcm and CT0022.dcm"):
        load_series(files[:20] + files[21:])


@pytest.mark.external
@pytest.mark.parametrize("reverse", [False, True])
def test_files_equal_dcm2niix(reverse, tmp_path):
    dcm2niix = require_tool("dcm2niix", "dcm2niix")
    folder = sample_path("head_ct")
    files = sorted(folder.glob("*.dcm"), reverse=reverse)
    niftis, log = run_dcm2niix(dcm2niix, folder, tmp_path / "dcm2niix")
    assert len(niftis) == 1, log
    data, affine = canonical(load_series(files))
    ref_data, ref_affine = canonical(nib.load(niftis[0]))
    assert data.shape == ref_data.shape, log
    np.testing.assert_allclose(affine, ref_affine, atol=1e-3, err_msg=log)
    np.testing.assert_allclose(data, ref_data, rtol=1e-5, atol=1e-3, err_msg=log)
