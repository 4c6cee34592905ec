"""Lesson 05 runs against Orthanc and, with Orthanc hidden from PATH, against the fallback
(pynetdicom's qrscp), from a fresh kernel; it says at its top which PACS it got and, with the
fallback, what is lost; the refusal cell says SKIPPED and section 10 runs against the course's
own DICOMweb server (issue 25.2).

After Run All the servers are still there: the exercises work afterwards and in any order
(issue 25.1). They stop with the kernel: once nbclient has shut it down, no server process and
no port of the lesson remain (issue 16), checked by /proc and by connecting (no psutil).

test_notebooks.py runs every lesson with the PATH as it is; this file adds the fallback run,
the run that goes on in the same kernel after Run All, and the teardown checks.
"""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import REPO, path_without, require_tool
from .notebook_harness import cell_failures, run_notebook
from .notebook_structure import solution_code
from .test_notebooks import _kernel_env

NOTEBOOK = REPO / "notebooks" / "05_networking.ipynb"
_PORT = re.compile(r"127\.0\.0\.1(?::| port )(\d+)")
_CHECK = re.compile(r"\bcheck\(\s*['\"]([\w-]+)['\"]")


def _text(cell) -> str:
    return "".join(
        output.get("text", "") or "".join(output.get("data", {}).get("text/plain", ""))
        for output in cell.get("outputs", [])
    )


