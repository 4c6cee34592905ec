"""Load a folder of DICOM slices as one 3-D image with real-world values and a RAS+ affine.

What :func:`load_series` does, in the order the course teaches it:

1. find the DICOM files in the folder (any names, any order, sub-folders included);
2. group them by Series Instance UID and pick one series;
3. check that the slices belong together (same size, orientation and pixel spacing);
4. sort them by their position along the slice normal (not by file name or Instance Number);
5. check the spacing (no duplicate, missing or unevenly spaced slices);
6. apply each slice's own Rescale Slope and Intercept (they may differ between slices);
7. build the affine from Image Position/Orientation (Patient) and Pixel Spacing, converting
   DICOM's LPS patient coordinates to the RAS+ coordinates NIfTI uses.

Every problem raises :class:`SeriesError` (a :class:`ValueError`) naming the files involved.

The header fields it reads, and where the standard defines them: Series Instance UID
(0020,000E), General Series module, PS3.3 C.7.3.1; Image Position (Patient), Image
Orientation (Patient) and Pixel Spacing, Image Plane module, PS3.3 C.7.6.2 (the patient
coordinate system in C.7.6.2.1.1); Rescale Slope and Intercept, Modality LUT module, PS3.3
C.11.1 (for CT also C.8.2.1).

>>> from bootcamp_utils import load_series, sample_path
>>> load_series(sample_path("head_ct")).shape  # (columns, rows, slices)
(256, 256, 40)
"""

from __future__ import annotations

import os
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np
from pydicom import dcmread
from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    MediaStorageDirectoryStorage,
)

__all__ = ["MultipleSeriesError", "SeriesError", "SeriesInfo", "list_series", "load_series"]

#: DICOM's patient coordinates are LPS (x to the Left, y to Posterior, z to Superior);
#: NIfTI's are RAS+ (x to the Right, y to Anterior). Flip the first two axes.
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])

_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
_PROGRESS_FROM = 50  # files; show a progress bar from this many on (progress=None)


class SeriesError(ValueError):
    """A folder cannot be loaded as one volume.

    The message says what is wrong and names the files; ``files`` lists them as paths.

    Parameters
    ----------
    message : str
        What is wrong, and what to do about it.
    files : iterable of path-like, optional
        The files concerned.

    Examples
    --------
    >>> from bootcamp_utils import SeriesError
    >>> error = SeriesError("CT0002.dcm is empty (0 bytes).", ["scan/CT0002.dcm"])
    >>> isinstance(error, ValueError), error.files[0].name
    (True, 'CT0002.dcm')
    """

    def __init__(self, message: str, files: Iterable[Path | str] = ()):
        super().__init__(message)
        self.files = [Path(f) for f in files]


@dataclass
class SeriesInfo:
    """One series found in a folder, as :func:`list_series` reports it.

    Attributes
    ----------
    uid : str
        Series Instance UID (0020,000E), PS3.3 C.7.3.1; ``"(none)"`` if the files lack one.
    number : int or None
        Series Number (0020,0011), None when absent or empty (it is type 2).
    modality : str
        Modality (0008,0060), such as ``"CT"`` or ``"MR"``.
    description : str
        Series Description (0008,103E), free text (type 3: often empty).
    files : list of pathlib.Path
        The series' files, in the order they were found (not sorted in space).

    Examples
    --------
    >>> from bootcamp_utils import list_series, sample_path
    >>> scout, axial = list_series(sample_path("identified_study"))
    >>> axial.number, axial.modality, axial.description, len(axial.files)
    (2, 'CT', 'Head 4 mm (Rivera)', 4)
    """

    uid: str
    number: int | None
    modality: str
    description: str
    files: list[Path] = field(repr=False)

    def __str__(self) -> str:
        return (
            f"series {self.number} {self.modality} {self.description!r}: "
            f"{len(self.files)} files, SeriesInstanceUID {self.uid}"
        )


