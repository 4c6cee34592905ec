"""Benchmark: load_series against dcm2niix and dicom2nifti on a 200-slice 512 x 512 CT series.

Prints numbers; asserts nothing (timings are not tests). Run from the repository root:

    python benchmarks/bench_load_series.py [--slices 200] [--repeat 3] [--volumes 50]

A second, 4-D case: ``--volumes`` volumes of 30 slices of 64 x 64 at the same positions (an
fMRI-sized series of many small files, 1500 by default), against dcm2niix (dicom2nifti
reads 4-D series only from some vendors' headers, so it is left out there). Measured here
(PYTHONPATH=. so the checkout is timed, not an installed copy): 3-D 0.87 x dcm2niix in memory,
1.34 x with the .nii written; 4-D 1500 files 0.725 s against 0.156 s, 4.65 x (7.4 x before the
cycle collector was paused, small pixel data read with the header and DS/IS numbers parsed
from their text). What is left is mostly pydicom's dcmread itself, about 0.24 ms a file:
1500 files take 0.36 s, twice dcm2niix's whole conversion, before any value is used; so the
2 x target is out of reach for a single-process pydicom reader on this case.

Each tool converts the same folder, once to warm the file cache and then ``--repeat`` times,
the tools taking turns; median and minimum are reported. dcm2niix writes an uncompressed
.nii (``-z n``), dicom2nifti too; load_series builds the image in memory and, for a
like-for-like figure, also saves it as .nii. Also times the first generation of the
course's samples.
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


def _interleaved(funcs: dict, repeat: int) -> dict[str, list[float]]:
    """Time every function ``repeat`` times, taking turns, after one warm-up call each.

    Taking turns spreads slow moments of the machine (page-cache or memory reclaim, other
    processes) over every tool instead of penalising whichever ran then.
    """
    for func in funcs.values():
        func()
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return times


def _report(times: dict[str, list[float]], repeat: int) -> None:
    reference = times.get("dcm2niix (-z n)")
    print(f"\n{repeat} runs each, taking turns, after one warm-up; seconds:")
    print(f"  {'':<26} {'median':>7} {'min':>7}   ratio to dcm2niix (median, min)")
    for name, values in times.items():
        med, low = statistics.median(values), min(values)
        ratio = (
            f"{med / statistics.median(reference):5.2f} x, {low / min(reference):5.2f} x"
            if reference
            else ""
        )
        print(f"  {name:<26} {med:7.3f} {low:7.3f}   {ratio}")


def _dcm2niix(series: Path, out: Path) -> None:
    subprocess.run(
        ["dcm2niix", "-z", "n", "-b", "n", "-w", "1", "-f", "x", "-o", str(out), str(series)],
        check=True,
        capture_output=True,
    )


def _write_4d(folder: Path, volumes: int, slices: int = 30, size: int = 64) -> int:
    """``volumes`` copies of one small CT series at the same positions, numbered in time."""
    import numpy as np
    from pydicom import dcmread

    from bootcamp_utils.data._samples import write_ct_series

    first = folder / "first"
    write_ct_series(
        first,
        shape=(slices, size, size),
        first_position=(-118.125, -110.125, -40.0),
        pixel_spacing=(3.75, 3.75),
        slice_step=(0.0, 0.0, 4.0),
        name="benchmark4d",
    )
    rng = np.random.default_rng(1)
    for k, path in enumerate(sorted(first.iterdir())):
        ds = dcmread(path)
        pixels = ds.pixel_array
        for t in range(volumes):
            ds.SOPInstanceUID = f"{ds.SeriesInstanceUID}.{t + 1}.{k + 1}"
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.AcquisitionNumber = t + 1
            ds.InstanceNumber = t * slices + k + 1
            noisy = pixels + rng.integers(0, 8, pixels.shape)
            ds.PixelData = noisy.astype("<u2").tobytes()
            ds.save_as(folder / f"IM{t * slices + k + 1:05d}", enforce_file_format=True)
    shutil.rmtree(first)
    return volumes * slices


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=200)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--volumes", type=int, default=50, help="4-D case; 0 or 1 skips it")
    args = parser.parse_args()

    import nibabel as nib
    import numpy as np

    import bootcamp_utils
    from bootcamp_utils.data._samples import write_ct_series

    # On tmpfs when there is one: the tools then write to memory, so the figures measure
    # conversion, not the disk's write-back (which varied by 2x between runs here).
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and shutil.disk_usage(shm).free > 2e9 else None
    work = Path(tempfile.mkdtemp(prefix="bench_load_series_", dir=base))
    print(f"working folder: {work}")
    try:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bootcamp_utils.data", "--out", str(work / "s")],
            check=True,
            capture_output=True,
        )
        print(
            f"first generation of all samples (new process, incl. imports): "
            f"{time.perf_counter() - start:.2f} s"
        )

        series = work / "series"
        spacing = 240.0 / args.size
        start = time.perf_counter()
        write_ct_series(
            series,
            shape=(args.slices, args.size, args.size),
            first_position=(-120 + spacing / 2, -112 + spacing / 2, -70.0),
            pixel_spacing=(spacing, spacing),
            slice_step=(0.0, 0.0, 1.0),
            name="benchmark",
        )
        size_mb = sum(p.stat().st_size for p in series.iterdir()) / 1e6
        print(
            f"wrote {args.slices} slices of {args.size} x {args.size} ({size_mb:.0f} MB) "
            f"in {time.perf_counter() - start:.1f} s"
        )
        print(
            f"machine: {platform.processor() or platform.machine()}, Python "
            f"{platform.python_version()}, bootcamp_utils {bootcamp_utils.__version__}"
        )

        tools: dict[str, object] = {}

        def ours() -> None:
            bootcamp_utils.load_series(series, progress=False)

        def ours_and_save() -> None:
            image = bootcamp_utils.load_series(series, progress=False)
            nib.save(image, work / "ours.nii")

        tools["load_series (in memory)"] = ours
        tools["load_series + save .nii"] = ours_and_save

        if shutil.which("dcm2niix"):
            out = work / "dcm2niix"
            out.mkdir()

            def dcm2niix() -> None:
                subprocess.run(
                    [
                        "dcm2niix",
                        "-z",
                        "n",
                        "-b",
                        "n",
                        "-w",
                        "1",
                        "-f",
                        "x",
                        "-o",
                        str(out),
                        str(series),
                    ],
                    check=True,
                    capture_output=True,
                )

            tools["dcm2niix (-z n)"] = dcm2niix
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
                    dicom2nifti.dicom_series_to_nifti(
                        str(series), str(out / "x.nii"), reorient_nifti=False
                    )

            tools["dicom2nifti"] = d2n
        except ImportError:
            print("dicom2nifti not installed: skipped")

        _report(_interleaved(tools, args.repeat), args.repeat)
        image = bootcamp_utils.load_series(series, progress=False)
        voxels = np.prod(image.shape)
        print(f"\nvolume {image.shape}, {voxels * 4 / 1e6:.0f} MB as float32")

        if args.volumes > 1:
            series4d = work / "series4d"
            start = time.perf_counter()
            n_files = _write_4d(series4d, args.volumes)
            print(
                f"\n4-D case: wrote {args.volumes} volumes x 30 slices of 64 x 64 "
                f"({n_files} files) in {time.perf_counter() - start:.1f} s"
            )
            tools4d: dict[str, object] = {
                "load_series (in memory)": lambda: bootcamp_utils.load_series(
                    series4d, progress=False
                )
            }
            if shutil.which("dcm2niix"):
                out4d = work / "dcm2niix4d"
                out4d.mkdir()
                tools4d["dcm2niix (-z n)"] = lambda: _dcm2niix(series4d, out4d)
            _report(_interleaved(tools4d, args.repeat), args.repeat)
            image = bootcamp_utils.load_series(series4d, progress=False)
            print(f"\nvolume {image.shape}, zooms {image.header.get_zooms()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
