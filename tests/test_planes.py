"""show_planes and plane: radiological orientation, whatever the voxel order of the input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bootcamp_utils import load_series, sample_path  # noqa: E402
from bootcamp_utils.data._phantom import BLEED  # noqa: E402
from bootcamp_utils.planes import LABELS, plane, show_planes  # noqa: E402


@pytest.fixture(scope="module")
def head_ct():
    return load_series(sample_path("head_ct"))


def _pictures(fig) -> list[np.ndarray]:
    pictures = [np.asarray(ax.images[0].get_array()) for ax in fig.axes]
    plt.close(fig)
    return pictures


def _bleed_voxel(img) -> np.ndarray:
    """The bleed's centre (LPS in the phantom) as a voxel of the RAS+-reoriented image."""
    canonical = nib.as_closest_canonical(img)
    ras = np.array([-BLEED.center[0], -BLEED.center[1], BLEED.center[2], 1.0])
    return np.rint(np.linalg.inv(canonical.affine) @ ras)[:3].astype(int)


def test_the_bleed_shows_on_the_viewers_left_and_towards_the_back(head_ct):
    """The bleed is in the patient's right, posterior: radiologically, left and low."""
    voxel = _bleed_voxel(head_ct)
    axial, coronal, _ = _pictures(show_planes(head_ct, point=voxel))
    rows, cols = np.nonzero(axial > 50)  # blood is 60-90 HU, brain below 45
    inside = (cols > 20) & (cols < axial.shape[1] - 20)  # not the skull
    assert np.median(cols[inside]) < axial.shape[1] / 2  # patient's right on the left
    assert np.median(rows[inside]) > axial.shape[0] / 2  # posterior at the bottom
    rows, cols = np.nonzero(coronal > 50)
    assert np.median(cols[(cols > 20) & (cols < coronal.shape[1] - 20)]) < coronal.shape[1] / 2


def test_voxel_order_does_not_change_the_pictures(head_ct):
    """The same volume stored with flipped and swapped axes shows the same three planes."""
    data = np.asanyarray(head_ct.dataobj)
    flip = np.diag([-1.0, 1.0, -1.0, 1.0])
    flip[0, 3], flip[2, 3] = data.shape[0] - 1, data.shape[2] - 1  # voxel i -> n-1-i
    swapped = nib.Nifti1Image(
        np.swapaxes(data[::-1, :, ::-1], 0, 1),
        head_ct.affine @ flip @ np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]),
    )
    for a, b in zip(_pictures(show_planes(head_ct)), _pictures(show_planes(swapped)), strict=True):
        np.testing.assert_array_equal(a, b)


def test_aspect_follows_the_voxel_size(head_ct):
    fig = show_planes(head_ct)
    aspects = [ax.get_aspect() for ax in fig.axes]
    plt.close(fig)
    dx, dy, dz = nib.as_closest_canonical(head_ct).header.get_zooms()
    assert aspects == pytest.approx([dy / dx, dz / dx, dz / dy])
    assert aspects[1] == pytest.approx(4 / 0.9375)


def test_labels_and_titles(head_ct):
    fig = show_planes(head_ct, window=(40, 80), title="head")
    letters = [[t.get_text() for t in ax.texts] for ax in fig.axes]
    titles = [ax.get_title() for ax in fig.axes]
    limits = fig.axes[0].images[0].get_clim()
    plt.close(fig)
    assert letters == [list(LABELS[n]) for n in ("axial", "coronal", "sagittal")]
    assert titles[0].startswith("axial 20: z = ")
    assert limits == (0, 80)


def test_four_d_images_show_the_chosen_volume():
    data = np.zeros((4, 5, 6, 3))
    data[..., 2] = 7
    img = nib.Nifti1Image(data, np.eye(4))
    assert _pictures(show_planes(img, volume=2))[0].max() == 7
    assert _pictures(show_planes(img))[0].max() == 0
    with pytest.raises(ValueError, match="volume 3 is outside the 3 volumes"):
        show_planes(img, volume=3)


def test_errors():
    img = nib.Nifti1Image(np.zeros((4, 5, 6)), np.eye(4))
    with pytest.raises(ValueError, match="outside the volume"):
        show_planes(img, point=(4, 0, 0))
    with pytest.raises(ValueError, match="3-D or 4-D"):
        show_planes(nib.Nifti1Image(np.zeros((4, 5)), np.eye(4)))
    with pytest.raises(ValueError, match="choose one of"):
        plane(np.zeros((2, 2, 2)), "oblique", 0)
    with pytest.raises(ValueError, match="3-D array"):
        plane(np.zeros((2, 2)), "axial", 0)
