"""Benchmark: ``bootcamp_utils.validate`` per file on the 200-file study of bench_deid.

Prints numbers; asserts nothing. Run from the repository root:

    python benchmarks/bench_validate.py [--repeat N]

The lessons' checks run ``validate`` on every file a student writes, and lesson 02 runs it on
whole folders, so it must stay in the low milliseconds. The folder is ``build_study200`` of
``benchmarks/bench_deid.py`` (one patient, 7 series, 200 CT/MR/localizer files). Printed: the
best and median time of ``validate`` over the already-read data sets, and the time with
``dcmread`` included, in ms per file.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pydicom

sys.path.insert(0, str(Path(__file__).parent))
from bench_deid import build_study200  # noqa: E402

from bootcamp_utils.validation import validate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        files = sorted(build_study200(Path(tmp) / "study200"))
        data_sets = [pydicom.dcmread(p) for p in files]
        problems = sum(len(validate(ds)) for ds in data_sets)  # warm-up, and a sanity count
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            for ds in data_sets:
                validate(ds)
            times.append(1000 * (time.perf_counter() - start) / len(data_sets))
        start = time.perf_counter()
        for path in files:
            validate(pydicom.dcmread(path))
        with_read = 1000 * (time.perf_counter() - start) / len(files)
    print(f"{len(files)} files, {problems} problems found")
    print(f"validate: best {min(times):.2f} ms/file, median {statistics.median(times):.2f}")
    print(f"dcmread + validate: {with_read:.2f} ms/file")


if __name__ == "__main__":
    main()
