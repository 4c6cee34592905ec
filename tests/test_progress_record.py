"""The student's progress (bootcamp_utils.progress): what check() records, and what it shows.

Every test points ``BOOTCAMP_PROGRESS_FILE`` at its own temporary file (the session's, set by
the root conftest.py, is shared by every test of a worker).
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from collections import Counter
from pathlib import Path

import pytest

import bootcamp_utils
from bootcamp_utils.checks import EXERCISES, check
from bootcamp_utils.progress import (
    ProgressError,
    ProgressWarning,
    progress,
    progress_file,
    progress_record,
    record_pass,
    reset_progress,
)

from .conftest import REPO

TAG = 0x0010 << 16 | 0x0010  # the right answer of 01-tag-number
#: The module (``from bootcamp_utils import progress`` is the function once it is exported).
progress_module = importlib.import_module("bootcamp_utils.progress")


@pytest.fixture
def file(tmp_path, monkeypatch):
    path = tmp_path / "home" / "progress.json"
    monkeypatch.setenv("BOOTCAMP_PROGRESS_FILE", str(path))
    monkeypatch.setattr(progress_module, "_WARNED", set())  # a fresh "session" of warnings
    return path


def _records(path: Path) -> dict:
    return json.loads(path.read_text())["exercises"]


def test_a_correct_check_is_recorded_a_wrong_one_is_not(file):
    assert not check("01-tag-number", TAG + 1)
    assert not file.exists()
    assert check("01-tag-number", TAG) and check("01-tag-number", TAG)
    entry = _records(file)["01-tag-number"]
    assert set(entry) == {"first", "last", "passes", "version"}
    assert entry["passes"] == 2 and entry["version"] == bootcamp_utils.__version__
    assert entry["first"] <= entry["last"] and entry["first"].endswith("+00:00")
    assert str(TAG) not in file.read_text() and hex(TAG) not in file.read_text()


def test_the_answer_is_never_stored(file, tmp_path):
    """An answer that is a path (it may name a patient) leaves no trace in the file."""
    from bootcamp_utils.checks._registry import exercise, right

    secret = tmp_path / "Doe^Jane_1960" / "edited.dcm"

    @exercise("99-test-only", "a test exercise")
    def _takes_a_path(answer):
        return right(f"got {answer}")

    try:
        assert check("99-test-only", secret)
    finally:
        del EXERCISES["99-test-only"]
    assert "99-test-only" in _records(file)
    assert "Doe" not in file.read_text() and "edited" not in file.read_text()


def test_every_exercise_of_every_lesson_is_listed_out_of_order(file):
    first, last = "01-tag-number", next(i for i in EXERCISES if i.startswith("06-"))
    record_pass(last)  # lesson 06 before lesson 01
    record_pass(first)
    mine = progress()
    counts = Counter(i.split("-")[0] for i in EXERCISES)
    assert [(row.lesson, row.total) for row in mine.lessons] == sorted(counts.items())
    assert mine.total == len(EXERCISES) and mine.passed == 2
    rows = {row.lesson: row for row in mine.lessons}
    assert list(rows["06"].passed) == [last] and last not in rows["06"].left
    assert set(rows["01"].left) == {i for i in EXERCISES if i[:2] == "01"} - {first}
    assert all(
        not rows[n].passed and len(rows[n].left) == counts[n] for n in ("02", "03", "04", "05")
    )
    text = str(mine)
    assert f"Lesson 06: 1/{counts['06']}" in text and f"Lesson 03: 0/{counts['03']}" in text
    assert f"Exercises passed: 2 of {len(EXERCISES)}" in text
    assert all(i in text for i in EXERCISES)  # what is left, by name


def test_html_table_has_one_row_per_lesson_and_escapes(file):
    record_pass("01-tag-number")
    page = progress()._repr_html_()
    assert page.count("<tr><td>") == len({i[:2] for i in EXERCISES})
    assert "<code>01-tag-number</code>" in page and "<script" not in page


def test_a_corrupt_file_is_kept_aside_with_a_warning(file):
    file.parent.mkdir(parents=True)
    file.write_text('{"exercises": {"01-vr": {"first": "2026-')  # cut off mid-write
    with pytest.warns(ProgressWarning, match="kept it as progress.json.corrupt-"):
        assert record_pass("01-tag-number")
    kept = list(file.parent.glob("progress.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text().endswith('"2026-')
    assert set(_records(file)) == {"01-tag-number"}


@pytest.mark.parametrize(
    "content", [b"[]", b'{"exercises": []}', b'{"exercises": {"x": 1}}', b"\xff\xfe\x00{", b""]
)
def test_what_is_not_a_progress_file_is_kept_aside_too(file, content):
    file.parent.mkdir(parents=True)
    file.write_bytes(content)
    with pytest.warns(ProgressWarning):
        assert progress().passed == 0
    assert [p.read_bytes() for p in file.parent.glob("*.corrupt-*")] == [content]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new file is fine: no second warning
        assert check("01-tag-number", TAG) and list(_records(file)) == ["01-tag-number"]


def test_records_of_exercises_this_version_lacks_are_kept(file):
    file.parent.mkdir(parents=True)
    old = {"first": "2025-01-01T00:00:00+00:00", "last": "2025-01-01T00:00:00+00:00"}
    file.write_text(json.dumps({"exercises": {"01-renamed-long-ago": old}}))
    record_pass("01-tag-number")
    assert set(_records(file)) == {"01-renamed-long-ago", "01-tag-number"}
    assert progress().unknown == ("01-renamed-long-ago",)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_full_or_read_only_disk_warns_once_and_never_fails_a_check(file, monkeypatch, code):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(progress_module.tempfile, "mkstemp", fail)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        verdicts = [check("01-tag-number", TAG) for _ in range(3)]
    assert all(verdicts) and all(v.correct and not v.crashed for v in verdicts)
    mine = [w for w in caught if issubclass(w.category, ProgressWarning)]
    assert len(mine) == 1, [str(w.message) for w in caught]
    message = str(mine[0].message)
    assert str(file) in message and os.strerror(code) in message
    assert "BOOTCAMP_PROGRESS_FILE" in message and "checks still work" in message


def test_a_progress_folder_that_is_a_file_warns_and_the_check_stands(tmp_path, monkeypatch):
    (tmp_path / "taken").write_text("a file, not a folder")
    monkeypatch.setenv("BOOTCAMP_PROGRESS_FILE", str(tmp_path / "taken" / "progress.json"))
    monkeypatch.setattr(progress_module, "_WARNED", set())
    with pytest.warns(ProgressWarning, match="Progress not saved"):
        assert check("01-tag-number", TAG)


def test_off_records_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOTCAMP_PROGRESS_FILE", "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert check("01-tag-number", TAG) and record_pass("01-tag-number") is False
    assert list(tmp_path.rglob("*")) == [] and progress().file is None


def test_default_file_follows_xdg_data_home_then_home(tmp_path, monkeypatch):
    monkeypatch.delenv("BOOTCAMP_PROGRESS_FILE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert check("01-tag-number", TAG)
    assert _records(tmp_path / "xdg" / "dicom-in-python" / "progress.json")
    monkeypatch.delenv("XDG_DATA_HOME")
    expected = tmp_path / "home" / ".local" / "share" / "dicom-in-python" / "progress.json"
    assert progress_file() == expected


_WORKER = textwrap.dedent(
    """
    import sys
    from bootcamp_utils.progress import record_pass
    assert all(record_pass(f"{sys.argv[1]}-{n:03d}") for n in range(int(sys.argv[2])))
    """
)


def test_two_kernels_at_once_keep_each_others_records(file):
    """Two processes (two lessons open) record 60 passes each at the same time: 120 kept."""
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = os.environ | {"BOOTCAMP_PROGRESS_FILE": str(file), "PYTHONPATH": pythonpath}
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, name, "60"], env=env)
        for name in ("02", "05")
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    assert len(_records(file)) == 120
    assert not list(file.parent.glob("*.tmp"))  # no temporary file left behind


def test_the_record_to_hand_in(file, tmp_path, monkeypatch):
    record_pass("01-tag-number")
    record_pass("03-affine" if "03-affine" in EXERCISES else next(iter(EXERCISES)))
    monkeypatch.chdir(tmp_path)
    written = progress().write_record(name="Ada <Lovelace>")
    assert written == Path("output") / "progress-record.html"
    page = written.read_text()
    assert "Ada &lt;Lovelace&gt;" in page and "<Lovelace>" not in page
    assert f"bootcamp_utils {bootcamp_utils.__version__}" in page
    assert "self-report" in page and "01-tag-number" in page
    assert _records(file)["01-tag-number"]["first"][:10] in page
    assert f"{progress().passed} of {len(EXERCISES)}" in page
    # self-contained: nothing to load, from the web or elsewhere
    assert "<script" not in page and "src=" not in page and "href=" not in page
    assert "http" not in page.replace('lang="en"', "")
    assert oct(written.stat().st_mode & 0o044) != "0o0"  # readable by the teacher collecting it
    assert progress_record(tmp_path / "again.html", name="Ada").read_text().count("<tr>") >= 7


def test_the_record_refuses_the_course_folders_and_an_empty_name(file, tmp_path):
    from bootcamp_utils.data import data_dir

    for folder in (data_dir(), Path(bootcamp_utils.__file__).parent):
        with pytest.raises(ProgressError, match="write the record elsewhere"):
            progress().write_record(folder / "record.html", name="A")
        assert not (folder / "record.html").exists()
    with pytest.raises(ProgressError, match="needs your name"):
        progress().write_record(tmp_path / "r.html", name="  ")


def test_a_record_that_cannot_be_written_says_where_and_what_to_do(file, tmp_path):
    (tmp_path / "full").write_text("")
    target = tmp_path / "full" / "record.html"
    with pytest.raises(ProgressError, match="Could not write the record") as raised:
        progress().write_record(target, name="A")
    assert str(target) in str(raised.value) and "another path" in str(raised.value)


def test_reset_needs_confirmation_and_keeps_the_old_file(file):
    record_pass("01-tag-number")
    with pytest.raises(ProgressError, match="confirm=True"):
        reset_progress()
    assert progress().passed == 1
    kept = reset_progress(confirm=True)
    assert progress().passed == 0 and "01-tag-number" in json.loads(kept.read_text())["exercises"]
    assert reset_progress(confirm=True) is None  # nothing left to reset


def test_progress_reads_a_file_in_a_read_only_folder(file, monkeypatch):
    record_pass("01-tag-number")

    def no_lock(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(progress_module, "_locked", no_lock)
    assert list(progress().lessons[0].passed) == ["01-tag-number"]


def test_bc_progress_is_the_function_once_exported():
    """``bc.progress()``: the submodule of the same name must not shadow the function."""
    if "progress" not in bootcamp_utils.__all__:
        pytest.skip("bootcamp_utils/__init__.py does not export progress yet")
    importlib.import_module("bootcamp_utils.progress")  # the submodule, imported again

    assert bootcamp_utils.progress is progress and callable(bootcamp_utils.progress)


@pytest.mark.external
def test_the_record_prints_on_one_page_with_every_exercise_passed(file, tmp_path):
    """Chromium's print to PDF (A4/Letter, its default margins): one page, all 6 lessons."""
    from .conftest import require_tool

    chromium = require_tool("chromium", "chromium")
    for exercise in EXERCISES:
        record_pass(exercise)
    page = progress().write_record(tmp_path / "record.html", name="Maria Anna Example-Longname")
    pdf = tmp_path / "record.pdf"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", page.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())
    assert len(pages) == 1


