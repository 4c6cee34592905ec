"""Benchmark: the course's de-identifier side by side with dicognito and pydicom/deid.

Prints numbers; asserts nothing. Run from the repository root:

    python benchmarks/bench_deid.py [--repeat N] [--study200-only] [--folder PATH ...]

Input sets:

- ``study200``, always first: the 200-file folder of issue 13 ("at least as fast as dicognito
  on the same 200-file folder"), written offline into a temporary folder from the course
  samples (``build_study200``): one patient, one study, 7 series. Series 1 and 2 are
  ``identified_study`` itself (the localizer, grown to 4 images by 3 copies with new SOP
  Instance UIDs, and the 4 axial slices, byte for byte); series 3 to 5 are three CT
  reconstructions of ``head_ct`` (3 x 40 files, kernels SOFT/BONE/STANDARD) and series 6 and
  7 two MR series of ``head_mr`` (2 x 36). Those 192 copies carry ``identified_study``'s
  identifying header (every attribute of its slice whose Basic Profile action is not K,
  its private block, Procedure Code Sequence; not the per-file and per-series UIDs), a new
  SOP Instance UID, their series' own Series Instance UID and number, and its Study Instance
  UID, so that all 200 files hold the same patient's identity. The new UIDs are fixed
  (UUID version 5 of a name), so the folder is the same on every run; dciodvfy finds no
  error in it;
- the course samples ``identified_study`` and ``head_ct`` (40 slices of one series);
- when the ``deid-data`` package is installed, its ``humans/`` and ``dicom-cookies/`` files;
- any ``--folder`` given (every file under it must be DICOM).

``--study200-only`` skips all but the first. Tools, each writing into its own temporary
folder (inputs are never changed):

- ``bootcamp``: ``bootcamp_utils.deid.deidentify`` file by file, one key;
- ``dicognito``: one ``dicognito.anonymizer.Anonymizer`` per input set and run (``pip install
  dicognito``);
- ``deid``: pydicom/deid's default recipe, ``get_identifiers`` then ``replace_identifiers``
  over the set (``pip install deid``).

Neither dicognito nor deid is a requirement of the course: install them to run this.

Columns, per input set and tool (``input`` is the untouched originals, copied, as a baseline):

- ``left``: identifying values found in the output files by a byte search: every original
  value (>= 4 characters) of an attribute whose PS3.15 E.1-1 Basic Profile action
  (``bootcamp_utils.deid.table.action_for``) is not K, and every original UID under action
  U, at any depth, file meta included; distinct values over the set. An all-digit value
  (Study ID ``4411``) counts only where no digit or '.' touches it, so the digits of a new
  UID do not count as a leak;
- ``phi``: ``phi_findings`` summed over the output files, and in brackets those not about
  UIDs (``phi_findings`` recognises only this course's form of new UID, ``2.25.`` + UUID
  version 8, so other tools' new UIDs count as findings);
- ``dciodvfy``: errors reported by ``dciodvfy`` summed over the files ('n/a' if not on PATH);
  "(k no IOD)": k files whose IOD dciodvfy could not even identify (no SOP Class UID): it
  then reports that one error and checks nothing else, so a low count is no praise;
- ``series``: "yes" when the output files fall into the same series groups as the inputs
  (same partition by Series Instance UID), else the number of distinct output series UIDs;
- ``ms/file``: read, de-identify and write, per file, wall clock, the best of ``--repeat``
  runs (3 unless told); ``median``: the median run, per file; ``best s``: the best run's
  total seconds for the set. The runs are interleaved (tool order rotated every round) and
  the checks above read the last run's output.

The values each tool leaves are listed under its table (attribute keyword: value). At the
end, one line compares bootcamp and dicognito on the 200-file folder (best ms/file, ratio).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections import defaultdict
from collections.abc import Callable
from copy import deepcopy as copy_element
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


# The 200-file study: (sample, files taken, series number, description, kernel); "graft" series
# get identified_study's identifying header, new UIDs and their own Series Instance UID.
STUDY200_SERIES = (
    ("identified_study", "SCOUT0001.dcm", 1, None, None),  # kept as is, plus 3 copies below
    ("identified_study", "CT000?.dcm", 2, None, None),  # kept as is: 4 axial slices
    ("head_ct", "*.dcm", 3, "Head 1.0 H30s soft", "SOFT"),
    ("head_ct", "*.dcm", 4, "Head 1.0 H60s bone", "BONE"),
    ("head_ct", "*.dcm", 5, "Head 1.0 H40s brain", "STANDARD"),
    ("head_mr", "*.dcm", 6, "t1_se_tra", None),
    ("head_mr", "*.dcm", 7, "t1_se_tra post contrast", None),
)
SCOUT_COPIES = 3
STUDY200_FILES = 200
_NOT_GRAFTED = {"SOPInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID", "SeriesDescription"}
_MR_NOT_GRAFTED = {"IrradiationEventUID", "ReferencedImageSequence"}  # CT-only references
_ALSO_GRAFTED = ("SpecificCharacterSet", "ProcedureCodeSequence", "PatientIdentityRemoved")


def _new_uid(*parts: object) -> str:
    """A ``2.25.`` UID derived from ``parts`` (UUID version 5): the same set on every run."""
    name = "bench-deid-study200|" + "|".join(map(str, parts))
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, name).int}"


def _save(ds: Dataset, out: Path) -> None:
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(out, enforce_file_format=True)


def build_study200(dst: Path) -> list[Path]:
    """Write the 200-file study into ``dst`` (see module docstring); return its files.

    One patient and one study, identified_study's (all of its 5 files, the localizer series
    grown to 4 images), three CT reconstructions of ``head_ct`` and two MR series of
    ``head_mr``, each of those files given identified_study's identifying attributes (every
    one whose Basic Profile action is not K, private block included, except the per-file and
    per-series UIDs and the Series Description), a new SOP Instance UID, its series' own
    Series Instance UID and Series Number. The course samples are only read.
    """
    study = sample_path("identified_study")
    template = pydicom.dcmread(study / "CT0001.dcm", stop_before_pixels=True)
    graft = [
        elem
        for elem in template
        if (elem.keyword in _ALSO_GRAFTED or action_for(elem.tag) not in (None, "K"))
        and elem.keyword not in _NOT_GRAFTED
    ]
    mr_frame = _new_uid("frame", "head_mr")
    written: list[Path] = []
    for sample, pattern, number, description, kernel in STUDY200_SERIES:
        folder = dst / f"S{number:02d}"
        folder.mkdir(parents=True)
        sources = sorted(sample_path(sample).glob(pattern))
        if description is None:  # identified_study's own series, byte for byte
            for f in sources:
                shutil.copyfile(f, folder / f.name)
                written.append(folder / f.name)
            if pattern.startswith("SCOUT"):
                for copy in range(2, SCOUT_COPIES + 2):
                    ds = pydicom.dcmread(sources[0])
                    ds.SOPInstanceUID = _new_uid("scout", copy)
                    ds.InstanceNumber = copy
                    _save(ds, folder / f"SCOUT{copy:04d}.dcm")
                    written.append(folder / f"SCOUT{copy:04d}.dcm")
            continue
        series_uid = _new_uid("series", number)
        for f in sources:
            ds = pydicom.dcmread(f)
            for elem in graft:
                if ds.Modality == "MR" and elem.keyword in _MR_NOT_GRAFTED:
                    continue
                ds[elem.tag] = copy_element(elem)
            ds.SOPInstanceUID = _new_uid("instance", number, f.name)
            ds.SeriesInstanceUID = series_uid
            ds.SeriesNumber = number
            ds.SeriesDescription = description
            ds.FrameOfReferenceUID = (
                mr_frame if ds.Modality == "MR" else template.FrameOfReferenceUID
            )
            if kernel:
                ds.ConvolutionKernel = kernel
            _save(ds, folder / f.name)
            written.append(folder / f.name)
    if len(written) != STUDY200_FILES:
        raise RuntimeError(
            f"build_study200 wrote {len(written)} files, not {STUDY200_FILES}: "
            "fix STUDY200_SERIES or SCOUT_COPIES in benchmarks/bench_deid.py"
        )
    return sorted(written)


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


def _occurs(value: bytes, data: bytes) -> bool:
    """Whether ``value`` is in ``data``; an all-digit value not inside a longer digit run.

    A 4-digit Study ID such as ``4411`` otherwise turns up by chance inside the digits of
    some new UID of a 200-file output, a leak that is not one.
    """
    if value.isdigit():
        return re.search(rb"(?<![0-9.])" + re.escape(value) + rb"(?![0-9.])", data) is not None
    return value in data


def _time_runs(
    files: list[Path], src: Path, tools: list[str], repeat: int, keep: Path
) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Run every tool ``repeat`` times, interleaved (tool order rotates every round).

    Returns the wall-clock seconds of each run per tool, and the tools that failed (with
    the error). The output of each tool's last run stays in ``keep / tool``.
    """
    seconds: dict[str, list[float]] = defaultdict(list)
    failed: dict[str, str] = {}
    for round_ in range(repeat):
        order = tools[round_ % len(tools) :] + tools[: round_ % len(tools)]
        for tool in order:
            if tool in failed:
                continue
            dst = keep / tool
            shutil.rmtree(dst, ignore_errors=True)
            dst.mkdir()
            start = time.perf_counter()
            try:
                TOOLS[tool][0](files, src, dst)
            except Exception as exc:  # a tool failing on a file is a result too
                failed[tool] = f"{type(exc).__name__}: {exc}"
                continue
            seconds[tool].append(time.perf_counter() - start)
    return seconds, failed


