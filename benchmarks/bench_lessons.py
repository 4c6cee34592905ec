"""Benchmark: how long each lesson takes to run from a fresh kernel, and all of them together.

Prints numbers; asserts nothing. Run from the repository root:

    python benchmarks/bench_lessons.py [--repeat N]

Each notebook in ``notebooks/`` runs top to bottom in a new kernel (nbclient), in a temporary
working folder, with the samples in a temporary ``BOOTCAMP_DATA_DIR`` written once before the
first run (a class prepares them; ``python -m bootcamp_utils.data --out DIR``). The time
counted is the kernel's start plus every cell, as a student waits for Run All. The budgets of
the course on its machine (2 cores): lessons 01-04 together under 60 s; lesson 06 alone
under 45 s, its Dask cluster's start included (issue 26).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_once(path: Path, work: Path) -> float:
    """Seconds to execute ``path`` in a fresh kernel with ``work`` as working folder."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(work)}}).execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per lesson (best is shown)")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="bench-lessons-data-")
    os.environ["BOOTCAMP_DATA_DIR"] = data
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    sys.path.insert(0, str(REPO))
    from bootcamp_utils.data import SAMPLES, sample_path

    for name in SAMPLES:  # written once, as a teacher prepares the machines
        sample_path(name)

    total = early = 0.0
    print(f"{'lesson':32} {'best s':>7}  runs")
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        times = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="bench-lesson-") as work:
                times.append(run_once(path, Path(work)))
        total += min(times)
        early += min(times) if path.name[:2] in ("01", "02", "03", "04") else 0.0
        shown = " ".join(f"{t:.1f}" for t in times)
        budget = "  (budget 45 s)" if path.name.startswith("06") else ""
        print(f"{path.name:32} {min(times):7.1f}  {shown}{budget}")
    print(f"{'lessons 01-04':32} {early:7.1f}  (budget 60 s)")
    print(f"{'all lessons':32} {total:7.1f}")


if __name__ == "__main__":
    main()
