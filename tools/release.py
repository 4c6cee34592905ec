"""Cut a release a class can pin: version, git ref, badges, setup cells, CHANGELOG, CITATION.

A teacher pins a class to a release by giving students the README *of the release's tag*
(``https://github.com/<repository>/blob/vX.Y.Z/README.md``): its Colab badges open the notebooks
at that tag, and the notebooks' setup cell installs ``bootcamp_utils`` from that same tag. For
that to hold, the release commit must name its own tag everywhere main names ``main``. This
script makes that commit's changes, in a checkout of main, for the maintainer to review and
commit:

1. ``python tools/release.py 1.0.0`` (on main, working tree clean): writes ``REF = "v1.0.0"``
   in ``bootcamp_utils/course.py`` and ``__version__ = "1.0.0"`` in
   ``bootcamp_utils/__init__.py``; rewrites every Colab address and install URL of the course
   at ``main`` in the tracked text files (README badges, notebooks' Colab links and setup
   cells, the lesson template, the book's pages) to the tag; turns CHANGELOG's
   ``[Unreleased]`` section into ``[1.0.0] - <date>``; sets CITATION.cff's ``version`` and
   ``date-released``. Then it checks that every notebook's setup cell is ``setup_cell()`` and
   every Colab link opens its own notebook at the tag, and prints the commands to commit and
   tag.
2. After tagging: ``python tools/release.py --reopen`` points everything back at ``main`` and
   sets a development version (``1.1.0.dev0`` after ``1.0.0``), so that what students install
   from main never claims to be the release.

Only the maintainer runs this; it is not part of the installed package. ``tests/test_release.py``
runs it on a copy of the checkout.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COURSE = Path("bootcamp_utils") / "course.py"
INIT = Path("bootcamp_utils") / "__init__.py"
_VERSION = re.compile(r"\d+\.\d+\.\d+")
_REF_LINE = re.compile(r'^REF = "[^"]*"$', re.M)
_VERSION_LINE = re.compile(r'^__version__ = "([^"]*)"$', re.M)
#: Files that tell history: they keep the refs they name.
_KEEP = {"CHANGELOG.md"}


class ReleaseError(Exception):
    """The release cannot be made as asked: the message says why."""


def _course(repo: Path):
    """The checkout's own ``bootcamp_utils/course.py`` (not the installed one), loaded afresh."""
    spec = importlib.util.spec_from_file_location("_release_course", repo / COURSE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def _sub_once(pattern: re.Pattern, new: str, text: str, where: Path) -> str:
    text, count = pattern.subn(new, text)
    if count != 1:
        raise ReleaseError(f"{where}: expected one line matching {pattern.pattern}, found {count}")
    return text


def _addresses(course) -> tuple[str, str]:
    """What names the ref in a text: the Colab prefix ``.../blob/<ref>/`` and the install URL."""
    return course.colab_url("").rstrip("/") + "/", course.install_url()


def _retarget(repo: Path, ref: str, version: str) -> list[str]:
    """Point the course at ``ref`` and set the version; return the files changed."""
    course = repo / COURSE
    before = _addresses(_course(repo))
    course.write_text(_sub_once(_REF_LINE, f'REF = "{ref}"', course.read_text(), course))
    pairs = list(zip(before, _addresses(_course(repo)), strict=True))
    init = repo / INIT
    init.write_text(_sub_once(_VERSION_LINE, f'__version__ = "{version}"', init.read_text(), init))
    changed = {COURSE.as_posix(), INIT.as_posix()}
    for rel in _git(repo, "ls-files", "-z").split("\0"):
        path = repo / rel
        if not rel or rel in _KEEP or path.is_symlink() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # not a text file
        edited = text
        for before, after in pairs:
            if before != after:
                edited = edited.replace(before, after)
        if edited != text:
            path.write_text(edited, encoding="utf-8")
            changed.add(rel)
    problems = check_pinned(repo)
    if problems:
        raise ReleaseError("after rewriting, still wrong:\n- " + "\n- ".join(problems))
    return sorted(changed)


def check_pinned(repo: Path) -> list[str]:
    """What in ``repo`` does not point at its course.py's ``REF`` ([] when all does)."""
    course = _course(repo)
    found = []
    notebooks = sorted((repo / "notebooks").glob("*.ipynb"))
    for path in [*notebooks, *sorted((repo / "templates").glob("*.ipynb"))]:
        rel = path.relative_to(repo).as_posix()
        opened = "notebooks/" + path.name if rel.startswith("templates/") else rel
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = ["".join(c["source"]) for c in cells]
        setup = [
            t for c, t in zip(cells, text, strict=True) if "setup" in c["metadata"].get("tags", [])
        ]
        if [t.strip() for t in setup] != [course.setup_cell()]:
            found.append(f"{rel}: its setup cell is not course.setup_cell() at {course.REF}")
        links = set(
            re.findall(r"https://colab\.research\.google\.com/github/[^)\s\"'<>]+", "".join(text))
        )
        if links != {course.colab_url(opened)}:
            found.append(f"{rel}: Colab links {sorted(links)} (want {course.colab_url(opened)})")
    readme = (repo / "README.md").read_text(encoding="utf-8")
    for path in notebooks:
        if course.colab_badge(path.relative_to(repo).as_posix()) not in readme:
            found.append(f"README.md: no badge of {path.name} at {course.REF}")
    return found


def _changelog(repo: Path, version: str, date: str) -> None:
    path = repo / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8")
    head = "## [Unreleased]\n"
    if head not in text:
        raise ReleaseError(f"{path}: no '{head.strip()}' section to release")
    body = text.split(head, 1)[1].split("\n## [", 1)[0]
    if not body.strip():
        raise ReleaseError(f"{path}: the [Unreleased] section is empty: nothing to release")
    if f"## [{version}]" in text:
        raise ReleaseError(f"{path}: {version} is released already")
    text = text.replace(head, f"{head}\n## [{version}] - {date}\n", 1)
    url = _course(repo).repository_url()
    links = re.compile(r"^\[Unreleased\]: .*$", re.M)
    text = _sub_once(
        links,
        f"[Unreleased]: {url}/compare/v{version}...HEAD\n"
        f"[{version}]: {url}/releases/tag/v{version}",
        text,
        path,
    )
    path.write_text(text, encoding="utf-8")


def _citation(repo: Path, version: str, date: str) -> None:
    path = repo / "CITATION.cff"
    text = path.read_text(encoding="utf-8")
    for key, value in (("version", f'"{version}"'), ("date-released", f'"{date}"')):
        line = re.compile(rf"^{key}: .*$", re.M)
        if line.search(text):
            text = line.sub(f"{key}: {value}", text)
        else:
            text = text.rstrip("\n") + f"\n{key}: {value}\n"
    path.write_text(text, encoding="utf-8")


def _require_clean(repo: Path) -> None:
    """The release commit must hold the release's changes only."""
    if _git(repo, "status", "--porcelain", "--untracked-files=no").strip():
        raise ReleaseError(
            f"{repo} has uncommitted changes to tracked files: commit them first, so that "
            "the release commit holds only what this script changes"
        )


def release(repo: Path, version: str, date: str | None = None) -> list[str]:
    """Make the release commit's changes for ``version`` in ``repo``; return the files changed."""
    version = version.removeprefix("v")
    if not _VERSION.fullmatch(version):
        raise ReleaseError(f"{version!r} is not a release version such as 1.0.0")
    tag = f"v{version}"
    _require_clean(repo)
    if _git(repo, "tag", "--list", tag).strip():
        raise ReleaseError(f"the tag {tag} exists already: pick the next version")
    date = date or datetime.date.today().isoformat()
    _changelog(repo, version, date)
    _citation(repo, version, date)
    return sorted({*_retarget(repo, tag, version), "CHANGELOG.md", "CITATION.cff"})


def reopen(repo: Path, version: str | None = None) -> list[str]:
    """Point ``repo`` back at ``main`` with a development version (default: next minor)."""
    _require_clean(repo)
    current = _VERSION_LINE.search((repo / INIT).read_text())[1]
    if version is None:
        major, minor, _ = (int(n) for n in current.split(".")[:3])
        version = f"{major}.{minor + 1}.0.dev0"
    return _retarget(repo, "main", version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("version", nargs="?", help="the release, e.g. 1.0.0")
    parser.add_argument("--reopen", action="store_true", help="point back at main afterwards")
    parser.add_argument("--date", help="the release date (default: today), YYYY-MM-DD")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout (default: this)")
    args = parser.parse_args(argv)
    try:
        if args.reopen:
            changed = reopen(args.repo, args.version)
            message = f"Back to main at {_VERSION_LINE.search((args.repo / INIT).read_text())[1]}"
        elif args.version:
            changed = release(args.repo, args.version, args.date)
            message = f"Release {args.version.removeprefix('v')}"
        else:
            parser.error("give a version (1.0.0) or --reopen")
    except (ReleaseError, subprocess.CalledProcessError) as err:
        print(f"release.py: {err}", file=sys.stderr)
        return 1
    print("\n".join(changed))
    print(f'\nReview (git diff), then:\n  git commit -m "{message}" -- {" ".join(changed)}')
    if not args.reopen:
        v = args.version.removeprefix("v")
        print(f'  git tag -a v{v} -m "DICOM in Python {v}"\n  python tools/release.py --reopen')
    return 0


if __name__ == "__main__":
    sys.exit(main())
