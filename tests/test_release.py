"""Releases a class can pin (tools/release.py, CHANGELOG.md, CITATION.cff, course.REF).

The release script runs on a copy of the checkout (its tracked and unignored files, made a git
repository of its own): afterwards every setup cell, Colab link and README badge of the copy
names the tag, the version agrees everywhere, and the copy's own structure and README tests
pass there. ``--reopen`` then brings it back to main exactly, but for the version.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import bootcamp_utils
from bootcamp_utils import course

from .conftest import REPO
from .test_readme import _copy_tree

#: The release the copy makes: the one main's development version leads to (1.1.0 from
#: 1.1.0.dev0), so the test holds on main after every release.
VERSION, DATE = re.sub(r"\.dev\d+$", "", bootcamp_utils.__version__), "2026-12-07"
_MAJOR, _MINOR, _PATCH = (int(n) for n in VERSION.split("."))
NEXT, FIX = f"{_MAJOR}.{_MINOR + 1}.0", f"{_MAJOR}.{_MINOR}.{_PATCH + 1}"
TAG = f"v{VERSION}"
_COLAB = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"'<>\\]+")


def _release_module():
    spec = importlib.util.spec_from_file_location("_release", REPO / "tools" / "release.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release = _release_module()


def _git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


def _copy_checkout(target: Path) -> Path:
    """The checkout's tracked and unignored files (symlinks kept), as a new git repository."""
    _copy_tree(target)
    _git(target, "init", "-q", "-b", "main")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "main as tested")
    return target


def _add_to_unreleased(repo: Path, line: str) -> None:
    changelog = repo / "CHANGELOG.md"
    text = changelog.read_text().replace("## [Unreleased]\n", f"## [Unreleased]\n\n{line}\n", 1)
    changelog.write_text(text)
    _git(repo, "commit", "-q", "-am", "A change")


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "tools/release.py", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(repo)},
    )


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A copy of the checkout after ``tools/release.py VERSION``, committed and tagged (with a
    line under [Unreleased] first if main has nothing there, as right after a release)."""
    copy = _copy_checkout(tmp_path_factory.mktemp("release") / "repo")
    if course.REF != "main":
        pytest.skip("this checkout is a release commit already")
    changelog = copy / "CHANGELOG.md"
    if "## [Unreleased]\n\n## [" in changelog.read_text():
        _add_to_unreleased(copy, "- A change to release (added by the test).")
    run = _run(copy, VERSION, "--date", DATE)
    assert run.returncode == 0, run.stderr
    assert f"git tag -a {TAG}" in run.stdout and "--reopen" in run.stdout
    _git(copy, "commit", "-q", "-am", f"Release {VERSION}")
    _git(copy, "tag", "-a", TAG, "-m", f"DICOM in Python {VERSION}")
    return copy


def _course_text_files(repo: Path):
    for rel in _git(repo, "ls-files").splitlines():
        path = repo / rel
        if rel != "CHANGELOG.md" and path.is_file() and not path.is_symlink():
            try:
                yield rel, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def test_every_setup_cell_colab_link_and_badge_names_the_tag(released):
    blob = f"/{course.REPOSITORY}/blob/"
    at_tag = f"git+https://github.com/{course.REPOSITORY}@{TAG}"
    notebooks = sorted((released / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 6
    for path in [*notebooks, *(released / "templates").glob("*.ipynb")]:
        cells = json.loads(path.read_text())["cells"]
        setup = ["".join(c["source"]) for c in cells if "setup" in c["metadata"].get("tags", [])]
        assert len(setup) == 1 and f'course = "{at_tag}"' in setup[0], path.name
        links = {u for c in cells for u in _COLAB.findall("".join(c["source"]))}
        assert links == {
            f"https://colab.research.google.com/github{blob}{TAG}/notebooks/{path.name}"
        }, path.name
    readme = (released / "README.md").read_text()
    badges = _COLAB.findall(readme)
    assert len(badges) >= len(notebooks)
    assert all(f"{blob}{TAG}/notebooks/" in u or u.endswith(".svg") for u in badges), badges
    assert f'pip install "{at_tag}"' in readme
    own_files = (released / "book" / "theory" / "own_files.md").read_text()
    assert f'pip install "{at_tag}"' in own_files
    at_main = (f"{blob}main/", f"{course.REPOSITORY}@main")
    left = [rel for rel, text in _course_text_files(released) if any(m in text for m in at_main)]
    assert left == []


def test_the_version_agrees_everywhere_in_the_release(released):
    probe = (
        "import bootcamp_utils as bc, bootcamp_utils.course as c; "
        "print(bc.__file__, bc.__version__, c.REF, c.BRANCH, c.is_release())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=released,
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONPATH": str(released)},
    ).stdout.split()
    assert Path(out[0]).is_relative_to(released)  # the copy's package, not the checkout's
    assert out[1:] == [VERSION, TAG, TAG, "True"]
    cff = yaml.safe_load((released / "CITATION.cff").read_text())
    assert (cff["version"], cff["date-released"]) == (VERSION, DATE)
    changelog = (released / "CHANGELOG.md").read_text()
    assert f"## [Unreleased]\n\n## [{VERSION}] - {DATE}\n" in changelog
    url = course.repository_url()
    assert f"[Unreleased]: {url}/compare/{TAG}...HEAD\n[{VERSION}]: {url}/releases/tag/{TAG}" in (
        changelog
    )
    assert release.check_pinned(released) == []


def test_the_copys_own_structure_and_badge_tests_pass_at_the_tag(released):
    """tests/test_notebook_structure.py's rule (setup cell and Colab link from course.py) and
    the README's badge tests, run inside the released copy with its own course.py."""
    selected = [
        "tests/test_notebook_structure.py::test_notebook_follows_the_template",
        "tests/test_notebook_structure.py::test_lesson_template_passes_as_the_notebook_it_becomes",
        "tests/test_readme.py::test_readme_has_the_colab_badge_of_every_notebook",
        "tests/test_readme.py::test_readme_colab_links_open_course_notebooks",
        "tests/test_readme.py::test_badge_checks_catch_wrong_links",
        "tests/test_release.py::test_the_checkout_is_consistent",
        "bootcamp_utils/course.py",
    ]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *selected],
        cwd=released,
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(released)},
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    notebooks = len(list((released / "notebooks").glob("*.ipynb")))
    passed = int(re.search(r"(\d+) passed", run.stdout)[1])
    assert passed >= notebooks + 6 and "skipped" not in run.stdout, run.stdout[-2000:]


