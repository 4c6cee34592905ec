"""Benchmark: index_archive against a bare ``dcmread(path, stop_before_pixels=True)`` loop.

Prints numbers; asserts nothing (timings are not tests). Run from the repository root:

    python benchmarks/bench_index.py [--repeat 5] [--folder PATH]

The folder is lesson 06's archive (``sample_path("ml_archive")``) when the package has it,
else ``--series`` generated axial CT series of 35 slices of 64 x 64 in a temporary folder
(about the same number of files). Both take turns over the same files, once to warm the
file cache and then ``--repeat`` times; median and minimum are reported, and the ratio of
the medians (the target is 1.5 or less). The bare loop reads headers and nothing else; the
index also walks the folder, checks each file for truncation (the package's damaged-file
rule), reads some twenty values and builds three pandas tables.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _files(folder: Path) -> list[Path]:
    found = []
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(top, n) for n in sorted(names) if not n.startswith(".")]
    return found


def _bare(files: list[Path]) -> None:
    from pydicom import dcmread

    for path in files:  # a bare loop over a real archive must survive its junk too
        with contextlib.suppress(Exception):
            dcmread(path, stop_before_pixels=True)


def _folder(args, tmp: Path) -> tuple[Path, str]:
    if args.folder:
        return Path(args.folder), "given folder"
    from bootcamp_utils import sample_path
    from bootcamp_utils.data import DataError

    try:
        return sample_path("ml_archive"), "ml_archive sample"
    except DataError:
        from bootcamp_utils.data._samples import write_ct_series

        for k in range(args.series):
            write_ct_series(
                tmp / f"s{k:02d}", shape=(35, 64, 64), pixel_spacing=(3.5, 3.5), name=f"b{k}"
            )
        return tmp, f"{args.series} generated CT series (ml_archive not available)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--series", type=int, default=36)
    parser.add_argument("--folder")
    args = parser.parse_args()

    from bootcamp_utils.archive import index_archive

    with tempfile.TemporaryDirectory() as tmp:
        folder, what = _folder(args, Path(tmp))
        files = _files(folder)
        runs = {
            "bare dcmread loop": lambda: _bare(files),
            "index_archive": lambda: index_archive(folder, progress=False),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        for run in runs.values():  # warm the file cache and the imports
            run()
        for _ in range(args.repeat):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
        index = index_archive(folder, progress=False)

    print(f"{what}: {len(files)} files, {index}")
    print(f"Python {sys.version.split()[0]}, {args.repeat} runs each, taking turns")
    for name, values in times.items():
        print(
            f"  {name:18s} median {statistics.median(values):.3f} s, min {min(values):.3f} s"
            f" ({1000 * statistics.median(values) / len(files):.2f} ms a file)"
        )
    bare, index_time = (statistics.median(v) for v in times.values())
    print(f"  ratio index / bare: {index_time / bare:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
