"""The README's commands are the ones CI runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import IN_CI, REPO, require_tool


def _command_after(heading: str) -> str:
    text = (REPO / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1]
    return re.search(r"```bash\n(.+?)\n```", section, re.S)[1].strip()


def test_ci_runs_the_readme_test_command():
    command = _command_after("Run the tests")
    assert "pytest" in command
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines


def test_readme_names_files_that_exist():
    text = (REPO / "README.md").read_text()
    for path in re.findall(r"`((?:requirements[\w-]*\.txt)|environment\.yml|\.ci/run)`", text):
        assert (REPO / path).exists(), path
    for command in (_command_after("Run the course"), _command_after("Run the tests")):
        for requirement in re.findall(r"-r (\S+)", command):
            assert (REPO / requirement).is_file(), requirement


# --- Colab badges: the zero-install way into the course (issue 7) -----------------------------

_COLAB_LINK = re.compile(r"https?://colab\.research\.google\.com/[^\s)\"'<>\]]*")
NOTEBOOKS = [p.relative_to(REPO).as_posix() for p in sorted((REPO / "notebooks").glob("*.ipynb"))]


def missing_badges(text: str, notebooks=NOTEBOOKS) -> list[str]:
    """The notebooks whose exact ``course.colab_badge`` is not in ``text``."""
    from bootcamp_utils.course import colab_badge

    return [path for path in notebooks if colab_badge(path) not in text]


def stray_colab_links(text: str, notebooks=NOTEBOOKS) -> list[str]:
    """Colab addresses in ``text`` other than the notebooks' own and the badge image."""
    from bootcamp_utils.course import colab_badge, colab_url

    badge_image = re.match(r"\[!\[[^\]]*\]\(([^)]+)\)", colab_badge("x"))[1]
    allowed = {colab_url(path) for path in notebooks} | {badge_image}
    return sorted(set(_COLAB_LINK.findall(text)) - allowed)


def test_readme_has_the_colab_badge_of_every_notebook():
    missing = missing_badges((REPO / "README.md").read_text())
    assert not missing, (
        f"README.md lacks the Colab badge of {missing}: paste the output of\n"
        "python -c 'import pathlib; from bootcamp_utils.course import colab_badge; "
        "print(*(colab_badge(p.as_posix()) for p in "
        'sorted(pathlib.Path("notebooks").glob("*.ipynb"))), sep="\\n")\''
    )


def test_readme_colab_links_open_course_notebooks():
    stray = stray_colab_links((REPO / "README.md").read_text())
    assert not stray, f"Colab links in README.md that open no course notebook: {stray}"


def test_badge_checks_catch_wrong_links():
    from bootcamp_utils.course import BRANCH, colab_badge

    notebooks = ["notebooks/01_a.ipynb", "notebooks/02_b.ipynb"]
    good = "\n".join(f"- {colab_badge(path)}" for path in notebooks)
    assert missing_badges(good, notebooks) == [] and stray_colab_links(good, notebooks) == []
    other_branch = good.replace(f"/blob/{BRANCH}/", "/blob/elsewhere/")
    assert missing_badges(other_branch, notebooks) == notebooks
    assert len(stray_colab_links(other_branch, notebooks)) == 2
    assert missing_badges(good.split("\n")[0], notebooks) == ["notebooks/02_b.ipynb"]
    fork = good + "\n[x](https://colab.research.google.com/github/someone/fork/blob/main/n.ipynb)"
    assert stray_colab_links(fork, notebooks) == [
        "https://colab.research.google.com/github/someone/fork/blob/main/n.ipynb"
    ]


# --- every command block works, in order, on a fresh machine (issue 12) ----------------------

#: The wheelhouse .ci/run fills (``pip wheel -r requirements-dev.txt``): the fresh venv below
#: installs from it and from nothing else. Outside the checkout, so that no copy of the
#: checkout (here, in test_colab_like) carries it along.
WHEELS = Path(
    os.environ.get("README_WHEELS", Path.home() / ".cache" / "dicom-in-python" / "readme-wheels")
)
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")

