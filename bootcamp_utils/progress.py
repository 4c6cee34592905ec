"""Which exercises you have passed, kept on your own computer: :func:`progress`.

Every time :func:`~bootcamp_utils.checks.check` answers "Correct", the exercise's id and the
time it was first passed are written to a small JSON file **outside the course folder**, so
that a new clone, a fresh copy of a notebook or a lesson run out of order loses nothing:

* ``$BOOTCAMP_PROGRESS_FILE`` if set (``off`` turns recording off, e.g. for a teacher
  building the book with the solutions run);
* else ``$XDG_DATA_HOME/dicom-in-python/progress.json``, by default
  ``~/.local/share/dicom-in-python/progress.json``.

What is kept is only the exercise id, when it was first and last passed, how many times and
with which course version; never the answer itself (it may be a path or hold patient data).
Nothing is sent anywhere: the checks stay the judges, and they run on your machine, so a record
made from this file is a *self-report*, not an exam.

The file is written the safe way: a temporary file in the same folder, then ``os.replace``
(atomic on POSIX and Windows), under a lock file (``fcntl.flock`` where it exists), re-reading
the file first, so two lessons open in two kernels keep each other's records. A file that is
not valid JSON is kept aside as ``progress.json.corrupt-<time>`` with a warning, never deleted;
a full or read-only disk gives one warning per session and never changes a check's verdict.

**Colab:** the home folder is writable, so this works there too, but a Colab runtime is wiped
when it is reset or times out: write your record (:meth:`Progress.write_record`) and download
it (the Files pane, or ``google.colab.files.download``) before you leave.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import tempfile
import textwrap
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = [
    "PROGRESS_FILE_VARIABLE",
    "LessonProgress",
    "Progress",
    "ProgressError",
    "ProgressWarning",
    "progress",
    "progress_file",
    "progress_record",
    "record_pass",
    "reset_progress",
]

#: The environment variable that names the progress file (``off``: record nothing).
PROGRESS_FILE_VARIABLE = "BOOTCAMP_PROGRESS_FILE"
_OFF = {"off", "none", "0"}
_FORMAT = 1
#: Problems already reported in this session (one warning each, not one per check).
_WARNED: set[str] = set()


class ProgressError(Exception):
    """A record could not be written where asked: the message says why and what to do."""


class ProgressWarning(UserWarning):
    """Progress could not be saved or read; checks still work."""


def progress_file() -> Path | None:
    """Where progress is kept (None when ``BOOTCAMP_PROGRESS_FILE=off``).

    Returns
    -------
    pathlib.Path or None
        ``$BOOTCAMP_PROGRESS_FILE``, else ``$XDG_DATA_HOME/dicom-in-python/progress.json``
        (``XDG_DATA_HOME`` defaults to ``~/.local/share``).

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> from bootcamp_utils.progress import progress_file
    >>> with mock.patch.dict(os.environ, {"BOOTCAMP_PROGRESS_FILE": "", "XDG_DATA_HOME": "/x"}):
    ...     print(progress_file().as_posix())
    /x/dicom-in-python/progress.json
    >>> with mock.patch.dict(os.environ, {"BOOTCAMP_PROGRESS_FILE": "off"}):
    ...     print(progress_file())
    None
    """
    named = os.environ.get(PROGRESS_FILE_VARIABLE, "").strip()
    if named.lower() in _OFF:
        return None
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_DATA_HOME", "").strip() or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "dicom-in-python" / "progress.json"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _warn_once(kind: str, message: str) -> None:
    if kind not in _WARNED:
        _WARNED.add(kind)
        warnings.warn(message, ProgressWarning, stacklevel=4)


def _empty() -> dict:
    return {"format": _FORMAT, "course": "dicom-in-python", "exercises": {}}


def _valid(data: object) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
        return False
    return all(
        isinstance(key, str) and isinstance(value, dict) and isinstance(value.get("first"), str)
        for key, value in data["exercises"].items()
    )


def _load(path: Path) -> dict:
    """The file's records; a file that is not ours is moved aside (with a warning), not lost."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return _empty()
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:  # not JSON, or not UTF-8 (UnicodeDecodeError is a ValueError)
        data = None
    if _valid(data):
        return data
    aside = path.with_name(f"{path.name}.corrupt-{datetime.now():%Y%m%dT%H%M%S%f}")
    os.replace(path, aside)
    warnings.warn(
        f"{path} was not a progress file the course can read; kept it as {aside.name} and "
        "started a new one (your earlier records are in that file).",
        ProgressWarning,
        stacklevel=4,
    )
    return _empty()


