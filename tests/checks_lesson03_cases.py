"""Right and plausible wrong answers to the exercises of notebook 03 (used by test_checks.py).

The truths are worked out here from the data, independently of the checks: the MR's affine
is ``load_series``'s (which the lesson compares with dicom2nifti and dcm2niix), the order
comes from the headers, the planes and the bolus curve from the loaded volumes.
``right_answers(name, tmp)`` and ``wrong_answers(name, tmp)`` mirror ``_right_answers`` and
``_wrong_answers`` of test_checks.py; every wrong answer comes with words its feedback must
contain.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
from pydicom import dcmread
from pydicom.multival import MultiValue
from pydicom.valuerep import DSfloat

from bootcamp_utils import load_series
from bootcamp_utils.data import sample_path

_FLIP = np.diag([-1.0, -1.0, 1.0, 1.0])  # LPS <-> RAS


def _mr():
    return load_series(sample_path("head_mr"), progress=False)


# --- 03-affine -------------------------------------------------------------------------------


def _affine_right(tmp: Path) -> list:
    truth = _mr().affine
    assert nib.aff2axcodes(truth) == ("P", "I", "R")  # sagittal: no zeros where the CT had them
    return [
        truth,
        truth.tolist(),
        truth.astype(np.float32),
        np.round(truth, 4),
        tuple(tuple(row) for row in truth),
        truth + 1e-5,  # rounding in the last digits
    ]


def _affine_wrong(tmp: Path) -> list[tuple]:
    truth = _mr().affine
    lps = _FLIP @ truth
    headers = [dcmread(p, stop_before_pixels=True) for p in sample_path("head_mr").glob("*.dcm")]
    by_name = sorted(headers, key=lambda h: Path(h.filename).name)
    # the slices taken in file-name order: the other way along the normal, MR0001 first
    reversed_k = truth.copy()
    reversed_k[:3, 2] *= -1
    reversed_k[:3, 3] = (_FLIP @ [*map(float, by_name[0].ImagePositionPatient), 1])[:3]
    last_origin = truth.copy()
    last_origin[:3, 3] = reversed_k[:3, 3]
    lps_origin = truth.copy()
    lps_origin[:3, 3] = lps[:3, 3]
    unit_k = truth.copy()
    unit_k[:3, 2] /= np.linalg.norm(unit_k[:3, 2])
    no_origin = truth.copy()
    no_origin[:3, 3] = 0
    ct = load_series(sample_path("head_ct"), progress=False).affine
    canonical = nib.as_closest_canonical(_mr()).affine
    assert not np.allclose(canonical, truth)
    return [
        (lps, "lps", "ras", "np.diag"),
        (lps @ _FLIP, "flip is on the right", "from the left"),
        (np.diag([-1, 1, 1, 1]) @ lps, "only one of x and y"),
        (truth[:, [1, 0, 2, 3]], "first two columns are swapped"),
        (lps[:, [1, 0, 2, 3]], "first two columns are swapped"),
        (reversed_k, "slice column points the wrong way", "mr0036.dcm"),
        (last_origin, "origin is the last slice's", "mr0001.dcm"),
        (lps_origin, "origin is still in lps"),
        (no_origin, "origin", "not the first slice"),
        (unit_k, "unit vector", "4 mm"),
        (truth[:3, :3], "3 x 3", "4 x 4"),
        (truth[:3], "3 x 4", "[0, 0, 0, 1]"),
        (truth.T, "transposed", "last row"),
        (ct, "ct's affine"),
        (_FLIP @ ct, "ct's affine"),
        (canonical, "another order", "by hand"),
        (np.eye(4), "not the affine of head_mr"),
        (truth[:2], "4 x 4"),
        (truth.astype(str), "4 x 4"),
        (_mr(), "nibabel image", "4 x 4 array"),  # the image, not its affine
        (np.full((4, 4), np.nan), "16 nan"),
        (np.where(np.eye(4) == 1, np.inf, truth), "nan or infinite"),
        (None, "nonetype"),
    ]


# --- 03-order --------------------------------------------------------------------------------


def _order_truth() -> list[str]:
    headers = [dcmread(p, stop_before_pixels=True) for p in sample_path("head_mr").glob("*.dcm")]
    headers.sort(key=lambda h: -float(h.ImagePositionPatient[0]))  # LPS: +x is the left
    return [Path(h.filename).name for h in headers]


def _order_right(tmp: Path) -> list:
    names = _order_truth()
    folder = sample_path("head_mr")
    return [
        names,
        tuple(names),
        np.array(names),
        [folder / n for n in names],  # paths with the folder: the names are in them
        [str(folder / n) for n in names],
        [Path(n) for n in names],
        iter(names),
    ]


def _order_wrong(tmp: Path) -> list[tuple]:
    names = _order_truth()
    headers = {
        Path(h).name: dcmread(h, stop_before_pixels=True)
        for h in sample_path("head_mr").glob("*.dcm")
    }
    # sorted along the normal X × Y, as load_series does: here the normal points to −x
    iop = np.array(headers[names[0]].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    assert normal @ [1, 0, 0] < 0
    along_normal = sorted(
        names, key=lambda n: normal @ np.array(headers[n].ImagePositionPatient, dtype=float)
    )
    by_text = sorted(names, key=lambda n: str(headers[n].ImagePositionPatient[0]))[::-1]
    by_abs = sorted(names, key=lambda n: abs(float(headers[n].ImagePositionPatient[0])))
    assert by_text != names and by_abs != names
    assert along_normal == names  # the normal points to -x: its order is left to right
    ct_names = sorted(p.name for p in sample_path("head_ct").glob("*.dcm"))
    return [
        (names[::-1], "right to left", "+x"),
        (sorted(names), "right to left", "file names"),  # the names run right to left
        (by_text, "not in position order", "as a number"),
        (by_abs, "not in position order"),
        (names[:-1], "missing", names[-1]),
        (names + [names[0]], "appears 2 times"),
        (names[:10], "26 of the 36 files missing"),
        ([Path(n).stem for n in names], "extension"),
        (ct_names[: len(names)], "not in the mr folder", "ct0001.dcm"),
        ([int(headers[n].InstanceNumber) for n in names], "number", "instance numbers"),
        ([float(headers[n].ImagePositionPatient[0]) for n in names], "number", "positions"),
        ([headers[n] for n in names], "data sets", "h.filename"),
        (set(names), "a set has no order"),
        (dict.fromkeys(names), "expected a list"),
        (", ".join(names), "expected a list"),
        ([None] * len(names), "file names (text)"),
    ]


# --- 03-world --------------------------------------------------------------------------------


def _world_right(tmp: Path) -> list:
    truth = nib.affines.apply_affine(_mr().affine, (100, 60, 10))
    return [
        truth,
        tuple(float(v) for v in truth),
        list(truth),
        truth.astype(np.float32),
        np.round(truth, 2),
        truth.reshape(3, 1),  # from affine[:3] @ a column vector
        truth.reshape(1, 3),
        MultiValue(DSfloat, [f"{v:.4f}" for v in truth]),  # as if copied into a DICOM field
    ]


def _world_wrong(tmp: Path) -> list[tuple]:
    mr = _mr()
    affine = mr.affine

    def at(ijk, matrix=affine):
        return nib.affines.apply_affine(matrix, ijk)

    truth = at((100, 60, 10))
    canonical = nib.as_closest_canonical(mr).affine
    ct = load_series(sample_path("head_ct"), progress=False).affine
    return [
        (truth * [-1, -1, 1], "lps"),
        (at((10, 60, 100)), "(10, 60, 100)", "(i, j, k)"),
        (at((60, 100, 10)), "i and j swapped"),
        (at((101, 61, 11)), "off by one", "from 0"),
        (at((99, 59, 9)), "off by one", "from 0"),
        (at((100.5, 60.5, 10.5)), "corner", "centres"),
        (affine[:3, :3] @ [100, 60, 10], "origin is missing"),
        ((100, 60, 10), "voxel index", "not a position"),
        (at((100, 60, 10), np.linalg.inv(affine)), "inverse"),
        (at((100, 60, 10), canonical), "canonical", "load_series"),
        (at((100, 60, 10), ct), "ct"),
        (affine @ [100, 60, 10, 1], "four numbers", "trailing 1"),
        (truth + 1, "not that voxel's position"),
        ((True, 0, 1), "three numbers"),
        ([str(v) for v in truth], "three numbers"),
        (truth[:2], "three numbers", "shape (2,)"),
        ((affine @ [[100], [60], [10], [1]]), "four numbers"),  # a (4, 1) column
        ([np.nan, np.nan, np.nan], "3 nan"),
        (mr, "nibabel image", "three numbers"),
        (np.zeros((3, 3)), "shape (3, 3)"),
        (MultiValue(DSfloat, ["100", "60", "10"]), "voxel index"),
        (None, "nonetype"),
    ]


# --- 03-coronal ------------------------------------------------------------------------------


def _ct():
    image = load_series(sample_path("head_ct"), progress=False)
    assert nib.aff2axcodes(image.affine) == ("L", "P", "S")  # not canonical: i and j flip
    return image, nib.as_closest_canonical(image)


def _coronal_right(tmp: Path) -> list:
    _, canonical = _ct()
    data = canonical.get_fdata()
    truth = data[:, 150, :].T[::-1, ::-1]
    stored = np.asanyarray(canonical.dataobj)  # the stored dtype, not float64
    return [
        truth,
        np.flipud(np.fliplr(data[:, 150, :].T)),
        np.rot90(data[:, 150, :], 2).T,  # rot90 twice, then .T: the same picture
        stored[:, 150, :].T[::-1, ::-1],
        truth.astype(np.float32),
        truth.tolist(),
    ]


def _coronal_wrong(tmp: Path) -> list[tuple]:
    image, canonical = _ct()
    data, own = canonical.get_fdata(), image.get_fdata()
    cut = data[:, 150, :]
    return [
        (cut, "not transposed"),
        (cut.T, "not flipped", "head is at the bottom"),
        (cut.T[::-1], "neurological"),
        (np.rot90(cut), "neurological"),  # rot90 = .T[::-1]
        (cut.T[:, ::-1], "head is at the bottom", "flip rows"),
        (np.rot90(cut, -1), "head is at the bottom"),
        (cut[::-1, ::-1], "not transposed"),
        (data[:, 149, :].T[::-1, ::-1], "plane j = 149"),
        (data[:, 151, :].T[::-1, ::-1], "plane j = 151"),
        (data[:, :, 23].T[::-1, ::-1], "axial"),
        (data[:, :, 23], "axial"),
        (data[150, :, :].T[::-1, ::-1], "sagittal"),
        (own[:, 150, :].T[::-1, ::-1], "load_series's own voxel order", "as_closest_canonical"),
        (own[:, 150, :].T, "load_series's own voxel order"),
        (data[:, 150:151, :], "2-d array", "3 dimension"),
        (data[:, 150, 0], "2-d array"),
        (np.zeros((40, 256)), "not the coronal plane"),
        (cut.T[::-1, ::-1] > 40, "2-d array of numbers"),  # a mask, not the picture
        (np.full_like(cut.T, np.nan), "nan"),
        (canonical, "nibabel image"),
        (np.zeros((5, 5)), "shape (5, 5)", "rows run along k"),
        (None, "nonetype"),
    ]


# --- 03-bolus --------------------------------------------------------------------------------


def _bolus_facts() -> tuple[int, float, int, float]:
    """(darkest volume, time step in s, brightest volume, slice spacing), from the volumes."""
    perf = load_series(sample_path("head_perfusion"), progress=False)
    data = perf.get_fdata()
    first = dcmread(sorted(sample_path("head_perfusion").glob("*.dcm"))[0])
    step = float(first.RepetitionTime) / 1000  # one volume per TR (ms)
    assert step == float(perf.header.get_zooms()[3])
    baseline = data[..., 0]
    darkening = (baseline > 50) & (data.min(axis=3) < 0.7 * baseline)
    curve = data[darkening].mean(axis=0)
    return int(np.argmin(curve)), step, int(np.argmax(curve)), float(perf.header.get_zooms()[2])


def _bolus_right(tmp: Path) -> list:
    lowest, step, _, _ = _bolus_facts()
    seconds = lowest * step
    return [
        (lowest, seconds),
        [lowest, seconds],
        np.array([lowest, seconds]),
        (np.int64(lowest), np.float32(seconds)),
        (float(lowest), seconds),
    ]


def _bolus_wrong(tmp: Path) -> list[tuple]:
    lowest, step, brightest, slice_spacing = _bolus_facts()
    assert 0 < lowest < 5 and brightest != lowest and slice_spacing != step
    seconds = lowest * step
    other = (lowest + 2) % 6
    return [
        ((lowest + 1, (lowest + 1) * step), "counts from 1"),
        ((lowest + 1, seconds), "counts from 1"),
        ((lowest, seconds * 1000), "milliseconds"),
        ((lowest, (lowest + 1) * step), "first volume is at 0 s"),
        ((brightest, brightest * step), "not the darkest", "before the bolus"),
        ((other, other * step), "not the darkest"),
        ((lowest, lowest), f"{step:g} s apart"),
        ((lowest, lowest * slice_spacing), f"{step:g} s apart", "get_zooms()[3]"),
        ((seconds, lowest), "swapped"),
        ((lowest + 0.5, seconds), "whole"),
        ((6, 9.0), "6 volumes", "0 to 5"),
        ((True, seconds), "bool"),
        ((str(lowest), str(seconds)), "text"),
        (lowest, "two numbers"),
        ((lowest, seconds, 0), "2 values"),
    ]


_CASES = {
    "03-affine": (_affine_right, _affine_wrong),
    "03-order": (_order_right, _order_wrong),
    "03-world": (_world_right, _world_wrong),
    "03-coronal": (_coronal_right, _coronal_wrong),
    "03-bolus": (_bolus_right, _bolus_wrong),
}


def right_answers(name: str, tmp: Path) -> list | None:
    """The right answers to ``name``, or None if it is not an exercise of lesson 03."""
    return _CASES[name][0](tmp) if name in _CASES else None


def wrong_answers(name: str, tmp: Path) -> list[tuple] | None:
    """(answer, words its feedback must contain) for ``name``, or None if not of lesson 03."""
    return _CASES[name][1](tmp) if name in _CASES else None
