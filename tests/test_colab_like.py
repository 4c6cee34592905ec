"""Every notebook runs as a student runs it from a Colab badge (issue 7).

The Colab front end cannot run here; everything on the kernel's side of it is reproduced:

* a fresh virtual environment, built for this test session from the local wheelhouse that
  .ci/colab_env.sh fills (``colab-pins.txt``: the versions Colab preinstalls, ipywidgets 7.7.1,
  IPython 7.34, NumPy 2.0.2, ...), without bootcamp_utils, pydicom, dicom2nifti or anywidget;
* a kernel of that environment (its own kernelspec) started in an empty working directory
  (Colab's ``/content``), with no PYTHONPATH and no pip configuration but the wheelhouse
  (``PIP_NO_INDEX``): nothing is downloaded;
* no Orthanc on the kernel's PATH (a Colab runtime has no Debian packages but its image's):
  lesson 05 falls back to pynetdicom's Query/Retrieve SCP, as it would on Colab;
* a stand-in for the ``google.colab`` package, imported when the kernel starts (an IPython
  startup file), as on Colab: ``"google.colab" in sys.modules``, and
  ``output.enable_custom_widget_manager()`` records who called it;
* ``BOOTCAMP_INSTALL_SOURCE`` names a copy of the checkout (its tracked and unignored files,
  so pip's build writes nothing into the repository), as the setup cell's override of the
  git URL it installs from on Colab.

Each notebook then runs top to bottom in a fresh kernel; then the setup cell runs once more.
The test asserts that no cell failed, that the setup cell installed bootcamp_utils from the
copy into the environment (one ``pip install``; the re-run installs nothing), that it
enabled the custom widget manager, that no preinstalled package changed version, and that
every viewer output is a widget view with Colab's widget-manager metadata plus its HTML
copy. After each notebook the packages the setup cell added are uninstalled, so the next
notebook installs from scratch too. The setup cell's times (first run, re-run) are printed
(``pytest -s``); benchmarks/bench_colab_setup.py prints them on their own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from bootcamp_utils.course import INSTALL_SOURCE_VARIABLE, setup_cell

from .conftest import IN_CI, REPO, path_without
from .notebook_harness import cell_failures

WHEELS = Path(os.environ.get("COLAB_WHEELS", REPO / ".ci" / ".colab-wheels"))
PINS = WHEELS / "colab-pins.txt"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
KERNEL_NAME = "colab-like"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Where the stand-in says Colab's custom widget manager lives (anywidget copies it into the
#: metadata of every widget view; Colab's front end loads the manager from there).
MANAGER_URL = "https://ssl.gstatic.com/colaboratory-static/widgets/colab-cdn-widget-manager/test/manager.min.js"

# --- the google.colab stand-in --------------------------------------------------------------

_STUB = {
    "google/colab/__init__.py": '''\
"""Stand-in for Colab's google.colab (tests/test_colab_like.py): only what the course uses."""
from google.colab import output  # noqa: F401  (Colab imports its submodules on start-up)
''',
    "google/colab/output/__init__.py": """\
from google.colab.output._widgets import enable_custom_widget_manager  # noqa: F401
""",
    "google/colab/output/_widgets.py": f'''\
import json
import os
import sys

_installed_url = None  # read by anywidget, as on Colab


def enable_custom_widget_manager():
    """Record the call (and the caller's module) in $COLAB_TEST_LOG."""
    global _installed_url
    _installed_url = {MANAGER_URL!r}
    caller = sys._getframe(1).f_globals.get("__name__")
    with open(os.environ["COLAB_TEST_LOG"], "a") as log:
        log.write(json.dumps({{"event": "enable_custom_widget_manager", "caller": caller}}) + "\\n")
