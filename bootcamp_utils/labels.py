"""Labels that line up: DICOM SEG and RT Structure Sets as masks on a CT series' own grid.

A mask is only useful for training when voxel ``(i, j, k)`` of the mask is voxel
``(i, j, k)`` of the image. The grid here is always the one :func:`load_series` builds:
voxel order (column, row, slice), slices sorted along the normal, a RAS+ affine.

**Segmentation (SEG, PS3.3 A.51, C.8.20).** A multi-frame object: each frame is one plane of
one segment. Which segment a frame holds is in its Segment Identification Sequence
(C.8.20.3.1); where it lies, in its Plane Position Sequence (C.7.6.16.2.3); which image it
was drawn on, in its Derivation Image Sequence / Source Image Sequence (C.7.6.16.2.6).
Frame *order* means nothing (writers omit empty frames, sort by segment, or not at all), so
:func:`seg_to_mask` places every frame by the SOP Instance UID it references and by its
position, and refuses when the two disagree. BINARY frames hold 0/1; FRACTIONAL ones 0 to
Maximum Fractional Value (C.8.20.2): a voxel is in the mask when value / maximum >= 0.5.

**RT Structure Set (PS3.3 C.8.8.5, C.8.8.6).** Each ROI is a stack of polygons in patient
coordinates (mm, LPS: x to the patient's left, y posterior, z superior, C.7.6.2.1.1) in the
ROI Contour Sequence; CLOSED_PLANAR contours enclose an area. Points go to voxel indices
through the inverse of the image's RAS+ affine (after LPS -> RAS: negate x and y). Inside is
decided per voxel centre by the even-odd (crossing) rule, so a contour inside another on the
same slice makes a hole: the exclusive-or PS3.3 C.8.8.6.3 defines for CLOSEDPLANAR_XOR
contours, and the usual reading of nested CLOSED_PLANAR ones (for which C.8.8.6.3 describes
only the "keyhole", one contour); a centre on an edge counts by a half-open rule (a
contour from 2 to 5 in column index fills columns 2, 3 and 4), so an axis-aligned square of
n x n voxels fills exactly n * n of them.

>>> import numpy as np, nibabel as nib
>>> a = nib.Nifti1Image(np.zeros((2, 2, 2), np.uint8), np.eye(4))
>>> check_same_grid(a, a)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
from pydicom.dataset import Dataset

from .geometry import frame_geometry
from .series import LPS_TO_RAS, load_series

__all__ = ["check_same_grid", "rtstruct_to_mask", "seg_to_mask"]

#: How far (mm) a SEG frame or RT contour may lie from a slice plane and still be on it.
PLANE_TOLERANCE_MM = 0.05

Files = str | os.PathLike | Sequence[str | os.PathLike]
#: A DICOM object given by its path or already read.
Source = str | os.PathLike | Dataset


def _file_list(files: Files) -> list[Path]:
    if isinstance(files, str | os.PathLike):
        folder = Path(files)
        return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else [folder]
    return [Path(f) for f in files]


def _grid(files: Files) -> tuple[nib.Nifti1Image, dict[str, int], str | None, str | None]:
    """The image of ``files``, SOP Instance UID -> slice index, Series and Frame of Ref UIDs."""
    image = load_series(files)
    if len(image.shape) != 3:
        raise ValueError(f"The series has {len(image.shape)} dimensions; masks need one volume.")
    to_voxel = np.linalg.inv(image.affine)
    slices, series, frame = {}, None, None
    for path in _file_list(files):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            position = frame_geometry(ds).position
        except Exception:  # not DICOM, or no geometry: load_series ignored or refused it
            continue
        if position is None or "SOPInstanceUID" not in ds:
            continue
        ras = LPS_TO_RAS @ np.array([*position, 1.0])
        slices[str(ds.SOPInstanceUID)] = int(round(float((to_voxel @ ras)[2])))
        series, frame = str(ds.get("SeriesInstanceUID")), ds.get("FrameOfReferenceUID")
    return image, slices, series, frame


def _read(source, what: str) -> tuple[Dataset, str]:
    if isinstance(source, Dataset):
        return source, str(getattr(source, "filename", None) or f"the {what} data set")
    return pydicom.dcmread(source, force=True), str(source)


def _voxel_of(image: nib.Nifti1Image, lps: np.ndarray) -> np.ndarray:
    """(n, 3) LPS mm -> (n, 3) float voxel indices of ``image``."""
    ras = np.c_[lps, np.ones(len(lps))] @ (np.linalg.inv(image.affine) @ LPS_TO_RAS).T
    return ras[:, :3]


def _slice_distance_mm(image: nib.Nifti1Image, k: float) -> float:
    """Distance (mm, along the slice axis) from fractional slice index ``k`` to the nearest."""
    return abs(k - round(k)) * float(np.linalg.norm(image.affine[:3, 2]))


def check_same_grid(image: nib.Nifti1Image, mask: nib.Nifti1Image, *, atol: float = 1e-3) -> None:
    """Raise if ``mask`` is not on exactly the voxel grid of ``image``.

    Parameters
    ----------
    image, mask : nibabel.Nifti1Image
        The two images; only the first three dimensions and the affines are compared.
    atol : float, default 1e-3
        Largest allowed difference of any affine entry (mm, or mm per voxel).

    Returns
    -------
    None

    Raises
    ------
    ValueError
        The shapes differ, or the affines do (the message gives the largest difference in
        mm and which entry).

    Examples
    --------
    >>> import numpy as np, nibabel as nib
    >>> image = nib.Nifti1Image(np.zeros((4, 4, 3), np.float32), np.diag([1.0, 1, 2, 1]))
    >>> moved = nib.Nifti1Image(np.zeros((4, 4, 3), np.uint8), image.affine + [[0, 0, 0, 2]] * 4)
    >>> check_same_grid(image, moved)
    Traceback (most recent call last):
    ...
    ValueError: Not the same grid: the affines differ by up to 2.000 mm (entry [0, 3], the \
x of the first voxel's position); resample the mask onto the image's grid.
    """
    if tuple(image.shape[:3]) != tuple(mask.shape[:3]):
        raise ValueError(
            f"Not the same grid: the image has shape {tuple(image.shape[:3])}, the mask "
            f"{tuple(mask.shape[:3])}; make the mask from the image's own series."
        )
    diff = np.abs(np.asarray(image.affine, float) - np.asarray(mask.affine, float))[:3]
    if diff.max() > atol:
        r, c = np.unravel_index(int(np.argmax(diff)), diff.shape)
        what = (
            f"the {'xyz'[r]} of the first voxel's position"
            if c == 3
            else f"the {'xyz'[r]} of one step along voxel axis {c}"
        )
        raise ValueError(
            f"Not the same grid: the affines differ by up to {diff.max():.3f} mm (entry "
            f"[{r}, {c}], {what}); resample the mask onto the image's grid."
        )


def _seg_frames(seg, name: str, segment: int) -> list[int]:
    """0-based indices of the frames holding ``segment``; refuse an unknown segment."""
    numbers = list(seg.segment_numbers)
    if segment not in numbers:
        raise ValueError(
            f"{name}: no segment number {segment}; it has {numbers} "
            f"({', '.join(seg.get_segment_description(n).segment_label for n in numbers)}). "
            "Pass segment= one of these."
        )
    frames = []
    for f in range(seg.number_of_frames):
        item = seg.PerFrameFunctionalGroupsSequence[f]
        ident = item.get("SegmentIdentificationSequence") or seg.SharedFunctionalGroupsSequence[
            0
        ].get("SegmentIdentificationSequence")
        if int(ident[0].ReferencedSegmentNumber) == segment:
            frames.append(f)
    return frames


def _frame_refs(seg, f: int) -> set[str]:
    item = seg.PerFrameFunctionalGroupsSequence[f]
    return {
        str(src.ReferencedSOPInstanceUID)
        for der in item.get("DerivationImageSequence", [])
        for src in der.get("SourceImageSequence", [])
    }


def _frame_slice(seg, f, name, image, slices) -> int:
    """The slice index of frame ``f``, by reference and position, which must agree."""
    refs = _frame_refs(seg, f)
    by_ref = {slices[u] for u in refs if u in slices}
    if refs and not by_ref:
        raise ValueError(
            f"{name}: frame {f + 1} was drawn on instance(s) {sorted(refs)} that are not among "
            "the files given; pass the files of the series the SEG references."
        )
    position = frame_geometry(seg, f).position
    by_pos = None
    if position is not None:
        i, j, k = _voxel_of(image, np.array([position]))[0]
        offset = float(np.hypot(i, j)) * float(np.linalg.norm(image.affine[:3, 0]))
        off = _slice_distance_mm(image, k)
        if off > PLANE_TOLERANCE_MM or not 0 <= round(k) < image.shape[2]:
            raise ValueError(
                f"{name}: frame {f + 1} lies {off:.3f} mm from the nearest slice plane of the "
                f"image (slice index {k:.2f} of 0..{image.shape[2] - 1}); it is not on this "
                "series' grid: pass the series it was drawn on, or resample."
            )
        if offset > PLANE_TOLERANCE_MM:
            raise ValueError(
                f"{name}: frame {f + 1} starts {offset:.3f} mm from the slice's first voxel "
                "(shifted within the plane): not this series' grid."
            )
        by_pos = int(round(k))
    candidates = by_ref | ({by_pos} if by_pos is not None else set())
    if len(candidates) != 1:
        raise ValueError(
            f"{name}: frame {f + 1} references slice(s) {sorted(by_ref)} but lies at slice "
            f"{by_pos}: the SEG contradicts itself; it cannot be placed safely."
        )
    return candidates.pop()


def _check_seg_grid(seg, name: str, image: nib.Nifti1Image, frame_uid) -> None:
    if frame_uid and seg.get("FrameOfReferenceUID") not in (None, frame_uid):
        raise ValueError(
            f"{name}: Frame of Reference UID {seg.FrameOfReferenceUID} is not the series' "
            f"({frame_uid}); pass the series the SEG was drawn on."
        )
    if (int(seg.Columns), int(seg.Rows)) != tuple(image.shape[:2]):
        raise ValueError(
            f"{name}: frames of {seg.Columns} x {seg.Rows} pixels, the image's slices are "
            f"{image.shape[0]} x {image.shape[1]}: not this series' grid."
        )
    g = frame_geometry(seg, 0)
    if g.orientation is not None:
        lps_axes = (LPS_TO_RAS[:3, :3] @ image.affine[:3, :2]) / image.header.get_zooms()[:2]
        if np.abs(np.array(g.orientation) - lps_axes.T.ravel()).max() > 1e-3:
            raise ValueError(f"{name}: the frames' orientation is not the series'.")


def seg_to_mask(seg: Source, files: Files, *, segment: int = 1) -> nib.Nifti1Image:
    """One segment of a DICOM SEG as a uint8 mask on the grid of ``load_series(files)``.

    Parameters
    ----------
    seg : str, os.PathLike or pydicom.dataset.Dataset
        The Segmentation (BINARY or FRACTIONAL; PS3.3 C.8.20).
    files : folder or sequence of paths
        The referenced CT series, as :func:`load_series` takes it.
    segment : int, default 1
        Segment Number (0062,0004).

    Returns
    -------
    nibabel.Nifti1Image
        uint8 (0/1), same shape and affine as ``load_series(files)``. Each frame is placed by
        the SOP Instance UID it references and by its Plane Position, never by frame order;
        slices without a frame are 0. FRACTIONAL: 1 where value / maximum >= 0.5.

    Raises
    ------
    ValueError
        The SEG references another series or instances not in ``files``, has no such
        segment, or a frame lies off the image's slices (the message names the file).

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> from bootcamp_utils import sample_path
    >>> try:  # a real SEG, whose CT is not here
    ...     seg_to_mask(get_testdata_file("liver_1frame.dcm"), sample_path("head_ct"))
    ... except ValueError as error:
    ...     print(str(error).split(";")[0])
    liver_1frame.dcm was drawn on series 1.2.392.200103.20080913.113635.1.2009.6.22.21.43.10.23430.1
    """
    import highdicom as hd

    ds, name = _read(seg, "SEG")
    name = Path(name).name if not isinstance(seg, Dataset) else name
    image, slices, series, frame_uid = _grid(files)
    referenced = [str(s.SeriesInstanceUID) for s in ds.get("ReferencedSeriesSequence", [])]
    if referenced and series not in referenced:
        raise ValueError(
            f"{name} was drawn on series {', '.join(referenced)}; the files given are of "
            f"series {series} instead. Pass the files of the referenced series."
        )
    seg = hd.seg.Segmentation.from_dataset(ds, copy=False)
    missing = [u for _, _, u in seg.get_source_image_uids() if u not in slices]
    if missing:
        raise ValueError(
            f"{name} references {len(missing)} instance(s) not among the files given (first "
            f"{missing[0]}); pass all the files of the series it was drawn on."
        )
    _check_seg_grid(seg, name, image, frame_uid)
    fractional = seg.segmentation_type.value == "FRACTIONAL"
    top = float(seg.get("MaximumFractionalValue", 1)) if fractional else 1.0
    data = np.zeros(image.shape, np.uint8)
    seen: dict[int, int] = {}
    for f in _seg_frames(seg, name, segment):
        k = _frame_slice(seg, f, name, image, slices)
        if k in seen:
            raise ValueError(
                f"{name}: frames {seen[k] + 1} and {f + 1} of segment {segment} both lie on "
                f"slice {k}; the SEG is ambiguous."
            )
        seen[k] = f
        stored = np.asarray(seg.get_stored_frame(f + 1), float)  # (rows, columns)
        data[:, :, k] = (stored / top >= 0.5).T
    out = nib.Nifti1Image(data, image.affine)
    out.set_sform(image.affine, code=1)
    out.set_qform(image.affine, code=1)
    return out


def _fill(data2d: np.ndarray, ij: np.ndarray) -> None:
    """XOR into ``data2d`` (columns, rows) the voxels whose centre the polygon ``ij`` encloses.

    Crossing rule on each row of centres: edges count half-open in j, crossings at x <= i."""
    a, b = ij, np.roll(ij, -1, axis=0)
    lo, hi = int(np.ceil(ij[:, 1].min())), int(np.floor(ij[:, 1].max()))
    for j in range(max(lo, 0), min(hi, data2d.shape[1] - 1) + 1):
        cross = (a[:, 1] <= j) != (b[:, 1] <= j)
        t = (j - a[cross, 1]) / (b[cross, 1] - a[cross, 1])
        xs = np.sort(a[cross, 0] + t * (b[cross, 0] - a[cross, 0]))
        inside = np.searchsorted(xs, np.arange(data2d.shape[0]), side="right") % 2 == 1
        data2d[inside, j] ^= 1


def _roi_number(ds: Dataset, name: str, roi) -> tuple[int, str | None]:
    rois = {int(r.ROINumber): r for r in ds.get("StructureSetROISequence", [])}
    for number, item in rois.items():
        if roi == number or (isinstance(roi, str) and roi == str(item.get("ROIName", ""))):
            return number, item.get("ReferencedFrameOfReferenceUID")
    listing = ", ".join(f"{n} {r.get('ROIName', '')!r}" for n, r in rois.items())
    raise ValueError(f"{name}: no ROI {roi!r}; it has {listing}. Pass one of these names/numbers.")


def rtstruct_to_mask(
    rtstruct: Source, files: Files, roi: str | int, *, outside: str = "raise"
) -> nib.Nifti1Image:
    """One ROI of an RT Structure Set as a uint8 mask on the grid of ``load_series(files)``.

    Parameters
    ----------
    rtstruct : str, os.PathLike or pydicom.dataset.Dataset
        The RT Structure Set (PS3.3 C.8.8.5, C.8.8.6).
    files : folder or sequence of paths
        The CT series, as :func:`load_series` takes it.
    roi : str or int
        ROI Name (3006,0026) or ROI Number (3006,0022).
    outside : {"raise", "warn"}, default "raise"
        Contour points outside the image: refuse, or warn with their count and fill the part
        inside (never clipped silently).

    Returns
    -------
    nibabel.Nifti1Image
        uint8 (0/1): a voxel is 1 when its centre is inside an odd number of the ROI's
        CLOSED_PLANAR contours on its slice (even-odd, so inner contours are holes).

    Raises
    ------
    ValueError
        No such ROI; Frame of Reference not the series'; a contour not on a slice plane (the
        distance is given), not closed planar, or (``outside="raise"``) outside the image.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> from bootcamp_utils import sample_path
    >>> try:  # a real structure set, whose CT is not here
    ...     rtstruct_to_mask(get_testdata_file("rtstruct.dcm"), sample_path("head_ct"), 1)
    ... except ValueError as error:
    ...     print(str(error).split(" is in")[0], "is in another Frame of Reference")
    rtstruct.dcm: ROI 1 is in another Frame of Reference
    """
    ds, name = _read(rtstruct, "RTSTRUCT")
    name = Path(name).name if not isinstance(rtstruct, Dataset) else name
    number, roi_frame = _roi_number(ds, name, roi)
    image, _, _, frame_uid = _grid(files)
    if roi_frame != frame_uid:
        raise ValueError(
            f"{name}: ROI {roi!r} is in Frame of Reference {roi_frame}, the series in "
            f"{frame_uid}: its coordinates do not apply; pass the series it was drawn on."
        )
    items = [c for c in ds.ROIContourSequence if int(c.ReferencedROINumber) == number]
    data = np.zeros(image.shape, np.uint8)
    n_out = n_all = 0
    for c, contour in enumerate(items[0].get("ContourSequence", []) if items else []):
        kind = str(contour.get("ContourGeometricType", ""))
        if kind not in ("CLOSED_PLANAR", "CLOSEDPLANAR_XOR"):
            raise ValueError(f"{name}: contour {c + 1} of ROI {roi!r} is {kind}, not an area.")
        ijk = _voxel_of(image, np.asarray(contour.ContourData, float).reshape(-1, 3))
        worst = max(_slice_distance_mm(image, k) for k in ijk[:, 2])
        ks = np.unique(np.rint(ijk[:, 2]))
        if worst > PLANE_TOLERANCE_MM or len(ks) != 1:
            raise ValueError(
                f"{name}: contour {c + 1} of ROI {roi!r} lies up to {worst:.3f} mm from the "
                "image's slice planes (or spans several): resample the image or the ROI."
            )
        lim = np.array(image.shape) - 0.5
        out = ((ijk < -0.5) | (ijk > lim)).any(axis=1)
        n_out, n_all = n_out + int(out.sum()), n_all + len(ijk)
        if out.any() and outside == "raise":
            raise ValueError(
                f"{name}: {int(out.sum())} of {len(ijk)} points of contour {c + 1} of ROI "
                f"{roi!r} fall outside the image; pass outside='warn' to keep the part inside."
            )
        if 0 <= ks[0] < image.shape[2]:
            _fill(data[:, :, int(ks[0])], ijk[:, :2])
    if n_out:
        warnings.warn(
            f"{name}: {n_out} of {n_all} contour points of ROI {roi!r} fell "
            "outside the image; the mask holds only the part inside.",
            stacklevel=2,
        )
    out_img = nib.Nifti1Image(data, image.affine)
    out_img.set_sform(image.affine, code=1)
    out_img.set_qform(image.affine, code=1)
    return out_img