def test_reopen_brings_main_back_but_for_the_version(released, tmp_path):
    copy = tmp_path / "reopened"
    _git(tmp_path, "clone", "-q", str(released), str(copy))
    run = _run(copy, "--reopen")
    assert run.returncode == 0, run.stderr
    changed = set(_git(copy, "diff", "--name-only", "main~1").split())
    assert changed == {"bootcamp_utils/__init__.py", "CHANGELOG.md", "CITATION.cff"}
    init = (copy / "bootcamp_utils" / "__init__.py").read_text()
    assert f'__version__ = "{NEXT}.dev0"' in init
    assert release.check_pinned(copy) == []
    # committed, the tag that exists is refused; the next release from there works
    _git(copy, "commit", "-q", "-am", "Back to main")
    assert "exists already" in _run(copy, VERSION).stderr
    _add_to_unreleased(copy, "- more")
    assert _run(copy, NEXT).returncode == 0 and release.check_pinned(copy) == []
    assert f'__version__ = "{NEXT}"' in (copy / "bootcamp_utils" / "__init__.py").read_text()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["1.0"], "not a release version"),
        (["v1.0.0rc1"], "not a release version"),
        ([], "give a version"),
    ],
)
def test_release_refuses_what_it_cannot_do(tmp_path, args, words):
    copy = tmp_path
    _git(copy, "init", "-q")
    (copy / "tools").mkdir()
    shutil.copy2(REPO / "tools" / "release.py", copy / "tools")
    run = _run(copy, *args)
    assert run.returncode != 0 and words in run.stderr


