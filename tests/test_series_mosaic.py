"""Siemens mosaics: several slices tiled in one image must never load as one flat slice.

nibabel ships a real one, ``siemens_dwi_1000.dcm.gz`` (a diffusion-weighted volume: 48
slices of 128 x 128 tiled in a 896 x 896 image, Image Type ...\\MOSAIC). Before the fix,
load_series returned it as a 896 x 896 x 1 "volume" placed at the mosaic's corner.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from pydicom import dcmread

from bootcamp_utils.series import SeriesError, load_series

from .conftest import require_tool
from .series_cases import canonical, run_dcm2niix
from .test_series_errors import expect_error

MOSAIC = Path(nib.__file__).parent / "nicom" / "tests" / "data" / "siemens_dwi_1000.dcm.gz"


@pytest.fixture
def mosaic(tmp_path) -> Path:
    """A folder holding the mosaic file, gunzipped."""
    folder = tmp_path / "mosaic"
    folder.mkdir()
    with gzip.open(MOSAIC) as f:
        (folder / "dwi.dcm").write_bytes(f.read())
    return folder


def test_mosaic_is_unpacked(mosaic):
    ds = dcmread(mosaic / "dwi.dcm")
    assert "MOSAIC" in ds.ImageType and (ds.Rows, ds.Columns) == (896, 896)
    image = load_series(mosaic)
    assert image.shape == (128, 128, 48)
    assert [round(float(z), 4) for z in image.header.get_zooms()] == [1.7969, 1.7969, 3.0]
    # The first tile (top left of the mosaic) is the first slice, indexed (column, row).
    np.testing.assert_array_equal(image.get_fdata()[:, :, 0], ds.pixel_array[:128, :128].T)
    # Origin: the first tile's corner, not the mosaic's (hundreds of mm away).
    corner = np.array([float(v) for v in ds.ImagePositionPatient])
    origin = np.diag([-1.0, -1.0, 1.0]) @ image.affine[:3, 3]
    assert np.linalg.norm(origin - corner) > 500


@pytest.mark.external
def test_mosaic_matches_dcm2niix(mosaic, tmp_path):
    dcm2niix = require_tool("dcm2niix", "dcm2niix")
    niftis, log = run_dcm2niix(dcm2niix, mosaic, tmp_path / "dcm2niix")
    assert len(niftis) == 1, log
    data, affine = canonical(load_series(mosaic))
    ref_data, ref_affine = canonical(nib.load(niftis[0]))
    assert data.shape == ref_data.shape == (128, 128, 48)
    np.testing.assert_array_equal(data, ref_data)
    # dcm2niix stores the affine in float32 and derives it in its own arithmetic: measured
    # largest difference 3.3e-4 mm.
    np.testing.assert_allclose(affine, ref_affine, atol=1e-3)


def _second_volume(mosaic: Path) -> None:
    """Another mosaic volume at the same place, acquired after the first."""
    ds = dcmread(mosaic / "dwi.dcm")
    ds.SOPInstanceUID = ds.SOPInstanceUID + ".2"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.InstanceNumber = int(ds.InstanceNumber) + 1
    ds.AcquisitionNumber = int(ds.AcquisitionNumber) + 1
    pixels = ds.pixel_array // 2
    ds.PixelData = pixels.astype(ds.pixel_array.dtype).tobytes()
    ds.save_as(mosaic / "dwi_2.dcm")


def test_several_mosaic_volumes_make_a_4d_image(mosaic):
    """Before: 'duplicate slice positions... select them by a header field' (the silent case)."""
    _second_volume(mosaic)
    image = load_series(mosaic)
    assert image.shape == (128, 128, 48, 2)
    data = image.get_fdata()
    np.testing.assert_array_equal(data[..., 1], data[..., 0] // 2)
    assert image.header.get_xyzt_units() == ("mm", "sec")


@pytest.mark.external
def test_several_mosaic_volumes_match_dcm2niix(mosaic, tmp_path):
    dcm2niix = require_tool("dcm2niix", "dcm2niix")
    _second_volume(mosaic)
    niftis, log = run_dcm2niix(dcm2niix, mosaic, tmp_path / "dcm2niix")
    assert len(niftis) == 1, log
    image = load_series(mosaic)
    reference = nib.load(niftis[0])
    data, affine = canonical(image)
    ref_data, ref_affine = canonical(reference)
    assert data.shape == ref_data.shape == (128, 128, 48, 2)
    np.testing.assert_array_equal(data, ref_data)
    np.testing.assert_allclose(affine, ref_affine, atol=1e-3)
    assert image.header.get_zooms()[3] == pytest.approx(reference.header.get_zooms()[3])


def test_mosaic_without_its_csa_header_is_refused(mosaic):
    ds = dcmread(mosaic / "dwi.dcm")
    del ds[0x00291010]  # the CSA image header: the tiles' count and slice direction
    ds.save_as(mosaic / "dwi.dcm")
    expect_error(
        lambda: load_series(mosaic),
        words=["is a mosaic", "MOSAIC", "896 x 896", "CSA", "dcm2niix", "dicom2nifti", "nibabel"],
        names=["dwi.dcm"],
    )


def test_other_vendor_mosaic_is_refused(mosaic):
    """Image Type MOSAIC without Siemens' headers (United Imaging writes such files)."""
    ds = dcmread(mosaic / "dwi.dcm")
    for tag in [e.tag for e in ds if e.tag.group in (0x0019, 0x0029, 0x0051)]:
        del ds[tag]
    ds.Manufacturer = "UIH"
    ds.save_as(mosaic / "dwi.dcm")
    error = expect_error(lambda: load_series(mosaic), words=["mosaic", "UIH"], names=["dwi.dcm"])
    assert isinstance(error, SeriesError)


def test_number_of_images_in_mosaic_alone_is_recognised(mosaic):
    """A Siemens header that lost MOSAIC from Image Type is still a mosaic."""
    ds = dcmread(mosaic / "dwi.dcm")
    ds.ImageType = list(ds.ImageType)[:-1]
    ds.save_as(mosaic / "dwi.dcm")
    assert load_series(mosaic).shape == (128, 128, 48)


def test_mosaic_mixed_with_slices_is_refused(mosaic, tmp_path):
    from .series_cases import write_case

    write_case(mosaic / "slices", n_slices=3, name="mixed")
    for path in (mosaic / "slices").iterdir():
        ds = dcmread(path)
        ds.SeriesInstanceUID = dcmread(mosaic / "dwi.dcm").SeriesInstanceUID
        ds.save_as(path)
    expect_error(lambda: load_series(mosaic), words=["mixes mosaic files", "3 ordinary"])
