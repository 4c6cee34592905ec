"""After Run All in JupyterLab 4 and Notebook 7, no answer is in sight until a student asks.

Solutions are Markdown (``<details class="solution">``) and teachers' notes are closed
"For the teacher" blocks (``tests/notebook_structure.py``), so running every cell neither
shows a solution's code nor a "Correct" that states its answer, nor "ask the room ...".
JupyterLab re-expands a code cell's ``outputs_hidden`` output when the cell runs: the
course's earlier hidden-code-cell solutions showed their answers after Run All.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from .conftest import REPO, path_without
from .jupyter_server import TOKEN, _one_settled_kernel, _start_session

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
RUN_ALL = "Run All Cells"
DIALOGS: list[str] = []
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", REPO / "test-artifacts")) / "run-all"
#: The kernels see no Orthanc: what this file tests is which answers show, not the PACS, and
#: lesson 05's fallback (pynetdicom's qrscp) starts and stops in a second where Orthanc costs
#: ~13 s per front end. test_notebooks.py and test_lesson05.py run lesson 05 against Orthanc.
SERVER_ENV = {"PATH": path_without("Orthanc"), "BOOTCAMP_ORTHANC": "none"}


#: The options of JupyterLab's "Select Kernel" dialog whose value names a running kernel
#: (``{"id": ...}``; a new kernel's is ``{"name": ...}``).
_RUNNING_KERNELS = "s => [...s.options].filter(o => o.value.includes('\"id\"')).map(o => o.value)"


def _accept_dialogs(page) -> None:
    """JupyterLab sometimes asks which kernel to use although one is attached: the running
    kernel of the notebook when the dialog offers one, else the default. (Accepting the
    default, a new kernel, each time replaced the kernel that was starting: a README run
    under load met 37 dialogs in a row and a kernel that "never reached an 'alive' state".)"""
    dialog = page.locator(".jp-Dialog")
    if not (dialog.count() and dialog.first.locator(".jp-mod-accept").count()):
        return
    DIALOGS.append(dialog.first.inner_text())
    choice = dialog.first.locator("select")
    if choice.count():
        running = choice.first.evaluate(_RUNNING_KERNELS)
        if running:
            choice.first.select_option(value=running[0])
    dialog.first.locator(".jp-mod-accept").click()


def _until(page, condition: str, seconds: float) -> bool:
    """Poll the JavaScript ``condition`` (answering kernel dialogs) until true or timed out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _accept_dialogs(page)
        if page.evaluate(condition):
            return True
        page.wait_for_timeout(500)
    return False


def _outputs_with(text: str) -> str:
    return (
        "[...document.querySelectorAll('.jp-OutputArea-output')]"
        f".filter(e => e.textContent.includes({text!r})).length"
    )


RAN = "[...document.querySelectorAll('.jp-InputPrompt')].some(e => /[0-9*]/.test(e.textContent))"
IDLE = "![...document.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*'))"


def _run_all(page) -> None:
    """Run All from the Run menu; again if the kernel was not yet attached and nothing ran."""
    for _ in range(3):
        _accept_dialogs(page)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel").get_by_text(RUN_ALL, exact=True).click()
        if _until(page, RAN, 20):  # an execution count or a running cell ([*])
            return
        page.keyboard.press("Escape")
    raise AssertionError("Run All ran no cell, three times: did the kernel start?")


#: Every lesson in JupyterLab; in Notebook 7 the lesson with the most kinds of hidden block
#: (solutions, teacher's notes, a check per section): what differs between the two front ends
#: is how they render and re-expand cells, not the lesson, and each run costs ~40 s in CI.
CASES = [("jupyterlab", p) for p in NOTEBOOKS] + [
    ("notebook7", p) for p in NOTEBOOKS if p.name == "02_metadata_editing.ipynb"
]


@pytest.mark.external
@pytest.mark.parametrize(
    ("jupyter_server", "nb_path"),
    CASES,
    ids=[f"{front}-{p.name}" for front, p in CASES],
    indirect=["jupyter_server"],
)
def test_run_all_shows_no_answer(jupyter_server, tmp_path, nb_path):
    from .browser import browser_page

    base, tree = jupyter_server
    shutil.copy(nb_path, tmp_path / nb_path.name)
    cells = nbformat.read(nb_path, as_version=4).cells
    solutions = sum("solution" in c.metadata.get("tags", []) for c in cells)
    notes = sum(c.metadata.get("slideshow", {}).get("slide_type") == "notes" for c in cells)
    starters = sum(
        c.cell_type == "code" and "check(" in c.source and "remove-output" in c.metadata["tags"]
        for c in cells
    )
    # every cell in the page (JupyterLab otherwise renders only the cells near the viewport)
    settings = tmp_path / ".config" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    _start_session(base, nb_path.name)  # the page attaches to this kernel
    with browser_page(1280, 900) as (page, log):
        page.goto(f"{base}/{tree}/{nb_path.name}?token={TOKEN}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        # the notebook starts its own kernel (python3, from its metadata): wait until idle
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
            timeout=60_000
        )
        _one_settled_kernel(base)
        _run_all(page)
        # every starter shows its "Not yet": the run reached the last exercise
        not_yet = page.locator(".jp-OutputArea-output", has_text="Not yet")
        finished = _until(page, f"{_outputs_with('Not yet')} >= {starters} && {IDLE}", 180)
        name = nb_path.stem + "-" + tree.split("/")[0]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert finished, (
            f"Run All did not finish with {starters} 'Not yet': see {name}.png; dialogs: "
            f"{DIALOGS}; server log: {(tmp_path / 'server.log').read_text()[-3000:]}"
        )
        assert not_yet.count() == starters
        correct = page.locator(".jp-OutputArea-output", has_text="✔ Correct")
        assert not any(correct.nth(i).is_visible() for i in range(correct.count()))
        assert page.locator("details.solution").count() == solutions > 0
        assert page.locator("details.solution[open]").count() == 0
        code = page.locator("details.solution pre")
        assert not any(code.nth(i).is_visible() for i in range(code.count()))
        assert page.locator("details.teacher-note").count() == notes > 0
        assert page.locator("details.teacher-note[open]").count() == 0
        assert not page.get_by_text("Teaching note.").first.is_visible()
        # a student who asks sees the solution
        first = page.locator("details.solution summary").first
        first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"{name}-exercise.png"))  # as a student sees it
        first.click()
        assert code.first.is_visible() and "check(" in code.first.inner_text()
