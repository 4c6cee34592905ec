"""The checks of notebook 03, NIfTI and conversion: one function per exercise.

Each check works the geometry out from the DICOM headers itself, by the rules of PS3.3
C.7.6.2.1.1 (not by calling :func:`bootcamp_utils.load_series`, which the lesson checks
against), and names the usual mistakes: LPS left as it is, the two pixel spacings swapped,
slices in the wrong direction, an image shown unflipped or untransposed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom import dcmread

from ..data import sample_path
from ._registry import Refused, exercise, right, wrong

_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def _headers(name: str) -> list:
    return [dcmread(p, stop_before_pixels=True) for p in sorted(sample_path(name).glob("*.dcm"))]


def _vector(ds, keyword: str) -> np.ndarray:
    return np.array(ds.data_element(keyword).value, dtype=float)


def affine_of(name: str) -> np.ndarray:
    """The RAS+ affine of a sample series: voxels (column, row, slice), slices sorted along
    the normal of Image Orientation (Patient)."""
    headers = _headers(name)
    x, y = _vector(headers[0], "ImageOrientationPatient").reshape(2, 3)
    normal = np.cross(x, y)
    headers.sort(key=lambda h: normal @ _vector(h, "ImagePositionPatient"))
    along = [normal @ _vector(h, "ImagePositionPatient") for h in headers]
    row_spacing, col_spacing = _vector(headers[0], "PixelSpacing")
    lps = np.eye(4)
    lps[:3, 0], lps[:3, 1] = x * col_spacing, y * row_spacing
    lps[:3, 2] = normal * np.diff(along).mean()
    lps[:3, 3] = _vector(headers[0], "ImagePositionPatient")
    return _LPS_TO_RAS @ lps


def _array(answer, shape: tuple[int, ...], what: str) -> np.ndarray:
    if isinstance(answer, bool) or answer is None or isinstance(answer, str):
        raise Refused(f"expected {what}, got {answer!r}.")
    try:
        array = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        raise Refused(f"expected {what}, got {type(answer).__name__}.") from None
    if array.shape != shape:
        raise Refused(f"expected {what}, shape {shape}; got shape {array.shape}.")
    return array


@exercise("03-affine", "The RAS+ affine of head_mr, built by hand: a 4 x 4 array.")
def _affine(answer):
    given = _array(answer, (4, 4), "a 4 x 4 array")
    truth = affine_of("head_mr")
    if np.allclose(given, truth, atol=1e-3):
        return right("the columns are the voxel steps in RAS+ mm, the last one the origin.")
    if np.allclose(_LPS_TO_RAS @ given, truth, atol=1e-3):
        return wrong("this is the LPS affine.", "Multiply by np.diag([-1, -1, 1, 1]) on the left.")
    if np.allclose(given[:, [1, 0, 2, 3]], truth, atol=1e-3):
        return wrong(
            "the first two columns are swapped: column i goes along a row (IOP[:3]) times "
            "the *column* spacing, column j down a column (IOP[3:]) times the *row* spacing.",
            "Pixel Spacing is (row spacing, column spacing).",
        )
    if np.allclose(given[:3, 2], -truth[:3, 2], atol=1e-3):
        return wrong(
            "the slice column points the wrong way: the slices go along X × Y, sorted by "
            "their position projected on it.",
            "np.cross(X, Y), and the first slice along it gives the origin.",
        )
    if np.allclose(given[:3, :3], truth[:3, :3], atol=1e-3):
        return wrong(
            f"the 3 x 3 part is right; the origin {np.round(given[:3, 3], 2).tolist()} is not "
            "the first slice's Image Position (in RAS).",
            "The first slice along the normal, x and y negated.",
        )
    if not np.allclose(given[3], [0, 0, 0, 1]):
        return wrong("the last row of an affine is [0, 0, 0, 1].")
    return wrong("not the affine of head_mr.", "Build it column by column, as for the CT.")


@exercise(
    "03-order", "The file names of head_mr from the patient's right to left: a list of names."
)
def _order(answer):
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        return wrong(f"expected a list of file names, got {type(answer).__name__}.")
    given = [Path(str(name)).name for name in answer]
    headers = _headers("head_mr")
    truth = [
        Path(h.filename).name
        for h in sorted(headers, key=lambda h: _vector(h, "ImagePositionPatient")[0])
    ]
    if given == truth:
        return right("LPS: +x is the patient's left, so right to left is increasing x.")
    if sorted(given) != sorted(truth):
        return wrong(
            f"{len(given)} names; the folder holds {len(truth)} different ones.",
            "One name per file of MR, each once.",
        )
    if given == truth[::-1]:
        return wrong("this is left to right.", "In DICOM (LPS), +x points to the patient's left.")
    return wrong("not in position order.", "Sort by the x of Image Position (Patient).")


@exercise("03-world", "Where is voxel (100, 60, 10) of load_series(head_mr) in RAS+ mm?")
def _world(answer):
    given = _array(answer, (3,), "three numbers (x, y, z)")
    truth = (affine_of("head_mr") @ [100, 60, 10, 1])[:3]
    if np.allclose(given, truth, atol=1e-3):
        return right(f"affine @ [100, 60, 10, 1] = {np.round(truth, 2).tolist()} mm.")
    if np.allclose(given * [-1, -1, 1], truth, atol=1e-3):
        return wrong("x and y have the wrong sign: that is LPS.", "The NIfTI affine is RAS+.")
    if np.allclose(given, (affine_of("head_mr") @ [10, 60, 100, 1])[:3], atol=1e-3):
        return wrong("that is voxel (10, 60, 100): the indices are (i, j, k) in that order.")
    return wrong("not that voxel's position.", "nib.affines.apply_affine(mr.affine, (100, 60, 10))")


def _canonical_ct() -> np.ndarray:
    import nibabel as nib

    from ..series import load_series

    return nib.as_closest_canonical(load_series(sample_path("head_ct"))).get_fdata()


@exercise(
    "03-coronal",
    "The coronal plane j = 150 of the canonical CT, superior up, patient's right on the left.",
)
def _coronal(answer):
    data = _canonical_ct()
    cut = data[:, 150, :]
    truth = cut.T[::-1, ::-1]
    if np.ndim(answer) != 2:
        return wrong(f"expected a 2-D array, got {np.ndim(answer)} dimension(s).")
    given = _array(answer, np.shape(answer), "a 2-D array of numbers")
    if given.shape == cut.shape and cut.shape != truth.shape:
        return wrong(f"shape {given.shape}: rows must run from head to feet.", "Transpose: .T")
    if given.shape != truth.shape:
        return wrong(f"shape {given.shape}, expected {truth.shape}.", "data[:, 150, :]")
    if np.array_equal(given, truth):
        return right("transposed (rows = z), then flipped: superior up, the patient's right left.")
    if np.array_equal(given, cut.T):
        return wrong("transposed, not flipped: the head is at the bottom.", "[::-1, ::-1]")
    if np.array_equal(given, cut.T[::-1]):
        return wrong(
            "superior is up, but the patient's right is on the viewer's right: that is the "
            "neurological convention.",
            "Flip the columns too.",
        )
    if np.array_equal(given, cut.T[:, ::-1]):
        return wrong("left-right is radiological, but the head is at the bottom.", "Flip rows.")
    return wrong("not the coronal plane j = 150.", "data[:, 150, :].T, then flip.")


@exercise(
    "03-bolus",
    "In the perfusion series, the volume where the darkening voxels are darkest, and when: "
    "(index from 0, seconds after the first volume).",
)
def _bolus(answer):
    from ..series import load_series

    if isinstance(answer, (str, bytes)) or np.ndim(answer) != 1 or len(answer) != 2:
        return wrong("expected two numbers: (volume index, seconds).")
    index, seconds = _array(answer, (2,), "two numbers (index, seconds)")
    image = load_series(sample_path("head_perfusion"), progress=False)
    data = image.get_fdata()
    brain = data[..., 0] > 50
    drop = 1 - data.min(axis=3) / np.maximum(data[..., 0], 1)
    curve = data[brain & (drop > 0.3)].mean(axis=0)
    lowest = int(np.argmin(curve))
    step = float(image.header.get_zooms()[3])
    if index == lowest + 1 and abs(seconds - (lowest + 1) * step) < 1e-6:
        return wrong(f"volume {index:g} counts from 1: the first volume is index 0.")
    if index != lowest:
        return wrong(f"volume {index:g} is not the darkest.", "np.argmin of the mean curve.")
    if abs(seconds - lowest * step) > 1e-6:
        if abs(seconds - lowest * step * 1000) < 1e-3:
            return wrong("that is in milliseconds: the answer asks for seconds.")
        return wrong(
            f"{seconds:g} s: the volumes are {step:g} s apart (pixdim[4]), from 0.",
            "index x the time step",
        )
    return right(f"volume {lowest}, {lowest * step:g} s after the first: the bolus has arrived.")
