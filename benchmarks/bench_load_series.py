"""Benchmark: load_series against dcm2niix and dicom2nifti on a 200-slice 512 x 512 CT series.

Prints numbers; asserts nothing (timings are not tests). Run from the repository root:

    python benchmarks/bench_load_series.py [--slices 200] [--repeat 3]

Each tool converts the same folder, once to warm the file cache and then ``--repeat`` times;
the median is reported. dcm2niix writes an uncompressed .nii (``-z n``), dicom2nifti too
(``compression=False``); load_series builds the image in memory and, for a like-for-like
figure, also saves it as .nii. Also times the first generation of the course's samples.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path


def _median_time(func, repeat: int) -> float:
    func()  # warm-up: file cache, imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=200)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import nibabel as nib
    import numpy as np

    import bootcamp_utils
    from bootcamp_utils.data._samples import write_ct_series

    work = Path(tempfile.mkdtemp(prefix="bench_load_series_"))
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bootcamp_utils.data", "--out", str(work / "s")],
                       check=True, capture_output=True)
        print(f"first generation of all samples (new process, incl. imports): "
              f"{time.perf_counter() - start:.2f} s")

        series = work / "series"
        spacing = 240.0 / args.size
        start = time.perf_counter()
        write_ct_series(series, shape=(args.slices, args.size, args.size),
                        first_position=(-120 + spacing / 2, -112 + spacing / 2, -70.0),
                        pixel_spacing=(spacing, spacing), slice_step=(0.0, 0.0, 1.0),
                        name="benchmark")
        size_mb = sum(p.stat().st_size for p in series.iterdir()) / 1e6
        print(f"wrote {args.slices} slices of {args.size} x {args.size} ({size_mb:.0f} MB) "
              f"in {time.perf_counter() - start:.1f} s")
        print(f"machine: {platform.processor() or platform.machine()}, Python "
              f"{platform.python_version()}, bootcamp_utils {bootcamp_utils.__version__}")

        results: dict[str, float] = {}

        def ours() -> None:
            bootcamp_utils.load_series(series, progress=False)

        def ours_and_save() -> None:
            image = bootcamp_utils.load_series(series, progress=False)
            nib.save(image, work / "ours.nii")

        results["load_series (in memory)"] = _median_time(ours, args.repeat)
        results["load_series + save .nii"] = _median_time(ours_and_save, args.repeat)

        if shutil.which("dcm2niix"):
            out = work / "dcm2niix"
            out.mkdir()

            def dcm2niix() -> None:
                subprocess.run(["dcm2niix", "-z", "n", "-b", "n", "-w", "1", "-f", "x",
                                "-o", str(out), str(series)], check=True, capture_output=True)

            results["dcm2niix (-z n)"] = _median_time(dcm2niix, args.repeat)
        else:
            print("dcm2niix not found (apt-get install dcm2niix): skipped")

        try:
            import dicom2nifti
            import dicom2nifti.settings

            out = work / "dicom2nifti"
            out.mkdir()

            def d2n() -> None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    dicom2nifti.dicom_series_to_nifti(str(series), str(out / "x.nii"),
                                                      reorient_nifti=False)

            results["dicom2nifti"] = _median_time(d2n, args.repeat)
        except ImportError:
            print("dicom2nifti not installed: skipped")

        reference = results.get("dcm2niix (-z n)")
        print(f"\nmedian of {args.repeat} runs after one warm-up:")
        for name, seconds in results.items():
            ratio = f"{seconds / reference:5.2f} x dcm2niix" if reference else ""
            print(f"  {name:<26} {seconds:6.3f} s  {ratio}")

        image = bootcamp_utils.load_series(series, progress=False)
        voxels = np.prod(image.shape)
        print(f"\nvolume {image.shape}, {voxels * 4 / 1e6:.0f} MB as float32")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