def _processes_mentioning(folder: Path) -> list[str]:
    """Command lines of live processes that name ``folder`` (the servers' configurations)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):  # gone meanwhile, or not ours to read
            continue
        if str(folder) in cmdline and state != "Z":
            found.append(f"{proc.name}: {cmdline.strip()}")
    return found


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _left_behind(folder: Path, ports: set[int], seconds: float = 20.0) -> list[str]:
    """What still runs or listens ``seconds`` after the kernel was shut down ([] if nothing).

    The kernel stops its servers at exit (atexit; on Linux the kernel's death sends them
    SIGTERM): that takes up to the servers' own shutdown time, so poll.
    """
    deadline = time.monotonic() + seconds
    while True:
        left = _processes_mentioning(folder) + [f"port {p}" for p in ports if _listening(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _env(server: str) -> dict[str, str]:
    env = _kernel_env()
    if server == "orthanc":
        require_tool("Orthanc", "orthanc orthanc-dicomweb")
    else:
        env["PATH"] = path_without("Orthanc")
        env["BOOTCAMP_ORTHANC"] = "none"  # pacs also looks in /usr/sbin
    return env


@pytest.mark.parametrize("server", ["orthanc", "fallback"])
def test_lesson_runs_says_what_it_got_and_leaves_nothing_behind(server, tmp_path):
    run = run_notebook(NOTEBOOK, tmp_path, env=_env(server))
    assert not run.failures, f"{server} ({run.seconds:.1f} s):\n" + "\n".join(run.failures)

    code = [c for c in run.notebook.cells if c.cell_type == "code"]
    everything = "\n".join(_text(c) for c in code)
    first_pacs_word = min(
        i for i, c in enumerate(code) if "PACS" in _text(c) or "FALLBACK" in _text(c)
    )
    top = _text(code[first_pacs_word])
    assert "start_pacs" not in "".join(c.source for c in code[: first_pacs_word + 1])  # before it
    assert "<not returned>" not in everything and "nothing to refuse" not in everything
    if server == "fallback":
        assert "\nFALLBACK: this lesson runs pynetdicom's qrscp" in f"\n{top}", top
        assert "section 10 uses the course's own DICOMweb server" in top, top
        assert "apt-get install orthanc" in top and "refused associations" in top
        assert "qrscp: AE title QRSCP" in everything
        assert "SKIPPED with pynetdicom's qrscp: section 9's refused associations" in everything
        assert everything.count("SKIPPED") == 1  # section 10 runs, on the course's server
        assert "NOT RETURNED by qrscp: " in everything
        assert "DICOMweb: http://127.0.0.1:" in everything
        assert "largest difference WADO-RS - C-GET: 0" in everything
        assert "STOW-RS: 4 stored, 0 failed" in everything
        assert "QIDO-RS PatientID=TRIAL-0017: 1 study" in everything
    else:
        assert "\nPACS: Orthanc (Orthanc 1." in f"\n{top}" and "every section" in top, top
        assert "orthanc: AE title ORTHANC" in everything and "SKIPPED" not in everything
        assert "largest difference WADO-RS - C-GET: 0" in everything

    last = _text(code[-1])  # "when you are done": still running, stopped by the kernel
    assert "running: True" in last and "listening: True" in last, last
    ports = {int(p) for p in _PORT.findall(everything)}
    assert len(ports) >= 2, everything[:2000]
    assert _left_behind(tmp_path, ports) == []


def _solution(nb, exercise: str) -> str:
    """The code of the solution of ``exercise`` (a closed markdown block in the notebook)."""
    for cell in nb.cells:
        code = solution_code(cell) if "solution" in cell.metadata.get("tags", []) else None
        if code and exercise in _CHECK.findall(code):
            return code
    raise AssertionError(f"no solution for {exercise}")


def _index(nb, needle: str) -> int:
    """The index of the one code cell whose source holds ``needle``."""
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and needle in c.source]
    assert len(found) == 1, (needle, found)
    return found[0]


def test_exercises_work_after_run_all_and_in_any_order(tmp_path):
    """Run All, then, in the same kernel, what a student does next (issue 25.1)."""
    env = dict(os.environ) | {"MPLBACKEND": "Agg"} | _kernel_env()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    count = _solution(nb, "05-count")
    start_cell = _index(nb, 'PACS_DIR = OUT / "pacs"')
    store_cell = _index(nb, "stored, problems = 0, []")
    steps = [
        ("the 05-count solution after Run All", count, "[05-count] Correct"),
        (
            "05-levels, an earlier exercise, again",
            _solution(nb, "05-levels"),
            "[05-levels] Correct",
        ),
        (
            "the 05-count starter again",
            nb.cells[_index(nb, "answer = None  # {series")].source,
            "[05-count] Not yet",
        ),
        ("section 2's PACS cell again", nb.cells[start_cell].source, "Stopping the PACS already"),
        ("05-count before storing again", count, "the dict is empty"),
        ("section 5's C-STORE again", nb.cells[store_cell].source, "76 stored, 0 problems"),
        ("the 05-count solution again", count, "[05-count] Correct"),
    ]
    shown = []
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        assert cell_failures(nb) == []
        for what, source, expected in steps:
            cell = nbformat.v4.new_code_cell(source)
            nb.cells.append(cell)
            client.execute_cell(cell, len(nb.cells) - 1)
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"{what}: {errors[0].ename}: {errors[0].evalue}"
            assert expected in _text(cell), f"{what}: expected {expected!r} in\n{_text(cell)}"
            shown.append(_text(cell))
        assert (
            len(_processes_mentioning(tmp_path)) == 1
        )  # the PACS started again replaced the first
    ports = {
        int(p)
        for p in _PORT.findall("\n".join(_text(c) for c in nb.cells if c.cell_type == "code"))
    }
    assert _left_behind(tmp_path, ports) == []


@pytest.mark.parametrize("needle", ["first_slice = dcmread", "stored, problems = 0, []"])
def test_the_store_cells_say_why_when_no_association_is_made(needle):
    """The C-STORE cells check the association before sending: with no PACS at the port a
    student reads bc.explain_association's sentence, not pynetdicom's "must be established"
    from inside send_c_store (a README run under load met that one, issue 25)."""
    import types

    from pynetdicom import AE, evt
    from pynetdicom.sop_class import CTImageStorage, MRImageStorage

    import bootcamp_utils as bc

    nb = nbformat.read(NOTEBOOK, as_version=4)
    pacs = types.SimpleNamespace(host="127.0.0.1", port=bc.free_port(), ae_title="ORTHANC")
    names = {
        "AE": AE,
        "evt": evt,
        "CTImageStorage": CTImageStorage,
        "bc": bc,
        "time": time,
        "MRImageStorage": MRImageStorage,
        "pacs": pacs,
        "CT_FILES": [],
        "MR_FILES": [],
        "record": lambda direction: lambda event: None,
        "pdus": [],
    }
    with pytest.raises(RuntimeError, match=rf"Could not connect to 127\.0\.0\.1:{pacs.port}"):
        exec(nb.cells[_index(nb, needle)].source, names)


# --- the book and the decks publish the whole lesson (issue 25.2) ------------------------------


def _module(path: Path, name: str):
    """A file as a module (slides/ and book/_ext/ are not packages)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_orthanc(monkeypatch, tmp_path):
    """Orthanc off PATH, and BOOTCAMP_REQUIRE_FULL_PACS unset (restored afterwards)."""
    from bootcamp_utils.pacs import REQUIRE_FULL_PACS

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("BOOTCAMP_ORTHANC", "none")  # pacs also looks in /usr/sbin
    monkeypatch.setenv(REQUIRE_FULL_PACS, "")  # so that monkeypatch restores it ...
    monkeypatch.delenv(REQUIRE_FULL_PACS)  # ... after the code under test set it
    return REQUIRE_FULL_PACS


