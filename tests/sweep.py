"""The real-file sweep (issue 24): every file nobody here wrote, through every public helper.

The files: every regular file of pydicom's test data (``pydicom.data.get_testdata_files()``,
which includes the download-only files ``pydicom-data`` provides offline), of ``pydicom-data``
and of ``deid-data`` (zip and gzip files are unpacked into a temporary folder). Each file is
read once with ``pydicom.dcmread`` in a worker process (with ``force=True`` when it has no
Part 10 header but is a data set), then given to every public
helper of :mod:`bootcamp_utils` that takes a data set (:data:`FILE_STEPS`); each folder that
holds such files is given to :func:`~bootcamp_utils.list_series`, to
:func:`~bootcamp_utils.load_series` (once per series it lists, and the viewer on the volume)
and, when small, to :func:`~bootcamp_utils.deidentify_folder` (:data:`FOLDER_STEPS`).

Every call is classified:

``ok``
    it returned (and its output passed the checks below);
``refusal``
    it raised the package's own error (:class:`~bootcamp_utils.DataError` and its subclasses
    such as ``DecoderError`` and ``EncoderError``, ``SeriesError``, ``DeidFolderError``, any
    exception class defined in ``bootcamp_utils``), or a ``ValueError``/``TypeError`` raised
    by a line of ``bootcamp_utils`` itself;
``crash``
    any other exception (``AttributeError``, an error raised inside pydicom or a plugin), a
    worker process that died (a SIGABRT in C++ kills only the worker: it is restarted and
    the file's remaining helpers go on), or a call that took longer than :data:`TIMEOUT`.

The outputs are checked, each failure a *problem* of the call:

* ``compress``: the copy is saved and read back; its decoded pixels equal the decoded original
  (lossless), or differ by at most NEAR (JPEG-LS near-lossless, ``jls_error=NEAR``);
* ``black_out``: saved and read back; inside the boxes every pixel holds one value (0 for RGB,
  an end of the stored range for MONOCHROME), outside the boxes the pixels equal the original's;
* ``deidentify``: saved; the original's identifying values (names, IDs, dates of birth,
  accession numbers, institution and station names, instance UIDs, as
  :func:`~bootcamp_utils.phi_findings` lists them on the original) must not occur in the
  written bytes, as a whole word (binary elements such as Pixel Data left out of the
  search); dciodvfy's error lines on the output minus those on the original must be none
  (when dciodvfy is installed and can read the original through).
:func:`run` runs the jobs in :data:`WORKERS` processes and returns one :class:`Record` per
call; :func:`table` and :func:`failures` format them. The jobs and records are in
:mod:`tests.sweep_files`, the helpers' steps in :mod:`tests.sweep_steps`, their output checks
in :mod:`tests.sweep_pixels` and :mod:`tests.sweep_deid`.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
import warnings
from collections import Counter
from multiprocessing.connection import wait
from pathlib import Path

# tests/test_real_files_sweep.py reads these names as sweep.X (``a as a``: a re-export); run and
# _run_file read TIMEOUT and FILE_STEPS as this module's names (a test patches them here).
from tests.sweep_deid import _UID as _UID
from tests.sweep_deid import _check_dciodvfy as _check_dciodvfy
from tests.sweep_deid import _check_leaks as _check_leaks
from tests.sweep_deid import _found as _found
from tests.sweep_deid import identifying_values as identifying_values
from tests.sweep_files import (
    KINDS,
    TIMEOUT,
    Job,
    Problem,
    Record,
    _Context,
    _describe,
    _names,
    classify,
)
from tests.sweep_files import collect as collect
from tests.sweep_files import missing_downloads as missing_downloads
from tests.sweep_files import sources as sources
from tests.sweep_pixels import _check_black_out as _check_black_out
from tests.sweep_pixels import _check_compressed as _check_compressed
from tests.sweep_pixels import black_values as black_values
from tests.sweep_pixels import boxes_for as boxes_for
from tests.sweep_steps import FILE_STEPS, _folder_steps

#: Worker processes (CI has two cores; the sweep must stay under 3 minutes with them).
WORKERS = 2


# --------------------------------------------------------------------------- the worker


def _forced(path: str):
    """A data set without the Part 10 header (no preamble, no file meta), read with
    ``force=True``; None when what is read is not a DICOM data set (no SOP Class UID)."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, force=True)
        return ds if "SOPClassUID" in ds else None
    except Exception:
        return None


