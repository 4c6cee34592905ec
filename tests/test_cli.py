"""``python -m bootcamp_utils info | convert | deidentify``, run as a user would: in a subprocess,
on the course's generated samples and on pydicom's own test files."""

from __future__ import annotations

import doctest
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
        (
            ("deidentify",),
            ["input", "out", "--key", "--keep-private", "--shift-dates", "--strict", "--overwrite"],
        ),
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
    # pydicom reads a file cut short without a word; info says so, as load_series does
    cut = tmp_path / "CT0001.dcm"
    cut.write_bytes((sample_path("identified_study") / "CT0001.dcm").read_bytes()[:700])
    assert "CT0001.dcm is truncated" in refusal(run("info", cut), "info")


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
    # the report's first lines: the localizer, whose pixels may still show a name
    first, second = result.stdout.splitlines()[:2]
    assert "1 file(s) NEED ATTENTION" in first and "SCOUT0001.dcm" in second
    assert len(list(out.rglob("*.dcm"))) == 5
    assert "De-identifying" in result.stderr and "100%" in result.stderr  # the progress bar
    # the localizer's burned-in text: a warning after the bar, on a line of its own
    last = result.stderr.splitlines()[-1]
    assert last.startswith("python -m bootcamp_utils deidentify: warning: "), result.stderr
    assert "Burned In Annotation is YES" in last
    message = refusal(run("deidentify", sample_path("identified_study"), out), "deidentify")
    assert "already exists" in message and "overwrite" in message
    again = run("deidentify", sample_path("identified_study"), out, "--overwrite", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert len(list(out.rglob("*.dcm"))) == 5  # replaced, not added to


def test_deidentify_strict_writes_nothing_when_a_file_needs_attention(tmp_path):
    out = tmp_path / "clean"
    message = refusal(
        run("deidentify", sample_path("identified_study"), out, "--strict"), "deidentify"
    )
    assert "SCOUT0001.dcm" in message and "Nothing was written" in message
    assert not out.exists() and list(tmp_path.iterdir()) == []


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


def test_installed_from_the_git_url_the_bootcamp_command_works(tmp_path):
    """What the README tells a user outside the clone: pip install from the git URL (here
    the checkout's committed HEAD, offline), then the ``bootcamp`` command."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--target", str(target), f"git+file://{REPO}"],
        check=True,
        capture_output=True,
        env=os.environ | {"PIP_NO_INDEX": "1"},
    )
    env = os.environ | {"PYTHONPATH": str(target)}
    out = tmp_path / "mr.nii.gz"
    result = subprocess.run(
        [target / "bin" / "bootcamp", "convert", sample_path("head_mr"), out, "--no-progress"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert nib.load(out).shape == (256, 256, 36)
    where = subprocess.run(
        [sys.executable, "-c", "import bootcamp_utils.cli as c; print(c.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert where.stdout.startswith(str(target)), where.stdout
    usage = subprocess.run(
        [target / "bin" / "bootcamp", "deidentify", "--help"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert usage.stdout.startswith("usage: bootcamp deidentify")


# --- the book's page "Use the helpers on your own files" ---------------------------------------

PAGE = REPO / "book" / "theory" / "own_files.md"


def page_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(), re.S)


def test_own_files_page_python_examples_give_what_they_show(tmp_path, monkeypatch):
    """The page's ``>>>`` examples, in order, as one doctest (in a folder of their own)."""
    monkeypatch.chdir(tmp_path)
    text = "\n".join(page_blocks("python"))
    test = doctest.DocTestParser().get_doctest(text, {}, PAGE.name, str(PAGE), 0)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, out=report.append)
    assert runner.tries >= 10 and runner.failures == 0, "".join(report)
    assert (tmp_path / "head_ct.nii.gz").is_file() and (tmp_path / "deidentified").is_dir()


def test_own_files_page_commands_run(tmp_path):
    """The page's install line is the course's git URL; its terminal commands run, in a
    folder of their own (the install line left out: the package is installed here)."""
    from bootcamp_utils.course import install_url

    install, commands = page_blocks("bash")
    assert install.strip() == f'pip install "{install_url()}"'
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-e", "-c", commands], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Wrote head_ct.nii.gz: shape (256, 256, 40)" in result.stdout
    assert len(list((tmp_path / "deidentified").rglob("*.dcm"))) == 5


def test_readme_shows_the_pages_commands():
    """The README's section runs the same lines as the page (tests/test_readme.py runs it)."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Use the helpers on your own files\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.+?)\n```", section, re.S)[1].splitlines()
    assert block == "".join(page_blocks("bash")).splitlines()
