"""bootcamp_utils.labels: SEG and RTSTRUCT to masks on load_series' grid, and the grid check."""

import random
from pathlib import Path

import highdicom as hd
import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from bootcamp_utils import load_series
from bootcamp_utils.data._samples import write_ct_series
from bootcamp_utils.labels import check_same_grid, rtstruct_to_mask, seg_to_mask

SHAPE = (12, 48, 48)  # slices, rows, columns


def _ct(tmp_path, name="labels", **kw):
    folder = tmp_path / name
    folder.mkdir()
    kw.setdefault("first_position", (-22.5, -22.5, -20.0))
    kw.setdefault("pixel_spacing", (1.0, 1.0))
    files = write_ct_series(folder, shape=SHAPE, name=name, **kw)
    return [str(folder / Path(f).name) for f in files]


def _sphere(image, centre_mm=(0.0, 0.0, 2.0), radius=8.0):
    ijk = np.indices(image.shape[:3]).reshape(3, -1)
    xyz = (image.affine[:3, :3] @ ijk + image.affine[:3, 3:]).T
    return (np.linalg.norm(xyz - centre_mm, axis=1) <= radius).reshape(image.shape[:3])


def _seg(files, mask_cij, tmp_path, kind="BINARY"):
    """A highdicom SEG from a (slices-in-file-order, rows, columns) mask."""
    datasets = [pydicom.dcmread(f) for f in files]
    desc = hd.seg.SegmentDescription(
        segment_number=1,
        segment_label="ball",
        segmented_property_category=hd.sr.CodedConcept("91723000", "SCT", "Anatomical Structure"),
        segmented_property_type=hd.sr.CodedConcept("39607008", "SCT", "Lung"),
        algorithm_type="MANUAL",
    )
    pixels = mask_cij.astype(np.float32 if kind == "FRACTIONAL" else np.uint8)
    seg = hd.seg.Segmentation(
        datasets,
        pixels,
        kind,
        [desc],
        hd.UID(),
        100,
        hd.UID(),
        1,
        "Test",
        "M",
        "1",
        "1",
    )
    path = tmp_path / "seg.dcm"
    seg.save_as(path)
    return path


def _mask_in_file_order(image, mask, files):
    """The known mask (column,row,slice) re-ordered as the files are: (file, row, column)."""
    inv = np.linalg.inv(image.affine)
    out = []
    for f in files:
        p = np.array([*pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient, 1.0])
        k = int(round((inv @ (np.diag([-1, -1, 1, 1]) @ p))[2]))
        out.append(mask[:, :, k].T)
    return np.array(out)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"slice_step": (0.0, 0.0, -4.0)},
        {"row_dir": (0.8, 0.6, 0.0), "col_dir": (0.0, 0.0, -1.0), "slice_step": (0.6, -0.8, 0.0)},
    ],
    ids=["axial", "reversed", "oblique"],
)
def test_seg_round_trip_exact(tmp_path, kw):
    files = _ct(tmp_path, **kw)
    image = load_series(files)
    known = _sphere(
        image, centre_mm=tuple(image.affine[:3, :3] @ [24, 24, 6] + image.affine[:3, 3])
    )
    assert 50 < known.sum() < known.size / 2
    shuffled = random.Random(1).sample(files, len(files))
    path = _seg(shuffled, _mask_in_file_order(image, known, shuffled), tmp_path)
    mask = seg_to_mask(path, random.Random(2).sample(files, len(files)))
    check_same_grid(image, mask)
    assert mask.get_data_dtype() == np.uint8
    np.testing.assert_array_equal(mask.get_fdata() > 0, known)
    # highdicom's own reading, by source instance, agrees
    seg = hd.seg.segread(path)
    order = sorted(
        files,
        key=lambda f: (
            np.linalg.inv(image.affine)[2]
            @ np.array(
                [
                    *(
                        np.diag([-1, -1, 1])
                        @ np.array(pydicom.dcmread(f).ImagePositionPatient, float)
                    ),
                    1,
                ]
            )
        ),
    )
    uids = [pydicom.dcmread(f).SOPInstanceUID for f in order]
    ref = seg.get_pixels_by_source_instance(uids, segment_numbers=[1])[..., 0]
    np.testing.assert_array_equal(ref.transpose(2, 1, 0) > 0, known)


