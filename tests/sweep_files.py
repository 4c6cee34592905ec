"""The real-file sweep's files and records: the jobs, one file's context, one call's record.

:func:`collect` lists a :class:`Job` per file and per folder of the three sources
(:func:`sources`); a worker reads a file into a :class:`_Context` that its steps share, and
every call ends as a :class:`Record`, classified by :func:`classify` (the package's own
error: a refusal; anything else: a crash). :mod:`tests.sweep` runs them.
"""

from __future__ import annotations

import copy
import gzip
import os
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Seconds one call may take before it is a crash (the slowest measured call: ~2 s).
TIMEOUT = 60.0

PACKAGE_DIR = str(Path(__file__).resolve().parents[1] / "bootcamp_utils")


# --------------------------------------------------------------------------- records


@dataclass
class Record:
    """One call: where, which helper, how it ended, and what its output got wrong."""

    source: str  # "pydicom", "pydicom-data", "deid-data"
    path: str  # relative to the source's folder; a folder ends with "/"
    helper: str
    status: str  # ok, refusal, crash, not DICOM, n/a
    message: str = ""
    seconds: float = 0.0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)
    names_file: bool = False  # a refusal whose message names the file or folder

    @property
    def where(self) -> str:
        return f"{self.source}:{self.path}"


class Problem(Exception):
    """A check on a helper's output failed: ``kind`` is the table column it counts in."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


#: The problem kinds, each a column of the table; every one must stay at 0.
KINDS = ("wrong pixels", "leak", "new dciodvfy errors", "unsavable", "check error")


def _first_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _raised_by_package(exc: BaseException) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and last.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR)


def classify(exc: BaseException) -> str:
    """``"refusal"`` for the package's own errors, ``"crash"`` for anything else."""
    from bootcamp_utils import DataError, DeidFolderError, SeriesError

    if isinstance(exc, (DataError, SeriesError, DeidFolderError)):
        return "refusal"
    if type(exc).__module__.startswith("bootcamp_utils"):  # another error class of its own
        return "refusal"
    if isinstance(exc, (ValueError, TypeError)) and _raised_by_package(exc):
        return "refusal"
    return "crash"


def _describe(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    at = f" [at {Path(tb[-1].filename).name}:{tb[-1].lineno}]" if tb else ""
    return _first_line(f"{type(exc).__name__}: {exc}") + at


def _names(exc: BaseException, path: str) -> bool:
    """Whether the message names the file (or, for a folder, the folder or a file in it)."""
    text = str(exc)
    path = Path(path)
    names = [path.name]
    if path.is_dir():
        names += [p.name for p in path.iterdir()]
    return any(name and name in text for name in names)


# --------------------------------------------------------------------------- the files


@dataclass(frozen=True)
class Job:
    kind: str  # "file" or "folder"
    source: str
    root: str
    path: str  # absolute
    skip: frozenset = frozenset()  # helpers already recorded (after a worker restart)

    @property
    def rel(self) -> str:
        rel = os.path.relpath(self.path, self.root).replace(os.sep, "/")
        return rel + "/" if self.kind == "folder" else rel


def sources() -> dict[str, Path]:
    """The three data folders: pydicom's test files, pydicom-data's, deid-data's."""
    import data_store
    import deid_data
    import pydicom

    return {
        "pydicom": Path(pydicom.__file__).parent / "data" / "test_files",
        "pydicom-data": Path(data_store.__file__).parent / "data",
        "deid-data": Path(deid_data.__file__).parent / "data",
    }


def _source_of(path: Path, roots: dict[str, Path]) -> str:
    for name, root in roots.items():
        if path.is_relative_to(root):
            return name
    raise AssertionError(f"{path} is in none of {roots}")


def collect(unzip_to: Path) -> list[Job]:
    """Every file job and folder job; zip and gzip files are unpacked under ``unzip_to``.

    Largest first, so that two workers finish at about the same time.
    """
    from pydicom.data import get_testdata_files

    roots = sources()
    files = {Path(p) for p in get_testdata_files() if Path(p).is_file()}
    files |= {
        p for p in roots["deid-data"].rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
    }
    files |= {p for p in roots["pydicom-data"].iterdir() if p.is_file()}
    jobs = []
    for path in sorted(files):
        source = _source_of(path, roots)
        if path.suffix in (".zip", ".gz"):  # unpacked as <relative path>/<inner file>
            target = unzip_to / source / path.relative_to(roots[source])
            target.mkdir(parents=True)
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    archive.extractall(target)
            else:
                (target / path.stem).write_bytes(gzip.decompress(path.read_bytes()))
            for inner in sorted(p for p in target.rglob("*") if p.is_file()):
                jobs.append(Job("file", source, str(unzip_to / source), str(inner)))
            continue
        jobs.append(Job("file", source, str(roots[source]), str(path)))
    folders = sorted({Path(j.path).parent for j in jobs})
    for folder in folders:
        source = next(j.source for j in jobs if Path(j.path).parent == folder)
        root = next(j.root for j in jobs if Path(j.path).parent == folder)
        jobs.append(Job("folder", source, root, str(folder)))
    return sorted(jobs, key=_cost, reverse=True)


def _cost(job: Job) -> int:
    if job.kind == "folder":
        return sum(p.stat().st_size for p in Path(job.path).iterdir() if p.is_file())
    return os.path.getsize(job.path)


def missing_downloads() -> list[str]:
    """pydicom's download-only test files that no installed package provides offline."""
    from pydicom.data.data_manager import get_testdata_files, get_url_map

    present = {Path(p).name for p in get_testdata_files()}
    return sorted(name for name in get_url_map() if name not in present)


# --------------------------------------------------------------------------- one file's context


class _Context:
    """What the steps of one file share: the path, the data set, the decoded original."""

    def __init__(self, path: str, tmp: Path, dciodvfy: str | None):
        self.path = path
        self.tmp = tmp
        self.dciodvfy = dciodvfy
        self.ds = None
        self._reference: dict[bool, np.ndarray] = {}
        self.values = None
        self.deidentified = None

    def reference(self, as_rgb: bool = False) -> np.ndarray:
        """The original's pixels as pydicom decodes them (the sweep's reference): the stored
        samples, or with ``as_rgb`` YBR converted to RGB as pydicom does by default."""
        if as_rgb not in self._reference:
            self._reference[as_rgb] = decoded(copy.deepcopy(self.ds), as_rgb)
        return self._reference[as_rgb]


def decoded(ds, as_rgb: bool) -> np.ndarray:
    """``ds.pixel_array``; with ``as_rgb=False`` the samples as stored, colour not converted
    (a YBR_FULL image stays YBR: the JPEG-LS bound holds per stored sample, and pydicom's
    default YBR -> RGB conversion would widen it)."""
    ds.pixel_array_options(as_rgb=as_rgb)
    return ds.pixel_array


def _saved_and_read(ds, tmp: Path, name: str):
    import pydicom

    target = tmp / name
    try:
        ds.save_as(target)
    except Exception as exc:
        raise Problem("unsavable", f"save_as failed: {_describe(exc)}") from None
    return target, pydicom.dcmread(target, force=True)
