"""Run the course notebooks the way a learner does, and say what went wrong.

``run_notebook`` executes an in-memory copy of a notebook (the file is never written) in a fresh
``python3`` kernel of the current interpreter, with a given working directory and
``MPLBACKEND=Agg``. Every cell runs (``allow_errors=True``), then each code cell is judged:

* an error in a cell without the tag ``raises-exception`` is a failure;
* a cell tagged ``raises-exception`` that ran without an error is a failure too: the lesson
  meant to show that error.

Cell indices in messages are 0-based positions in ``notebook.cells`` (markdown cells count).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

RAISES_TAG = "raises-exception"
KERNEL_NAME = "python3"


@dataclass
class NotebookRun:
    """The outcome of ``run_notebook``."""

    path: Path
    notebook: nbformat.NotebookNode  # the executed in-memory copy, with outputs
    seconds: float
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _first_line(source: str, width: int = 80) -> str:
    lines = [line for line in source.splitlines() if line.strip()]
    line = lines[0].strip() if lines else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def stored_outputs(nb_path: str | os.PathLike) -> list[int]:
    """Indices of code cells with stored outputs or an execution count (should be none)."""
    nb = nbformat.read(os.fspath(nb_path), as_version=4)
    return [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


def cell_failures(nb: nbformat.NotebookNode, skip: Iterable[int] = ()) -> list[str]:
    """Failures of an executed notebook, judged cell by cell (see the module docstring).

    Cells whose index is in ``skip`` are not judged.
    """
    skip = set(skip)
    failures = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or index in skip:
            continue
        tagged = RAISES_TAG in cell.get("metadata", {}).get("tags", [])
        errors = [out for out in cell.get("outputs", []) if out.output_type == "error"]
        if errors and not tagged:
            failures.extend(f"{_where(nb, index)}: {err.ename}: {err.evalue}" for err in errors)
        elif tagged and not errors and cell.get("execution_count") is not None:
            # Cells that never ran (execution stopped earlier, skip-execution tag) are not
            # judged here; a stopped run is reported as its own failure.
            failures.append(f"{_where(nb, index)}: tagged {RAISES_TAG!r} but raised no exception")
    return failures


def _where(nb: nbformat.NotebookNode, index: int) -> str:
    return f"cell {index} ({_first_line(nb.cells[index].source)!r})"


def run_notebook(
    nb_path: str | os.PathLike,
    workdir: str | os.PathLike,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
) -> NotebookRun:
    """Execute a copy of ``nb_path`` in a fresh kernel whose working directory is ``workdir``.

    ``timeout`` is nbclient's limit per cell, in seconds. ``env`` adds to (or overrides) the
    kernel's environment, which is otherwise this process's plus ``MPLBACKEND=Agg``. A timeout
    or a dead kernel stops the run; it is reported as a failure naming the cell, not raised.
    """
    path = Path(nb_path)
    workdir = Path(workdir)
    if not workdir.is_dir():
        raise NotADirectoryError(f"workdir {workdir} is not an existing directory")
    nb = nbformat.read(os.fspath(path), as_version=4)  # in memory: the file is never written

    kernel_env = dict(os.environ)
    kernel_env["MPLBACKEND"] = "Agg"
    kernel_env.update(env or {})

    current: list[int] = []  # index of the cell being executed

    def on_cell_execute(cell: nbformat.NotebookNode, cell_index: int) -> None:
        current[:] = [cell_index]

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
        on_cell_execute=on_cell_execute,
    )
    stopped: list[str] = []
    start = time.perf_counter()
    try:
        client.execute(env=kernel_env)  # passed on to KernelManager.start_kernel
    except (CellTimeoutError, DeadKernelError) as exc:
        where = _where(client.nb, current[0]) if current else "before the first cell"
        not_run = sum(
            1
            for cell in client.nb.cells[current[0] + 1 if current else 0 :]
            if cell.cell_type == "code" and cell.source.strip()
        )
        stopped.append(
            f"{where}: {type(exc).__name__}: {_first_line(str(exc), 200)}"
            f" (the run stopped; {not_run} later code cell(s) did not run)"
        )
    seconds = time.perf_counter() - start
    # The cell that stopped the run may also carry the KeyboardInterrupt nbclient's interrupt
    # left in it: that is the same failure, reported once above.
    failures = stopped + cell_failures(client.nb, skip=current if stopped else ())
    return NotebookRun(path, client.nb, seconds, failures)


# --- checking that a run wrote nothing where it should not --------------------------------

DEFAULT_SNAPSHOT_EXCLUDES = (
    ".git",
    ".pytest_cache",
    ".ruff_cache",
    "__pycache__",
    ".ipynb_checkpoints",
    "data/generated",
    # the tests' own screenshots and reports (gitignored), which another xdist worker may be
    # writing while a notebook or a build runs
    "test-artifacts/",
)


def tree_snapshot(
    root: str | os.PathLike, exclude: Iterable[str] = DEFAULT_SNAPSHOT_EXCLUDES
) -> dict[str, tuple[int, int]]:
    """``{relative posix path: (size, mtime_ns)}`` of every file under ``root``.

    An ``exclude`` entry without ``/`` drops directories of that name at any depth; one with
    ``/`` drops that relative path.
    """
    root = Path(root)
    names = {e for e in exclude if "/" not in e}
    paths = {e.strip("/") for e in exclude if "/" in e}
    snapshot: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        dirnames[:] = [
            d for d in dirnames if d not in names and (rel_dir / d).as_posix() not in paths
        ]
        for name in filenames:
            try:
                stat = (Path(dirpath) / name).stat()
            except FileNotFoundError:  # removed while walking
                continue
            snapshot[(rel_dir / name).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return snapshot


def snapshot_changes(
    before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]]
) -> list[str]:
    """Human-readable list of files added, removed or modified between two snapshots."""
    changes = [f"added {p}" for p in sorted(after.keys() - before.keys())]
    changes += [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    changes += [
        f"modified {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]
    ]
    return changes
