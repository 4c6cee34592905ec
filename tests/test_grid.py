"""bootcamp_utils.grid against nibabel (as_closest_canonical, processing.resample_*).

nibabel.processing interpolates with scipy.ndimage too, so on the same grid the voxel values
must agree to float32 rounding, and its resample_to_output grid must share our affine.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from nibabel.processing import resample_from_to, resample_to_output

from bootcamp_utils import load_series, sample_path
from bootcamp_utils.grid import intensity_stats, normalise, resample, to_canonical
from bootcamp_utils.windowing import apply_window_clip


@pytest.fixture(scope="module")
def ct() -> nib.Nifti1Image:
    """The course's head CT (256 x 256 x 40, 0.9375 x 0.9375 x 4 mm), canonical, cropped."""
    image = to_canonical(load_series(sample_path("head_ct")))
    return image.slicer[60:190, 50:200, 5:30]


def _ball_mask(shape, centre_vox, radius_vox) -> np.ndarray:
    grid = np.indices(shape).astype(float)
    r2 = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre_vox, radius_vox, strict=True))
    return (r2 <= 1.0).astype(np.uint8)


def test_to_canonical_is_nibabels_and_moves_nothing():
    mr = load_series(sample_path("head_mr"))  # stored P, I, R
    ours, ref = to_canonical(mr), nib.as_closest_canonical(mr)
    assert nib.aff2axcodes(ours.affine) == ("R", "A", "S")
    np.testing.assert_array_equal(ours.affine, ref.affine)
    np.testing.assert_array_equal(np.asarray(ours.dataobj), np.asarray(ref.dataobj))
    assert (int(ours.header["sform_code"]), int(ours.header["qform_code"])) == (1, 1)  # kept
    np.testing.assert_allclose(ours.get_qform(), ours.affine, atol=1e-5)
    # The same voxel, found by its world position in both, has the same value.
    data, cdata = np.asarray(mr.dataobj), np.asarray(ours.dataobj)
    for ijk in [(10, 20, 5), (200, 31, 30), (0, 255, 35)]:
        world = nib.affines.apply_affine(mr.affine, ijk)
        back = np.rint(nib.affines.apply_affine(np.linalg.inv(ours.affine), world)).astype(int)
        assert cdata[tuple(back)] == data[ijk]


def test_same_spacing_is_the_identity(ct):
    for order in (0, 1, 3):
        same = resample(ct, ct.header.get_zooms()[:3], order=order)
        assert same.shape == ct.shape
        np.testing.assert_allclose(same.affine, ct.affine, atol=1e-6)
        np.testing.assert_allclose(np.asarray(same.dataobj), ct.get_fdata(), atol=1e-3)


@pytest.mark.parametrize("spacing", [2.0, (1.5, 1.2, 2.5), (0.7, 0.7, 1.0)])
def test_linear_equals_nibabel_resample_to_output(ct, spacing):
    ours = resample(ct, spacing, order=1)
    ref = resample_to_output(ct, spacing, order=1, mode="nearest")
    np.testing.assert_allclose(ours.affine, ref.affine, atol=1e-6)  # same origin and axes
    # nibabel's grid may reach one voxel further along an axis (past the data): ours stops.
    assert all(0 <= r - o <= 1 for o, r in zip(ours.shape, ref.shape, strict=True)), (
        ours.shape,
        ref.shape,
    )
    common = ref.get_fdata()[tuple(slice(0, n) for n in ours.shape)]
    np.testing.assert_allclose(np.asarray(ours.dataobj), common, rtol=1e-5, atol=1e-2)
    assert ours.get_data_dtype() == np.float32


def test_oblique_image_equals_resample_from_to(ct):
    """An oblique, sheared grid: ours keeps its directions; nibabel resamples onto it."""
    oblique = np.array(
        [[0.9, 0.2, 0.1, -40.0], [-0.25, 0.95, 0.3, 12.0], [0.05, -0.1, 3.8, -30.0], [0, 0, 0, 1]]
    )
    image = nib.Nifti1Image(ct.get_fdata(dtype=np.float32), oblique)
    ours = resample(image, (1.6, 2.1, 3.0), order=1)
    lengths = np.sqrt((ours.affine[:3, :3] ** 2).sum(axis=0))
    np.testing.assert_allclose(lengths, [1.6, 2.1, 3.0])
    directions = ours.affine[:3, :3] / lengths
    np.testing.assert_allclose(
        directions, oblique[:3, :3] / np.linalg.norm(oblique[:3, :3], axis=0)
    )
    np.testing.assert_allclose(ours.affine[:3, 3], oblique[:3, 3])  # voxel (0,0,0) stays
    ref = resample_from_to(image, (ours.shape, ours.affine), order=1, mode="nearest")
    np.testing.assert_allclose(np.asarray(ours.dataobj), ref.get_fdata(), rtol=1e-5, atol=1e-2)