class MultipleSeriesError(SeriesError):
    """The folder holds several image series and none was chosen.

    ``series`` lists them (:class:`SeriesInfo`, by series number); load one by passing its
    ``uid`` as ``load_series(folder, series_uid=...)``.

    Parameters
    ----------
    message : str
        The listing of the series, and how to choose one.
    series : list of SeriesInfo
        The image series found.

    Examples
    --------
    >>> from bootcamp_utils import MultipleSeriesError, load_series, sample_path
    >>> folder = sample_path("identified_study")  # a localizer and an axial series
    >>> try:
    ...     load_series(folder)
    ... except MultipleSeriesError as error:
    ...     print([(s.number, s.description) for s in error.series])
    [(1, 'Topogram 0.6 T20s'), (2, 'Head 4 mm (Rivera)')]
    """

    def __init__(self, message: str, series: list[SeriesInfo]):
        super().__init__(message, [f for s in series for f in s.files])
        self.series = series


# --- finding and reading files --------------------------------------------------------------


def _names(files: Iterable[Path], limit: int = 4) -> str:
    files = list(files)
    shown = ", ".join(f.name for f in files[:limit])
    return shown + (f" and {len(files) - limit} more" if len(files) > limit else "")


def _candidate_files(folder: Path) -> list[Path]:
    if not folder.exists():
        raise FileNotFoundError(f"No such folder: {folder}")
    if not folder.is_dir():
        raise SeriesError(
            f"{folder} is a file; load_series expects the folder that holds "
            "the slices of a series.",
            [folder],
        )
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(root, n) for n in sorted(names) if not n.startswith(".")]
    if not files:
        raise SeriesError(f"The folder {folder} is empty: no files to load.")
    return files


def _read_header(path: Path) -> Dataset | None:
    """The data set with its pixel data deferred (read later, only if needed), or None."""
    try:
        ds = dcmread(path, defer_size=1024)
    except InvalidDicomError:
        size = path.stat().st_size
        if size == 0:  # a failed copy or download; ignoring it could drop an end slice
            raise SeriesError(
                f"{path.name} is empty (0 bytes): a failed copy? Copy it again "
                "or remove it from the folder.",
                [path],
            ) from None
        if size < 132 and _cut_preamble(path.read_bytes()):
            raise SeriesError(
                f"{path.name} is truncated: it ends after {size} bytes, before "
                "the 'DICM' marker at bytes 128-131.",
                [path],
            ) from None
        return None  # no 'DICM' marker: not a DICOM file (README.txt, thumbnails...)
    except Exception as exc:  # pydicom raises many kinds on corrupt input
        raise SeriesError(f"{path.name} could not be read as DICOM: {exc}", [path]) from exc
    if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}) or len(ds) == 0:
        raise SeriesError(
            f"{path.name} starts like a DICOM file but holds no data set: the "
            f"file is truncated or damaged ({path.stat().st_size} bytes).",
            [path],
        )
    _check_complete(ds, path)
    return ds


def _cut_preamble(head: bytes) -> bool:
    """A file shorter than preamble + 'DICM': zeros (the usual preamble) or a cut marker."""
    return head[128:] == b"DICM"[: len(head) - 128] if len(head) > 128 else not any(head)


def _check_complete(ds: Dataset, path: Path) -> None:
    """pydicom silently stops reading where a file ends: make sure it ended with an element."""
    if ds.file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian:
        return  # positions refer to the inflated stream, not to the file
    last = max(ds.values(), key=_tell)  # the elements as read: no deferred value is loaded
    if not isinstance(last, RawDataElement) or last.length == 0xFFFFFFFF:
        return  # undefined length: read up to its delimiter (pydicom raises if it is cut)
    size, end = path.stat().st_size, last.value_tell + last.length
    if end < size:  # bytes left over: part of a cut element header, or zero padding?
        with open(path, "rb") as f:
            f.seek(end)
            tail = f.read(12)
        if len(tail) >= 12 or not any(tail):
            return
    if end != size:
        name = f"{last.tag} {keyword_for_tag(last.tag)}".rstrip()
        where = (
            f"inside the value of {name}, which needs {end} bytes"
            if end > size
            else f"{size - end} byte(s) into the header of the element after {name}"
        )
        raise SeriesError(
            f"{path.name} is truncated: the file ends after {size} bytes, {where}.", [path]
        )


