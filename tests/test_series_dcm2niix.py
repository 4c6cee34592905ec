"""load_series against dcm2niix and against the DICOM headers themselves.

Each case writes the head phantom as a small CT series on some grid (axial, sagittal,
coronal, oblique, slices stored backwards, per-slice rescale, non-square anisotropic pixels,
one slice, random file names written in random order, sub-folders) and checks that

* the volume is float32 with sform and qform code 1 (scanner) and the input is untouched;
* every file is one slice of it, at the place its own header says (check_against_headers);
* after nibabel.as_closest_canonical, data and affine equal what dcm2niix writes.

A tilted gantry gets its own tests: the only correct single affine is a sheared one.
"""

from __future__ import annotations

import shutil

import nibabel as nib
import numpy as np
import pytest
from pydicom import dcmread

from bootcamp_utils.series import load_series

from .conftest import require_tool
from .series_cases import (
    canonical,
    check_against_headers,
    dicom_files,
    rotation,
    run_dcm2niix,
    snapshot,
    write_case,
)

_OBLIQUE = rotation("x", 20) @ rotation("y", 10)
_OBLIQUE_AXES = {"row_dir": tuple(_OBLIQUE[:, 0]), "col_dir": tuple(_OBLIQUE[:, 1])}
_SAGITTAL = {"row_dir": (0.0, 1.0, 0.0), "col_dir": (0.0, 0.0, -1.0)}  # rows A->P, cols S->I
_CORONAL = {"row_dir": (1.0, 0.0, 0.0), "col_dir": (0.0, 0.0, -1.0)}


def _names_random(n: int, seed: int) -> list[str]:
    """File names as archives write them: UIDs, hex strings, with and without extensions."""
    rng = np.random.default_rng(seed)
    endings = ["", ".dcm", "", ".DCM", ".ima", ""]
    names = []
    for k in range(n):
        if k % 3 == 0:
            names.append(f"1.3.12.2.1107.5.1.4.{rng.integers(10**12)}.{k}")
        else:
            names.append(f"{rng.integers(1 << 62):016x}{endings[k % len(endings)]}")
    return names


def _shuffled(folder, **kwargs):
    """Random names, Instance Numbers in random order, files created in random order."""
    staging = folder.parent / (folder.name + "_staging")
    names = _names_random(12, seed=7)
    write_case(staging, name="shuffled", file_name=lambda k: names[k], **kwargs)
    rng = np.random.default_rng(11)
    instance_numbers = rng.permutation(12) + 1
    folder.mkdir()
    for k in rng.permutation(12):
        ds = dcmread(staging / names[k])
        ds.InstanceNumber = int(instance_numbers[k])
        ds.save_as(folder / names[k], enforce_file_format=True)
    shutil.rmtree(staging)


def _sub_folders(folder, **kwargs):
    """Slices spread over nested sub-folders, as some exports and CDs lay them out."""
    names = write_case(folder, name="subfolders", **kwargs)
    places = ["a", "a/b", "c/d/e"]
    for k, name in enumerate(names):
        target = folder / places[k % len(places)]
        target.mkdir(parents=True, exist_ok=True)
        (folder / name).rename(target / f"IM{k:03d}")


def _per_slice_rescale(folder):
    rng = np.random.default_rng(3)
    slopes = list(rng.permutation(np.linspace(0.6, 2.0, 12)))
    intercepts = list(np.round(rng.uniform(-1100.0, -1040.0, 12), 1))
    # Stored values stay inside 12 bits (no clipping) for HU -1030 ... 1340 at every slope.
    write_case(folder, name="rescale", slopes=slopes, intercepts=intercepts)


#: case -> function writing the series into a (not yet existing) folder.
CASES = {
    "axial": lambda f: write_case(f, name="axial"),
    "axial_reversed": lambda f: write_case(f, name="axial_rev", slice_step=-5.0),
    "sagittal": lambda f: write_case(f, name="sagittal", slice_step=6.0, **_SAGITTAL),
    "sagittal_reversed": lambda f: write_case(f, name="sag_rev", slice_step=-6.0, **_SAGITTAL),
    "coronal": lambda f: write_case(f, name="coronal", slice_step=6.0, **_CORONAL),
    "oblique": lambda f: write_case(f, name="oblique", **_OBLIQUE_AXES),
    "oblique_reversed": lambda f: write_case(f, name="obl_rev", slice_step=-4.0, **_OBLIQUE_AXES),
    "per_slice_rescale": _per_slice_rescale,
    # 96 rows 2.4 mm apart, 72 columns 3.1 mm apart: swapping either pair shows.
    "non_square_anisotropic": lambda f: write_case(
        f, name="nonsquare", n_slices=10, rows=96, cols=72, pixel_spacing=(2.4, 3.1)
    ),
    "non_square_sagittal": lambda f: write_case(
        f,
        name="nonsquare_sag",
        n_slices=8,
        rows=96,
        cols=72,
        pixel_spacing=(2.4, 3.1),
        slice_step=7.0,
        **_SAGITTAL,
    ),
    "single_slice": lambda f: write_case(f, name="single", n_slices=1),
    "shuffled_names_and_order": lambda f: _shuffled(f, **_OBLIQUE_AXES),
    "sub_folders": lambda f: _sub_folders(f, slice_step=-5.0, **_CORONAL),
}


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory):
    """case -> folder holding that series, written once per module."""
    root = tmp_path_factory.mktemp("series_cases")
    written = {}

    def get(case: str):
        if case not in written:
            written[case] = root / case
            CASES[case](written[case])
        return written[case]

    return get


