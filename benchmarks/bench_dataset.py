"""Benchmark: write_dataset on the course's head_ct copied N times, serial / 2 processes / Dask.

Prints numbers; asserts nothing (timings are not tests). Run from the repository root:

    python benchmarks/bench_dataset.py [--copies 8] [--spacing 2]

Each copy is its own folder of the 40 files of ``sample_path("head_ct")`` (256 x 256,
0.94 x 0.94 x 4 mm), so every job reads its own files. Each mode writes into a fresh
folder: serial (``executor=None``), ``ProcessPoolExecutor(2)`` and a Dask LocalCluster
(n_workers=2, threads_per_worker=1, processes=True, as in lesson 06; its start-up and the
workers' first imports are timed apart: a forked ProcessPoolExecutor inherits the parent's
imported modules, Dask's spawned workers import them afresh). A second serial run over the
finished folder times the resumable skip. Series/s counts the conversion only (pool and
cluster start excluded, shown on their own lines). Measured (idle 2-CPU machine, 8 copies, no
resampling): serial 2.65 series/s, ProcessPoolExecutor(2) 5.6, Dask 4.5 (+0.8 s start,
+0.7 s worker imports); the skip of 8 finished series 0.01 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _copies(n: int, root: Path):
    import pandas as pd
    from pydicom import dcmread

    from bootcamp_utils import sample_path

    source = sorted(sample_path("head_ct").glob("*.dcm"))
    uid = str(dcmread(source[0], stop_before_pixels=True).SeriesInstanceUID)
    rows = []
    for k in range(n):
        folder = root / f"copy{k:02d}"
        folder.mkdir(parents=True)
        files = [Path(shutil.copy(p, folder / p.name)) for p in source]
        rows.append({"series_uid": f"{uid}.{k}", "files": files, "split": "train"})
    return pd.DataFrame(rows)


def _import_dataset() -> None:
    import bootcamp_utils.dataset  # noqa: F401


def _timed(label: str, n: int, run) -> None:
    start = time.perf_counter()
    report = run()
    seconds = time.perf_counter() - start
    assert not report.failed, str(report)
    done = len(report.converted) or len(report.skipped)
    print(f"{label:<28} {seconds:6.2f} s  {done / seconds:6.2f} series/s  ({done} of {n})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--spacing", type=float, default=None, help="mm; default: no resampling")
    args = parser.parse_args()

    from bootcamp_utils.dataset import write_dataset

    n, spacing = args.copies, args.spacing
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {n} x head_ct (40 files), "
        f"spacing={spacing}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        jobs = _copies(n, root / "archive")
        write_dataset(jobs.iloc[:1], root / "warm", progress=False)  # imports, file cache

        _timed(
            "serial",
            n,
            lambda: write_dataset(jobs, root / "serial", spacing=spacing, progress=False),
        )
        _timed(
            "serial again (all skipped)",
            n,
            lambda: write_dataset(jobs, root / "serial", spacing=spacing, progress=False),
        )

        start = time.perf_counter()
        with ProcessPoolExecutor(2) as pool:
            pool.submit(int).result()
            print(f"{'  process pool start':<28} {time.perf_counter() - start:6.2f} s")
            _timed(
                "ProcessPoolExecutor(2)",
                n,
                lambda: write_dataset(
                    jobs, root / "procs", spacing=spacing, executor=pool, progress=False
                ),
            )

        from distributed import Client, LocalCluster

        start = time.perf_counter()
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        )
        client = Client(cluster)
        print(f"{'  Dask LocalCluster start':<28} {time.perf_counter() - start:6.2f} s")
        try:
            start = time.perf_counter()
            client.run(_import_dataset)  # fresh worker processes: imports not yet done
            print(f"{'  Dask workers import':<28} {time.perf_counter() - start:6.2f} s")
            _timed(
                "Dask LocalCluster(2)",
                n,
                lambda: write_dataset(
                    jobs, root / "dask", spacing=spacing, executor=client, progress=False
                ),
            )
        finally:
            client.close()
            cluster.close()


if __name__ == "__main__":
    main()