def bench_set(label: str, src: Path, files: list[Path], repeat: int) -> dict[str, float]:
    """Print the table of one input set; return the best ms/file of each tool that ran."""
    values: dict[str, str] = {}
    for f in files:
        values.update(identifying_values(pydicom.dcmread(f)))
    wanted = {v.encode("utf-8", "replace"): v for v in values}
    in_groups = series_partition(files, src)
    print(f"\n## {label}: {len(files)} files, {len(values)} identifying values searched")
    header = f"{'tool':<10} | {'files':>5} | {'left':>5} | {'phi (non-UID)':>13} | "
    header += f"{'dciodvfy':>14} | {'series':>6} | {'ms/file':>8} | {'median':>7} | "
    header += f"{'best s':>7}"
    print(header)
    print("-" * len(header))
    tools = []
    for tool, (_, module) in TOOLS.items():
        if module and not _importable(module):
            print(f"{tool:<10} | skipped: pip install {module}")
        else:
            tools.append(tool)
    best: dict[str, float] = {}
    leftovers: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-deid-out-") as tmp:
        seconds, failed = _time_runs(files, src, tools, repeat, Path(tmp))
        for tool in tools:
            if tool in failed:
                print(f"{tool:<10} | failed: {failed[tool]}")
                continue
            dst = Path(tmp) / tool
            best[tool] = min(seconds[tool]) * 1000 / len(files)
            median = statistics.median(seconds[tool]) * 1000 / len(files)
            out_files = _files(dst)
            left: set[str] = set()
            for f in out_files:
                data = f.read_bytes()
                left.update(v for b, v in wanted.items() if _occurs(b, data))
            phi = [p for f in out_files for p in phi_findings(pydicom.dcmread(f))]
            non_uid = sum(not p.why.startswith("U") for p in phi)
            errors = dciodvfy_errors(out_files)
            out_groups = series_partition(out_files, dst)
            kept = "yes" if out_groups == in_groups else f"no {len(out_groups)}/{len(in_groups)}"
            phi_text = f"{len(phi)} ({non_uid})"
            print(
                f"{tool:<10} | {len(out_files):>5} | {len(left):>5} | {phi_text:>13} | "
                f"{errors:>14} | {kept:>6} | {best[tool]:>8.1f} | {median:>7.1f} | "
                f"{min(seconds[tool]):>7.2f}"
            )
            if tool != "input":
                leftovers[tool] = sorted(f"{values[v]}: {v[:40]}" for v in left)
    for tool, items in leftovers.items():
        shown = "; ".join(items[:12]) + (
            f"; ... ({len(items) - 12} more)" if len(items) > 12 else ""
        )
        print(f"  {tool} leaves: {shown or 'nothing'}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, action="append", default=[])
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per tool and set, best reported (3)"
    )
    parser.add_argument(
        "--study200-only", action="store_true", help="only the built-in 200-file study"
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    for module, package in (("dicognito", "dicognito"), ("deid", "deid")):
        if not _importable(module):
            print(f"{module}: skipped: pip install {package}")
    print(f"pydicom {pydicom.__version__}, Python {sys.version.split()[0]}, best of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="bench-deid-study200-") as tmp:
        study200 = Path(tmp)
        sets = [("study200 (built from the course samples)", study200, build_study200(study200))]
        if not args.study200_only:
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
        results = {label: bench_set(label, src, files, args.repeat) for label, src, files in sets}
    best = results[sets[0][0]]
    if "bootcamp" in best and "dicognito" in best:
        ratio = best["bootcamp"] / best["dicognito"]
        verdict = "faster or equal" if ratio <= 1 else "slower"
        print(
            f"\n200-file folder: bootcamp {best['bootcamp']:.1f} ms/file, dicognito "
            f"{best['dicognito']:.1f} ms/file (ratio {ratio:.2f}: bootcamp {verdict}; "
            f"best of {args.repeat})"
        )


if __name__ == "__main__":
    main()
