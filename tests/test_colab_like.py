"""bootcamp_utils under the old package versions Colab preinstalls (see .ci/colab_env.sh).

The Colab front end itself cannot run here; this checks the Python side of it: with
ipywidgets 7.7.1 and IPython 7.34 the viewer publishes the widget view (synced state) and
its self-contained HTML copy, and the data, series and windowing code give the same numbers.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from .conftest import IN_CI, REPO

VENV = REPO / ".ci" / ".colab-venv"

SCRIPT = r"""
import json, sys
import IPython, ipywidgets, numpy as np
from IPython.core.interactiveshell import InteractiveShell
from bootcamp_utils import apply_window, load_series, sample_path
from bootcamp_utils.viewer import window_level_viewer

shell = InteractiveShell.instance()
published = []
shell.display_pub.publish = lambda data, metadata=None, **kw: published.append(sorted(data))
viewer = window_level_viewer(sample_path("head_ct"))
shell.user_ns["viewer"] = viewer
result = shell.run_cell("viewer")  # shown as the last expression of a cell
viewer.center = 123.0
image = load_series(sample_path("head_mr"))
open(sys.argv[1], "w").write(json.dumps({
    "versions": [IPython.__version__, ipywidgets.__version__, np.__version__],
    "published": published, "error": repr(result.error_in_exec),
    "center": viewer.center, "shape": list(image.shape),
    "mean": float(np.asarray(image.dataobj).mean()),
    "window": apply_window(np.array([-1.0, 40.0, 80.0]), 40, 80).tolist(),
}))
"""


def test_viewer_and_data_under_colab_versions(tmp_path):
    python = VENV / "bin" / "python"
    if not python.exists():
        message = "no Colab-like environment: bash .ci/colab_env.sh"
        if IN_CI:
            pytest.fail(message + " (.ci/run must create it)")
        pytest.skip(message)
    env = dict(os.environ, PYTHONPATH=str(REPO), BOOTCAMP_DATA_DIR=str(tmp_path / "data"))
    report = tmp_path / "result.json"
    run = subprocess.run([str(python), "-c", SCRIPT, str(report)], env=env, cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(report.read_text())
    assert result["versions"][:2] == ["7.34.0", "7.7.1"]
    assert result["error"] == "None"
    assert result["published"] == [["application/vnd.jupyter.widget-view+json", "text/html",
                                     "text/plain"]]
    assert result["center"] == 123.0 and result["shape"] == [256, 256, 36]
    import numpy as np

    from bootcamp_utils import apply_window, load_series, sample_path

    here = load_series(sample_path("head_mr"))
    assert result["mean"] == pytest.approx(float(np.asarray(here.dataobj).mean()), rel=1e-6)
    assert result["window"] == apply_window(np.array([-1.0, 40.0, 80.0]), 40, 80).tolist()