def test_mask_stays_binary_and_equals_nibabel_nearest(ct):
    mask = nib.Nifti1Image(_ball_mask(ct.shape, (60, 70, 12), (25, 30, 6)), ct.affine)
    zooms = np.array(ct.header.get_zooms()[:3], float)
    for spacing in [(1.3, 1.3, 1.3), (2.0, 2.0, 5.0)]:
        ours = resample(mask, spacing, order=0)
        assert ours.get_data_dtype() == np.uint8
        values = np.unique(np.asarray(ours.dataobj))
        assert set(values.tolist()) == {0, 1}
        ref = resample_from_to(mask, (ours.shape, ours.affine), order=0, mode="nearest")
        # Where a new voxel centre falls exactly half-way between two old ones (a tie), the
        # last bit of floating point decides the neighbour: compare everywhere else.
        ties = np.zeros(ours.shape, bool)
        for axis, (n, ratio) in enumerate(zip(ours.shape, np.array(spacing) / zooms, strict=True)):
            tie = np.abs((np.arange(n) * ratio) % 1 - 0.5) < 1e-6
            ties |= np.expand_dims(tie, [a for a in range(3) if a != axis])
        assert ties.mean() <= 0.3
        np.testing.assert_array_equal(
            np.asarray(ours.dataobj)[~ties], np.asarray(ref.dataobj)[~ties]
        )
    # Linear interpolation of the same mask makes values that are no label at all.
    linear = np.asarray(resample(mask, 1.3, order=1).dataobj)
    assert ((linear > 0.01) & (linear < 0.99)).any()


def test_world_position_of_a_feature_is_kept():
    """A bright ball's centre of mass, in mm, is the same before and after resampling."""
    shape, zooms = (60, 50, 30), (0.8, 0.9, 3.0)
    affine = np.diag([*zooms, 1.0])
    affine[:3, 3] = [-20.0, 35.0, -60.0]
    data = (_ball_mask(shape, (31.3, 22.6, 14.2), (9, 8, 2.5)) * 1000.0).astype(np.float32)
    image = nib.Nifti1Image(data, affine)

    def centre_mm(img):
        d = np.asarray(img.dataobj, float)
        ijk = np.array([(np.indices(d.shape)[a] * d).sum() / d.sum() for a in range(3)])
        return nib.affines.apply_affine(img.affine, ijk)

    before = centre_mm(image)
    for spacing in [1.0, (0.5, 2.0, 1.5)]:
        for order in (0, 1):
            after = centre_mm(resample(image, spacing, order=order))
            # Nearest neighbour moves an edge by up to half an old voxel; linear does not.
            tolerance = np.array(zooms) / 2 if order == 0 else 0.15
            assert np.all(np.abs(after - before) <= tolerance), (spacing, order, after, before)


def test_linear_makes_in_between_hounsfield_units():
    """Bone next to brain: linear interpolation creates values neither tissue has."""
    hu = np.where(np.arange(8) < 4, 1000.0, 40.0).astype(np.float32).reshape(8, 1, 1)
    image = nib.Nifti1Image(hu, np.eye(4))
    linear = np.asarray(resample(image, (0.25, 1, 1), order=1).dataobj).ravel()
    nearest = np.asarray(resample(image, (0.25, 1, 1), order=0).dataobj).ravel()
    assert ((linear > 41) & (linear < 999)).sum() == 3
    assert set(nearest.tolist()) == {40.0, 1000.0}


def test_resample_refusals(ct):
    with pytest.raises(ValueError, match="4-D"):
        resample(nib.Nifti1Image(np.zeros((4, 4, 4, 2), np.float32), np.eye(4)), 2, order=1)
    with pytest.raises(ValueError, match="positive"):
        resample(ct, (1, 0, 1), order=1)
    with pytest.raises(ValueError, match="order"):
        resample(ct, 2, order=7)
    with pytest.raises(TypeError):
        resample(ct, 2)  # the order must be chosen


def test_normalise_equals_the_clipped_linear_exact_window(ct):
    hu = ct.get_fdata()
    for window in [(40, 80), (600, 2800), "lung"]:
        center, width = window if not isinstance(window, str) else (-600.0, 1500.0)
        ours = normalise(ct, window)
        assert ours.dtype == np.float32 and ours.shape == ct.shape
        assert ours.min() >= 0 and ours.max() <= 1
        np.testing.assert_allclose(ours, apply_window_clip(hu, center, width), atol=1e-6)
    np.testing.assert_array_equal(normalise(hu, (40, 80)), normalise(ct, (40, 80)))
    with pytest.raises(ValueError, match="brain"):
        normalise(hu, "brian")
    with pytest.raises(ValueError, match="positive"):
        normalise(hu, (40, 0))


def test_intensity_stats_equal_numpy_over_all_voxels(ct):
    parts = [ct.slicer[:, :, :10], ct.slicer[:, :, 10:]]
    stats = intensity_stats(parts)
    every = ct.get_fdata().ravel()
    assert stats["voxels"] == every.size
    np.testing.assert_allclose(
        [stats["mean"], stats["std"], stats["min"], stats["max"]],
        [every.mean(), every.std(), every.min(), every.max()],
        rtol=1e-9,
    )
    with pytest.raises(ValueError, match="at least one"):
        intensity_stats([])
