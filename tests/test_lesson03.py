"""Lesson 03's claims, measured: the converters' table, the tilted series, the display figure.

Each test reads what the lesson shows (its cells' code and outputs) and measures the same
thing independently: the NIfTI headers as the files hold them, the tilt dcm2niix derives
from the geometry, and where the phantom's bleed (patient's right, posterior) lands in
each panel of the display figure.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from nibabel.openers import Opener  # noqa: E402
from pydicom import dcmread  # noqa: E402

from bootcamp_utils import load_series, sample_path  # noqa: E402
from bootcamp_utils.data._phantom import BLEED  # noqa: E402

from .conftest import require_tool  # noqa: E402
from .notebook_harness import run_notebook  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_nifti_conversion.ipynb"


def _cells():
    import nbformat

    return nbformat.read(NOTEBOOK, as_version=4).cells


def _cell(cells, *words):
    """The one cell whose source holds all ``words``."""
    found = [c for c in cells if all(w in c.source for w in words)]
    assert len(found) == 1, f"{len(found)} cells hold {words}"
    return found[0]


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lesson03")
    env = {"PYTHONDONTWRITEBYTECODE": "1"}  # no __pycache__ in the checkout from the kernel
    result = run_notebook(NOTEBOOK, workdir, env=env)
    assert result.ok, result.failures
    return result.notebook.cells, workdir


def _stored(path: Path) -> nib.Nifti1Header:
    with Opener(path) as f:
        return nib.Nifti1Header.from_fileobj(f)


# --- section 4: the table shows what the files hold ------------------------------------------


def test_the_converters_table_prints_what_each_file_holds(run):
    cells, workdir = run
    table = _text(_cell(cells, "stored_header(path)", "for name, path in written.items()"))
    assert "nan" not in table  # nibabel's in-memory NaN is not in any file
    files = {
        "load_series": "ct_load_series.nii.gz",
        "dicom2nifti": "ct_dicom2nifti.nii.gz",
        "dcm2niix": "dcm2niix/ct.nii.gz",
    }
    rows = {line.split()[0]: line.split() for line in table.splitlines()[1:] if line.strip()}
    if shutil.which("dcm2niix") is None:
        files.pop("dcm2niix")
    assert set(rows) == set(files)
    for name, file in files.items():
        header = _stored(workdir / "output" / "03" / file)
        _, dtype, _, slope, inter, *_ = rows[name]
        assert dtype == header.get_data_dtype().name
        assert float(slope) == float(header["scl_slope"]), name
        assert float(inter) == float(header["scl_inter"]), name
        codes = re.search(r"(\d) / (\d)", " ".join(rows[name])).groups()
        assert codes == (str(int(header["qform_code"])), str(int(header["sform_code"]))), name
    if "dcm2niix" in rows:  # the integers and the DICOM rescale, as the Notice says
        assert rows["dcm2niix"][1:2] + rows["dcm2niix"][3:5] == ["int16", "1", "-1024"]
    notice = _cell(cells, "Notice: the same Hounsfield units").source
    assert "−1024" in notice and "0 means" in notice
    assert "needs no" not in notice and "`nan` means unused" not in notice


def test_the_lesson_explains_nibabels_nan_and_the_codes(run):
    cells, workdir = run
    loaded = _text(_cell(cells, "after nib.load, img.header"))
    assert re.search(r"img\.header: nan nan \| img\.dataobj: 1\.0 (-1024|0)\.0", loaded)
    fresh = _text(_cell(cells, "a new image without a header"))
    assert "qform code 0 | sform code 2" in fresh  # why dicom2nifti's file reads 0 / 2
    text = _cell(cells, "### qform or sform?").source
    assert "sform when `sform_code`" in text and "else the qform" in text


# --- section 3: a tilted gantry --------------------------------------------------------------


def test_the_tilted_copy_is_stored_as_a_real_tilt(run):
    """Image Orientation carries the tilt, positions step along z; load_series is exact."""
    _, workdir = run
    folder = workdir / "output" / "03" / "ct_tilted"
    headers = sorted(
        (dcmread(p, stop_before_pixels=True) for p in folder.glob("*.dcm")),
        key=lambda h: float(h.ImagePositionPatient[2]),
    )
    iop = np.array(headers[0].ImageOrientationPatient, dtype=float)
    assert np.allclose(iop[3:], [0, np.cos(np.radians(15)), -np.sin(np.radians(15))], atol=1e-6)
    steps = np.diff([np.array(h.ImagePositionPatient, dtype=float) for h in headers], axis=0)
    assert np.allclose(steps, [0, 0, 4], atol=1e-3)  # the table moves along z only
    image = load_series(folder, progress=False)
    for k in (0, len(headers) - 1):
        h = headers[k]
        x, y = iop[:3], iop[3:]
        rows, cols = (float(v) for v in h.PixelSpacing)
        for i, j in ((0, 0), (255, 255)):
            lps = np.array(h.ImagePositionPatient, dtype=float) + x * cols * i + y * rows * j
            world = nib.affines.apply_affine(image.affine, (i, j, k))
            assert np.allclose(world, lps * [-1, -1, 1], atol=1e-3)
    assert int(image.header["qform_code"]) == 0 and int(image.header["sform_code"]) == 1


@pytest.mark.external
def test_dcm2niix_derives_the_tilt_the_header_states(run):
    require_tool("dcm2niix", "dcm2niix")
    cells, workdir = run
    out = _text(_cell(cells, "dcm2niix_tilted", "Tilt based"))
    # dcm2niix compares Gantry/Detector Tilt with the angle it finds in the geometry
    assert "Gantry Tilt based on 0018,1120 15, estimated from slice vector 15" in out, out
    assert "tilted_Tilt_1.nii.gz" in out
    # its un-resampled file has an orthogonal approximation, not the slices' positions
    as_is = nib.load(workdir / "output" / "03" / "dcm2niix_tilted" / "tilted.nii.gz")
    ours = load_series(workdir / "output" / "03" / "ct_tilted", progress=False)
    a, b = nib.as_closest_canonical(ours), nib.as_closest_canonical(as_is)
    assert np.array_equal(np.asanyarray(a.dataobj), np.asanyarray(b.dataobj))
    corner = (255, 255, 39)
    apart = nib.affines.apply_affine(a.affine, corner) - nib.affines.apply_affine(b.affine, corner)
    assert np.abs(apart).max() > 5  # mm: the lesson says the affine "is not theirs"
    printed = re.search(r"far corner voxel (\d+\.\d) mm", out)
    assert printed and abs(float(printed.group(1)) - np.linalg.norm(apart)) < 0.06, out


# --- section 6: the display figure -----------------------------------------------------------


def _where(picture: np.ndarray, value: int) -> tuple[int, int]:
    rows, cols = np.nonzero(picture == value)
    assert len(rows) == 1
    return int(rows[0]), int(cols[0])


def test_each_display_panel_is_labelled_with_what_it_shows():
    """Run the figure cell on an image whose voxels hold their own (i, j): then each panel
    tells where the bleed, the patient's right and anterior land, whatever its code."""
    ct = nib.as_closest_canonical(load_series(sample_path("head_ct"), progress=False))
    ni, nj, nk = ct.shape
    index = np.arange(ni)[:, None, None] * 1000 + np.arange(nj)[None, :, None]
    fake = nib.Nifti1Image(np.broadcast_to(index, ct.shape).astype(np.float64), ct.affine)
    ras = np.array([-BLEED.center[0], -BLEED.center[1], BLEED.center[2]])  # LPS -> RAS
    bi, bj, _ = np.rint(nib.affines.apply_affine(np.linalg.inv(ct.affine), ras)).astype(int)

    source = _cell(_cells(), "panels = {", "imshow(picture").source
    shown = {}
    namespace = {"nib": nib, "np": np, "plt": plt, "ours": fake}
    plt.close("all")
    exec(compile(source.replace("plt.show()", ""), "display-cell", "exec"), namespace)
    fig = plt.gcf()
    for ax in fig.axes:
        picture = np.asarray(ax.images[0].get_array())
        r, c = _where(picture, bi * 1000 + bj)
        r_right, c_right = _where(picture, (bi + 5) * 1000 + bj)  # towards the patient's right
        r_front, c_front = _where(picture, bi * 1000 + bj + 5)  # towards anterior
        height, width = picture.shape
        shown[ax.get_title()] = {
            "on its side": c_right == c,
            "anterior up": r_front < r,
            "right on the viewer's right": c_right > c,
            "bleed on the viewer's left": c < width / 2,
            "bleed low": r > height / 2,
        }
    plt.close(fig)
    assert len(shown) == 4
    for title, facts in shown.items():
        label = title.split("\n")[-1]
        if "on its side" in label:
            assert facts["on its side"], title
        elif "rotated 180" in label:  # nose down, right on the right: radiological turned
            assert not facts["anterior up"] and facts["right on the viewer's right"], title
            assert not facts["bleed on the viewer's left"] and not facts["bleed low"], title
        elif "neurological" in label:
            assert facts["anterior up"] and facts["right on the viewer's right"], title
            assert not facts["bleed on the viewer's left"] and facts["bleed low"], title
        elif "radiological" in label:
            assert facts["anterior up"] and not facts["right on the viewer's right"], title
            assert facts["bleed on the viewer's left"] and facts["bleed low"], title
        else:
            pytest.fail(f"panel {title!r} does not say what it shows")
    labels = " ".join(shown)
    assert all(w in labels for w in ("on its side", "rotated 180", "neurological", "radiological"))
    notice = _cell(_cells(), "Notice: the bleed is in the patient's *right*").source
    assert "mirror image" not in notice