def _tell(elem) -> int:
    return elem.value_tell if isinstance(elem, RawDataElement) else elem.file_tell or 0


def _number(ds: Dataset, keyword: str, path: Path, default: float | None) -> float | None:
    """One numeric header value, ``default`` when absent or empty."""
    value = ds.get(keyword)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise SeriesError(f"{path.name}: {keyword} {value!r} is not a number.", [path]) from exc


def _has_pixels(ds: Dataset) -> bool:
    return any(k in ds for k in _PIXEL_KEYWORDS)


def _scan(folder: Path, progress: bool | None) -> tuple[dict[str, list], list[Path]]:
    """Headers of every DICOM file, grouped by series; and the files that are not DICOM."""
    from tqdm.auto import tqdm

    files = _candidate_files(folder)
    show = len(files) >= _PROGRESS_FROM if progress is None else progress
    by_series: dict[str, list[tuple[Path, Dataset]]] = defaultdict(list)
    not_dicom = []
    for path in tqdm(
        files, desc="Reading DICOM headers", unit="file", disable=not show, leave=False
    ):
        ds = _read_header(path)
        if ds is None:
            not_dicom.append(path)
        elif ds.file_meta.get("MediaStorageSOPClassUID") != MediaStorageDirectoryStorage:
            by_series[str(ds.get("SeriesInstanceUID", ""))].append((path, ds))
    if not by_series:
        raise SeriesError(
            f"No DICOM files in {folder}: {len(not_dicom)} file(s) without the "
            f"DICOM marker ({_names(not_dicom)}).",
            not_dicom,
        )
    return by_series, not_dicom


def _info(uid: str, members: list[tuple[Path, Dataset]]) -> SeriesInfo:
    path, ds = members[0]
    number = _number(ds, "SeriesNumber", path, None)
    return SeriesInfo(
        uid=uid or "(none)",
        number=None if number is None else int(number),
        modality=str(ds.get("Modality", "")),
        description=str(ds.get("SeriesDescription", "")),
        files=[p for p, _ in members],
    )


def list_series(folder: str | os.PathLike, *, progress: bool | None = None) -> list[SeriesInfo]:
    """Every series in ``folder``, grouped by Series Instance UID, sorted by series number.

    Only headers are read (pixel data is deferred), so this is quick even for large folders.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder to search, sub-folders included; non-DICOM files are skipped.
    progress : bool, optional
        Show a progress bar; by default only for 50 files or more.

    Returns
    -------
    list of SeriesInfo
        One entry per Series Instance UID (PS3.3 C.7.3.1), series without a number last.

    Raises
    ------
    FileNotFoundError
        The folder does not exist.
    SeriesError
        No DICOM file in the folder, or a file that starts like DICOM but is damaged.

    Examples
    --------
    >>> from bootcamp_utils import list_series, sample_path
    >>> for info in list_series(sample_path("identified_study")):
    ...     print(info.number, info.modality, info.description, len(info.files))
    1 CT Topogram 0.6 T20s 1
    2 CT Head 4 mm (Rivera) 4
    """
    by_series, _ = _scan(Path(folder), progress)
    infos = [_info(uid, members) for uid, members in by_series.items()]
    return sorted(infos, key=lambda s: (s.number is None, s.number or 0, s.uid))


def _listing(infos: Iterable[SeriesInfo]) -> str:
    return "\n  ".join(f"{s} ({_names(s.files, 3)})" for s in infos)