def test_the_progress_file_is_readable_by_its_owner_only(file):
    """On a shared machine (a classroom server) other students cannot read it."""
    record_pass("01-tag-number")
    assert file.stat().st_mode & 0o777 == 0o600


def test_a_full_disk_while_writing_the_record_is_one_clear_error(file, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    mine = progress()
    monkeypatch.setattr(progress_module.tempfile, "mkstemp", full)
    with pytest.raises(ProgressError) as raised:
        mine.write_record(tmp_path / "out" / "record.html", name="A")
    message = str(raised.value)
    assert "\n" not in message and os.strerror(errno.ENOSPC) in message
    assert str(tmp_path / "out" / "record.html") in message


def test_in_a_kernel_a_pass_shows_in_the_table_and_the_record_lands_in_output(file, tmp_path):
    """What a student does in a notebook: pass an exercise, look, write the record."""
    import nbformat

    from .notebook_harness import run_notebook

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            f"from bootcamp_utils.checks import check\ncheck('01-tag-number', {TAG})"
        ),
        nbformat.v4.new_code_cell("from bootcamp_utils.progress import progress\nprogress()"),
        nbformat.v4.new_code_cell("progress().write_record(name='Kim')"),
    ]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    (tmp_path / "work").mkdir()
    # the checkout's package, whichever one an editable install points at
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {"BOOTCAMP_PROGRESS_FILE": str(file), "PYTHONPATH": pythonpath}
    run = run_notebook(path, tmp_path / "work", timeout=120, env=env)
    assert run.ok, run.failures
    shown = run.notebook.cells[1].outputs[0]["data"]
    assert "<table" in shown["text/html"] and "01-tag-number" in shown["text/html"]
    assert shown["text/plain"].startswith("Exercises passed: 1 of")
    assert "Kim" in (tmp_path / "work" / "output" / "progress-record.html").read_text()
    assert list(_records(file)) == ["01-tag-number"]
