"""``python -m bootcamp_utils info | convert | deidentify``, run as a user would: in a subprocess,
on the course's generated samples and on pydicom's own test files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file

from bootcamp_utils import list_series, load_series
from bootcamp_utils.data import sample_path

from .conftest import REPO

BAR = re.compile(r"\| *\d+/\d+ \[")  # a tqdm progress bar: "| 3/40 ["
PYDICOM_FILES = Path(get_testdata_file("CT_small.dcm")).parent


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m bootcamp_utils ARGS`` in a new process (BOOTCAMP_DATA_DIR inherited)."""
    return subprocess.run(
        [sys.executable, "-m", "bootcamp_utils", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ | {"COLUMNS": "100"},
    )


def refusal(result: subprocess.CompletedProcess, command: str) -> str:
    """The one line a refused command prints (status 1, no traceback, nothing on stdout)."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip() and not BAR.search(line)]
    assert len(lines) == 1, result.stderr
    prefix = f"python -m bootcamp_utils {command}: error: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0].removeprefix(prefix)


@pytest.fixture
def pydicom_folder(tmp_path) -> Path:
    """A folder of some of pydicom's test files (two image series, an RT plan without pixels)
    and a text file."""
    folder = tmp_path / "pydicom_files"
    folder.mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm"):
        shutil.copy(PYDICOM_FILES / name, folder / name)
    (folder / "notes.txt").write_text("not DICOM")
    return folder


# --- --help and the command line itself --------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ((), ["info", "convert", "deidentify"]),
        (("info",), ["path", "--no-progress"]),
        (("convert",), ["input", "out", "--series", "--ras", "--overwrite"]),
        (("deidentify",), ["input", "out", "--key", "--keep-private", "--shift-dates"]),
    ],
)
def test_help(command, words):
    result = run(*command, "--help")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith(f"usage: python -m bootcamp_utils {' '.join(command)}")
    for word in words:
        assert word in result.stdout, word


def test_a_mistyped_command_line_exits_with_2():
    result = run("convret", "a", "b")
    assert result.returncode == 2 and "invalid choice: 'convret'" in result.stderr
    assert run("convert", "only-one").returncode == 2


def test_bootcamp_console_script_is_main():
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    module, name = scripts["bootcamp"].split(":")
    main = getattr(import_module(module), name)
    assert main(["info", "--help"]) == 0


# --- info ---------------------------------------------------------------------------------------


def test_info_lists_a_folders_series():
    folder = sample_path("identified_study")
    result = run("info", folder)
    assert result.returncode == 0, result.stderr
    for series in list_series(folder):
        assert f"series {series.number} CT {series.description!r}: {len(series.files)}" in (
            result.stdout
        )
        assert f"SeriesInstanceUID {series.uid}" in result.stdout


def test_info_on_a_file_counts_what_still_identifies_someone(tmp_path):
    source = sample_path("identified_study") / "CT0001.dcm"
    before = run("info", source)
    assert before.returncode == 0, before.stderr
    assert "CT Image Storage" in before.stdout and "256 x 256" in before.stdout
    assert "PatientName" in before.stdout and "may still identify someone: 0" not in before.stdout
    assert run("deidentify", source.parent, tmp_path / "clean", "--no-progress").returncode == 0
    # a slice of the axial series (the localizer keeps its burned-in text: flagged)
    axial = [p for p in (tmp_path / "clean").rglob("*.dcm") if dcmread(p).SeriesNumber == 2]
    assert len(axial) == 4
    after = run("info", axial[0])
    assert "may still identify someone: 0 attribute(s)" in after.stdout, after.stdout


def test_info_on_a_nifti_names_its_axes(tmp_path):
    out = tmp_path / "mr.nii.gz"
    assert run("convert", sample_path("head_mr"), out, "--no-progress").returncode == 0
    result = run("info", out)
    assert result.returncode == 0
    assert "shape (256, 256, 36)" in result.stdout and "point to P, I, R" in result.stdout


def test_info_refuses_what_it_cannot_read(tmp_path):
    assert "No such file or folder" in refusal(run("info", tmp_path / "absent"), "info")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "force=True" in refusal(run("info", text), "info")


# --- convert ------------------------------------------------------------------------------------


def test_convert_writes_what_load_series_returns(tmp_path):
    out = tmp_path / "nifti" / "ct.nii.gz"
    result = run("convert", sample_path("head_ct"), out)
    assert result.returncode == 0, result.stderr
    assert "Reading pixel data" in result.stderr  # the progress bar
    expected = load_series(sample_path("head_ct"), progress=False)
    written = nib.load(out)
    np.testing.assert_array_equal(written.get_fdata(), expected.get_fdata())
    np.testing.assert_allclose(written.affine, expected.affine)
    assert f"Wrote {out}: shape (256, 256, 40)" in result.stdout
    assert "point to L, P, S" in result.stdout


def test_convert_ras_reorders_the_axes(tmp_path):
    out = tmp_path / "mr.nii"
    assert run("convert", sample_path("head_mr"), out, "--ras", "--no-progress").returncode == 0
    written = nib.load(out)
    assert nib.aff2axcodes(written.affine) == ("R", "A", "S") and written.shape == (36, 256, 256)
    canonical = nib.as_closest_canonical(load_series(sample_path("head_mr"), progress=False))
    np.testing.assert_array_equal(written.get_fdata(), canonical.get_fdata())


def test_convert_asks_for_a_series_when_there_are_several(tmp_path):
    folder, out = sample_path("identified_study"), tmp_path / "ct.nii.gz"
    message = refusal(run("convert", folder, out, "--no-progress"), "convert")
    assert "2 image series" in message and "--series UID" in message
    scout, axial = list_series(folder)
    assert scout.uid in message and axial.uid in message and not out.exists()
    chosen = run("convert", folder, out, "--series", axial.uid, "--no-progress")
    assert chosen.returncode == 0 and nib.load(out).shape == (256, 256, 4)


def test_convert_refuses_to_overwrite_and_other_names(tmp_path):
    out = tmp_path / "ct.nii.gz"
    out.write_bytes(b"keep me")
    message = refusal(run("convert", sample_path("head_ct"), out, "--no-progress"), "convert")
    assert "already exists" in message and "--overwrite" in message
    assert out.read_bytes() == b"keep me"
    again = run("convert", sample_path("head_ct"), out, "--overwrite", "--no-progress")
    assert again.returncode == 0 and nib.load(out).shape == (256, 256, 40)
    wrong = refusal(run("convert", sample_path("head_ct"), tmp_path / "ct.mat"), "convert")
    assert ".nii.gz" in wrong and not (tmp_path / "ct.mat").exists()


def test_convert_a_series_error_is_one_line(tmp_path):
    """load_series' own message, its line breaks made spaces: here a missing slice."""
    folder = tmp_path / "ct"
    shutil.copytree(sample_path("head_ct"), folder)
    missing = sorted(folder.glob("*.dcm"))[10]
    missing.unlink()
    message = refusal(run("convert", folder, tmp_path / "ct.nii.gz", "--no-progress"), "convert")
    assert "missing" in message and not (tmp_path / "ct.nii.gz").exists()


# --- deidentify ---------------------------------------------------------------------------------


def test_deidentify_a_sample_study(tmp_path):
    out = tmp_path / "clean"
    result = run("deidentify", sample_path("identified_study"), out, "--key", "course")
    assert result.returncode == 0, result.stderr
    assert "5 DICOM file(s) de-identified" in result.stdout
    assert len(list(out.rglob("*.dcm"))) == 5
    assert "De-identifying" in result.stderr and "100%" in result.stderr  # the progress bar
    # the localizer's burned-in text: a warning after the bar, on a line of its own
    last = result.stderr.splitlines()[-1]
    assert last.startswith("python -m bootcamp_utils deidentify: warning: Burned In Annotation")
    assert refusal(run("deidentify", sample_path("identified_study"), out), "deidentify")


def test_deidentify_shifts_dates_and_refuses_a_bad_shift(tmp_path):
    study = sample_path("identified_study")
    out = tmp_path / "shifted"
    result = run("deidentify", study, out, "--shift-dates", "-30", "--no-progress")
    assert result.returncode == 0, result.stderr
    first = dcmread(sorted(study.glob("CT*.dcm"))[0])
    clean = [dcmread(p) for p in out.rglob("*.dcm")]
    assert first.StudyDate and all(ds.StudyDate != first.StudyDate for ds in clean)
    assert {ds.StudyDate for ds in clean} != {""}
    message = refusal(
        run("deidentify", study, tmp_path / "x", "--shift-dates", "soon"), "deidentify"
    )
    assert "'soon'" in message and "per-patient" in message


def test_deidentify_refuses_an_output_inside_the_source(tmp_path):
    folder = tmp_path / "study"
    shutil.copytree(sample_path("identified_study"), folder)
    message = refusal(run("deidentify", folder, folder / "clean"), "deidentify")
    assert "inside the source folder" in message and not (folder / "clean").exists()


# --- a folder of pydicom's test files -----------------------------------------------------------


def test_pydicom_files_info_convert_deidentify(pydicom_folder, tmp_path):
    info = run("info", pydicom_folder, "--no-progress")
    assert info.returncode == 0, info.stderr
    assert "3 series" in info.stdout and " CT " in info.stdout and " MR " in info.stdout
    message = refusal(run("convert", pydicom_folder, tmp_path / "a.nii.gz"), "convert")
    assert "2 image series" in message  # the RT plan has no pixels: not an image series
    ct_uid = dcmread(pydicom_folder / "CT_small.dcm").SeriesInstanceUID
    out = tmp_path / "ct.nii.gz"
    assert run("convert", pydicom_folder, out, "--series", ct_uid).returncode == 0
    assert nib.load(out).shape == (128, 128, 1)
    deid = run("deidentify", pydicom_folder, tmp_path / "clean", "--no-progress")
    assert deid.returncode == 0, deid.stderr
    assert "3 DICOM file(s) de-identified" in deid.stdout and "notes.txt" in deid.stdout


def test_all_of_pydicoms_test_files_are_refused_in_one_line(tmp_path):
    """pydicom's test folder holds damaged files on purpose: each command names one."""
    names = [p.name for p in PYDICOM_FILES.iterdir()]
    message = refusal(run("info", PYDICOM_FILES, "--no-progress"), "info")
    assert any(name in message for name in names), message
    out = tmp_path / "clean"
    message = refusal(run("deidentify", PYDICOM_FILES, out, "--no-progress"), "deidentify")
    assert any(name in message for name in names) and "Nothing was written" in message
    assert not out.exists() and list(tmp_path.iterdir()) == []
