"""Small synthetic CT series on any grid, dcm2niix runs and header-derived references.

Shared by tests/test_series_dcm2niix.py and tests/test_series_errors.py. Every series is the
head phantom of ``bootcamp_utils.data`` written by ``write_ct_series``; they are kept small
(64-96 pixels, a few to a dozen slices) so a test takes a fraction of a second.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
from pydicom import dcmread

from bootcamp_utils.data._samples import write_ct_series

#: Field of view in mm: the phantom head is about 150 mm wide and 200 mm long.
FOV = 240.0
#: Pixels per row and column of the default grid.
SIZE = 64
#: A point near the middle of the phantom's head (LPS, mm).
HEAD_CENTRE = np.array([0.0, 8.0, 20.0])

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def rotation(axis: str, degrees: float) -> np.ndarray:
    """Rotation matrix about the patient axis ``axis`` ("x", "y" or "z")."""
    t = np.radians(degrees)
    c, s = np.cos(t), np.sin(t)
    return {
        "x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
        "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
        "z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
    }[axis]


def write_case(
    folder: Path,
    *,
    n_slices: int = 12,
    rows: int = SIZE,
    cols: int = SIZE,
    row_dir=(1.0, 0.0, 0.0),
    col_dir=(0.0, 1.0, 0.0),
    pixel_spacing: tuple[float, float] | None = None,
    slice_step: float | tuple[float, float, float] = 5.0,
    centre=HEAD_CENTRE,
    **kwargs,
) -> list[str]:
    """Write a series centred on ``centre``; return the file names (relative to ``folder``).

    ``pixel_spacing`` is DICOM's (row spacing, column spacing): the distance between rows
    (down a column, along ``col_dir``) and between columns (along a row, ``row_dir``). It
    defaults to :data:`FOV` over the image size. ``slice_step`` is a vector from one slice
    origin to the next, or a number of mm along the normal (negative: files run backwards).
    Other keyword arguments go to ``write_ct_series`` (``name``, ``slopes``, ``file_name``...).
    """
    row_dir = np.asarray(row_dir, float)
    col_dir = np.asarray(col_dir, float)
    normal = np.cross(row_dir, col_dir)
    if pixel_spacing is None:
        pixel_spacing = (FOV / rows, FOV / cols)
    step = normal * slice_step if np.isscalar(slice_step) else np.asarray(slice_step, float)
    first = (
        np.asarray(centre, float)
        - row_dir * pixel_spacing[1] * (cols - 1) / 2
        - col_dir * pixel_spacing[0] * (rows - 1) / 2
        - step * (n_slices - 1) / 2
    )
    written = write_ct_series(
        folder,
        shape=(n_slices, rows, cols),
        first_position=tuple(first),
        row_dir=tuple(row_dir),
        col_dir=tuple(col_dir),
        pixel_spacing=tuple(pixel_spacing),
        slice_step=tuple(step),
        **kwargs,
    )
    return [Path(w).name for w in written]


def dicom_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` that pydicom reads as an image (sorted by path)."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            ds = dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        if "ImagePositionPatient" in ds:
            found.append(path)
    return found


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``folder`` with its size and modification time."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    } | {".": (0, folder.stat().st_mtime_ns)}


def run_dcm2niix(dcm2niix: str, series: Path, out: Path) -> tuple[list[Path], str]:
    """Convert ``series`` into the separate folder ``out``; the NIfTI files and the log."""
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [dcm2niix, "-z", "n", "-b", "n", "-f", "out", "-o", str(out), str(series)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"dcm2niix failed ({result.returncode}):\n{log}"
    return sorted(out.glob("*.nii")), log


def canonical(image: nib.Nifti1Image) -> tuple[np.ndarray, np.ndarray]:
    """Voxel values (float64) and affine after nibabel.as_closest_canonical."""
    image = nib.as_closest_canonical(image)
    return np.asarray(image.get_fdata()), image.affine


def check_against_headers(image: nib.Nifti1Image, files: list[Path]) -> None:
    """The independent reference: every DICOM file is one slice of ``image``.

    For each file, the voxel index of its Image Position (Patient) must be (0, 0, k) with an
    integer k, the far corner of the slice must land where Image Orientation (Patient) and
    Pixel Spacing put it, and slice k of the data must equal the file's stored values times
    its own Rescale Slope plus Intercept. Every k from 0 to n - 1 is used exactly once, and
    k grows along the slice normal.
    """
    data = np.asarray(image.dataobj)
    inverse = np.linalg.inv(image.affine)
    assert data.shape[2] == len(files), (data.shape, len(files))
    slice_of: dict[int, str] = {}
    distance: dict[int, float] = {}
    for path in files:
        ds = dcmread(path)
        position = np.array([float(v) for v in ds.ImagePositionPatient])
        orientation = np.array([float(v) for v in ds.ImageOrientationPatient])
        row_spacing, col_spacing = (float(v) for v in ds.PixelSpacing)
        rows, cols = int(ds.Rows), int(ds.Columns)
        index = inverse @ (LPS_TO_RAS @ np.append(position, 1.0))
        k = int(round(index[2]))
        assert np.allclose(index[:3], [0, 0, k], atol=1e-3), (path.name, index[:3])
        assert k not in slice_of, f"{path.name} and {slice_of.get(k)} both map to slice {k}"
        slice_of[k] = path.name
        distance[k] = float(position @ np.cross(orientation[:3], orientation[3:]))
        corner = (
            position
            + orientation[:3] * col_spacing * (cols - 1)
            + orientation[3:] * row_spacing * (rows - 1)
        )
        mapped = LPS_TO_RAS @ image.affine @ [cols - 1, rows - 1, k, 1]
        assert np.allclose(mapped[:3], corner, atol=1e-3), (path.name, mapped[:3], corner)
        expected = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(
            ds.RescaleIntercept
        )
        assert data.shape[:2] == (cols, rows)
        np.testing.assert_allclose(
            data[:, :, k], expected.T, rtol=1e-6, atol=1e-3, err_msg=path.name
        )
    assert sorted(slice_of) == list(range(len(files)))
    along_normal = [distance[k] for k in range(len(files))]
    assert np.all(np.diff(along_normal) > 0), "slices are not sorted along the normal"
