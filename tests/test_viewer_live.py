"""The viewer in a live kernel: JupyterLab 4 and Notebook 7 on 127.0.0.1, in headless Chromium.

Moves a slider in the browser, then reads ``viewer.center`` in Python; sets ``viewer.width``
in Python, then reads the viewer's text in the browser. The image is redrawn in the browser
both times (there is no Python drawing path).
"""

from __future__ import annotations

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .browser import browser_page, canvas_png, set_range
from .jupyter_server import TOKEN, _one_settled_kernel, _start_session


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\nfrom bootcamp_utils.viewer import window_level_viewer\n"
            "x = np.linspace(-1000, 1000, 96)\n"
            "viewer = window_level_viewer(np.add.outer(x, x)[None] + np.zeros((5, 1, 1)), "
            "spacing=(3, 1, 1), center=0, width=400)\nviewer"
        ),
        nbformat.v4.new_code_cell("print('STATE', viewer.center, viewer.width, viewer.slice)"),
        nbformat.v4.new_code_cell("viewer.width = 1234"),
    ]
    nbformat.write(nb, path)


def _run_cell(page, index: int) -> None:
    # Under heavy load JupyterLab may open a modal dialog (a README-install run met one over
    # the cell: the click timed out). Say what it asked, take its default answer, go on.
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        print("JupyterLab dialog:", dialog.first.inner_text().replace("\n", " | "))
        dialog.first.locator(".jp-mod-accept").first.click()
        dialog.first.wait_for(state="detached", timeout=10_000)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def _open_viewer(page, base: str, tree: str) -> None:
    """Open live.ipynb in the front end, wait for its kernel, run the viewer's cell."""
    page.goto(f"{base}/{tree}/live.ipynb?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    _one_settled_kernel(base)  # JupyterLab sometimes swaps the kernel it has just started
    viewer = page.locator(".jp-OutputArea-output .bcu-viewer").first
    for attempt in range(3):  # a cell sent to a kernel that was dropped never reports back
        _run_cell(page, 0)
        try:
            viewer.wait_for(timeout=40_000)
            return
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise


def _python_state(page) -> str:
    """Run the cell that prints the viewer's state in Python; return what it printed."""
    _run_cell(page, 1)
    page.wait_for_function(
        "[...document.querySelectorAll('.jp-OutputArea-output')]"
        ".some(o => o.textContent.includes('STATE'))",
        timeout=30_000,
    )
    return page.locator(".jp-OutputArea-output", has_text="STATE").inner_text()


def test_viewer_state_syncs_with_python(jupyter_server, tmp_path):
    base, tree = jupyter_server
    _notebook(tmp_path / "live.ipynb")
    _start_session(base, "live.ipynb")
    with browser_page(1400, 1000) as (page, log):
        _open_viewer(page, base, tree)
        assert page.locator(".bcu-viewer").count() == 1  # the widget, not also its HTML copy
        image = ".jp-OutputArea-output .bcu-image"
        page.wait_for_function(
            "document.querySelector('.jp-OutputArea-output .bcu-readout')?.textContent"
            ".includes('C 0')"
        )
        before = canvas_png(page, image)
        set_range(page, ".jp-OutputArea-output .bcu-center", 321)
        set_range(page, ".jp-OutputArea-output .bcu-slice", 3)
        assert canvas_png(page, image) != before  # redrawn in the browser
        shown = float(page.eval_on_selector(".jp-OutputArea-output .bcu-center", "e => e.value"))
        assert abs(shown - 321) <= 4  # the slider snaps to its step (4 for this range)
        printed = _python_state(page)
        assert f"STATE {shown} 400.0 3" in printed  # moved in the browser, read in Python
        before = canvas_png(page, image)
        _run_cell(page, 2)  # Python sets the width; the browser redraws
        page.wait_for_function(
            "document.querySelector('.jp-OutputArea-output .bcu-readout')?.textContent"
            ".includes('W 1234')",
            timeout=30_000,
        )
        assert canvas_png(page, image) != before
        page.screenshot(path=str(tmp_path / "live-kernel.png"))
    viewer_errors = [e for e in log.errors if "bcu" in e or "viewer" in e.lower()]
    assert viewer_errors == []
    assert log.blocked == [], log.blocked  # JupyterLab and the viewer stay on this machine


def test_arrow_keys_move_the_focused_slider(jupyter_server, tmp_path):
    """Issue 12, item 5: with a slider focused, the arrow keys step it (JupyterLab's and
    Notebook 7's command-mode shortcuts, e.g. ArrowUp = select the cell above, must not take
    them), and Python sees the new values."""
    base, tree = jupyter_server
    _notebook(tmp_path / "live.ipynb")
    _start_session(base, "live.ipynb")
    out = ".jp-OutputArea-output"
    with browser_page(1400, 1000) as (page, log):
        _open_viewer(page, base, tree)
        page.wait_for_function(
            f"document.querySelector('{out} .bcu-readout')?.textContent.includes('axial 3/5')"
        )
        page.focus(f"{out} .bcu-slice")  # as Tab would: the slider has the keyboard focus
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowUp")  # in command mode, Jupyter's "select the cell above"
        assert page.evaluate("document.activeElement.classList.contains('bcu-slice')")
        assert "axial 5/5" in page.inner_text(f"{out} .bcu-readout")
        page.keyboard.press("ArrowLeft")
        assert "axial 4/5" in page.inner_text(f"{out} .bcu-readout")
        page.focus(f"{out} .bcu-center")
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowDown")
        step = float(page.eval_on_selector(f"{out} .bcu-center", "e => e.step"))
        center = float(page.eval_on_selector(f"{out} .bcu-center", "e => e.value"))
        assert center == pytest.approx(step)  # from 0, one step up
        page.focus(f"{out} .bcu-width")
        page.keyboard.press("ArrowLeft")
        width = float(page.eval_on_selector(f"{out} .bcu-width", "e => e.value"))
        assert width < 400
        page.screenshot(path=str(tmp_path / "live-keys.png"))
        assert f"STATE {center} {width} 3" in _python_state(page)  # Python has them too
        # Issue 25, item 9: a value typed into the number box, key by key (in command mode
        # "1" would make the cell a heading, "-" split it), then one step up by arrow
        page.fill(f"{out} .bcu-center-value", "")
        page.keyboard.type("-12")
        page.keyboard.press("ArrowUp")
        assert page.locator(".jp-Notebook .jp-Cell").count() == 3
        assert f"STATE {-12 + step} {width} 3" in _python_state(page)
    assert [e for e in log.errors if "bcu" in e or "viewer" in e.lower()] == []