def _select(folder: Path, by_series: dict[str, list], series_uid: str | None):
    # Every image has a Series Instance UID: a file with neither one nor pixel data was cut
    # short (or damaged) and might be a slice of the series we are about to load.
    broken = [p for p, ds in by_series.get("", []) if not _has_pixels(ds)]
    if broken:
        raise SeriesError(
            f"{len(broken)} DICOM file(s) have neither a Series Instance UID nor "
            f"pixel data ({_names(broken)}): truncated or damaged files?",
            broken,
        )
    if series_uid is not None:
        if series_uid not in by_series:
            listing = _listing(_info(u, m) for u, m in by_series.items())
            raise SeriesError(
                f"No series with SeriesInstanceUID {series_uid} in {folder}. "
                f"It holds:\n  {listing}",
                [p for m in by_series.values() for p, _ in m],
            )
        return by_series[series_uid]
    with_images = {u: m for u, m in by_series.items() if any(_has_pixels(ds) for _, ds in m)}
    if not with_images:
        files = [p for m in by_series.values() for p, _ in m]
        raise SeriesError(
            f"None of the {len(files)} DICOM files in {folder} has pixel data "
            f"({_names(files)}): nothing to load as an image.",
            files,
        )
    if len(with_images) > 1:
        infos = sorted(
            (_info(u, m) for u, m in with_images.items()),
            key=lambda s: (s.number is None, s.number or 0),
        )
        listing = _listing(infos)
        raise MultipleSeriesError(
            f"{folder} holds {len(infos)} image series:\n  {listing}\n"
            "Pass series_uid=... to choose one (list_series(folder) lists them).",
            infos,
        )
    return next(iter(with_images.values()))


# --- geometry ---------------------------------------------------------------------------------


def _floats(ds: Dataset, keyword: str, count: int, path: Path) -> np.ndarray | None:
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    try:
        values = np.array(
            [
                float(v)
                for v in (
                    value if isinstance(value, Iterable) and not isinstance(value, str) else [value]
                )
            ]
        )
    except (TypeError, ValueError) as exc:
        raise SeriesError(f"{path.name}: {keyword} {value!r} is not numeric.", [path]) from exc
    if values.size != count or not np.all(np.isfinite(values)):
        raise SeriesError(
            f"{path.name}: {keyword} should hold {count} numbers, has {value!r}.", [path]
        )
    return values


@dataclass
class _Slice:
    path: Path
    ds: Dataset
    position: np.ndarray
    orientation: np.ndarray
    spacing: np.ndarray
    distance: float = 0.0


def _geometry(members: list[tuple[Path, Dataset]]) -> list[_Slice]:
    no_pixels = [p for p, ds in members if not _has_pixels(ds)]
    if no_pixels:
        truncated = [p for p, ds in members if not _has_pixels(ds) and "Rows" in ds]
        why = (
            " They describe an image (Rows, Columns) but the pixel data is missing: "
            "probably truncated files."
            if truncated
            else ""
        )
        raise SeriesError(
            f"{len(no_pixels)} file(s) of the series have no pixel data "
            f"({_names(no_pixels)}).{why}",
            no_pixels,
        )
    multi = [p for p, ds in members if (_number(ds, "NumberOfFrames", p, 1) or 1) > 1]
    if multi:
        raise SeriesError(
            f"{_names(multi)} hold(s) several frames in one file (multi-frame): "
            "load_series reads series of single-frame files. Read multi-frame "
            "files with pydicom (ds.pixel_array) or dicom2nifti.",
            multi,
        )
    colour = [p for p, ds in members if _number(ds, "SamplesPerPixel", p, 1) != 1]
    if colour:
        raise SeriesError(
            f"{_names(colour)}: colour images (Samples per Pixel > 1) are not "
            "volumes of real-world values.",
            colour,
        )
    no_size = [p for p, ds in members if not ds.get("Rows") or not ds.get("Columns")]
    if no_size:
        raise SeriesError(
            f"{len(no_size)} file(s) have pixel data but no image size (Rows, "
            f"Columns) ({_names(no_size)}): damaged files?",
            no_size,
        )

    slices, unplaced = [], []
    for path, ds in members:
        position = _floats(ds, "ImagePositionPatient", 3, path)
        orientation = _floats(ds, "ImageOrientationPatient", 6, path)
        spacing = _floats(ds, "PixelSpacing", 2, path)
        if position is None or orientation is None or spacing is None:
            unplaced.append(path)
            continue
        slices.append(_Slice(path, ds, position, orientation, spacing))
    if unplaced:
        raise SeriesError(
            f"{len(unplaced)} file(s) have no position in space ({_names(unplaced)}): Image "
            "Position (Patient), Image Orientation (Patient) and Pixel Spacing are needed to "
            "place slices in a volume.",
            unplaced,
        )

    _check_same(slices, lambda s: (int(s.ds.Rows), int(s.ds.Columns)), "image size (rows, columns)")
    _check_same(slices, lambda s: tuple(np.round(s.orientation, 4)), "Image Orientation (Patient)")
    _check_same(slices, lambda s: tuple(np.round(s.spacing, 4)), "Pixel Spacing")
    return slices