def test_seg_fractional_threshold(tmp_path):
    files = _ct(tmp_path)
    image = load_series(files)
    known = _sphere(image)
    soft = _mask_in_file_order(image, known, files) * 0.7
    soft[0] = 0.3  # below 0.5: not in the mask
    path = _seg(files, soft, tmp_path, kind="FRACTIONAL")
    mask = seg_to_mask(path, files).get_fdata() > 0
    expected = _mask_in_file_order(image, known, files).astype(bool)
    expected[0] = False
    np.testing.assert_array_equal(_mask_in_file_order(image, mask, files), expected)


def test_seg_refusals(tmp_path):
    files = _ct(tmp_path)
    image = load_series(files)
    path = _seg(files, _mask_in_file_order(image, _sphere(image), files), tmp_path)
    with pytest.raises(ValueError, match="no segment number 2"):
        seg_to_mask(path, files, segment=2)
    with pytest.raises(ValueError, match="not among the files"):
        seg_to_mask(path, files[:-1])  # references an instance that is not given
    other = _ct(tmp_path, name="other")
    with pytest.raises(ValueError, match="seg.dcm was drawn on series"):
        seg_to_mask(path, other)
    ds = pydicom.dcmread(path)  # move one frame between two slices
    pos = ds.PerFrameFunctionalGroupsSequence[0].PlanePositionSequence[0]
    pos.ImagePositionPatient = [*pos.ImagePositionPatient[:2], pos.ImagePositionPatient[2] + 2]
    with pytest.raises(ValueError, match=r"2\.000 mm from the nearest slice plane"):
        seg_to_mask(ds, files)


@pytest.mark.parametrize("name", ["liver.dcm", "liver_1frame.dcm"])
def test_real_segs_without_their_ct_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match=f"{name} was drawn on series"):
        seg_to_mask(get_testdata_file(name), _ct(tmp_path))


def _rtstruct(files, contours, frame=None, name="ball"):
    first = pydicom.dcmread(files[0], stop_before_pixels=True)
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    roi = Dataset()
    roi.ROINumber, roi.ROIName = 7, name
    roi.ReferencedFrameOfReferenceUID = frame or first.FrameOfReferenceUID
    ds.StructureSetROISequence = Sequence([roi])
    items = []
    for points in contours:
        c = Dataset()
        c.ContourGeometricType = "CLOSED_PLANAR"
        c.NumberOfContourPoints = len(points)
        c.ContourData = [f"{v:.4f}" for v in np.ravel(points)]
        items.append(c)
    rc = Dataset()
    rc.ReferencedROINumber = 7
    rc.ContourSequence = Sequence(items)
    ds.ROIContourSequence = Sequence([rc])
    return ds


def _circle(centre, r, n=180):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.c_[centre[0] + r * np.cos(t), centre[1] + r * np.sin(t), np.full(n, centre[2])]


