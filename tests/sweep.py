"""The real-file sweep (issue 24): every file nobody here wrote, through every public helper.

The files: every regular file of pydicom's test data (``pydicom.data.get_testdata_files()``,
which includes the download-only files ``pydicom-data`` provides offline), of ``pydicom-data``
and of ``deid-data`` (zip and gzip files are unpacked into a temporary folder). Each file is
read once with ``pydicom.dcmread`` in a worker process (with ``force=True`` when it has no
Part 10 header but is a data set), then given to every public
helper of :mod:`bootcamp_utils` that takes a data set (:data:`FILE_STEPS`); each folder that
holds such files is given to :func:`~bootcamp_utils.list_series`, to
:func:`~bootcamp_utils.load_series` (once per series it lists, and the viewer on the volume)
and, when small, to :func:`~bootcamp_utils.deidentify_folder` (:data:`FOLDER_STEPS`).

Every call is classified:

``ok``
    it returned (and its output passed the checks below);
``refusal``
    it raised the package's own error (:class:`~bootcamp_utils.DataError` and its subclasses
    such as ``DecoderError`` and ``EncoderError``, ``SeriesError``, ``DeidFolderError``, any
    exception class defined in ``bootcamp_utils``), or a ``ValueError``/``TypeError`` raised
    by a line of ``bootcamp_utils`` itself;
``crash``
    any other exception (``AttributeError``, an error raised inside pydicom or a plugin), a
    worker process that died (a SIGABRT in C++ kills only the worker: it is restarted and
    the file's remaining helpers go on), or a call that took longer than :data:`TIMEOUT`.

The outputs are checked, each failure a *problem* of the call:

* ``compress``: the copy is saved and read back; its decoded pixels equal the decoded original
  (lossless), or differ by at most NEAR (JPEG-LS near-lossless, ``jls_error=NEAR``);
* ``black_out``: saved and read back; inside the boxes every pixel holds one value (0 for RGB,
  an end of the stored range for MONOCHROME), outside the boxes the pixels equal the original's;
* ``deidentify``: saved; the original's identifying values (names, IDs, dates of birth,
  accession numbers, institution and station names, instance UIDs, as
  :func:`~bootcamp_utils.phi_findings` lists them on the original) must not occur in the
  written bytes, as a whole word (binary elements such as Pixel Data left out of the
  search); dciodvfy's error lines on the output minus those on the original must be none
  (when dciodvfy is installed and can read the original through).

:func:`run` runs the jobs in :data:`WORKERS` processes and returns one :class:`Record` per
call; :func:`table` and :func:`failures` format them.
"""

from __future__ import annotations

import copy
import faulthandler
import gzip
import io
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import wait
from pathlib import Path

import numpy as np

#: Worker processes (CI has two cores; the sweep must stay under 3 minutes with them).
WORKERS = 2
#: Seconds one call may take before it is a crash (the slowest measured call: ~2 s).
TIMEOUT = 60.0
#: JPEG-LS near-lossless error bound the sweep asks for (``jls_error``).
NEAR = 2
#: deidentify_folder runs on folders up to this many bytes (the per-file deidentify covers
#: every file anyway; the folder call is for what only it does: DICOMDIRs, duplicates).
FOLDER_DEID_MAX_BYTES = 30_000_000

PACKAGE_DIR = str(Path(__file__).resolve().parents[1] / "bootcamp_utils")

#: Attributes whose values identify a person, a place or a device (PS3.15 E.1-1 lists
#: them all), searched for in a de-identified file; any PN value counts as well, and so do
#: the UIDs phi_findings says must be replaced (action U).
IDENTIFYING = {
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientBirthName",
    "PatientMotherBirthName",
    "OtherPatientIDs",
    "OtherPatientNames",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "MedicalRecordLocator",
    "AccessionNumber",
    "StudyID",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "StationName",
    "DeviceSerialNumber",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "RequestingService",
    "ResponsibleOrganization",
}


# --------------------------------------------------------------------------- records


@dataclass
class Record:
    """One call: where, which helper, how it ended, and what its output got wrong."""

    source: str  # "pydicom", "pydicom-data", "deid-data"
    path: str  # relative to the source's folder; a folder ends with "/"
    helper: str
    status: str  # ok, refusal, crash, not DICOM, n/a
    message: str = ""
    seconds: float = 0.0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)
    names_file: bool = False  # a refusal whose message names the file or folder

    @property
    def where(self) -> str:
        return f"{self.source}:{self.path}"