def _run_file(job: Job, tmp: Path, dciodvfy: str | None, send) -> None:
    import pydicom
    from pydicom.errors import InvalidDicomError

    ctx = _Context(job.path, tmp, dciodvfy)
    if "dcmread" in job.skip:  # pydicom itself killed the worker: nothing to give the helpers
        return
    try:
        ctx.ds = pydicom.dcmread(job.path)
    except InvalidDicomError as exc:
        ctx.ds = _forced(job.path)
        if ctx.ds is None:
            send(("done", "dcmread", "not DICOM", _describe(exc), 0.0, [], False))
            return
        send(("done", "dcmread", "read with force=True", _describe(exc), 0.0, [], False))
    except Exception as exc:
        send(("done", "dcmread", "not read", _describe(exc), 0.0, [], False))
        return
    for helper, step in FILE_STEPS.items():
        if helper in job.skip:
            continue
        send(("start", helper))
        started = time.perf_counter()
        try:
            result, check = step(ctx)
        except Exception as exc:
            send(
                (
                    "done",
                    helper,
                    classify(exc),
                    _describe(exc),
                    time.perf_counter() - started,
                    [],
                    _names(exc, job.path),
                )
            )
            continue
        seconds = time.perf_counter() - started
        if isinstance(result, str) and result == "n/a":
            send(("done", helper, "n/a", "", seconds, [], False))
            continue
        problems = []
        for one in check if isinstance(check, list) else [check] if check else []:
            try:
                one()
            except Problem as problem:
                problems.append((problem.kind, str(problem)))
            except Exception as exc:
                problems.append(("check error", _describe(exc)))
        send(("done", helper, "ok", "", seconds, problems, False))


def _worker(conn, dciodvfy: str | None, base: str | None) -> None:
    """Run the jobs the parent sends, reporting every call; quiet (no stdout/stderr)."""
    faulthandler.disable()  # pytest's handler would print a dying worker's stack
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        job = conn.recv()
        if job is None:
            return
        tmp = Path(tempfile.mkdtemp(prefix="job-", dir=base))
        try:
            if job.kind == "file":
                _run_file(job, tmp, dciodvfy, conn.send)
            else:
                _folder_steps(job.path, tmp, job.skip, conn.send)
        except Exception as exc:  # a bug in the sweep itself: reported, not hidden
            conn.send(("done", "(sweep)", "crash", _describe(exc), 0.0, [], False))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        conn.send(("end",))


class _Slot:
    """One worker process, the job it runs and the call it is in."""

    def __init__(self, context, dciodvfy, base):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, dciodvfy, base), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.helper: str | None = None
        self.since = 0.0
        self.done: set[str] = set()

    def give(self, job: Job) -> None:
        self.job, self.helper, self.done = job, None, set(job.skip)
        self.since = time.monotonic()
        self.conn.send(job)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def run(
    jobs: list[Job], dciodvfy: str | None, workers: int = WORKERS, tmp: Path | None = None
) -> list[Record]:
    """Every job in ``workers`` processes; one :class:`Record` per call.

    Each job writes into its own folder under ``tmp`` (default: the system's temporary
    folder), removed when the job ends.
    """
    base = str(tmp) if tmp is not None else None
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    queue = list(jobs)
    records: list[Record] = []
    slots = [_Slot(context, dciodvfy, base) for _ in range(workers)]

    def record(slot: _Slot, helper, status, message, seconds=0.0, problems=(), names=False):
        job = slot.job
        records.append(
            Record(job.source, job.rel, helper, status, message, seconds, list(problems), names)
        )
        slot.done.add(helper)

    def restart(slot: _Slot, why: str) -> _Slot:
        job = slot.job
        helper = slot.helper or ("dcmread" if job.kind == "file" and not slot.done else None)
        record(
            slot, helper or "(sweep, between calls)", "crash", why, time.monotonic() - slot.since
        )
        if helper is not None:  # the job goes on after the call that crashed
            remaining = Job(job.kind, job.source, job.root, job.path, frozenset(slot.done))
            queue.insert(0, remaining)
        slot.stop()
        return _Slot(context, dciodvfy, base)

    try:
        while queue or any(s.job for s in slots):
            for slot in slots:
                if slot.job is None and queue:
                    slot.give(queue.pop(0))
            busy = {s.conn: s for s in slots if s.job is not None}
            ready = wait(list(busy), timeout=1.0)
            for conn in ready:
                slot = busy[conn]
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    slot.process.join(5)
                    code = slot.process.exitcode
                    name = signal.Signals(-code).name if code and code < 0 else f"exit {code}"
                    slots[slots.index(slot)] = restart(slot, f"worker process died ({name})")
                    continue
                if message[0] == "start":
                    slot.helper, slot.since = message[1], time.monotonic()
                elif message[0] == "done":
                    _, helper, status, text, seconds, problems, names = message
                    record(slot, helper, status, text, seconds, problems, names)
                    slot.helper, slot.since = None, time.monotonic()
                else:  # "end"
                    slot.job = None
            now = time.monotonic()
            for index, slot in enumerate(slots):
                if slot.job is not None and now - slot.since > TIMEOUT:
                    slots[index] = restart(slot, f"no answer after {TIMEOUT:.0f} s (timeout)")
    finally:
        for slot in slots:
            if slot.process.is_alive() and slot.job is None:
                slot.conn.send(None)
            slot.stop()
    return records