def _check_same(slices: list[_Slice], key, what: str) -> None:
    groups: dict = defaultdict(list)
    for s in slices:
        groups[key(s)].append(s.path)
    if len(groups) > 1:
        parts = "; ".join(f"{value} in {_names(paths, 2)}" for value, paths in groups.items())
        raise SeriesError(
            f"The slices disagree on {what}: {parts}. They cannot form one "
            "volume (several acquisitions in one series?).",
            [p for paths in groups.values() for p in paths],
        )


def _sort_and_check_spacing(slices: list[_Slice]) -> tuple[list[_Slice], np.ndarray]:
    """Sort along the normal; return the slices and the vector from one slice to the next."""
    row, col = slices[0].orientation[:3], slices[0].orientation[3:]
    normal = np.cross(row, col)
    for s in slices:
        s.distance = float(s.position @ normal)
    slices.sort(key=lambda s: s.distance)
    if len(slices) == 1:
        ds, path = slices[0].ds, slices[0].path
        thickness = (
            _number(ds, "SpacingBetweenSlices", path, None)
            or _number(ds, "SliceThickness", path, None)
            or 1.0
        )
        return slices, normal * thickness

    distances = np.array([s.distance for s in slices])
    steps = np.diff(distances)
    same = np.flatnonzero(steps < 1e-3)
    if same.size:
        a, b = slices[same[0]], slices[same[0] + 1]
        copies = a.ds.get("SOPInstanceUID") == b.ds.get("SOPInstanceUID")
        why = (
            "the same image twice (same SOP Instance UID)"
            if copies
            else "different images at one position: several echoes, phases or acquisitions in "
            "one series? Select them by a header field before stacking"
        )
        pairs = [(slices[i].path, slices[i + 1].path) for i in same]
        raise SeriesError(
            f"{same.size} duplicate slice position(s), first at {a.distance:.3f} "
            f"mm along the normal: {a.path.name} and {b.path.name} ({why}).",
            [p for pair in pairs for p in pair],
        )
    step = float(np.median(steps))
    tolerance = max(0.01, 0.01 * step)
    bad = np.flatnonzero(np.abs(steps - step) > tolerance)
    if bad.size:
        i = bad[0]
        ratio = steps[i] / step
        if abs(ratio - round(ratio)) < 0.1 and round(ratio) >= 2:
            what = (
                f"{round(ratio) - 1} slice(s) missing between {slices[i].path.name} and "
                f"{slices[i + 1].path.name} ({steps[i]:.3f} mm apart, the series steps "
                f"{step:.3f} mm)"
            )
        else:
            what = (
                f"uneven slice spacing: {slices[i].path.name} and {slices[i + 1].path.name} "
                f"are {steps[i]:.3f} mm apart, the series steps {step:.3f} mm"
            )
        files = [slices[j].path for j in bad] + [slices[j + 1].path for j in bad]
        raise SeriesError(f"Cannot stack the slices: {what}.", files)
    # The mean step between slice origins; not along the normal when the gantry was tilted.
    vector = (slices[-1].position - slices[0].position) / (len(slices) - 1)
    # One affine places every slice only if the origins lie on one line: check the part of
    # each origin's offset from that line that lies in the slice plane (spacing is done).
    offsets = np.array([s.position for s in slices]) - slices[0].position
    offsets -= np.outer(np.arange(len(slices)), vector)
    shifts = np.linalg.norm(offsets - np.outer(offsets @ normal, normal), axis=1)
    if shifts.max() > tolerance:
        off = [s.path for s, shift in zip(slices, shifts, strict=True) if shift > tolerance]
        worst = slices[int(np.argmax(shifts))]
        raise SeriesError(
            f"Cannot stack the slices: {worst.path.name} is shifted "
            f"{shifts.max():.3f} mm within its plane from the line through the "
            f"other slice origins ({len(off)} slice(s) off the line: "
            f"{_names(off)}).",
            off,
        )
    return slices, vector