#: What the test runs instead of a README command that would not return or would recurse:
#: (the command as the README ends a line with it, what runs instead).
STAND_INS = (
    # a server that runs until stopped: the test starts the README's command itself below,
    # asks it for the notebooks, and stops it
    ("jupyter lab notebooks/", "jupyter lab --version"),
    # the full suite (this test is part of it, and CI runs it anyway): every test module and
    # doctest is collected, so each one's imports resolve in the fresh environment
    ("python -m pytest", "python -m pytest --collect-only -q -p no:cacheprovider"),
    # the instructor edition: tests/test_instructor.py runs the same script with --pdf (a
    # second build of every lesson here would add minutes); here its help must answer
    ("python book/instructor.py --pdf", "python book/instructor.py --help"),
    # the install from GitHub, offline: the same package from the clone (tests/test_cli.py
    # installs it from a git URL, the checkout's)
    ('pip install "git+https://github.com/dicom-in-python/dicom-in-python@main"', "pip install ."),
)


def bash_blocks(text: str) -> list[str]:
    """The README's ```bash blocks, in order."""
    return [block.strip() for block in re.findall(r"```bash\n(.+?)\n```", text, re.S)]


def wheelhouse_stamp() -> str:
    """What .ci/run writes next to the wheels: the requirements they were built for."""
    return "".join((REPO / name).read_text() for name in REQUIREMENTS)


def needs_before(blocks: list[str]) -> list[str]:
    """Blocks that run a command before a ``pip install`` in the same block installs it
    (a reader who starts at that heading hits "command not found")."""
    needs = {
        "jupyter lab": "requirements.txt",
        "jupyter-book": "requirements-dev.txt",
        "slides/build.py": "requirements-dev.txt",
        "pytest": "requirements-dev.txt",
    }
    problems = []
    for block in blocks:
        for command, requirement in needs.items():
            if command in block:
                install = re.search(rf"pip install -e \. -r {re.escape(requirement)}", block)
                if not install or install.start() > block.index(command):
                    problems.append(f"{command!r} without `pip install -e . -r {requirement}`")
    return problems


def test_each_block_installs_what_it_runs():
    """Each block stands on its own: the book and slide blocks install the dev requirements
    (which hold jupyter-book) before they build (issue 12: `jupyter-book` was not found)."""
    blocks = bash_blocks((REPO / "README.md").read_text())
    assert len(blocks) >= 4 and "python3 -m venv" in blocks[0]
    assert needs_before(blocks) == []
    assert needs_before(["npm ci && jupyter-book build book/"]) == [
        "'jupyter-book' without `pip install -e . -r requirements-dev.txt`"
    ]


def test_readme_names_the_python_it_needs():
    """The lower bound pyproject.toml declares, and the version this suite runs on."""
    import tomllib

    text = (REPO / "README.md").read_text()
    lowest = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"Python {lowest.removeprefix('>=')} or newer" in text
    assert f"tested on {sys.version_info.major}.{sys.version_info.minor}" in text


def _copy_tree(target: Path) -> Path:
    """The checkout's tracked and unignored files, symlinks kept (book/notebooks is one):
    what a fresh clone has."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source, copy = REPO / rel, target / rel
        if source.is_symlink():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.symlink_to(os.readlink(source))
        elif source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
    return target


def _fresh_machine_env(root: Path) -> dict[str, str]:
    """A new user's shell: an empty home, on PATH only the base Python as ``python3`` and the
    system's tools (no pyenv shims, no site-packages with the course already in it), pip
    offline from the wheelhouse, npm offline from its cache (.ci/run's npm ci filled it)."""
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(Path(sys._base_executable).resolve())
    npm = shutil.which("npm")
    paths = [str(bin_dir), *([str(Path(npm).parent)] if npm else []), "/usr/bin", "/bin"]
    home = root / "home"
    home.mkdir()
    npm_cache = os.environ.get("NPM_CONFIG_CACHE", str(Path.home() / ".npm"))
    return {
        "HOME": str(home),
        "PATH": os.pathsep.join(dict.fromkeys(paths)),
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELS),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NPM_CONFIG_CACHE": npm_cache,
        "NPM_CONFIG_OFFLINE": "true",
        "NPM_CONFIG_AUDIT": "false",
        "NPM_CONFIG_FUND": "false",
    }