@contextlib.contextmanager
def _locked(path: Path):
    """Hold ``path``.lock exclusively (POSIX); elsewhere, the re-read before writing suffices."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str, shared: bool = False) -> None:
    """Write ``text`` to a temporary file beside ``path``, then replace ``path`` with it.

    The temporary file is readable by its owner only (``mkstemp``), which the progress file
    keeps; ``shared`` gives it the usual permissions instead (a record to hand in).
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if shared:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def record_pass(exercise: str) -> bool:
    """Note that ``exercise`` was just passed (``check`` calls this on every "Correct").

    Never raises on a file problem and never stores the answer: a full or read-only disk
    gives one :class:`ProgressWarning` per session, and the check's verdict stands.

    Parameters
    ----------
    exercise : str
        The exercise id, such as ``"01-tag-number"``.

    Returns
    -------
    bool
        True if the record was saved; False if recording is off or the file could not be
        written.

    Examples
    --------
    >>> import json, os, tempfile
    >>> from unittest import mock
    >>> from bootcamp_utils.progress import record_pass
    >>> file = os.path.join(tempfile.mkdtemp(), "progress.json")
    >>> with mock.patch.dict(os.environ, {"BOOTCAMP_PROGRESS_FILE": file}):
    ...     record_pass("01-vr"), record_pass("01-vr")
    (True, True)
    >>> entry = json.load(open(file))["exercises"]["01-vr"]
    >>> sorted(entry), entry["passes"]
    (['first', 'last', 'passes', 'version'], 2)
    """
    path = progress_file()
    if path is None:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            data = _load(path)
            now = _now()
            entry = data["exercises"].setdefault(exercise, {"first": now, "passes": 0})
            entry.update(last=now, passes=int(entry.get("passes", 0)) + 1, version=_version())
            _write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    except OSError as err:
        _warn_once(
            "unwritable",
            f"Progress not saved: cannot write {path} ({err.strerror or err}). Your checks "
            f"still work. Free some space, or set {PROGRESS_FILE_VARIABLE} to a file you can "
            "write (this warning is shown once per session).",
        )
        return False
    return True


def _version() -> str:
    from . import __version__

    return __version__


@dataclass(frozen=True)
class LessonProgress:
    """One lesson's exercises: which are passed (with the date first passed), which not yet.

    Parameters
    ----------
    lesson : str
        The lesson's number, ``"01"`` to ``"06"``.
    passed : dict of str to str
        Exercise id -> when it was first passed (ISO 8601, UTC), in the lesson's order.
    left : tuple of str
        The ids not passed yet, in the lesson's order.
    """

    lesson: str
    passed: dict[str, str]
    left: tuple[str, ...]

    @property
    def total(self) -> int:
        """How many exercises the lesson has."""
        return len(self.passed) + len(self.left)