def _affine(first: _Slice, slice_vector: np.ndarray) -> np.ndarray:
    """Voxel (column i, row j, slice k) -> RAS+ mm."""
    row, col = first.orientation[:3], first.orientation[3:]
    row_spacing, col_spacing = first.spacing
    lps = np.eye(4)
    lps[:3, 0] = row * col_spacing  # i: along a row, one column further
    lps[:3, 1] = col * row_spacing  # j: down a column, one row further
    lps[:3, 2] = slice_vector
    lps[:3, 3] = first.position
    return LPS_TO_RAS @ lps


# --- pixels ---------------------------------------------------------------------------------


_NATIVE_LITTLE_ENDIAN = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)


def _raw_if_already_decoded(ds: Dataset) -> np.ndarray | None:
    """The pixel bytes as an array when pydicom's decoding would not change them, else None.

    For uncompressed little-endian single-sample data, decoding is a reinterpretation of
    the bytes plus a correction of the bits above Bits Stored (masked for unsigned data,
    sign-extended for signed data). When every value already lies in the Bits Stored range
    that correction changes nothing, so the bytes can be used as they are: much faster than
    pydicom's general machinery, and equal to it (tests/test_series_pixels.py checks).
    """
    syntax = ds.file_meta.get("TransferSyntaxUID")
    bits = int(ds.get("BitsAllocated", 0))
    if (
        syntax not in _NATIVE_LITTLE_ENDIAN
        or bits not in (8, 16, 32)
        or "PixelData" not in ds
        or int(ds.get("SamplesPerPixel", 1)) != 1
    ):
        return None
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    dtype = np.dtype(f"<{'i' if signed else 'u'}{bits // 8}")
    count = int(ds.Rows) * int(ds.Columns)
    raw = ds.PixelData
    if len(raw) < count * dtype.itemsize:
        return None  # too short: let pydicom say so
    values = np.frombuffer(raw, dtype, count=count).reshape(int(ds.Rows), int(ds.Columns))
    stored = int(ds.get("BitsStored", bits))
    if stored == bits:
        return values
    if signed:
        low, high = -(1 << (stored - 1)), (1 << (stored - 1)) - 1
    else:
        low, high = 0, (1 << stored) - 1
    if values.min() >= low and values.max() <= high:
        return values
    return None


def _stored_values(s: _Slice) -> np.ndarray:
    values = _raw_if_already_decoded(s.ds)
    if values is not None:
        return values
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns about fixable header quirks
            return s.ds.pixel_array
    except Exception as exc:
        raise SeriesError(
            f"{s.path.name}: the pixel data cannot be decoded ({exc}).", [s.path]
        ) from exc