def _script(blocks: list[str]) -> str:
    """The blocks as one terminal session would run them, stopping at the first failure,
    with the stand-ins of STAND_INS (each must replace exactly one command)."""
    for command, stand_in in STAND_INS:
        pattern = re.compile(rf"{re.escape(command)}$", re.M)
        assert sum(len(pattern.findall(b)) for b in blocks) == 1, (
            f"no README line ends with `{command}` (or more than one does)"
        )
        blocks = [pattern.sub(stand_in, block) for block in blocks]
    steps = [f"echo '::: block {i + 1}'\n{block}" for i, block in enumerate(blocks)]
    return "set -e\n" + "\n".join(steps) + "\necho '::: done'\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lab_lists_the_notebooks(clone: Path, env: dict[str, str]) -> list[str]:
    """The README's `jupyter lab notebooks/`, with no browser on a fixed port and token: the
    notebooks its server offers (from the REST API), then the server is stopped."""
    port, token = _free_port(), "readme-test"
    root = ["--allow-root"] if os.geteuid() == 0 else []  # CI runs as root; students don't
    log = (clone.parent / "lab.log").open("w")
    lab = subprocess.Popen(
        [str(clone / ".venv" / "bin" / "jupyter"), "lab", "notebooks/", "--no-browser", *root]
        + [f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api/contents?token={token}"
    try:
        for _ in range(240):  # up to a minute: the first start builds its caches
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    return [item["name"] for item in json.load(answer)["content"]]
            except OSError:
                if lab.poll() is not None:
                    output = Path(log.name).read_text()[-3000:]
                    raise AssertionError(f"jupyter lab exited: {output}") from None
                time.sleep(0.25)
        raise AssertionError("jupyter lab did not answer")
    finally:
        lab.terminate()
        lab.wait(timeout=30)
        log.close()


@pytest.mark.external
def test_readme_blocks_work_in_order_on_a_fresh_machine(tmp_path):
    """Every ```bash block of the README, in order, in one shell, in a fresh clone (a copy
    of the checkout) with a fresh venv that the first block creates: offline, from the
    wheelhouse and npm's cache. The book and the slides are built for real (about 2 min);
    `jupyter lab` and the test suite run as STAND_INS says."""
    require_tool("chromium", "chromium")  # the slides block prints PDFs with it
    require_tool("npm", "npm")
    require_tool("Orthanc", "orthanc orthanc-dicomweb")  # the book and decks run lesson 05 on it
    stamp = WHEELS / "requirements.stamp"
    if not stamp.is_file() or stamp.read_text() != wheelhouse_stamp():
        message = (
            f"no wheelhouse for the current requirements at {WHEELS}: "
            "run the `pip wheel` lines of .ci/run"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    clone = _copy_tree(tmp_path / "clone")
    env = _fresh_machine_env(tmp_path)
    script = _script(bash_blocks((REPO / "README.md").read_text()))
    start = time.perf_counter()
    run = subprocess.run(["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True)
    print(f"\nthe README's blocks: {time.perf_counter() - start:.0f} s")
    log = run.stdout + run.stderr
    assert run.returncode == 0 and "::: done" in run.stdout, log[-6000:]

    # The blocks ran in the venv the first block made, a venv without the system's packages.
    venv = clone / ".venv"
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    assert (venv / "bin" / "jupyter-book").is_file()
    # ... and made what the README says they make.
    html = clone / "book" / "_build" / "html"
    assert (html / "index.html").is_file()
    for path in NOTEBOOKS:
        assert (html / "notebooks" / f"{Path(path).stem}.html").is_file(), path
    decks = clone / "slides" / "_build"
    for path in NOTEBOOKS:
        assert (decks / f"{Path(path).stem}.slides.html").is_file(), path
        assert (decks / f"{Path(path).stem}.pdf").stat().st_size > 0, path
    assert re.search(r"^\d+\.\d+", run.stdout, re.M), "no `jupyter lab --version` output"
    assert re.search(r"\d+ tests collected", run.stdout), log[-3000:]

    # `jupyter lab notebooks/` itself: its server offers the lessons.
    offered = _lab_lists_the_notebooks(clone, env)
    assert sorted(n for n in offered if n.endswith(".ipynb")) == [Path(p).name for p in NOTEBOOKS]