class Problem(Exception):
    """A check on a helper's output failed: ``kind`` is the table column it counts in."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


#: The problem kinds, each a column of the table; every one must stay at 0.
KINDS = ("wrong pixels", "leak", "new dciodvfy errors", "unsavable", "check error")


def _first_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _raised_by_package(exc: BaseException) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and last.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR)


def classify(exc: BaseException) -> str:
    """``"refusal"`` for the package's own errors, ``"crash"`` for anything else."""
    from bootcamp_utils import DataError, DeidFolderError, SeriesError

    if isinstance(exc, (DataError, SeriesError, DeidFolderError)):
        return "refusal"
    if type(exc).__module__.startswith("bootcamp_utils"):  # another error class of its own
        return "refusal"
    if isinstance(exc, (ValueError, TypeError)) and _raised_by_package(exc):
        return "refusal"
    return "crash"


def _describe(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    at = f" [at {Path(tb[-1].filename).name}:{tb[-1].lineno}]" if tb else ""
    return _first_line(f"{type(exc).__name__}: {exc}") + at


# --------------------------------------------------------------------------- the files


@dataclass(frozen=True)
class Job:
    kind: str  # "file" or "folder"
    source: str
    root: str
    path: str  # absolute
    skip: frozenset = frozenset()  # helpers already recorded (after a worker restart)

    @property
    def rel(self) -> str:
        rel = os.path.relpath(self.path, self.root).replace(os.sep, "/")
        return rel + "/" if self.kind == "folder" else rel


def sources() -> dict[str, Path]:
    """The three data folders: pydicom's test files, pydicom-data's, deid-data's."""
    import data_store
    import deid_data
    import pydicom

    return {
        "pydicom": Path(pydicom.__file__).parent / "data" / "test_files",
        "pydicom-data": Path(data_store.__file__).parent / "data",
        "deid-data": Path(deid_data.__file__).parent / "data",
    }


def _source_of(path: Path, roots: dict[str, Path]) -> str:
    for name, root in roots.items():
        if path.is_relative_to(root):
            return name
    raise AssertionError(f"{path} is in none of {roots}")


def collect(unzip_to: Path) -> list[Job]:
    """Every file job and folder job; zip and gzip files are unpacked under ``unzip_to``.

    Largest first, so that two workers finish at about the same time.
    """
    from pydicom.data import get_testdata_files

    roots = sources()
    files = {Path(p) for p in get_testdata_files() if Path(p).is_file()}
    files |= {
        p for p in roots["deid-data"].rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
    }
    files |= {p for p in roots["pydicom-data"].iterdir() if p.is_file()}
    jobs = []
    for path in sorted(files):
        source = _source_of(path, roots)
        if path.suffix in (".zip", ".gz"):  # unpacked as <relative path>/<inner file>
            target = unzip_to / source / path.relative_to(roots[source])
            target.mkdir(parents=True)
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    archive.extractall(target)
            else:
                (target / path.stem).write_bytes(gzip.decompress(path.read_bytes()))
            for inner in sorted(p for p in target.rglob("*") if p.is_file()):
                jobs.append(Job("file", source, str(unzip_to / source), str(inner)))
            continue
        jobs.append(Job("file", source, str(roots[source]), str(path)))
    folders = sorted({Path(j.path).parent for j in jobs})
    for folder in folders:
        source = next(j.source for j in jobs if Path(j.path).parent == folder)
        root = next(j.root for j in jobs if Path(j.path).parent == folder)
        jobs.append(Job("folder", source, root, str(folder)))
    return sorted(jobs, key=_cost, reverse=True)


def _cost(job: Job) -> int:
    if job.kind == "folder":
        return sum(p.stat().st_size for p in Path(job.path).iterdir() if p.is_file())
    return os.path.getsize(job.path)


def missing_downloads() -> list[str]:
    """pydicom's download-only test files that no installed package provides offline."""
    from pydicom.data.data_manager import get_testdata_files, get_url_map

    present = {Path(p).name for p in get_testdata_files()}
    return sorted(name for name in get_url_map() if name not in present)


# --------------------------------------------------------------------------- file steps


class _Context:
    """What the steps of one file share: the path, the data set, the decoded original."""

    def __init__(self, path: str, tmp: Path, dciodvfy: str | None):
        self.path = path
        self.tmp = tmp
        self.dciodvfy = dciodvfy
        self.ds = None
        self._reference: dict[bool, np.ndarray] = {}
        self.values = None
        self.deidentified = None

    def reference(self, as_rgb: bool = False) -> np.ndarray:
        """The original's pixels as pydicom decodes them (the sweep's reference): the stored
        samples, or with ``as_rgb`` YBR converted to RGB as pydicom does by default."""
        if as_rgb not in self._reference:
            self._reference[as_rgb] = decoded(copy.deepcopy(self.ds), as_rgb)
        return self._reference[as_rgb]


def decoded(ds, as_rgb: bool) -> np.ndarray:
    """``ds.pixel_array``; with ``as_rgb=False`` the samples as stored, colour not converted
    (a YBR_FULL image stays YBR: the JPEG-LS bound holds per stored sample, and pydicom's
    default YBR -> RGB conversion would widen it)."""
    ds.pixel_array_options(as_rgb=as_rgb)
    return ds.pixel_array


def _saved_and_read(ds, tmp: Path, name: str):
    import pydicom

    target = tmp / name
    try:
        ds.save_as(target)
    except Exception as exc:
        raise Problem("unsavable", f"save_as failed: {_describe(exc)}") from None
    return target, pydicom.dcmread(target, force=True)


def _colour_space(ds) -> str:
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    return "YBR_FULL" if photometric == "YBR_FULL_422" else photometric


def _decoded_copy(ctx: _Context, out, name: str, with_photometric: bool = False):
    """The output, saved and read back, decoded; and the decoded original (and, with
    ``with_photometric``, the Photometric Interpretation of what is compared).

    Stored samples are compared when the colour space is the same (YBR_FULL_422 is YBR_FULL
    subsampled: pydicom decodes it to full YBR samples, and a copy encoded from the decoded
    array is YBR_FULL); when the helper changed it (a YBR image written back as RGB), both
    sides are converted to RGB.
    """
    _, back = _saved_and_read(out, ctx.tmp, name)
    same = _colour_space(back) == _colour_space(ctx.ds)
    try:
        reference = ctx.reference(as_rgb=not same)
    except Exception as exc:
        raise Problem(
            "wrong pixels",
            f"returned a copy of pixels pydicom cannot decode ({_describe(exc)})",
        ) from None
    try:
        got = decoded(back, as_rgb=not same)
    except Exception as exc:
        raise Problem(
            "wrong pixels", f"the written copy does not decode: {_describe(exc)}"
        ) from None
    if got.shape != reference.shape:
        raise Problem("wrong pixels", f"shape {got.shape}, the original's {reference.shape}")
    if with_photometric:
        return got, reference, _colour_space(ctx.ds) if same else "RGB"
    return got, reference


def _check_compressed(ctx: _Context, out, near: int, name: str) -> None:
    got, reference = _decoded_copy(ctx, out, name)
    diff = np.abs(got.astype(np.int64) - reference.astype(np.int64))
    worst = int(diff.max()) if diff.size else 0
    if worst > near:
        count = int((diff > near).sum())
        raise Problem(
            "wrong pixels",
            f"{count} of {diff.size} values differ by more than {near} (up to {worst})",
        )


def _compress_lossless(ctx: _Context):
    from pydicom.uid import RLELossless

    from bootcamp_utils import compress

    out = compress(ctx.ds, RLELossless)
    return out, lambda: _check_compressed(ctx, out, 0, "rle.dcm")


def _compress_near_lossless(ctx: _Context):
    from pydicom.uid import JPEGLSNearLossless

    from bootcamp_utils import compress

    out = compress(ctx.ds, JPEGLSNearLossless, jls_error=NEAR)
    return out, lambda: _check_compressed(ctx, out, NEAR, "jlsn.dcm")


def boxes_for(rows: int, cols: int) -> list[tuple[int, int, int, int]]:
    """Two boxes: the top-left third (where scanners burn text) and a bottom-right corner."""
    return [
        (0, max(1, rows // 3), 0, max(1, cols // 3)),
        (rows - max(1, rows // 5), rows, cols - max(1, cols // 4), cols),
    ]


def _as_frames(array: np.ndarray, frames: int, samples: int) -> np.ndarray:
    """Any pixel_array shape -> (frames, rows, columns, samples)."""
    if frames == 1:
        array = array[np.newaxis]
    if samples == 1:
        array = array[..., np.newaxis]
    return array


def black_values(ds, photometric: str) -> list[set[int]]:
    """Per sample, the values a black box may hold in ``photometric``.

    RGB: 0 in each; YBR_FULL (and YBR_FULL_422): Y 0, Cb and Cr half the range (PS3.3
    C.7.6.3.1.2: black is Cb = Cr = 128 in 8 bits); MONOCHROME1/2: either end of the range
    Bits Stored and Pixel Representation give (which end depends on the inversions,
    :mod:`bootcamp_utils.deid.pixels`); anything else: one value, whichever.
    """
    bits = int(ds.get("BitsStored", ds.get("BitsAllocated", 8)) or 8)
    samples = int(ds.get("SamplesPerPixel", 1))
    if photometric == "RGB":
        return [{0}] * samples
    if photometric == "YBR_FULL":
        return [{0}, {2 ** (bits - 1)}, {2 ** (bits - 1)}]
    if photometric.startswith("MONOCHROME"):
        if int(ds.get("PixelRepresentation", 0)):
            return [{-(2 ** (bits - 1)), 2 ** (bits - 1) - 1}]
        return [{0, 2**bits - 1}]
    return [set()] * samples  # empty: any single value


def _check_black_out(ctx: _Context, out, boxes) -> None:
    got, reference, photometric = _decoded_copy(ctx, out, "black_out.dcm", with_photometric=True)
    ds = ctx.ds
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1))
    got, reference = _as_frames(got, frames, samples), _as_frames(reference, frames, samples)
    inside = np.zeros(got.shape[1:3], dtype=bool)
    for row0, row1, col0, col1 in boxes:
        inside[row0:row1, col0:col1] = True
    outside_differs = int((got[:, ~inside] != reference[:, ~inside]).sum())
    if outside_differs:
        raise Problem("wrong pixels", f"{outside_differs} values outside the boxes changed")
    filled = got[:, inside]  # (frames, n, samples)
    for sample, allowed in enumerate(black_values(ds, photometric)):
        values = np.unique(filled[..., sample])
        if len(values) != 1 or (allowed and int(values[0]) not in allowed):
            shown = ", ".join(str(v) for v in values[:5]) + (" ..." if len(values) > 5 else "")
            raise Problem(
                "wrong pixels",
                f"inside the boxes, {photometric} sample {sample}: values {shown} "
                f"({len(values)} distinct), expected one of {sorted(allowed) or 'one value'}",
            )


def _black_out(ctx: _Context):
    from bootcamp_utils import black_out

    boxes = boxes_for(int(ctx.ds.get("Rows", 1) or 1), int(ctx.ds.get("Columns", 1) or 1))
    out = black_out(ctx.ds, boxes)
    return out, lambda: _check_black_out(ctx, out, boxes)


def _resolve(ds, path: str):
    """The element a Finding's path names (``A[0].B``, ``file_meta.X``), or None."""
    if path.startswith("file_meta."):
        ds, path = ds.file_meta, path[len("file_meta.") :]
    parts = path.split(".")
    for part in parts[:-1]:
        name, _, index = part.partition("[")
        if name not in ds:
            return None
        ds = ds[name].value[int(index.rstrip("]"))]
    last = parts[-1]
    return ds[last] if not last.startswith("(") and last in ds else None


def _encoded(value, ds) -> list[bytes]:
    from pydicom.charset import convert_encodings, encode_string
    from pydicom.valuerep import PersonName

    encodings = convert_encodings(ds.get("SpecificCharacterSet", "ISO_IR 6"))
    if isinstance(value, PersonName):
        texts = [str(value)] + [g for g in str(value).split("=") if g]
    else:
        texts = [str(value)]
    out = []
    for text in texts:
        text = text.strip().rstrip("^").strip()
        if len(text) < 4:
            continue
        try:
            out.append(encode_string(text, encodings))
        except Exception:
            out.append(text.encode("utf-8", "replace"))
    return out


def identifying_values(ds) -> dict[bytes, str]:
    """The original's identifying values (as bytes) -> the path phi_findings gives them."""
    from pydicom.multival import MultiValue

    from bootcamp_utils import phi_findings
    from bootcamp_utils.deid.profile import DUMMIES

    dummies = {str(v) for v in DUMMIES.values()}
    kept = kept_values(ds)
    needles: dict[bytes, str] = {}
    for finding in phi_findings(ds):
        if finding.tag.is_private or not finding.keyword:
            continue
        elem = _resolve(ds, finding.path)
        if elem is None or elem.VR == "SQ":
            continue
        wanted = (
            elem.keyword in IDENTIFYING
            or elem.VR == "PN"
            or (elem.VR == "UI" and finding.why.startswith("U"))
        )
        if not wanted or elem.value is None:
            continue
        values = elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value]
        for value in values:
            if str(value) in dummies:
                continue
            for needle in _encoded(value, ds):
                if not any(needle in value for value in kept):
                    needles.setdefault(needle, finding.path)
    return needles


#: Attributes naming the device and its software, kept by the Basic Profile (K, or file meta
#: the table does not list): an identifying value found inside one of them in the original
#: is not searched for (Institution Name "TOSHIBA" inside Manufacturer "TOSHIBA_MEC",
#: test-SR's Instance Creator UID, DCMTK's, as its Implementation Class UID).
DEVICE = (
    "Manufacturer",
    "ManufacturerModelName",
    "SoftwareVersions",
    "ImplementationClassUID",
    "ImplementationVersionName",
)


def kept_values(ds) -> list[bytes]:
    """The original's values of :data:`DEVICE` attributes (file meta and sequences too)."""
    kept: list[bytes] = []
    meta = getattr(ds, "file_meta", None)
    for elem in [*(meta.iterall() if meta is not None else []), *ds.iterall()]:
        if elem.keyword not in DEVICE or elem.value is None:
            continue
        for value in elem.value if elem.VM > 1 else [elem.value]:
            kept.append(str(value).encode("latin-1", "replace"))
    return kept


#: VRs of binary values: left out of the leak search with Pixel Data (a name's bytes can
#: occur in them by chance: "0010" in a LUT, "00000" in Overlay Data).
BINARY_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW"}


def _text_only(ds) -> None:
    """Delete every binary element of ``ds``, in sequence items too (in place)."""
    for elem in list(ds):
        if elem.VR in BINARY_VRS:
            del ds[elem.tag]
        elif elem.VR == "SQ":
            for item in elem.value:
                _text_only(item)


def _found(needle: bytes, written: bytes) -> bool:
    """``needle`` in ``written`` as a whole value or word, not inside a longer word or number
    (Patient ID "0010" is not found in "1.0010"; "Rivera" is found in "Rivera^Elena")."""
    edge = rb"0-9A-Za-z." if needle.replace(b".", b"").isdigit() else rb"0-9A-Za-z"
    pattern = rb"(?<![" + edge + rb"])" + re.escape(needle) + rb"(?![" + edge + rb"])"
    return re.search(pattern, written) is not None


def _check_leaks(ctx: _Context, out) -> None:
    """No identifying value of the original in the written output's text.

    The output is saved, read back, and written again without its binary elements (Pixel
    Data, Overlay Data, LUTs...: :data:`BINARY_VRS`); every value of
    :func:`identifying_values` is searched for in those bytes, file meta included.
    """
    import pydicom

    target, _ = _saved_and_read(out, ctx.tmp, "deid.dcm")
    needles = identifying_values(ctx.ds)
    stripped = pydicom.dcmread(target, force=True)
    _text_only(stripped)
    buffer = io.BytesIO()
    stripped.save_as(buffer)
    written = buffer.getvalue()
    leaks = [f"{path} {needle!r}" for needle, path in needles.items() if _found(needle, written)]
    if leaks:
        raise Problem("leak", f"{len(leaks)} original value(s) in the output: {'; '.join(leaks)}")


#: dciodvfy lines saying it could not read a file through: errors after such a line are
#: not comparable (a de-identified copy, written whole by pydicom, is read further).
UNREADABLE = ("read failed", "Tags out of order", "Seek failed")


def _unreadable(lines: list[str]) -> bool:
    return any(word in line for line in lines for word in UNREADABLE)


def _check_dciodvfy(ctx: _Context, out) -> None:
    """dciodvfy's errors on the written output minus those on the original: none.

    When dciodvfy cannot read the original through (:data:`UNREADABLE`: deid-data's
    ctbrain1.dcm, truncated files), the original as pydicom writes it back is the baseline;
    not checked when dciodvfy cannot read that either.
    """
    if not ctx.dciodvfy:
        return
    original = dciodvfy_errors(ctx.dciodvfy, Path(ctx.path), ctx.tmp)
    if _unreadable(original):  # the baseline: the original as pydicom writes it back
        try:
            rewritten, _ = _saved_and_read(ctx.ds, ctx.tmp, "original.dcm")
        except Problem:
            return
        original = dciodvfy_errors(ctx.dciodvfy, rewritten, ctx.tmp)
        if _unreadable(original):
            return
    target, _ = _saved_and_read(out, ctx.tmp, "deid.dcm")
    before = Counter(original)
    after = Counter(dciodvfy_errors(ctx.dciodvfy, target, ctx.tmp))
    new = list((after - before).elements())
    if new:
        raise Problem(
            "new dciodvfy errors",
            f"{len(new)} new: " + " | ".join(_first_line(line, 160) for line in new[:4]),
        )


def dciodvfy_errors(dciodvfy: str, path: Path, tmp: Path) -> list[str]:
    """dciodvfy's error lines for one file, as ``tests.conftest.dciodvfy_errors`` counts them,
    every UID in them written ``<UID>``.

    Its output is read as bytes (a file's own text may be in any character set: deid-data's
    ctbrain1.dcm makes it print bytes that are not UTF-8); a deflated file is checked as
    the data set zlib inflates from it (dciodvfy cannot read Deflated Explicit VR Little
    Endian).
    """
    import subprocess

    from pydicom.uid import ExplicitVRLittleEndian

    from tests.conftest import _is_deflated, inflated

    if _is_deflated(path):
        plain = inflated(path)
        plain.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = tmp / "inflated.dcm"
        plain.save_as(path)
    result = subprocess.run([dciodvfy, str(path)], capture_output=True, timeout=TIMEOUT)
    text = (result.stdout + result.stderr).decode("latin-1")
    return [
        _UID.sub("<UID>", line)
        for line in text.splitlines()
        if line.startswith("Error") or " - Error - " in line
    ]


#: UIDs in dciodvfy's lines ("... ReferencedSOPInstanceUID 9.8.7.6", "... UID 0"):
#: deidentify replaces them, so before and after are compared with every UID written <UID>.
_UID = re.compile(r"(?<=UID )[0-9.]+|\b\d+(?:\.\d+){2,}\b")


def _deidentify(ctx: _Context):
    from bootcamp_utils import deidentify

    out = deidentify(ctx.ds)
    ctx.deidentified = out
    return out, [lambda: _check_leaks(ctx, out), lambda: _check_dciodvfy(ctx, out)]


def _real_world_values(ctx: _Context):
    from bootcamp_utils import real_world_values

    ctx.values = real_world_values(ctx.ds)
    return ctx.values, None


def _apply_window(ctx: _Context):
    from bootcamp_utils import apply_window, header_windows, voi_lut_function

    if ctx.values is None:
        return "n/a", None
    try:
        windows = header_windows(ctx.ds)
    except Exception:
        windows = []
    if windows:
        center, width = windows[0][:2]
        function = voi_lut_function(ctx.ds)
    else:  # the full range, as a student would start
        low, high = float(np.min(ctx.values)), float(np.max(ctx.values))
        center, width, function = (low + high) / 2, max(high - low, 1.0), "LINEAR"
    return apply_window(ctx.values, center, width, function), None


def _apply_voi_lut_sequence(ctx: _Context):
    from bootcamp_utils import apply_voi_lut_sequence

    if ctx.values is None or "VOILUTSequence" not in ctx.ds:
        return "n/a", None
    return apply_voi_lut_sequence(ctx.values, ctx.ds), None


def _simple(name: str, *args_of):
    def step(ctx: _Context):
        import bootcamp_utils

        return getattr(bootcamp_utils, name)(*(f(ctx) for f in args_of)), None

    step.__name__ = name
    return step


def _pixel_array(ctx: _Context):
    from bootcamp_utils import pixel_array

    return pixel_array(ctx.ds, ctx.path), None


def _ds(ctx: _Context):
    return ctx.ds


def _diff(ctx: _Context):
    from bootcamp_utils import diff_datasets

    if ctx.deidentified is None:
        return "n/a", None
    return diff_datasets(ctx.ds, ctx.deidentified), None


#: helper name -> step. A step returns (result, a check, a list of checks or None); the
#: result "n/a" when the helper does not apply (no real-world values to window).
FILE_STEPS = {
    "pixel_array": _pixel_array,
    "real_world_values": _real_world_values,
    "display_values": _simple("display_values", _ds),
    "header_windows": _simple("header_windows", _ds),
    "voi_lut_function": _simple("voi_lut_function", _ds),
    "display_inverted": _simple("display_inverted", _ds),
    "apply_window": _apply_window,
    "apply_voi_lut_sequence": _apply_voi_lut_sequence,
    "frame_geometry": _simple("frame_geometry", _ds),
    "window_level_viewer": _simple("window_level_viewer", _ds),
    "validate": _simple("validate", _ds),
    "phi_findings": _simple("phi_findings", _ds),
    "compress RLE Lossless": _compress_lossless,
    f"compress JPEG-LS near-lossless (NEAR={NEAR})": _compress_near_lossless,
    "black_out": _black_out,
    "deidentify": _deidentify,
    "diff_datasets (original, deidentified)": _diff,
}


# --------------------------------------------------------------------------- folder steps


def _folder_steps(folder: str, tmp: Path, skip: frozenset, send) -> None:
    import bootcamp_utils as bc

    def call(helper, fn):
        if helper in skip:
            return None
        send(("start", helper))
        started = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:
            status = classify(exc)
            send(
                (
                    "done",
                    helper,
                    status,
                    _describe(exc),
                    time.perf_counter() - started,
                    [],
                    _names(exc, folder),
                )
            )
            return None
        send(("done", helper, "ok", "", time.perf_counter() - started, [], False))
        return result

    listed = call("list_series", lambda: bc.list_series(folder, progress=False)) or []
    for info in listed:
        uid = info.uid
        img = call(f"load_series [{uid}]", partial(bc.load_series, folder, uid, progress=False))
        if img is not None:
            call(f"window_level_viewer(load_series) [{uid}]", partial(bc.window_level_viewer, img))
    size = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    if size <= FOLDER_DEID_MAX_BYTES:
        call(
            "deidentify_folder",
            lambda: bc.deidentify_folder(folder, tmp / "deid_folder", progress=False),
        )


def _names(exc: BaseException, path: str) -> bool:
    """Whether the message names the file (or, for a folder, the folder or a file in it)."""
    text = str(exc)
    path = Path(path)
    names = [path.name]
    if path.is_dir():
        names += [p.name for p in path.iterdir()]
    return any(name and name in text for name in names)


# --------------------------------------------------------------------------- the worker


def _forced(path: str):
    """A data set without the Part 10 header (no preamble, no file meta), read with
    ``force=True``; None when what is read is not a DICOM data set (no SOP Class UID)."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, force=True)
        return ds if "SOPClassUID" in ds else None
    except Exception:
        return None


def _run_file(job: Job, tmp: Path, dciodvfy: str | None, send) -> None:
    import pydicom
    from pydicom.errors import InvalidDicomError

    ctx = _Context(job.path, tmp, dciodvfy)
    if "dcmread" in job.skip:  # pydicom itself killed the worker: nothing to give the helpers
        return
    try:
        ctx.ds = pydicom.dcmread(job.path)
    except InvalidDicomError as exc:
        ctx.ds = _forced(job.path)
        if ctx.ds is None:
            send(("done", "dcmread", "not DICOM", _describe(exc), 0.0, [], False))
            return
        send(("done", "dcmread", "read with force=True", _describe(exc), 0.0, [], False))
    except Exception as exc:
        send(("done", "dcmread", "not read", _describe(exc), 0.0, [], False))
        return
    for helper, step in FILE_STEPS.items():
        if helper in job.skip:
            continue
        send(("start", helper))
        started = time.perf_counter()
        try:
            result, check = step(ctx)
        except Exception as exc:
            send(
                (
                    "done",
                    helper,
                    classify(exc),
                    _describe(exc),
                    time.perf_counter() - started,
                    [],
                    _names(exc, job.path),
                )
            )
            continue
        seconds = time.perf_counter() - started
        if isinstance(result, str) and result == "n/a":
            send(("done", helper, "n/a", "", seconds, [], False))
            continue
        problems = []
        for one in check if isinstance(check, list) else [check] if check else []:
            try:
                one()
            except Problem as problem:
                problems.append((problem.kind, str(problem)))
            except Exception as exc:
                problems.append(("check error", _describe(exc)))
        send(("done", helper, "ok", "", seconds, problems, False))


def _worker(conn, dciodvfy: str | None, base: str | None) -> None:
    """Run the jobs the parent sends, reporting every call; quiet (no stdout/stderr)."""
    faulthandler.disable()  # pytest's handler would print a dying worker's stack
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        job = conn.recv()
        if job is None:
            return
        tmp = Path(tempfile.mkdtemp(prefix="job-", dir=base))
        try:
            if job.kind == "file":
                _run_file(job, tmp, dciodvfy, conn.send)
            else:
                _folder_steps(job.path, tmp, job.skip, conn.send)
        except Exception as exc:  # a bug in the sweep itself: reported, not hidden
            conn.send(("done", "(sweep)", "crash", _describe(exc), 0.0, [], False))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        conn.send(("end",))


class _Slot:
    """One worker process, the job it runs and the call it is in."""

    def __init__(self, context, dciodvfy, base):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, dciodvfy, base), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.helper: str | None = None
        self.since = 0.0
        self.done: set[str] = set()

    def give(self, job: Job) -> None:
        self.job, self.helper, self.done = job, None, set(job.skip)
        self.since = time.monotonic()
        self.conn.send(job)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def run(
    jobs: list[Job], dciodvfy: str | None, workers: int = WORKERS, tmp: Path | None = None
) -> list[Record]:
    """Every job in ``workers`` processes; one :class:`Record` per call.

    Each job writes into its own folder under ``tmp`` (default: the system's temporary
    folder), removed when the job ends.
    """
    base = str(tmp) if tmp is not None else None
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    queue = list(jobs)
    records: list[Record] = []
    slots = [_Slot(context, dciodvfy, base) for _ in range(workers)]

    def record(slot: _Slot, helper, status, message, seconds=0.0, problems=(), names=False):
        job = slot.job
        records.append(
            Record(job.source, job.rel, helper, status, message, seconds, list(problems), names)
        )
        slot.done.add(helper)

    def restart(slot: _Slot, why: str) -> _Slot:
        job = slot.job
        helper = slot.helper or ("dcmread" if job.kind == "file" and not slot.done else None)
        record(
            slot, helper or "(sweep, between calls)", "crash", why, time.monotonic() - slot.since
        )
        if helper is not None:  # the job goes on after the call that crashed
            remaining = Job(job.kind, job.source, job.root, job.path, frozenset(slot.done))
            queue.insert(0, remaining)
        slot.stop()
        return _Slot(context, dciodvfy, base)

    try:
        while queue or any(s.job for s in slots):
            for slot in slots:
                if slot.job is None and queue:
                    slot.give(queue.pop(0))
            busy = {s.conn: s for s in slots if s.job is not None}
            ready = wait(list(busy), timeout=1.0)
            for conn in ready:
                slot = busy[conn]
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    slot.process.join(5)
                    code = slot.process.exitcode
                    name = signal.Signals(-code).name if code and code < 0 else f"exit {code}"
                    slots[slots.index(slot)] = restart(slot, f"worker process died ({name})")
                    continue
                if message[0] == "start":
                    slot.helper, slot.since = message[1], time.monotonic()
                elif message[0] == "done":
                    _, helper, status, text, seconds, problems, names = message
                    record(slot, helper, status, text, seconds, problems, names)
                    slot.helper, slot.since = None, time.monotonic()
                else:  # "end"
                    slot.job = None
            now = time.monotonic()
            for index, slot in enumerate(slots):
                if slot.job is not None and now - slot.since > TIMEOUT:
                    slots[index] = restart(slot, f"no answer after {TIMEOUT:.0f} s (timeout)")
    finally:
        for slot in slots:
            if slot.process.is_alive() and slot.job is None:
                slot.conn.send(None)
            slot.stop()
    return records


# --------------------------------------------------------------------------- reports


def _helper_row(helper: str) -> str:
    """Table rows group the per-series calls: "load_series [1.2.3]" -> "load_series"."""
    return helper.split(" [")[0]


def table(records: list[Record]) -> str:
    """Calls, ok, refusals (and how many name the file), crashes and problems, by helper."""
    rows: dict[str, Counter] = {}
    for rec in records:
        if rec.status == "n/a" or rec.helper == "dcmread":
            continue
        row = rows.setdefault(_helper_row(rec.helper), Counter())
        row["calls"] += 1
        row[rec.status] += 1
        row["named"] += rec.names_file
        row["seconds"] += rec.seconds
        for kind, _ in rec.problems:
            row[kind] += 1
    columns = ["calls", "ok", "refusal", "named", "crash", *KINDS, "seconds"]
    heads = ["calls", "ok", "refusals", "(naming file)", "crashes", *KINDS, "s"]
    width = max(len(h) for h in rows) + 2
    lines = [f"{'helper':<{width}}" + " ".join(f"{h:>{max(len(h), 5)}}" for h in heads)]
    total = Counter()
    for helper, row in rows.items():
        total.update(row)
        lines.append(f"{helper:<{width}}" + _cells(row, columns, heads))
    lines.append(f"{'total':<{width}}" + _cells(total, columns, heads))
    return "\n".join(lines)


def _cells(row: Counter, columns, heads) -> str:
    cells = []
    for column, head in zip(columns, heads, strict=True):
        value = row[column]
        text = f"{value:.0f}" if column == "seconds" else str(value)
        cells.append(f"{text:>{max(len(head), 5)}}")
    return " ".join(cells)


def reading(records: list[Record]) -> str:
    """How many files pydicom read, which needed ``force=True``, which were not DICOM."""
    files = {r.where for r in records if not r.path.endswith("/")}
    notes = [r for r in records if r.helper == "dcmread"]
    unread = [r for r in notes if r.status != "read with force=True"]
    lines = [
        f"{len(files)} files, {len(files) - len(unread)} read by pydicom.dcmread "
        f"({len(notes) - len(unread)} of them only with force=True); {len(unread)} not:"
    ]
    lines += sorted(f"{r.where} ({r.status}: {r.message})" for r in unread)
    lines += ["read with force=True (no Part 10 header):"]
    lines += sorted(r.where for r in notes if r not in unread)
    return "\n    ".join(lines)


def slowest(records: list[Record], count: int = 10) -> str:
    """The files and folders whose calls took longest, with their seconds."""
    total = Counter()
    for rec in records:
        total[rec.where] += rec.seconds
    return ", ".join(f"{where} {seconds:.1f} s" for where, seconds in total.most_common(count))


def failures(records: list[Record]) -> list[str]:
    """One line per failing call: crashes, then every output problem; grouped by helper."""
    lines = []
    for rec in sorted(records, key=lambda r: (_helper_row(r.helper), r.where)):
        if rec.status == "crash":
            lines.append(f"{_helper_row(rec.helper)} | {rec.where} | crash | {rec.message}")
        for kind, message in rec.problems:
            lines.append(f"{_helper_row(rec.helper)} | {rec.where} | {kind} | {message}")
    return lines


def refusals(records: list[Record]) -> list[str]:
    """One line per refusal, for reading the messages (not a failure)."""
    return [
        f"{_helper_row(r.helper)} | {r.where} | refusal"
        f"{'' if r.names_file else ' (file not named)'} | {r.message}"
        for r in sorted(records, key=lambda r: (_helper_row(r.helper), r.where))
        if r.status == "refusal"
    ]