@dataclass(frozen=True)
class Progress:
    """Every registered exercise, lesson by lesson: a table in Jupyter, text in a terminal.

    Parameters
    ----------
    lessons : tuple of LessonProgress
        One per lesson, in order.
    file : pathlib.Path or None
        The file the records were read from (None: recording is off).
    unknown : tuple of str
        Recorded ids that no lesson of this course version has (kept in the file).
    """

    lessons: tuple[LessonProgress, ...]
    file: Path | None
    unknown: tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        """How many exercises are passed, all lessons together."""
        return sum(len(lesson.passed) for lesson in self.lessons)

    @property
    def total(self) -> int:
        """How many exercises the course has."""
        return sum(lesson.total for lesson in self.lessons)

    def __str__(self) -> str:
        lines = [f"Exercises passed: {self.passed} of {self.total} (kept in {self.file})"]
        for lesson in self.lessons:
            lines.append(f"Lesson {lesson.lesson}: {len(lesson.passed)}/{lesson.total}")
            for label, ids in (("passed", list(lesson.passed)), ("not yet", lesson.left)):
                if ids:
                    text = f"{label}: {', '.join(ids)}"
                    lines += textwrap.wrap(
                        text,
                        88,
                        initial_indent="  ",
                        subsequent_indent="    ",
                        break_on_hyphens=False,
                        break_long_words=False,
                    )
        if self.unknown:
            lines.append(f"Recorded, not in this version: {', '.join(self.unknown)}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{lesson.lesson}</td><td>{len(lesson.passed)}/{lesson.total}</td>"
            f"<td>{_ids(lesson.passed)}</td><td>{_ids(lesson.left)}</td></tr>"
            for lesson in self.lessons
        )
        return (
            f"<p><b>Exercises passed: {self.passed} of {self.total}</b> "
            f"<small>(kept in <code>{html.escape(str(self.file))}</code>)</small></p>"
            '<table class="bootcamp-progress"><thead><tr><th>Lesson</th><th>Passed</th>'
            f"<th>Passed exercises</th><th>Not yet</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    def write_record(self, path: str | os.PathLike | None = None, *, name: str) -> Path:
        """Write a one-page record to hand in: a printable, self-contained HTML file.

        It says who (``name``), when, which course version, and for each lesson how many
        exercises were passed and when each was first passed; and that it is a self-report
        (the checks ran on the student's computer). On Colab, download it before the runtime
        is reset: the runtime's files go with it.

        Parameters
        ----------
        path : str or os.PathLike, optional
            Where to write; default ``output/progress-record.html`` (relative to the current
            folder, like the lessons' output). Never inside the sample data or the package.
        name : str
            The student's name, as it should appear on the record.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        ProgressError
            If ``name`` is empty, ``path`` is inside the sample data or the package, or the
            file cannot be written (full or read-only disk); the message says what to do.

        Examples
        --------
        >>> import os, tempfile
        >>> from bootcamp_utils.progress import progress
        >>> folder = tempfile.mkdtemp()
        >>> record = progress().write_record(os.path.join(folder, "me.html"), name="A. Student")
        >>> text = record.read_text()
        >>> "A. Student" in text and "self-report" in text and "<script" not in text
        True
        """
        from ._record import record_html

        if not str(name).strip():
            raise ProgressError("write_record needs your name: write_record(name='Your Name').")
        target = Path(path if path is not None else Path("output") / "progress-record.html")
        _refuse_course_folders(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(target, record_html(self, str(name).strip(), _version()), True)
        except OSError as err:
            raise ProgressError(
                f"Could not write the record {target} ({err.strerror or err}): free some "
                "space, or give another path, e.g. write_record('record.html', name=...)."
            ) from None
        return target


def _ids(ids) -> str:
    return ", ".join(f"<code>{html.escape(i)}</code>" for i in ids) or "&mdash;"


def _refuse_course_folders(target: Path) -> None:
    from .data import data_dir

    where = target.resolve()
    for folder, what in ((data_dir(), "the sample data"), (Path(__file__).parent, "the package")):
        folder = folder.resolve()
        if where == folder or folder in where.parents:
            raise ProgressError(
                f"{target} is inside {what} ({folder}): write the record elsewhere, e.g. "
                "write_record('output/progress-record.html', name=...)."
            )


def progress() -> Progress:
    """Which exercises of each lesson you have passed, and which are left.

    Lists every exercise of every lesson (out of order is fine: each lesson's row says what is
    left). The checks write the records (see the module's docstring for where); this only reads.

    Returns
    -------
    Progress
        Shown as a table in Jupyter and as text in a terminal; ``.write_record(name=...)``
        writes a one-page record to hand in.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> from bootcamp_utils.checks import check
    >>> from bootcamp_utils.progress import progress
    >>> file = os.path.join(tempfile.mkdtemp(), "progress.json")
    >>> with mock.patch.dict(os.environ, {"BOOTCAMP_PROGRESS_FILE": file}):
    ...     verdict = check("01-tag-number", 0x0010 << 16 | 0x0010)
    ...     mine = progress()
    >>> print(str(mine).splitlines()[1])
    Lesson 01: 1/11
    >>> list(mine.lessons[0].passed), len(mine.lessons)
    (['01-tag-number'], 6)
    """
    from .checks import EXERCISES

    path = progress_file()
    records = _records(path) if path is not None else {}
    by_lesson: dict[str, list[str]] = {}
    for exercise in EXERCISES:
        by_lesson.setdefault(exercise.split("-", 1)[0], []).append(exercise)
    lessons = tuple(
        LessonProgress(
            lesson,
            {i: records[i]["first"] for i in ids if i in records},
            tuple(i for i in ids if i not in records),
        )
        for lesson, ids in sorted(by_lesson.items())
    )
    return Progress(lessons, path, tuple(sorted(set(records) - set(EXERCISES))))


def _records(path: Path) -> dict:
    """The file's records: under the lock when it can be taken, else read as it is."""
    try:
        with _locked(path):
            return _load(path)["exercises"]
    except OSError:  # a read-only folder: no lock file, no setting aside
        pass
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        _warn_once("unreadable", f"Could not read the progress file {path} ({err}).")
        return {}
    if not _valid(data):
        _warn_once("unreadable", f"{path} is not a progress file the course can read.")
        return {}
    return data["exercises"]


def progress_record(path: str | os.PathLike | None = None, *, name: str) -> Path:
    """Write the one-page record of :func:`progress` (see :meth:`Progress.write_record`).

    Parameters
    ----------
    path : str or os.PathLike, optional
        Where to write; default ``output/progress-record.html``.
    name : str
        The student's name.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import os, tempfile
    >>> from bootcamp_utils.progress import progress_record
    >>> progress_record(os.path.join(tempfile.mkdtemp(), "r.html"), name="B").name
    'r.html'
    """
    return progress().write_record(path, name=name)


def reset_progress(*, confirm: bool = False) -> Path | None:
    """Start again from no exercise passed; the old file is kept aside, never deleted.

    Parameters
    ----------
    confirm : bool
        Must be True: a reset is never done by accident.

    Returns
    -------
    pathlib.Path or None
        Where the old records were kept (``progress.json.reset-<time>``), None if there were
        none (rename it back to restore them).

    Raises
    ------
    ProgressError
        Without ``confirm=True``, or if the file cannot be moved.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> from bootcamp_utils.progress import record_pass, reset_progress
    >>> file = os.path.join(tempfile.mkdtemp(), "progress.json")
    >>> with mock.patch.dict(os.environ, {"BOOTCAMP_PROGRESS_FILE": file}):
    ...     _ = record_pass("01-vr")
    ...     reset_progress(confirm=True).name.startswith("progress.json.reset-")
    True
    """
    if confirm is not True:
        raise ProgressError(
            "reset_progress forgets every exercise passed: call it with "
            "reset_progress(confirm=True) if that is what you want."
        )
    path = progress_file()
    if path is None or not path.exists():
        return None
    aside = path.with_name(f"{path.name}.reset-{datetime.now():%Y%m%dT%H%M%S%f}")
    try:
        with _locked(path):
            os.replace(path, aside)
    except OSError as err:
        raise ProgressError(f"Could not move {path} aside ({err.strerror or err}).") from None
    return aside
