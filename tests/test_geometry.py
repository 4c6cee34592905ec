"""bootcamp_utils.geometry: one frame's geometry from the per-frame functional group, else the
shared one, else the top level (PS3.3 C.7.6.16, C.7.6.2); issue 17, point 2."""

from __future__ import annotations

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from bootcamp_utils import sample_path
from bootcamp_utils.geometry import FrameGeometry, frame_geometry

from .test_viewer_enhanced import COLUMN, NORMAL, ROW, enhanced_mr


def test_classic_file_reads_the_top_level():
    path = sorted(sample_path("head_ct").iterdir())[0]
    ds = dcmread(path, stop_before_pixels=True)
    geometry = frame_geometry(ds)
    assert geometry == FrameGeometry(
        pixel_spacing=tuple(float(v) for v in ds.PixelSpacing),
        orientation=tuple(float(v) for v in ds.ImageOrientationPatient),
        position=tuple(float(v) for v in ds.ImagePositionPatient),
        slice_thickness=float(ds.SliceThickness),
        spacing_between_slices=None,
    )


def test_enhanced_file_reads_the_functional_groups():
    """Nothing at the top level: spacing and orientation shared, a position per frame."""
    ds = enhanced_mr(frames=3)
    assert "PixelSpacing" not in ds and "ImagePositionPatient" not in ds
    geometry = frame_geometry(ds, 2)
    assert geometry.pixel_spacing == (2.23, 2.23) and geometry.slice_thickness == 5.0
    assert geometry.orientation == pytest.approx([*ROW, *COLUMN])
    assert geometry.position == pytest.approx([-40 + 2, -30 + 8 * NORMAL[1], 20 + 8 * NORMAL[2]])


def test_per_frame_wins_over_shared_wins_over_top_level():
    ds = enhanced_mr(frames=2)
    ds.PixelSpacing, ds.SliceThickness = [1, 1], 9  # stray top-level values
    item = Dataset()
    item.PixelSpacing = [0.5, 0.5]
    ds.PerFrameFunctionalGroupsSequence[1].PixelMeasuresSequence = [item]
    assert frame_geometry(ds, 1).pixel_spacing == (0.5, 0.5)  # its own
    assert frame_geometry(ds, 1).slice_thickness == 5.0  # shared (its own group has none)
    assert frame_geometry(ds, 0).pixel_spacing == (2.23, 2.23)  # shared


def test_older_multi_frame_object_has_a_position_for_frame_0_only():
    ds = Dataset()
    ds.ImagePositionPatient, ds.SpacingBetweenSlices, ds.SliceThickness = [1, 2, 3], 0, ""
    assert frame_geometry(ds, 0).position == (1.0, 2.0, 3.0)
    assert frame_geometry(ds, 1).position is None
    # 0 mm and empty values count as absent
    assert frame_geometry(ds).spacing_between_slices is None
    assert frame_geometry(ds).slice_thickness is None


@pytest.mark.parametrize(
    ("keyword", "value", "words"),
    [
        ("ImagePositionPatient", "1\\2", "should hold 3 numbers"),
        ("PixelSpacing", "a\\b", "is not numeric"),
    ],
)
def test_malformed_values_raise_unless_lenient(keyword, value, words):
    ds = Dataset()
    ds.add_new(keyword, "LO", value)  # as read from a damaged file (DS would refuse "a")
    with pytest.raises(ValueError, match=f"{keyword} .*{words}"):
        frame_geometry(ds)
    lenient = frame_geometry(ds, strict=False)
    assert lenient.position is None and lenient.pixel_spacing is None