def test_the_deck_build_refuses_the_fallback(no_orthanc, monkeypatch, tmp_path, capsys):
    build = _module(REPO / "slides" / "build.py", "slides_build")
    assert build._kernel_env(tmp_path)[no_orthanc] == "1"  # the kernels refuse it too
    with pytest.raises(
        build.BuildError,
        match=r"05_networking\.ipynb: Lesson 05 needs the full "
        r"PACS here .*Orthanc is not on PATH\. Install it \(sudo apt-get install "
        r"orthanc orthanc-dicomweb\)",
    ):
        build.check_full_pacs([REPO / "notebooks" / "01_dicom_basics.ipynb", NOTEBOOK])
    build.check_full_pacs(sorted(p for p in (REPO / "notebooks").glob("0[1-4]_*.ipynb")))
    monkeypatch.setenv(no_orthanc, "0")
    build.check_full_pacs([NOTEBOOK])
    assert "WARNING: BOOTCAMP_REQUIRE_FULL_PACS=0: 05_networking.ipynb" in capsys.readouterr().err


def test_the_book_build_refuses_the_fallback(no_orthanc, monkeypatch, capsys):
    pytest.importorskip("sphinx")
    from sphinx.errors import ConfigError

    book = _module(REPO / "book" / "_ext" / "course_book.py", "course_book_under_test")

    class App:
        srcdir = str(REPO / "book")

    with pytest.raises(ConfigError, match=r"05_networking\.ipynb: Lesson 05 needs the full PACS"):
        book._check_full_pacs(App(), None)
    assert os.environ[no_orthanc] == "1"  # what the book's kernels inherit
    monkeypatch.setenv(no_orthanc, "0")
    book._check_full_pacs(App(), None)
    assert "WARNING: BOOTCAMP_REQUIRE_FULL_PACS=0: 05_networking.ipynb" in capsys.readouterr().err


def test_a_kernel_that_requires_the_full_pacs_refuses_the_fallback(tmp_path):
    """What the builds' kernels do when Orthanc goes missing after the check: the PACS cell
    raises PACSError, so the build fails on it instead of publishing the fallback."""
    env = _env("fallback") | {"BOOTCAMP_REQUIRE_FULL_PACS": "1"}
    run = run_notebook(NOTEBOOK, tmp_path, env=env)
    start = _index(run.notebook, 'PACS_DIR = OUT / "pacs"')
    assert any(f"cell {start} " in f and "PACSError" in f for f in run.failures), run.failures