# --------------------------------------------------------------------------- reports


def _helper_row(helper: str) -> str:
    """Table rows group the per-series calls: "load_series [1.2.3]" -> "load_series"."""
    return helper.split(" [")[0]


def table(records: list[Record]) -> str:
    """Calls, ok, refusals (and how many name the file), crashes and problems, by helper."""
    rows: dict[str, Counter] = {}
    for rec in records:
        if rec.status == "n/a" or rec.helper == "dcmread":
            continue
        row = rows.setdefault(_helper_row(rec.helper), Counter())
        row["calls"] += 1
        row[rec.status] += 1
        row["named"] += rec.names_file
        row["seconds"] += rec.seconds
        for kind, _ in rec.problems:
            row[kind] += 1
    columns = ["calls", "ok", "refusal", "named", "crash", *KINDS, "seconds"]
    heads = ["calls", "ok", "refusals", "(naming file)", "crashes", *KINDS, "s"]
    width = max(len(h) for h in rows) + 2
    lines = [f"{'helper':<{width}}" + " ".join(f"{h:>{max(len(h), 5)}}" for h in heads)]
    total = Counter()
    for helper, row in rows.items():
        total.update(row)
        lines.append(f"{helper:<{width}}" + _cells(row, columns, heads))
    lines.append(f"{'total':<{width}}" + _cells(total, columns, heads))
    return "\n".join(lines)


def _cells(row: Counter, columns, heads) -> str:
    cells = []
    for column, head in zip(columns, heads, strict=True):
        value = row[column]
        text = f"{value:.0f}" if column == "seconds" else str(value)
        cells.append(f"{text:>{max(len(head), 5)}}")
    return " ".join(cells)


def reading(records: list[Record]) -> str:
    """How many files pydicom read, which needed ``force=True``, which were not DICOM."""
    files = {r.where for r in records if not r.path.endswith("/")}
    notes = [r for r in records if r.helper == "dcmread"]
    unread = [r for r in notes if r.status != "read with force=True"]
    lines = [
        f"{len(files)} files, {len(files) - len(unread)} read by pydicom.dcmread "
        f"({len(notes) - len(unread)} of them only with force=True); {len(unread)} not:"
    ]
    lines += sorted(f"{r.where} ({r.status}: {r.message})" for r in unread)
    lines += ["read with force=True (no Part 10 header):"]
    lines += sorted(r.where for r in notes if r not in unread)
    return "\n    ".join(lines)


def slowest(records: list[Record], count: int = 10) -> str:
    """The files and folders whose calls took longest, with their seconds."""
    total = Counter()
    for rec in records:
        total[rec.where] += rec.seconds
    return ", ".join(f"{where} {seconds:.1f} s" for where, seconds in total.most_common(count))


def failures(records: list[Record]) -> list[str]:
    """One line per failing call: crashes, then every output problem; grouped by helper."""
    lines = []
    for rec in sorted(records, key=lambda r: (_helper_row(r.helper), r.where)):
        if rec.status == "crash":
            lines.append(f"{_helper_row(rec.helper)} | {rec.where} | crash | {rec.message}")
        for kind, message in rec.problems:
            lines.append(f"{_helper_row(rec.helper)} | {rec.where} | {kind} | {message}")
    return lines


def refusals(records: list[Record]) -> list[str]:
    """One line per refusal, for reading the messages (not a failure)."""
    return [
        f"{_helper_row(r.helper)} | {r.where} | refusal"
        f"{'' if r.names_file else ' (file not named)'} | {r.message}"
        for r in sorted(records, key=lambda r: (_helper_row(r.helper), r.where))
        if r.status == "refusal"
    ]