def _real_world(slices: list[_Slice], progress: bool) -> np.ndarray:
    from pydicom.pixels import apply_modality_lut
    from tqdm.auto import tqdm

    first = slices[0].ds
    stack = np.empty((len(slices), int(first.Rows), int(first.Columns)), np.float32)
    for k, s in enumerate(
        tqdm(slices, desc="Reading pixel data", unit="slice", disable=not progress, leave=False)
    ):
        stored = _stored_values(s)
        if "ModalityLUTSequence" in s.ds:
            stack[k] = apply_modality_lut(stored, s.ds)
            continue
        slope = _number(s.ds, "RescaleSlope", s.path, 1.0) or 1.0
        intercept = _number(s.ds, "RescaleIntercept", s.path, 0.0) or 0.0
        if slope == 1.0:  # one pass: stored + intercept, straight into float32
            np.add(stored, np.float32(intercept), out=stack[k], dtype=np.float32)
        else:
            np.multiply(stored, np.float32(slope), out=stack[k], dtype=np.float32)
            if intercept:
                stack[k] += np.float32(intercept)
        s.ds = None  # type: ignore[assignment]  # free the pixel bytes as we go
    return stack


def load_series(
    folder: str | os.PathLike,
    series_uid: str | None = None,
    *,
    progress: bool | None = None,
) -> nib.Nifti1Image:
    """Load the DICOM series in ``folder`` as a NIfTI image in real-world units.

    Parameters
    ----------
    folder : str or os.PathLike
        Folder holding the slices (file names and order do not matter; sub-folders and
        non-DICOM files are fine).
    series_uid : str, optional
        Series Instance UID to load when the folder holds several image series
        (:func:`list_series` lists them).
    progress : bool, optional
        Show a progress bar; by default only for 50 files or more.

    Returns
    -------
    nibabel.Nifti1Image
        float32 voxel values after each slice's Rescale Slope/Intercept (Hounsfield units
        for CT), indexed (column, row, slice) with slices sorted along the normal; the
        affine maps voxel indices to RAS+ millimetres (sform and, unless the gantry was
        tilted, qform both set, code 1 "scanner").

    Raises
    ------
    FileNotFoundError
        The folder does not exist.
    SeriesError
        Anything that stops the files from forming one volume; the message names the files.
        :class:`MultipleSeriesError` when several series are present and none is chosen.

    Examples
    --------
    The synthetic sagittal head MR: 36 slices of 256 x 256, 4 mm apart.

    >>> import nibabel as nib
    >>> from bootcamp_utils import load_series, sample_path
    >>> image = load_series(sample_path("head_mr"))
    >>> image.shape, image.get_data_dtype().name
    ((256, 256, 36), 'float32')
    >>> [float(z) for z in image.header.get_zooms()]  # voxel size in mm
    [1.0, 1.0, 4.0]
    >>> nib.aff2axcodes(image.affine)  # where each voxel axis points (RAS+ letters)
    ('P', 'I', 'R')

    One series of a folder that holds several:

    >>> from bootcamp_utils import list_series
    >>> folder = sample_path("identified_study")
    >>> axial = list_series(folder)[1]
    >>> load_series(folder, series_uid=axial.uid).shape
    (256, 256, 4)
    """
    folder = Path(folder)
    by_series, _ = _scan(folder, progress)
    members = _select(folder, by_series, series_uid)
    slices, slice_vector = _sort_and_check_spacing(_geometry(members))
    affine = _affine(slices[0], slice_vector)
    show = len(slices) >= _PROGRESS_FROM if progress is None else progress
    volume = _real_world(slices, show).transpose(2, 1, 0)  # (columns, rows, slices)

    image = nib.Nifti1Image(volume, affine)
    image.header.set_xyzt_units("mm")
    image.set_sform(affine, code=1)
    normal = np.cross(slices[0].orientation[:3], slices[0].orientation[3:])
    tilted = abs(abs(float(normal @ slice_vector)) - float(np.linalg.norm(slice_vector))) > 1e-4
    image.set_qform(None if tilted else affine, code=0 if tilted else 1)
    return image