def test_rtstruct_circle_area_centre_and_hole(tmp_path):
    files = _ct(tmp_path)
    image = load_series(files)
    z = float(pydicom.dcmread(files[5]).ImagePositionPatient[2])
    centre = (3.0, -4.0, z)  # LPS mm
    mask = rtstruct_to_mask(_rtstruct(files, [_circle(centre, 10.0)]), files, "ball")
    check_same_grid(image, mask)
    data = mask.get_fdata()
    (k,) = np.flatnonzero(data.sum(axis=(0, 1)))
    assert abs(data.sum() - np.pi * 100) <= 2 * np.pi * 10  # within one voxel ring
    ijk = np.argwhere(data).mean(axis=0)
    expected = np.linalg.inv(image.affine) @ np.array([-3.0, 4.0, z, 1.0])  # LPS -> RAS
    np.testing.assert_allclose(ijk[:3], expected[:3], atol=0.1)
    # matplotlib's contains_points on voxel centres gives the same mask away from the edge
    from matplotlib.path import Path as MplPath

    ij = np.indices(image.shape[:2]).reshape(2, -1).T
    poly = (
        np.linalg.inv(image.affine)
        @ (np.diag([-1, -1, 1, 1]) @ np.c_[_circle(centre, 10.0), np.ones(180)].T)
    )[:2].T
    ref = MplPath(poly).contains_points(ij).reshape(image.shape[:2])
    assert (ref != data[:, :, k]).sum() <= 4
    ring = rtstruct_to_mask(
        _rtstruct(files, [_circle(centre, 10.0), _circle(centre, 5.0)]), files, 7
    )
    assert abs(ring.get_fdata().sum() - np.pi * 75) <= 2 * np.pi * 15
    assert ring.get_fdata()[tuple(np.rint(expected[:3]).astype(int))] == 0  # the hole


def test_rtstruct_refusals(tmp_path):
    files = _ct(tmp_path)
    z = float(pydicom.dcmread(files[5]).ImagePositionPatient[2])
    with pytest.raises(ValueError, match="Frame of Reference"):
        rtstruct_to_mask(_rtstruct(files, [_circle((0, 0, z), 5)], frame="1.2.3"), files, 7)
    with pytest.raises(ValueError, match=r"1\.000 mm from the image's slice planes"):
        rtstruct_to_mask(_rtstruct(files, [_circle((0, 0, z + 1), 5)]), files, 7)
    with pytest.raises(ValueError, match="no ROI 'liver'"):
        rtstruct_to_mask(_rtstruct(files, [_circle((0, 0, z), 5)]), files, "liver")
    big = _rtstruct(files, [_circle((0, 0, z), 40)])
    with pytest.raises(ValueError, match="fall outside the image"):
        rtstruct_to_mask(big, files, 7)
    with pytest.warns(UserWarning, match="fell outside the image"):
        assert rtstruct_to_mask(big, files, 7, outside="warn").get_fdata().sum() > 0


def test_real_rtstruct_without_its_ct_is_refused(tmp_path):
    with pytest.raises(ValueError, match="rtstruct.dcm: ROI 1 is in Frame of Reference"):
        rtstruct_to_mask(get_testdata_file("rtstruct.dcm"), _ct(tmp_path), 1)


def test_check_same_grid():
    a = nib.Nifti1Image(np.zeros((4, 4, 3), np.uint8), np.eye(4))
    check_same_grid(a, a)
    with pytest.raises(ValueError, match=r"shape \(4, 4, 3\), the mask \(4, 4, 2\)"):
        check_same_grid(a, nib.Nifti1Image(np.zeros((4, 4, 2), np.uint8), np.eye(4)))
    with pytest.raises(ValueError, match="0.500 mm"):
        check_same_grid(a, nib.Nifti1Image(np.zeros((4, 4, 3)), np.diag([1, 1, 1.5, 1])))


def test_rtstruct_square_fills_n_by_n_voxels(tmp_path):
    """The documented half-open rule: a square from voxel centre 2 to 5 fills 3 x 3 voxels."""
    files = _ct(tmp_path)
    image = load_series(files)
    corners = np.array([[2, 2, 5, 1], [5, 2, 5, 1], [5, 5, 5, 1], [2, 5, 5, 1]], float)
    lps = (np.diag([-1, -1, 1, 1]) @ image.affine @ corners.T)[:3].T
    data = rtstruct_to_mask(_rtstruct(files, [lps]), files, 7).get_fdata()
    assert data.sum() == 9
    assert data[2:5, 2:5, 5].all()
