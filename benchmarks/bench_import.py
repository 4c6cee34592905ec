"""Benchmark: how long ``import bootcamp_utils`` takes, and which modules cost the most.

Prints numbers; asserts nothing (tests/test_api.py checks *what* the import loads, not how
fast). No network, no browser:

    python benchmarks/bench_import.py [--repeat N] [--module NAME]

Every run is a fresh interpreter (``python -X importtime -c "import bootcamp_utils"``), run
from a temporary folder with the checkout on ``PYTHONPATH``, so nothing is cached in memory
between runs (the operating system's file cache is warm after the first one: the first run
is reported separately). Two numbers per run:

* **wall**: the whole subprocess, interpreter start-up included (what a learner waits for
  when a kernel starts and runs the first import cell);
* **import**: the cumulative time ``-X importtime`` reports for the module itself.

Then the ten modules with the largest cumulative time in the median run, at any depth: the
places to look when the import gets slow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(module: str, cwd: str) -> tuple[float, list[tuple[int, int, str]]]:
    """One fresh interpreter: (wall seconds, [(self us, cumulative us, module), ...])."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - start
    rows = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(own), int(cumulative), name.rstrip()))
    return wall, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh interpreters (default 7)")
    parser.add_argument("--module", default="bootcamp_utils", help="what to import")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_import_") as cwd:
        baseline = [_run("sys", cwd)[0] for _ in range(3)]  # the interpreter alone
        first = _run(args.module, cwd)
        runs = [_run(args.module, cwd) for _ in range(args.repeat)]

    def imported(rows) -> float:
        return next(c for _, c, name in rows if name.strip() == args.module) / 1e6

    walls = sorted(wall for wall, _ in runs)
    imports = sorted(imported(rows) for _, rows in runs)
    print(f"import {args.module}: {args.repeat} fresh interpreters (after one first run)")
    print(f"  first run      wall {first[0]:.3f} s, import {imported(first[1]):.3f} s")
    print(
        f"  wall   median {statistics.median(walls):.3f} s  min {walls[0]:.3f} s  "
        f"max {walls[-1]:.3f} s"
    )
    print(
        f"  import median {statistics.median(imports):.3f} s  min {imports[0]:.3f} s  "
        f"max {imports[-1]:.3f} s"
    )
    print(f"  bare interpreter (python -c 'import sys'): {statistics.median(baseline):.3f} s")

    median_run = min(runs, key=lambda r: abs(imported(r[1]) - statistics.median(imports)))[1]
    loaded = {name.strip() for _, _, name in median_run}
    print(
        "  heavy optional packages loaded: "
        + (
            ", ".join(
                p
                for p in (
                    "anywidget",
                    "ipywidgets",
                    "IPython",
                    "matplotlib",
                    "nibabel",
                    "dicom2nifti",
                )
                if p in loaded
            )
            or "none"
        )
    )
    print("top 10 modules by cumulative import time (median run):")
    print(f"  {'cumulative':>10}  {'self':>8}  module (indent = depth)")
    for own, cumulative, name in sorted(median_run, key=lambda r: -r[1])[:10]:
        print(f"  {cumulative / 1000:8.1f} ms  {own / 1000:6.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
