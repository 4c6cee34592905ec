"""``import bootcamp_utils`` stays light: the viewer's widget stack loads on first use only.

The viewer (anywidget, which pulls in ipywidgets and IPython) is about half of the import time
(``python benchmarks/bench_import.py``); lessons without a viewer should not pay for it. Each
check runs in a fresh interpreter, since this test session may have imported anything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import bootcamp_utils

from .conftest import REPO

WIDGET_STACK = ("anywidget", "ipywidgets", "IPython")


def _loaded_after(code: str) -> dict[str, bool]:
    """Which of WIDGET_STACK are in ``sys.modules`` after running ``code`` in a new Python."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps({{m: m in sys.modules for m in {WIDGET_STACK!r}}}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    )
    return json.loads(run.stdout.splitlines()[-1])


def test_import_does_not_load_the_viewer_stack():
    assert _loaded_after("import bootcamp_utils") == dict.fromkeys(WIDGET_STACK, False)


def test_the_viewer_loads_on_first_use():
    loaded = _loaded_after("from bootcamp_utils import window_level_viewer")
    assert loaded == dict.fromkeys(WIDGET_STACK, True)


def test_lazy_names_are_exported_and_listed():
    from bootcamp_utils.viewer import WindowLevelViewer, window_level_viewer

    assert bootcamp_utils.window_level_viewer is window_level_viewer
    assert bootcamp_utils.WindowLevelViewer is WindowLevelViewer
    assert {"window_level_viewer", "WindowLevelViewer"} <= set(bootcamp_utils.__all__)
    assert set(bootcamp_utils.__all__) <= set(dir(bootcamp_utils))
    namespace: dict = {}
    exec("from bootcamp_utils import *", namespace)
    assert set(bootcamp_utils.__all__) <= set(namespace)


def test_unknown_names_still_raise_attribute_error():
    try:
        bootcamp_utils.no_such_helper  # noqa: B018
    except AttributeError as exc:
        assert "no_such_helper" in str(exc)
    else:
        raise AssertionError("bootcamp_utils.no_such_helper did not raise AttributeError")
