"""The checks of notebook 03, NIfTI and conversion: one function per exercise.

Each check works the geometry out from the DICOM headers itself, by the rules of PS3.3
C.7.6.2.1.1 (not by calling :func:`bootcamp_utils.load_series`, which the lesson checks
against), and names the usual mistakes: LPS left as it is, the two pixel spacings swapped,
slices in the wrong direction, an image shown unflipped or untransposed.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset

from ..data import sample_path
from ._registry import Refused, exercise, integer, number, pair, right, wrong

_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def _vector(ds, keyword: str) -> np.ndarray:
    return np.array(ds.data_element(keyword).value, dtype=float)


def sorted_headers(name: str) -> list[Dataset]:
    """The headers of a sample series, sorted along the normal X × Y of its orientation."""
    headers = [dcmread(p, stop_before_pixels=True) for p in sample_path(name).glob("*.dcm")]
    x, y = _vector(headers[0], "ImageOrientationPatient").reshape(2, 3)
    normal = np.cross(x, y)
    return sorted(headers, key=lambda h: normal @ _vector(h, "ImagePositionPatient"))


def affine_of(name: str) -> np.ndarray:
    """The RAS+ affine of a sample series: voxels (column, row, slice), slices sorted along
    the normal of Image Orientation (Patient)."""
    headers = sorted_headers(name)
    x, y = _vector(headers[0], "ImageOrientationPatient").reshape(2, 3)
    normal = np.cross(x, y)
    along = [normal @ _vector(h, "ImagePositionPatient") for h in headers]
    row_spacing, col_spacing = _vector(headers[0], "PixelSpacing")
    lps = np.eye(4)
    lps[:3, 0], lps[:3, 1] = x * col_spacing, y * row_spacing
    lps[:3, 2] = normal * np.diff(along).mean()
    lps[:3, 3] = _vector(headers[0], "ImagePositionPatient")
    return _LPS_TO_RAS @ lps


def _array(answer, what: str) -> np.ndarray:
    """``answer`` as an array of floats; refuses text, bools, None and ragged lists."""
    if answer is None or isinstance(answer, (str, bytes, bool, np.bool_, Mapping, set)):
        raise Refused(f"expected {what}, got {type(answer).__name__}.")
    if hasattr(answer, "dataobj") and hasattr(answer, "affine"):
        raise Refused(
            f"this is a whole nibabel image ({type(answer).__name__}); the exercise asks for "
            f"{what}."
        )
    try:
        array = np.asarray(answer)
        if array.dtype.kind not in "iuf":  # bools, text, objects: not numbers
            raise TypeError
        if not isinstance(answer, np.ndarray) and any(
            isinstance(v, (bool, np.bool_)) for v in np.asarray(answer, dtype=object).flat
        ):
            raise Refused(f"expected {what}; True and False are not numbers here.")
        array = array.astype(float)
    except (TypeError, ValueError):
        raise Refused(f"expected {what}, got {type(answer).__name__}.") from None
    if not np.all(np.isfinite(array)):
        raise Refused(
            f"the answer holds {np.count_nonzero(~np.isfinite(array))} NaN or infinite value(s).",
            "A NaN often comes from a header field nibabel set to NaN, or from 0 / 0.",
        )
    return array


def _same(a, b) -> bool:
    return np.shape(a) == np.shape(b) and np.allclose(a, b, atol=1e-3)


# --- 03-affine -------------------------------------------------------------------------------


@exercise("03-affine", "The RAS+ affine of head_mr, built by hand: a 4 x 4 array.")
def _affine(answer):
    given = _array(answer, "a 4 x 4 array")
    if given.shape in ((3, 3), (3, 4)):
        return wrong(
            f"a {given.shape[0]} x {given.shape[1]} array: an affine is 4 x 4, the three voxel "
            "steps and the origin in the columns, [0, 0, 0, 1] as the last row.",
            "Start from np.eye(4) and fill lps[:3, 0], lps[:3, 1], lps[:3, 2], lps[:3, 3].",
        )
    if given.shape != (4, 4):
        raise Refused(f"expected a 4 x 4 array, got shape {given.shape}.")
    truth = affine_of("head_mr")
    lps = _LPS_TO_RAS @ truth
    headers = sorted_headers("head_mr")
    first, last = headers[0], headers[-1]
    if _same(given, truth):
        return right("the columns are the voxel steps in RAS+ mm, the last one the origin.")
    if _same(given, lps):
        return wrong(
            "this is the LPS affine.",
            "NIfTI's world is RAS+: which diagonal matrix turns LPS into RAS, and on which side "
            "of lps does it act (np.diag)?",
        )
    if _same(given, lps @ _LPS_TO_RAS):
        return wrong(
            "the flip is on the right: lps @ diag(-1, -1, 1, 1) negates the voxel axes i and j; "
            "LPS -> RAS negates the world's x and y, the rows.",
            "The flip acts on world coordinates, so it multiplies lps from the left.",
        )
    if _same(given, truth.T) or _same(given, lps.T):
        return wrong(
            "transposed: the origin is in the last row. In an affine each *column* is a step "
            "(and the last column the origin); the last row is [0, 0, 0, 1].",
            "Fill lps[:3, n], not lps[n, :3].",
        )
    if _same(given, affine_of("head_ct")) or _same(given, _LPS_TO_RAS @ affine_of("head_ct")):
        return wrong("this is the CT's affine: the exercise is about the MR.", "Use MR, not CT.")
    if _same(given[:, [1, 0, 2, 3]], truth) or _same(given[:, [1, 0, 2, 3]], lps):
        return wrong(
            "the first two columns are swapped: column i goes along a row (IOP[:3]) times "
            "the *column* spacing, column j down a column (IOP[3:]) times the *row* spacing.",
            "Pixel Spacing is (row spacing, column spacing).",
        )
    if not _same(given[3], [0, 0, 0, 1]):
        return wrong("the last row of an affine is [0, 0, 0, 1].")
    last_origin = (_LPS_TO_RAS @ [*_vector(last, "ImagePositionPatient"), 1])[:3]
    if _same(given[:3, 2], -truth[:3, 2]):
        return wrong(
            "the slice column points the wrong way: the slices go along the normal X × Y, "
            f"and the first along it is {Path(first.filename).name}, not "
            f"{Path(last.filename).name}.",
            "np.cross(X, Y); sort by the positions projected on it; the first slice is the origin.",
        )
    if any(_same(given, np.diag(d) @ lps) for d in ([-1, 1, 1, 1], [1, -1, 1, 1])):
        return wrong("only one of x and y is negated.", "LPS -> RAS negates both x and y.")
    if _same(given[:3, :3], truth[:3, :3]):
        if _same(given[:3, 3], lps[:3, 3]):
            return wrong(
                "the 3 x 3 part is right; the origin is still in LPS.",
                "Negate the x and y of the origin too (the flip multiplies the whole matrix).",
            )
        if _same(given[:3, 3], last_origin):
            return wrong(
                f"the 3 x 3 part is right; the origin is the last slice's, "
                f"{Path(last.filename).name}.",
                "The origin is the first slice along the normal X × Y.",
            )
        return wrong(
            f"the 3 x 3 part is right; the origin {np.round(given[:3, 3], 2).tolist()} is not "
            "the first slice's Image Position (in RAS).",
            "The first slice along the normal, x and y negated.",
        )
    if _same(given[:3, :2], truth[:3, :2]) and _same(np.linalg.norm(given[:3, 2]), 1):
        spacing = np.linalg.norm(truth[:3, 2])
        return wrong(
            f"column k is a unit vector: a step from slice to slice is {spacing:g} mm.",
            "Multiply the normal by the slice spacing (from the positions).",
        )
    if _same(np.sort(np.abs(given[:3, :3]), axis=None), np.sort(np.abs(truth[:3, :3]), axis=None)):
        return wrong(
            "the steps are there, but the voxel axes are in another order or direction "
            "(as_closest_canonical's?): i along a row, j down a column, k across the slices.",
            "Build it by hand from IOP, Pixel Spacing and the positions.",
        )
    return wrong("not the affine of head_mr.", "Build it column by column, as for the CT.")


# --- 03-order --------------------------------------------------------------------------------


def _file_name(item) -> str:
    """The file name in one item of the 03-order answer; refuses what is not a name."""
    if isinstance(item, Dataset):
        raise Refused(
            "these are data sets, not file names.", "[Path(h.filename).name for h in files]"
        )
    if isinstance(item, (bool, np.bool_, int, float, np.number)):
        raise Refused(
            f"{item!r} is a number: the answer is file names such as 'MR0001.dcm', not "
            "Instance Numbers or positions.",
            "[Path(h.filename).name for h in files]",
        )
    if not isinstance(item, (str, os.PathLike)):
        raise Refused(f"expected file names (text), got a {type(item).__name__}.")
    return Path(item).name


@exercise(
    "03-order", "The file names of head_mr from the patient's left to right: a list of names."
)
def _order(answer):
    if isinstance(answer, (set, frozenset)):
        return wrong("a set has no order.", "Give a list, sorted.")
    if isinstance(answer, (str, bytes, Mapping)) or not hasattr(answer, "__iter__"):
        return wrong(f"expected a list of file names, got {type(answer).__name__}.")
    if isinstance(answer, np.ndarray) and answer.ndim != 1:
        return wrong(f"expected a list of file names, got a {answer.ndim}-D array.")
    given = [_file_name(item) for item in answer]
    headers = [dcmread(p, stop_before_pixels=True) for p in sample_path("head_mr").glob("*.dcm")]
    truth = [
        Path(h.filename).name
        for h in sorted(headers, key=lambda h: -_vector(h, "ImagePositionPatient")[0])
    ]
    if given == truth:
        return right("LPS: +x is the patient's left, so left to right is decreasing x.")
    strangers = [n for n in given if n not in truth]
    if strangers and all(f"{n}.dcm" in truth for n in strangers):
        return wrong("the names lack their extension, .dcm.", "Path(h.filename).name")
    if strangers:
        return wrong(
            f"{len(strangers)} name(s) not in the MR folder, such as {strangers[0]!r}.",
            "The names of the files in bc.sample_path('head_mr').",
        )
    twice = [n for n, count in Counter(given).items() if count > 1]
    if twice:
        return wrong(f"{twice[0]} appears {Counter(given)[twice[0]]} times.", "Each file once.")
    missing = [n for n in truth if n not in given]
    if missing:
        return wrong(
            f"{len(missing)} of the {len(truth)} files missing, such as {missing[0]}.",
            "One name per file of MR, each once.",
        )
    if given == truth[::-1]:
        return wrong(
            "this is right to left (the order of the file names, by chance).",
            "In DICOM (LPS), which way does +x point?",
        )
    place = next(n for n, (a, b) in enumerate(zip(given, truth, strict=True)) if a != b)
    return wrong(
        f"not in position order, from place {place} on.",
        "Compare the x of Image Position (Patient), read as a number, of the files at that "
        "place and the one before: which way does +x point in LPS?",
    )


# --- 03-world --------------------------------------------------------------------------------


def _shape_of(name: str) -> tuple[int, int, int]:
    headers = sorted_headers(name)
    return int(headers[0].Columns), int(headers[0].Rows), len(headers)


@exercise("03-world", "Where is voxel (100, 60, 10) of load_series(head_mr) in RAS+ mm?")
def _world(answer):
    given = _array(answer, "three numbers (x, y, z)")
    if given.ndim == 2 and 1 in given.shape:  # a column or row vector from a matrix product
        given = given.ravel()
    affine = affine_of("head_mr")
    truth = (affine @ [100, 60, 10, 1])[:3]
    if given.shape == (4,) and _same(given, [*truth, 1]):
        return wrong("four numbers: the trailing 1 is not a coordinate.", "Keep [:3].")
    if given.shape != (3,):
        raise Refused(f"expected three numbers (x, y, z), got shape {given.shape}.")

    def at(ijk, matrix=affine):
        return (matrix @ [*ijk, 1])[:3]

    import nibabel as nib  # here, not at the top: importing checks stays light

    canonical = nib.as_closest_canonical(
        nib.Nifti1Image(np.zeros(_shape_of("head_mr"), np.uint8), affine)
    ).affine
    if _same(given, truth):
        return right(f"affine @ [100, 60, 10, 1] = {np.round(truth, 2).tolist()} mm.")
    mistakes = [
        (truth * [-1, -1, 1], "x and y have the wrong sign: that is LPS.", "NIfTI is RAS+."),
        (at((10, 60, 100)), "that is voxel (10, 60, 100): indices go (i, j, k).", ""),
        (at((60, 100, 10)), "that is voxel (60, 100, 10): i and j swapped.", ""),
        (at((101, 61, 11)), "that is voxel (101, 61, 11): off by one, indices count from 0.", ""),
        (at((99, 59, 9)), "that is voxel (99, 59, 9): off by one, indices count from 0.", ""),
        (at((100.5, 60.5, 10.5)), "that is a corner: the affine maps voxel centres.", ""),
        (affine[:3, :3] @ [100, 60, 10], "the origin is missing.", "Multiply [100, 60, 10, 1]."),
        ([100, 60, 10], "that is the voxel index, not a position in mm.", ""),
        (at((100, 60, 10), np.linalg.inv(affine)), "the inverse maps mm to voxels.", ""),
        (at((100, 60, 10), canonical), "that is voxel (100, 60, 10) of the canonical image.",
         "The exercise asks about mr = bc.load_series(MR), with its own affine."),
        (at((100, 60, 10), affine_of("head_ct")), "that is the CT's voxel.", "Use MR."),
    ]  # fmt: skip
    where = "Section 2: the affine takes [i, j, k, 1] to [x, y, z, 1]."
    for position, message, hint in mistakes:
        if _same(given, position):
            return wrong(message, hint or where)
    return wrong("not that voxel's position.", where)


# --- 03-coronal ------------------------------------------------------------------------------


def _ct_data() -> tuple[np.ndarray, np.ndarray]:
    """The CT's voxels: in load_series's own order, and after as_closest_canonical."""
    import nibabel as nib

    from ..series import load_series

    image = load_series(sample_path("head_ct"), progress=False)
    return image.get_fdata(), nib.as_closest_canonical(image).get_fdata()


@exercise(
    "03-coronal",
    "The coronal plane j = 150 of the canonical CT, superior up, patient's right on the left.",
)
def _coronal(answer):
    given = _array(answer, "a 2-D array of numbers")
    if given.ndim != 2:
        return wrong(f"expected a 2-D array, got {given.ndim} dimension(s).")
    own, data = _ct_data()
    cut = data[:, 150, :]
    truth = cut.T[::-1, ::-1]
    if _same(given, truth):
        return right("transposed (rows = z), then flipped: superior up, the patient's right left.")
    mistakes = [
        (cut, "not transposed: rows must run from head to feet.", "Transpose: .T"),
        (
            cut.T,
            "transposed, not flipped: the head is at the bottom and the patient's right on "
            "the viewer's right.",
            "Which way does each axis of .T run? Flip each one that runs the wrong way.",
        ),
        (
            cut.T[::-1],
            "superior is up, but the patient's right is on the viewer's right: that is the "
            "neurological convention.",
            "Flip the columns too.",
        ),
        (
            cut.T[:, ::-1],
            "left-right is radiological, but the head is at the bottom.",
            "Flip rows.",
        ),
        (cut[::-1, ::-1], "flipped, not transposed: rows must run from head to feet.", ".T first"),
        (
            data[150, :, :].T[::-1, ::-1],
            "that is the sagittal plane i = 150: j is the second index.",
            "data[:, 150, :]",
        ),
    ]
    for picture, message, hint in mistakes:
        if _same(given, picture):
            return wrong(message, hint)
    if any(_same(given, v) for v in (own[:, 150, :].T[::-1, ::-1], own[:, 150, :].T)):
        return wrong(
            "this plane comes from load_series's own voxel order (LPS), not the canonical one.",
            "data = nib.as_closest_canonical(image).get_fdata(), then data[:, 150, :].",
        )
    if given.shape == truth.shape:
        for j in range(data.shape[1]):
            if _same(given, data[:, j, :].T[::-1, ::-1]):
                return wrong(f"that is the plane j = {j}: the exercise asks for j = 150.")
    if given.shape in (data[:, :, 0].shape, data[:, :, 0].T.shape) and given.shape != cut.shape:
        return wrong(
            f"shape {given.shape}: an axial plane (i, j). The coronal plane keeps i and k.",
            "data[:, 150, :]",
        )
    if given.shape != truth.shape:
        return wrong(
            f"shape {given.shape}, expected {truth.shape}.",
            "The coronal plane keeps i and k; its rows run along k.",
        )
    return wrong(
        "not the coronal plane j = 150.",
        "Cut at j = 150; rows must run from superior to inferior, columns from the patient's "
        "right to left.",
    )


# --- 03-bolus --------------------------------------------------------------------------------


@exercise(
    "03-bolus",
    "In the perfusion series, the volume where the darkening voxels are darkest, and when: "
    "(index from 0, seconds after the first volume).",
)
def _bolus(answer):
    from ..series import load_series

    first, second = pair(answer, "two numbers (volume index, seconds)")
    first, second = number(first, "a volume index"), number(second, "seconds")
    image = load_series(sample_path("head_perfusion"), progress=False)
    data = image.get_fdata()
    brain = data[..., 0] > 50
    drop = 1 - data.min(axis=3) / np.maximum(data[..., 0], 1)
    curve = data[brain & (drop > 0.3)].mean(axis=0)
    lowest = int(np.argmin(curve))
    step = float(image.header.get_zooms()[3])
    if np.isclose(first, lowest * step) and np.isclose(second, lowest) and lowest * step != lowest:
        return wrong("(seconds, index): the two are swapped.", "(index, seconds)")
    index = integer(first, "a whole volume index")
    if not 0 <= index < len(curve):
        return wrong(f"there are {len(curve)} volumes: index 0 to {len(curve) - 1}.")
    if index == lowest + 1:
        return wrong(f"volume {index} counts from 1: the first volume is index 0.")
    if index != lowest:
        baseline = " (before the bolus)" if index == int(np.argmax(curve)) else ""
        return wrong(
            f"volume {index} is not the darkest: the darkening voxels average "
            f"{curve[index]:.0f} there{baseline}, lower elsewhere.",
            "np.argmin of the mean curve.",
        )
    if abs(second - lowest * step) < 1e-6:
        return right(
            f"volume {lowest}, {lowest * step:g} s after the first: the bolus has arrived."
        )
    if abs(second - lowest * step * 1000) < 1e-3:
        return wrong("that is in milliseconds: the answer asks for seconds.")
    if abs(second - (lowest + 1) * step) < 1e-6:
        return wrong(
            f"{second:g} s counts from {step:g}: the first volume is at 0 s.",
            "index x the time step",
        )
    return wrong(
        f"{second:g} s: the volumes are {step:g} s apart (pixdim[4], get_zooms()[3]), from 0.",
        "index x the time step",
    )