def _load_untouched(folder) -> nib.Nifti1Image:
    """load_series, checking that it leaves the input folder exactly as it was."""
    before = snapshot(folder)
    image = load_series(folder)
    assert snapshot(folder) == before, "load_series changed the input folder"
    return image


@pytest.mark.parametrize("case", CASES)
def test_volume_matches_the_headers(case, series_dir):
    folder = series_dir(case)
    image = _load_untouched(folder)

    assert isinstance(image, nib.Nifti1Image)
    assert image.get_data_dtype() == np.float32
    assert np.asarray(image.dataobj).dtype == np.float32
    assert int(image.header["sform_code"]) == 1
    assert int(image.header["qform_code"]) == 1
    assert np.allclose(image.get_sform(), image.affine)
    assert np.allclose(image.get_qform(), image.affine, atol=1e-4)
    assert image.header.get_xyzt_units()[0] == "mm"
    check_against_headers(image, dicom_files(folder))


@pytest.mark.external
@pytest.mark.parametrize("case", CASES)
def test_matches_dcm2niix(case, series_dir, tmp_path):
    dcm2niix = require_tool("dcm2niix", "dcm2niix")
    folder = series_dir(case)
    image = _load_untouched(folder)
    before = snapshot(folder)
    niftis, log = run_dcm2niix(dcm2niix, folder, tmp_path / "dcm2niix")
    assert snapshot(folder) == before
    assert len(niftis) == 1, f"expected one volume from dcm2niix, got {niftis}:\n{log}"

    data, affine = canonical(image)
    ref_data, ref_affine = canonical(nib.load(niftis[0]))
    assert data.shape == ref_data.shape, log
    np.testing.assert_allclose(affine, ref_affine, atol=1e-3, err_msg=log)
    np.testing.assert_allclose(data, ref_data, rtol=1e-5, atol=1e-3, err_msg=log)


def test_per_slice_rescale_gives_the_same_hounsfield_units(series_dir, tmp_path):
    """Same phantom and noise, two encodings: the real-world values agree to rounding."""
    varied = load_series(series_dir("per_slice_rescale"))
    write_case(tmp_path / "plain", name="rescale")  # same name: same noise, slope 1
    plain = load_series(tmp_path / "plain")
    slopes = sorted(
        {float(dcmread(p).RescaleSlope) for p in dicom_files(series_dir("per_slice_rescale"))}
    )
    assert len(slopes) == 12 and slopes[0] < 0.7 and slopes[-1] > 1.9
    assert np.allclose(varied.affine, plain.affine)
    diff = np.abs(varied.get_fdata() - plain.get_fdata())
    # Each encoding rounds to half its own step (slope); 2.0 / 2 + 1 / 2 at worst.
    assert diff.max() <= 1.5 + 1e-3
    assert varied.get_fdata().max() > 1000  # bone survived (no clipping of the stored values)


# --- gantry tilt ----------------------------------------------------------------------------


def _tilted(folder, degrees: float) -> None:
    """Axial images whose origins also move along y: a sheared grid, not a scanner's tilt.

    A scanner stores a gantry tilt in Image Orientation (see :func:`_real_tilt`); a grid like
    this one (axial planes, origins stepping along z and y) is what some software writes for
    a tilted acquisition resampled onto axial planes. Both are valid DICOM geometry.
    """
    step = (0.0, 5.0 * np.tan(np.radians(degrees)), 5.0)
    write_case(folder, name=f"tilt{degrees}", slice_step=step)


def _real_tilt(folder, degrees: float) -> None:
    """A gantry tilted about x as a CT stores it: the image plane tilted, the table along z.

    The column direction is (0, cos t, -sin t), so a positive tilt makes a column run towards
    the feet as it runs towards the back: dcm2niix (1.0.20220720) then estimates the same
    angle as Gantry/Detector Tilt, 15 for 15 (lesson 03 shows the same copy of the CT).
    """
    t = np.radians(degrees)
    column = (0.0, float(np.cos(t)), -float(np.sin(t)))
    write_case(folder, name=f"real{degrees}", col_dir=column, slice_step=(0.0, 0.0, 5.0))
    for path in dicom_files(folder):
        ds = dcmread(path)
        ds.GantryDetectorTilt = degrees
        ds.save_as(path)


