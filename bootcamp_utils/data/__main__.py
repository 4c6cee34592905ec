"""``python -m bootcamp_utils.data [--out DIR]``: write every generated sample and say where."""

from __future__ import annotations

import argparse
import time

from . import SAMPLES, data_dir, write_samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bootcamp_utils.data",
        description="Write the course's generated DICOM samples (for offline machines).",
    )
    parser.add_argument("--out", help=f"folder to write to (default: {data_dir()})")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    root = write_samples(args.out)
    for name in SAMPLES:
        folder = root / name
        n_files = sum(1 for p in folder.rglob("*") if p.is_file())
        print(f"{name:<18} {n_files:3d} files  {folder}")
    print(f"Samples are in {root} ({time.perf_counter() - start:.1f} s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
