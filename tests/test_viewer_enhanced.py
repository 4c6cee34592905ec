"""Issue 17, point 2: the viewer reads an enhanced multi-frame object's geometry from its
functional groups (PS3.3 C.7.6.16), not 1 mm when Pixel Spacing is not at the top level."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import nibabel
import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from bootcamp_utils.geometry import frame_geometry
from bootcamp_utils.viewer import window_level_viewer

ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"  # Enhanced MR Image Storage
# An oblique plane: rows along x, columns tilted 30 degrees from y towards z.
ROW = np.array([1.0, 0.0, 0.0])
COLUMN = np.array([0.0, np.cos(np.pi / 6), np.sin(np.pi / 6)])
NORMAL = np.cross(ROW, COLUMN)


def _item(**sequences) -> Dataset:
    """A functional group item: {"PixelMeasuresSequence": {"PixelSpacing": ...}, ...}."""
    item = Dataset()
    for keyword, values in sequences.items():
        inner = Dataset()
        for name, value in values.items():
            setattr(inner, name, value)
        setattr(item, keyword, [inner])
    return item


def enhanced_mr(
    frames: int = 6, spacing=(2.23, 2.23), step: float = 4.0, per_frame_spacing=None
) -> Dataset:
    """A small Enhanced MR Image: geometry only in the functional groups.

    Pixel Measures (Pixel Spacing ``spacing``, Slice Thickness 5) and Plane Orientation are
    shared; each frame's Plane Position is ``step`` mm further along the normal and 1 mm
    along the rows (an in-plane shift that must not count as slice spacing). With
    ``per_frame_spacing``, each frame carries its own Pixel Measures instead.
    """
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ENHANCED_MR
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = ENHANCED_MR, ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.SeriesDescription, ds.InstanceNumber = "MR", "enhanced", 1
    ds.Rows, ds.Columns, ds.NumberOfFrames = 8, 10, frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    pixels = np.arange(frames * 8 * 10, dtype="<u2").reshape(frames, 8, 10)
    ds.PixelData = pixels.tobytes()
    measures = {"PixelSpacing": list(spacing), "SliceThickness": 5}
    shared = {"PlaneOrientationSequence": {"ImageOrientationPatient": [*ROW, *COLUMN]}}
    if per_frame_spacing is None:
        shared["PixelMeasuresSequence"] = measures
    ds.SharedFunctionalGroupsSequence = [_item(**shared)]
    origin = np.array([-40.0, -30.0, 20.0])
    per_frame = []
    for i in range(frames):
        position = origin + i * step * NORMAL + i * 1.0 * ROW
        groups = {"PlanePositionSequence": {"ImagePositionPatient": [float(v) for v in position]}}
        if per_frame_spacing is not None:
            groups["PixelMeasuresSequence"] = {"PixelSpacing": list(per_frame_spacing[i])}
        per_frame.append(_item(**groups))
    ds.PerFrameFunctionalGroupsSequence = per_frame
    return ds


def test_enhanced_file_uses_functional_group_spacing(tmp_path):
    """The spacing the viewer draws with is the Pixel Measures value (2.23 mm), and the slice
    spacing the frames' distance along the normal (4 mm, not the 4.12 mm between
    positions, nor the 5 mm Slice Thickness, nor 1 mm)."""
    path = tmp_path / "enhanced.dcm"
    enhanced_mr().save_as(path, enforce_file_format=True)
    for source in (path, dcmread(path)):
        viewer = window_level_viewer(source)
        assert viewer._meta["shape"] == [6, 8, 10]
        assert viewer._meta["spacing"] == pytest.approx([4.0, 2.23, 2.23])
        assert "not to scale" not in viewer._meta["title"]
        # each frame's position in the readout: z, the axis nearest the normal
        slices = viewer._meta["slices"]
        assert slices["axis"] == "z" and slices["instance"] == [None] * 6
        assert slices["position"] == pytest.approx([20 + 4 * i * NORMAL[2] for i in range(6)])


def test_per_frame_group_wins_over_shared_and_top_level():
    ds = enhanced_mr()
    ds.PixelSpacing, ds.ImagePositionPatient = [1, 1], [0, 0, 0]  # stray top-level values
    ds.PerFrameFunctionalGroupsSequence[2].PixelMeasuresSequence = [Dataset()]
    ds.PerFrameFunctionalGroupsSequence[2].PixelMeasuresSequence[0].SliceThickness = 3
    third = frame_geometry(ds, 2)
    assert third.pixel_spacing == (2.23, 2.23)  # shared: frame 2's group has none
    assert third.slice_thickness == 3.0  # frame 2's own
    assert frame_geometry(ds, 0).slice_thickness == 5.0  # shared
    assert third.position == pytest.approx([-40 + 2, -30 + 8 * NORMAL[1], 20 + 8 * NORMAL[2]])
    assert third.orientation == pytest.approx([*ROW, *COLUMN])


def test_frames_with_different_pixel_spacing_are_refused(tmp_path):
    path = tmp_path / "mixed.dcm"
    mixed = [(2.23, 2.23)] * 3 + [(1.5, 1.5)] * 3
    enhanced_mr(per_frame_spacing=mixed).save_as(path, enforce_file_format=True)
    with pytest.raises(ValueError, match=r"mixed\.dcm: its frames have different Pixel Spacing"):
        window_level_viewer(path)


def test_frames_that_are_not_an_even_stack_are_named_in_the_title():
    """Two frames at each place (say, two echoes): no slice spacing from positions; the
    title says the other planes are not to scale, and Slice Thickness is used."""
    ds = enhanced_mr(frames=4)
    for i, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        item.PlanePositionSequence[0].ImagePositionPatient = [0, 0, float(i // 2)]
    viewer = window_level_viewer(ds)
    assert "not an evenly spaced stack" in viewer._meta["title"]
    assert viewer._meta["spacing"] == pytest.approx([5.0, 2.23, 2.23])


def test_single_frame_enhanced_file_reports_its_position():
    ds = enhanced_mr(frames=1)
    ds.PixelData = ds.PixelData[: 8 * 10 * 2]
    viewer = window_level_viewer(ds)
    assert viewer._meta["spacing"] == pytest.approx([5.0, 2.23, 2.23])
    assert viewer._meta["slices"] == {"instance": [1], "position": [20.0], "axis": "z"}


def test_older_multi_frame_object_keeps_its_top_level_geometry():
    """No functional groups: top-level Pixel Spacing and Slice Thickness, no title note
    (the top level's one position is the first frame's, not every frame's)."""
    ds = enhanced_mr(frames=3)
    del ds.SharedFunctionalGroupsSequence, ds.PerFrameFunctionalGroupsSequence
    ds.PixelSpacing, ds.SliceThickness = [0.7, 0.8], 3
    ds.ImagePositionPatient, ds.ImageOrientationPatient = [0, 0, 0], [1, 0, 0, 0, 1, 0]
    viewer = window_level_viewer(ds)
    assert viewer._meta["spacing"] == pytest.approx([3.0, 0.7, 0.8])
    assert "not to scale" not in viewer._meta["title"] and viewer._meta["slices"] is None


def test_real_philips_enhanced_mr_header():
    """nibabel's Philips Enhanced MR (176 sagittal frames): every frame's geometry is in its
    per-frame groups; the slice spacing is the frames' 1 mm step along the normal."""
    path = Path(nibabel.__file__).parent / "nicom" / "tests" / "data" / "philips_mprage.dcm.gz"
    if not path.exists():
        pytest.skip(f"{path} is not installed with nibabel here")
    ds = dcmread(io.BytesIO(gzip.decompress(path.read_bytes())))
    assert "PixelSpacing" not in ds and "ImagePositionPatient" not in ds
    viewer = window_level_viewer(ds)
    assert viewer._meta["spacing"] == pytest.approx([1.0, 1.0, 1.0], abs=1e-4)
    positions = [
        float(f.PlanePositionSequence[0].ImagePositionPatient[0])
        for f in ds.PerFrameFunctionalGroupsSequence
    ]
    assert viewer._meta["slices"]["axis"] == "x"
    assert viewer._meta["slices"]["position"] == positions