''',
}

_STARTUP = """\
# Colab-like kernel start-up (tests/test_colab_like.py): log every subprocess the kernel starts,
# and import google.colab as Colab's kernel does.
import json
import os
import sys


def _log_subprocess(event, args):
    if event == "subprocess.Popen":
        argv = args[1] if isinstance(args[1], (list, tuple)) else [args[1]]
        with open(os.environ["COLAB_TEST_LOG"], "a") as log:
            log.write(json.dumps({"event": "subprocess", "argv": [os.fsdecode(a) for a in argv]})
                      + "\\n")


sys.addaudithook(_log_subprocess)
import google.colab  # noqa: E402,F401
"""

#: Run in the kernel after the notebook: what is really loaded, and from where.
_REPORT = """\
import importlib.metadata, json, sys
import IPython, ipywidgets, matplotlib, numpy, traitlets
import bootcamp_utils
print(json.dumps({
    "loaded": {"ipython": IPython.__version__, "ipywidgets": ipywidgets.__version__,
               "matplotlib": matplotlib.__version__, "numpy": numpy.__version__,
               "traitlets": traitlets.__version__},
    "bootcamp_utils": bootcamp_utils.__file__,
    "direct_url": importlib.metadata.distribution("bootcamp_utils").read_text("direct_url.json"),
    "prefix": sys.prefix,
    "colab": "google.colab" in sys.modules,
}))"""


# --- building the environment ----------------------------------------------------------------


def _pip_env() -> dict[str, str]:
    """This process's environment for pip: offline, the wheelhouse only, no user config."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PIP_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(WHEELS),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_CACHE_DIR="1",
    )
    return env


def course_requirements() -> str:
    """What .ci/colab_env.sh writes to course-requirements.txt for the current pyproject.toml."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    return (
        "\n".join(
            project["build-system"]["requires"] + ["wheel"] + project["project"]["dependencies"]
        )
        + "\n"
    )


def wheelhouse_problem() -> str | None:
    """Why the wheelhouse cannot serve this test (None if it can)."""
    if not PINS.is_file():
        return f"no Colab wheelhouse at {WHEELS}: bash .ci/colab_env.sh"
    built_for = WHEELS / "course-requirements.txt"
    if not built_for.is_file() or built_for.read_text() != course_requirements():
        return "the Colab wheelhouse predates pyproject.toml's requirements: bash .ci/colab_env.sh"
    return None


def require_wheelhouse() -> None:
    problem = wheelhouse_problem()
    if problem:
        if IN_CI:
            pytest.fail(problem + " (.ci/run must run it)")
        pytest.skip(problem)


def create_venv(path: Path) -> Path:
    """A fresh venv at ``path`` with exactly colab-pins.txt (and what they pull in) installed,
    from the wheelhouse; returns its python. pip itself is precompiled, as Colab's is."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-compile",
            "-r",
            str(PINS),
        ],
        check=True,
        env=_pip_env(),
        capture_output=True,
    )
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run(
        [str(python), "-m", "compileall", "-q", "-j0", str(site / "pip")],
        check=True,
        capture_output=True,
    )
    for name, text in _STUB.items():  # google.colab lives in site-packages on Colab, too
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    return python


def installed(python: Path) -> dict[str, str]:
    """``{normalised name: version}`` of every distribution in ``python``'s environment."""
    out = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json"],
        env=_pip_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {d["name"].lower().replace("_", "-"): d["version"] for d in json.loads(out)}


def uninstall(python: Path, names) -> None:
    if names:
        subprocess.run(
            [str(python), "-m", "pip", "uninstall", "-q", "-y", *sorted(names)],
            env=_pip_env(),
            check=True,
            capture_output=True,
        )


def copy_checkout(target: Path) -> Path:
    """The checkout's tracked and unignored files (what pip gets from a git URL, plus local
    edits), copied to ``target``: pip's in-tree build then writes there, not into the repo."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    return target


class ColabLike:
    """The pieces of one Colab-like kernel: kernelspec, IPython profile, log, working dir."""

    def __init__(self, python: Path, root: Path, source: Path):
        self.python, self.root, self.source = python, root, source
        spec = root / "jupyter" / "kernels" / KERNEL_NAME
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3 (Colab-like)",
                    "language": "python",
                }
            )
        )
        startup = root / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True, exist_ok=True)
        (startup / "00-colab.py").write_text(_STARTUP)
        self.log = root / "colab-log.jsonl"

    def kernel_env(self, content: Path) -> dict[str, str]:
        env = _pip_env()
        env.pop("MPLBACKEND", None)  # Colab's kernel uses the inline backend
        env.update(
            {
                INSTALL_SOURCE_VARIABLE: str(self.source),
                "BOOTCAMP_DATA_DIR": str(content.parent / "data"),
                "IPYTHONDIR": str(self.root / "ipython"),
                "COLAB_TEST_LOG": str(self.log),
                # a Colab runtime has no Debian packages beyond its image: no Orthanc, so
                # lesson 05 runs against pynetdicom's qrscp there (and here)
                "PATH": path_without("Orthanc"),
                "BOOTCAMP_ORTHANC": "none",  # not in /usr/sbin either
                # ipykernel 6.17's debugpy warns about frozen modules on stderr (not in cells)
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            }
        )
        return env

    def events(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def run(self, nb: nbformat.NotebookNode, content: Path, timeout: int = 900) -> dict:
        """Run every cell of ``nb`` (in place) in a fresh kernel with cwd ``content``, then the
        setup cell again and the report cell. Returns what happened, phase by phase."""
        os.environ["JUPYTER_PATH"] = str(self.root / "jupyter")  # where the kernelspec is
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            allow_errors=True,
            record_timing=True,
            resources={"metadata": {"path": str(content)}},
        )
        self.log.unlink(missing_ok=True)
        extra = [nbformat.v4.new_code_cell(setup_cell()), nbformat.v4.new_code_cell(_REPORT)]
        with client.setup_kernel(env=self.kernel_env(content)):
            start = time.perf_counter()
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            seconds = time.perf_counter() - start
            after_notebook = self.events()
            nb.cells.append(extra[0])
            client.execute_cell(extra[0], len(nb.cells) - 1)
            after_rerun = self.events()
            nb.cells.append(extra[1])
            client.execute_cell(extra[1], len(nb.cells) - 1)
        report = "".join(o.get("text", "") for o in extra[1].outputs if o.output_type == "stream")
        return {
            "seconds": seconds,
            "events": after_notebook,
            "rerun_events": after_rerun[len(after_notebook) :],
            "report": json.loads(report) if report.strip().startswith("{") else None,
            "rerun_cell": extra[0],
            "report_cell": extra[1],
        }


def cell_seconds(cell) -> float:
    """How long the kernel took for ``cell`` (nbclient's record_timing metadata)."""
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    return (
        datetime.fromisoformat(end.replace("Z", "+00:00"))
        - datetime.fromisoformat(start.replace("Z", "+00:00"))
    ).total_seconds()


def setup_index(nb) -> int:
    return next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and "setup" in c.metadata.get("tags", [])
    )


def pip_installs(events) -> list[list[str]]:
    return [
        e["argv"]
        for e in events
        if e["event"] == "subprocess" and "pip" in e["argv"] and "install" in e["argv"]
    ]


# --- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """One fresh Colab-like venv for the module (creation time printed), its pristine package
    list, and a copy of the checkout to install from."""
    require_wheelhouse()
    root = tmp_path_factory.mktemp("colab")
    start = time.perf_counter()
    python = create_venv(root / "venv")
    print(f"\nColab-like venv created in {time.perf_counter() - start:.1f} s")
    pristine = installed(python)
    source = copy_checkout(root / "checkout")
    saved = os.environ.get("JUPYTER_PATH")
    yield ColabLike(python, root, source), pristine
    if saved is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = saved


def _repo_build_state() -> dict[str, tuple[int, int]]:
    """What a pip build in the checkout would change: build/, dist/, *.egg-info/, the package."""
    state = {}
    for top in ["build", "dist", "bootcamp_utils", *[p.name for p in REPO.glob("*.egg-info")]]:
        for path in (REPO / top).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                state[path.relative_to(REPO).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return state


def test_colab_pins_are_what_the_environment_has(colab):
    """The venv really holds Colab's versions, and nothing of the course."""
    _, pristine = colab
    for line in PINS.read_text().split():
        name, version = line.split("==")
        assert pristine.get(name.lower()) == version, (name, pristine.get(name.lower()))
    for missing in ("bootcamp-utils", "pydicom", "dicom2nifti", "anywidget"):
        assert missing not in pristine


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet: notebooks/*.ipynb matches nothing")
@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_like_on_colab(colab, nb_path, tmp_path):
    env, pristine = colab
    content = tmp_path / "content"
    content.mkdir()
    before = _repo_build_state()
    nb = nbformat.read(nb_path, as_version=4)
    try:
        result = env.run(nb, content)
        now = installed(env.python)
    finally:
        uninstall(env.python, set(installed(env.python)) - set(pristine))

    setup = nb.cells[setup_index(nb)]
    first, again = cell_seconds(setup), cell_seconds(result["rerun_cell"])
    added = sorted(f"{n} {v}" for n, v in now.items() if n not in pristine)
    print(
        f"\n{nb_path.name}: setup cell {first:.1f} s, re-run {again * 1000:.0f} ms; "
        f"notebook {result['seconds']:.1f} s; installed: {', '.join(added)}"
    )

    failures = cell_failures(nb)
    assert not failures, f"{nb_path.name} on Colab-like:\n" + "\n".join(failures)

    # The setup cell installed the course from the override, into the environment, once.
    installs = pip_installs(result["events"])
    assert len(installs) == 1 and installs[0][-1] == str(env.source), installs
    report = result["report"]
    assert report, result["report_cell"].outputs
    site = Path(report["prefix"]).resolve()
    assert Path(report["bootcamp_utils"]).resolve().is_relative_to(site), report
    assert not Path(report["bootcamp_utils"]).resolve().is_relative_to(REPO)
    assert json.loads(report["direct_url"])["url"] == env.source.as_uri()
    assert report["colab"] is True
    # ... enabled Colab's custom widget manager itself (anywidget may call it too) ...
    callers = [
        e["caller"] for e in result["events"] if e["event"] == "enable_custom_widget_manager"
    ]
    assert "__main__" in callers, callers
    # ... and running it again installs nothing.
    assert pip_installs(result["rerun_events"]) == []
    assert not [o for o in result["rerun_cell"].outputs if o.output_type == "error"]

    # Nothing Colab ships changed version, in the environment or in the running kernel.
    changed = {n: (v, now.get(n)) for n, v in pristine.items() if now.get(n) != v}
    assert not changed, f"the setup cell changed Colab's packages: {changed}"
    assert "bootcamp-utils" in now
    pins = dict(line.lower().split("==") for line in PINS.read_text().split())
    for name, version in report["loaded"].items():
        assert version == pins[name], (name, version)

    # Every viewer's widget view comes with Colab's manager metadata and its HTML copy. (A
    # progress bar is a stock ipywidget, drawn by Colab itself: lesson 06's tqdm bars.)
    viewer_cells = [
        c for c in nb.cells if c.cell_type == "code" and "window_level_viewer" in c.source
    ]
    views = [
        o for c in viewer_cells for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})
    ]
    if viewer_cells:
        assert views, f"{nb_path.name}: no widget view in the outputs"
    for output in views:
        assert {WIDGET_VIEW, "text/html", "text/plain"} <= set(output["data"]), list(output["data"])
        colab_meta = output.get("metadata", {}).get(WIDGET_VIEW, {}).get("colab", {})
        assert colab_meta.get("custom_widget_manager", {}).get("url") == MANAGER_URL, output.get(
            "metadata"
        )

    assert _repo_build_state() == before, "the install wrote into the checkout"
