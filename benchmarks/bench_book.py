"""Benchmark: how long ``jupyter-book build book/`` takes from scratch, notebooks executed.

Prints numbers; asserts nothing (timings are not tests). Run from the repository root:

    python benchmarks/bench_book.py [--repeat 3]

Each run builds into a new temporary folder (``--path-output``), so nothing is cached
between runs: every notebook runs from a fresh kernel, as in CI. Also reports the size of the
built site and of its largest parts.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from jupyter_book.cli.main import main; sys.exit(main())"


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-c", _MAIN, "build", str(REPO / "book"), "--path-output", out],
                capture_output=True,
                text=True,
                env=env,
            )
            times.append(time.perf_counter() - start)
            if run.returncode:
                sys.exit(f"build failed:\n{(run.stdout + run.stderr)[-3000:]}")
            html = Path(out) / "_build" / "html"
            parts = {name: _size(html / name) for name in ("_static", "_images")}
            total = _size(html)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"jupyter-book build book/ from scratch: median {statistics.median(times):.1f} s, "
        f"min {min(times):.1f} s over {len(times)} runs"
    )
    print(
        f"site: {total / 1e6:.1f} MB ("
        + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in parts.items())
        + ")"
    )


if __name__ == "__main__":
    main()
