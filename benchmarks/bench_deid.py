"""Benchmark: the course's de-identifier side by side with dicognito and pydicom/deid.

Prints numbers; asserts nothing. Run from the repository root:

    python benchmarks/bench_deid.py [--folder PATH ...]

Input sets: the course samples ``identified_study`` and ``head_ct`` (40 slices of one series:
timing and grouping), when the ``deid-data`` package is installed its ``humans/`` and
``dicom-cookies/`` files, and any ``--folder`` given (every file under it must be DICOM), e.g.
a 200-file study for the timing comparison of issue 13. Tools, each writing into its own
temporary folder (inputs are never changed):

- ``bootcamp``: ``bootcamp_utils.deid.deidentify`` file by file, one key;
- ``dicognito``: one ``dicognito.anonymizer.Anonymizer`` per input set (``pip install
  dicognito``);
- ``deid``: pydicom/deid's default recipe, ``get_identifiers`` then ``replace_identifiers``
  over the set (``pip install deid``).

Neither dicognito nor deid is a requirement of the course: install them to run this.

Columns, per input set and tool (``input`` is the untouched originals, as a baseline):

- ``left``: identifying values found in the output files by a byte search: every original
  value (>= 4 characters) of an attribute whose PS3.15 E.1-1 Basic Profile action
  (``bootcamp_utils.deid.table.action_for``) is not K, and every original UID under action
  U, at any depth, file meta included; distinct values over the set;
- ``phi``: ``phi_findings`` summed over the output files, and in brackets those not about
  UIDs (``phi_findings`` recognises only this course's form of new UID, ``2.25.`` + UUID
  version 8, so other tools' new UIDs count as findings);
- ``dciodvfy``: errors reported by ``dciodvfy`` summed over the files ('n/a' if not on PATH);
  "(k no IOD)": k files whose IOD dciodvfy could not even identify (no SOP Class UID): it
  then reports that one error and checks nothing else, so a low count is no praise;
- ``series``: "yes" when the output files fall into the same series groups as the inputs
  (same partition by Series Instance UID), else the number of distinct output series UIDs;
- ``ms/file``: read, de-identify and write, per file (one run, wall clock).

The values each tool leaves are listed under its table (attribute keyword: value).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

if not os.environ.get("BOOTCAMP_DATA_DIR"):  # never generate the sample into the checkout
    os.environ["BOOTCAMP_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-deid-data-")

import pydicom  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bootcamp_utils import sample_path  # noqa: E402
from bootcamp_utils.deid import deidentify, phi_findings  # noqa: E402
from bootcamp_utils.deid.table import action_for  # noqa: E402

KEY = "bench-deid"
MIN_LEN = 4


def _texts(value: object) -> list[str]:
    """The searchable text forms of one element value (empty for numbers)."""
    if value is None:
        return []
    if isinstance(value, bytes):
        text = value.rstrip(b"\x00 ").decode("latin-1")
        return [text] if text.isprintable() else []
    if isinstance(value, str | pydicom.valuerep.PersonName):
        return [str(value)]
    if isinstance(value, list | tuple | pydicom.multival.MultiValue):
        return [t for v in value for t in _texts(v)]
    return []


def identifying_values(ds: Dataset, where: str = "") -> dict[str, str]:
    """``{value: keyword}`` for every value the byte search looks for (see module docstring)."""
    found: dict[str, str] = {}
    datasets = [ds]
    if getattr(ds, "file_meta", None) is not None:
        datasets.append(ds.file_meta)
    for part in datasets:
        for elem in part:
            if elem.VR == "SQ":
                for item in elem.value or []:
                    found.update(identifying_values(item, where + elem.keyword + "."))
                continue
            action = action_for(elem.tag)
            if action is None or action == "K":
                continue
            name = where + (elem.keyword or f"({elem.tag.group:04X},{elem.tag.element:04X})")
            for text in _texts(elem.value):
                text = text.strip()
                if (action == "U" and elem.VR == "UI" and text) or len(text) >= MIN_LEN:
                    found.setdefault(text, name)
    return found


def _files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.rglob("*") if f.is_file())


def run_bootcamp(files: list[Path], src: Path, dst: Path) -> None:
    with warnings.catch_warnings():  # the localizer's Burned In Annotation YES warning
        warnings.simplefilter("ignore", UserWarning)
        for f in files:
            out = dst / f.relative_to(src)
            out.parent.mkdir(parents=True, exist_ok=True)
            deidentify(pydicom.dcmread(f), key=KEY).save_as(out)


def run_dicognito(files: list[Path], src: Path, dst: Path) -> None:
    from dicognito.anonymizer import Anonymizer

    anonymizer = Anonymizer()  # one per set: consistent UIDs and date offset
    for f in files:
        ds = pydicom.dcmread(f)
        anonymizer.anonymize(ds)
        out = dst / f.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(out)


def run_deid(files: list[Path], src: Path, dst: Path) -> None:
    from deid.dicom import get_identifiers, replace_identifiers
    from deid.logger import bot

    bot.level = -4  # deid's FLAG level: no "will use defaults" notice on every set

    names = [str(f) for f in files]
    ids = get_identifiers(names)
    cleaned = replace_identifiers(names, ids=ids, save=False)  # deid=None: default recipe
    for f, ds in zip(files, cleaned, strict=True):
        out = dst / f.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(out)


def run_input(files: list[Path], src: Path, dst: Path) -> None:
    for f in files:
        out = dst / f.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, out)


TOOLS: dict[str, tuple[Callable[[list[Path], Path, Path], None], str | None]] = {
    "input": (run_input, None),
    "bootcamp": (run_bootcamp, None),
    "dicognito": (run_dicognito, "dicognito"),
    "deid": (run_deid, "deid"),
}


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def dciodvfy_errors(files: list[Path]) -> str:
    if shutil.which("dciodvfy") is None:
        return "n/a"
    total = no_iod = 0
    for f in files:
        run = subprocess.run(["dciodvfy", str(f)], capture_output=True, text=True, errors="replace")
        lines = (run.stdout + run.stderr).splitlines()
        total += sum(line.startswith("Error") for line in lines)
        no_iod += any("Information Object Not found" in line for line in lines)
    return f"{total} ({no_iod} no IOD)" if no_iod else str(total)


def series_partition(files: list[Path], root: Path) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        groups[str(ds.get("SeriesInstanceUID", ""))].add(str(f.relative_to(root)))
    return {frozenset(g) for g in groups.values()}


def bench_set(label: str, src: Path, files: list[Path]) -> None:
    values: dict[str, str] = {}
    for f in files:
        values.update(identifying_values(pydicom.dcmread(f)))
    wanted = {v.encode("utf-8", "replace"): v for v in values}
    in_groups = series_partition(files, src)
    print(f"\n## {label}: {len(files)} files, {len(values)} identifying values searched")
    header = f"{'tool':<10} | {'files':>5} | {'left':>5} | {'phi (non-UID)':>13} | "
    header += f"{'dciodvfy':>14} | {'series':>6} | {'ms/file':>8}"
    print(header)
    print("-" * len(header))
    leftovers: dict[str, list[str]] = {}
    for tool, (run, module) in TOOLS.items():
        if module and not _importable(module):
            print(f"{tool:<10} | skipped: pip install {module}")
            continue
        with tempfile.TemporaryDirectory(prefix=f"bench-deid-{tool}-") as tmp:
            dst = Path(tmp)
            start = time.perf_counter()
            try:
                run(files, src, dst)
            except Exception as exc:  # a tool failing on a file is a result too
                print(f"{tool:<10} | failed: {type(exc).__name__}: {exc}")
                continue
            ms = (time.perf_counter() - start) * 1000 / len(files)
            out_files = _files(dst)
            left: set[str] = set()
            for f in out_files:
                data = f.read_bytes()
                left.update(v for b, v in wanted.items() if b in data)
            phi = [p for f in out_files for p in phi_findings(pydicom.dcmread(f))]
            non_uid = sum(not p.why.startswith("U") for p in phi)
            errors = dciodvfy_errors(out_files)
            out_groups = series_partition(out_files, dst)
            kept = "yes" if out_groups == in_groups else f"no {len(out_groups)}/{len(in_groups)}"
            phi_text = f"{len(phi)} ({non_uid})"
            print(
                f"{tool:<10} | {len(out_files):>5} | {len(left):>5} | {phi_text:>13} | "
                f"{errors:>14} | {kept:>6} | {ms:>8.1f}"
            )
            if tool != "input":
                leftovers[tool] = sorted(f"{values[v]}: {v[:40]}" for v in left)
    for tool, items in leftovers.items():
        shown = "; ".join(items[:12]) + (
            f"; ... ({len(items) - 12} more)" if len(items) > 12 else ""
        )
        print(f"  {tool} leaves: {shown or 'nothing'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, action="append", default=[])
    args = parser.parse_args()
    sets: list[tuple[str, Path, list[Path]]] = []
    for name in ("identified_study", "head_ct"):
        sample = sample_path(name)
        sets.append((f"{name} (course sample)", sample, _files(sample)))
    try:
        import deid_data
    except ImportError:
        print("deid-data: skipped: pip install deid-data")
    else:
        root = Path(deid_data.__file__).parent / "data"
        for name in ("humans", "dicom-cookies"):
            sets.append((f"deid-data {name}/", root / name, _files(root / name)))
    for folder in args.folder:
        sets.append((str(folder), folder, _files(folder)))
    for module, package in (("dicognito", "dicognito"), ("deid", "deid")):
        if not _importable(module):
            print(f"{module}: skipped: pip install {package}")
    print(f"pydicom {pydicom.__version__}, Python {sys.version.split()[0]}")
    for label, src, files in sets:
        bench_set(label, src, files)


if __name__ == "__main__":
    main()