def test_an_empty_unreleased_section_is_refused(released, tmp_path):
    copy = tmp_path / "again"
    _git(tmp_path, "clone", "-q", str(released), str(copy))
    run = _run(copy, FIX)  # nothing under [Unreleased] since VERSION
    assert run.returncode == 1 and "nothing to release" in run.stderr
    assert _git(copy, "status", "--porcelain") == ""  # and nothing was changed


def test_uncommitted_changes_are_refused(released, tmp_path):
    copy = tmp_path / "dirty"
    _git(tmp_path, "clone", "-q", str(released), str(copy))
    (copy / "README.md").write_text((copy / "README.md").read_text() + "\nwork in progress\n")
    for args in (["--reopen"], [FIX]):
        run = _run(copy, *args)
        assert run.returncode == 1 and "uncommitted changes" in run.stderr
    assert _git(copy, "status", "--porcelain") == " M README.md\n"


def test_check_pinned_names_a_link_that_opens_another_ref(tmp_path):
    repo = tmp_path / "mini"
    (repo / "bootcamp_utils").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    shutil.copy2(REPO / "bootcamp_utils" / "course.py", repo / "bootcamp_utils")
    rel = "notebooks/01_x.ipynb"
    setup = {"cell_type": "code", "metadata": {"tags": ["setup"]}, "source": course.setup_cell()}
    first = {"cell_type": "markdown", "metadata": {}, "source": f"# X\n\n{course.colab_link(rel)}"}
    (repo / rel).write_text(json.dumps({"cells": [first, setup]}))
    (repo / "README.md").write_text(course.colab_badge(rel))
    assert release.check_pinned(repo) == []
    (repo / rel).write_text((repo / rel).read_text().replace(f"/blob/{course.REF}/", "/blob/v9/"))
    assert any("Colab links" in p and "01_x" in p for p in release.check_pinned(repo))
    setup["source"] = setup["source"].replace(f"@{course.REF}", "@v9")
    (repo / rel).write_text(json.dumps({"cells": [first, setup]}))
    assert any("setup cell" in p for p in release.check_pinned(repo))


# --- the checkout as it is: CHANGELOG, CITATION and the version agree ---------------------


def _released_versions(changelog: str) -> list[tuple[str, str]]:
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", changelog, re.M)


def test_the_checkout_is_consistent():
    """On main: [Unreleased] comes first and CITATION cites the newest release (if any), which
    the package's development version is above. On a release commit: the tag, the version,
    CITATION.cff and the CHANGELOG's newest heading are one and the same release."""
    changelog = (REPO / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, re.M)
    assert headings[0] == "Unreleased"
    releases = _released_versions(changelog)
    assert [v for v, _ in releases] == headings[1:], "every heading but the first: X.Y.Z - date"
    for heading in headings:
        assert re.search(rf"^\[{re.escape(heading)}\]: https://\S+$", changelog, re.M), heading
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    version = bootcamp_utils.__version__
    if course.is_release():
        assert (course.REF, releases[0][0]) == (f"v{version}", version)
        assert (cff["version"], cff["date-released"]) == releases[0]
    elif releases:
        assert cff["version"] == releases[0][0] and cff["date-released"] == releases[0][1]
        assert version.endswith(".dev0") and _key(version) > _key(releases[0][0])
    else:  # before the first release: nothing to cite by version yet
        assert "version" not in cff and "date-released" not in cff


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in version.split(".")[:3])


def test_citation_cff_has_what_cff_1_2_0_requires():
    """The keys CFF 1.2.0 requires, with their types (validated against the schema once, by
    hand: cffconvert 2.0's schema.json with jsonschema 4; cffconvert pins jsonschema < 4)."""
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert isinstance(cff["message"], str) and cff["message"].strip()
    assert isinstance(cff["title"], str) and cff["title"].strip()
    authors = cff["authors"]
    assert isinstance(authors, list) and authors
    assert all(a.get("name") or a.get("family-names") for a in authors)
    assert cff["license"] == "MIT" and "MIT License" in (REPO / "LICENSE").read_text()
    assert cff["repository-code"] == course.repository_url()
    assert "doi" not in cff or re.fullmatch(r"10\.\d{4,9}/\S+", cff["doi"])
    for key in ("version", "date-released"):
        assert key not in cff or isinstance(cff[key], str), f"{key} must be quoted text"