@pytest.mark.parametrize("degrees", [15.0, -12.0])
def test_real_gantry_tilt_keeps_the_headers_geometry(degrees, tmp_path):
    folder = tmp_path / "tilted"
    _real_tilt(folder, degrees)
    image = _load_untouched(folder)
    check_against_headers(image, dicom_files(folder))
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ image.affine
    assert np.allclose(lps[:3, 2], [0.0, 0.0, 5.0], atol=1e-4)  # the table's step
    normal = np.cross(lps[:3, 0], lps[:3, 1])
    cosine = normal @ lps[:3, 2] / np.linalg.norm(normal) / 5.0
    assert np.isclose(np.degrees(np.arccos(abs(cosine))), abs(degrees), atol=1e-3)
    assert int(image.header["qform_code"]) == 0 and int(image.header["sform_code"]) == 1


@pytest.mark.external
def test_dcm2niix_estimates_the_real_tilt_with_the_headers_sign(tmp_path):
    dcm2niix = require_tool("dcm2niix", "dcm2niix")
    folder = tmp_path / "tilted"
    _real_tilt(folder, 15.0)
    image = _load_untouched(folder)
    niftis, log = run_dcm2niix(dcm2niix, folder, tmp_path / "dcm2niix")
    assert "estimated from slice vector 15" in log, log
    as_is = [n for n in niftis if "tilt" not in n.name.lower()]
    assert len(as_is) == 1, f"{niftis}\n{log}"
    data, _ = canonical(image)
    ref_data, _ = canonical(nib.load(as_is[0]))
    np.testing.assert_allclose(data, ref_data, rtol=1e-5, atol=1e-3)  # the same voxels


@pytest.mark.parametrize("degrees", [15.0, -12.0])
def test_gantry_tilt_gives_a_sheared_affine(degrees, tmp_path):
    folder = tmp_path / "tilted"
    _tilted(folder, degrees)
    image = _load_untouched(folder)

    # Every voxel of every slice lands where its own file's header puts it...
    check_against_headers(image, dicom_files(folder))
    # ...which takes a slice axis that is not perpendicular to the image plane.
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ image.affine
    assert np.allclose(lps[:3, 2], [0.0, 5.0 * np.tan(np.radians(degrees)), 5.0], atol=1e-4)
    assert abs(lps[:3, 2] @ lps[:3, 0]) < 1e-6  # in-plane x still perpendicular
    assert abs(lps[:3, 2] @ lps[:3, 1]) > 0.5  # sheared along y
    # A qform is a rotation and cannot shear: only the sform may describe this grid.
    assert int(image.header["sform_code"]) == 1
    assert np.allclose(image.get_sform(), image.affine)
    assert int(image.header["qform_code"]) == 0


@pytest.mark.external
def test_gantry_tilt_against_dcm2niix(tmp_path):
    """dcm2niix writes the slices as they are (sheared sform) plus a resampled '_Tilt_' copy.

    Version 1.0.20220720 logs "Gantry Tilt based on 0018,1120 15, estimated from slice vector
    -15" and writes out.nii (64 x 64 x 12, the sform sheared like ours, qform code 1 with
    the shear dropped) and out_Tilt_1.nii, resampled onto an orthogonal grid with more rows.
    The un-resampled volume is the one that must equal load_series.
    """
    dcm2niix = require_tool("dcm2niix", "dcm2niix")
    folder = tmp_path / "tilted"
    _tilted(folder, 15.0)
    image = _load_untouched(folder)
    niftis, log = run_dcm2niix(dcm2niix, folder, tmp_path / "dcm2niix")
    assert "tilt" in log.lower(), log
    as_is = [n for n in niftis if "tilt" not in n.name.lower()]
    assert len(as_is) == 1, f"{niftis}\n{log}"
    reference = nib.load(as_is[0])
    assert reference.shape == image.shape

    data, _ = canonical(image)
    ref_data, _ = canonical(reference)
    np.testing.assert_allclose(data, ref_data, rtol=1e-5, atol=1e-3)
    # Compare the sforms directly: as_closest_canonical of a sheared affine is still sheared,
    # so it has to be the same flips on both sides; the voxel order is checked by the data.
    ours = nib.as_closest_canonical(image)
    theirs = nib.as_closest_canonical(
        nib.Nifti1Image(np.asarray(reference.dataobj), reference.get_sform())
    )
    np.testing.assert_allclose(ours.affine, theirs.affine, atol=1e-3, err_msg=log)
