"""Measure: does ``deidentify`` add dciodvfy errors to real files? (issue 24, item 5)

For every file of pydicom's test files, of ``pydicom-data`` (both found by
``pydicom.data.get_testdata_files()``) and of ``deid-data`` that ``pydicom.dcmread`` reads
and :func:`bootcamp_utils.deid.deidentify` accepts, the de-identified copy is written
(``save_as(..., enforce_file_format=True)``; as the original was written when its file
meta lacks what that needs) and ``dciodvfy`` is run on the original and
on the copy. The error count is the number of lines that start with ``Error``. Printed: one
line per file whose count went up (with the new error lines), then the totals. Files
``deidentify`` refuses (a DICOMDIR, a file it cannot de-identify) are counted as refused,
with the reason's first line. A Deflated file (which dciodvfy cannot read) is measured as
the data set zlib inflates from it, written explicit VR little endian, before and after.

Run from the repository root (two processes; 280 files in about 15 s here):

    python benchmarks/bench_deid_dciodvfy.py [--show-all] [--processes N]

Exit status 1 when any file has more errors after than before.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import subprocess
import sys
import tempfile
import warnings
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def candidate_files() -> list[Path]:
    """pydicom's test files and pydicom-data's, then every file of deid-data."""
    from pydicom.data import get_testdata_files

    files = [Path(p) for p in get_testdata_files()]
    try:
        import deid_data
    except ImportError:
        return sorted(set(files))
    for root in deid_data.__path__:
        files += [p for p in Path(root).rglob("*") if p.is_file() and p.suffix != ".py"]
    return sorted(set(files))


def _plain_copy(path: Path, out: Path) -> Path:
    """``path`` itself, or for a Deflated file its inflated data set written to ``out``."""
    from pydicom import dcmread
    from pydicom.filereader import _read_file_meta_info, read_dataset, read_preamble
    from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian

    ds = dcmread(path, stop_before_pixels=True)
    meta = getattr(ds, "file_meta", None)
    if meta is None or meta.get("TransferSyntaxUID") != DeflatedExplicitVRLittleEndian:
        return path
    raw = path.read_bytes()
    with open(path, "rb") as f:
        read_preamble(f, False)
        _read_file_meta_info(f)
        end = f.tell()
    plain = read_dataset(io.BytesIO(zlib.decompress(raw[end:], -15)), False, True)
    plain.file_meta = meta
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    plain.save_as(out, enforce_file_format=True)
    return out


def dciodvfy_errors(path: Path) -> list[str]:
    """The lines of dciodvfy's output (stdout and stderr) that start with ``Error``."""
    with tempfile.TemporaryDirectory() as tmp:
        plain = _plain_copy(path, Path(tmp) / "inflated.dcm")
        result = subprocess.run(
            ["dciodvfy", str(plain)], capture_output=True, text=True, errors="replace", timeout=120
        )
    return [
        line for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")
    ]


def measure(path: Path) -> tuple[str, str, list[str], list[str]]:
    """(path, status, errors before, errors after); status 'ok', 'unread' or 'refused: ...'."""
    from pydicom import dcmread

    from bootcamp_utils.deid import deidentify

    try:
        ds = dcmread(path)
    except Exception as exc:  # noqa: BLE001 - not a file dcmread reads: not measured
        return str(path), f"unread: {type(exc).__name__}", [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            clean = deidentify(ds, key="bench")
        except Exception as exc:  # noqa: BLE001 - a refusal: counted, not measured
            first = str(exc).splitlines()[0][:120] if str(exc) else ""
            return str(path), f"refused: {type(exc).__name__}: {first}", [], []
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "clean.dcm"
            try:
                clean.save_as(out, enforce_file_format=True)
            except AttributeError:  # no file meta to complete (as the original): as it was
                clean.save_as(out)
            except Exception as exc:  # noqa: BLE001 - cannot be written: a defect to show
                return str(path), f"unwritable: {type(exc).__name__}: {exc}", [], []
            after = dciodvfy_errors(out)
    return str(path), "ok", dciodvfy_errors(path), after


def _new_errors(before: list[str], after: list[str]) -> list[str]:
    """The error lines of ``after`` not in ``before`` (as many times as they were added)."""
    left = list(before)
    new = []
    for line in after:
        if line in left:
            left.remove(line)
        else:
            new.append(line)
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-all", action="store_true", help="one line per file")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)
    files = candidate_files()
    with multiprocessing.Pool(args.processes) as pool:
        results = pool.map(measure, files, chunksize=4)
    worse = refused = measured = 0
    total_new = 0
    for path, status, before, after in results:
        name = path.split("site-packages/")[-1]
        if status != "ok":
            if status.startswith("refused") or status.startswith("unwritable"):
                refused += 1
                print(f"{status[:200]:<60}  {name}")
            continue
        measured += 1
        delta = len(after) - len(before)
        if delta > 0:
            worse += 1
            total_new += delta
        if delta > 0 or args.show_all:
            print(f"{len(before):4d} -> {len(after):4d} ({delta:+d})  {name}")
            for line in _new_errors(before, after)[:12]:
                print(f"          + {line}")
    print(
        f"\n{len(files)} files; {measured} read and de-identified; {refused} refused or "
        f"unwritable; {worse} with more dciodvfy errors after ({total_new} new errors)"
    )
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
