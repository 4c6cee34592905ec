"""Finding the DICOM files of a folder and reading their headers, for :mod:`.series`.

:func:`bootcamp_utils.load_series` and :func:`bootcamp_utils.list_series` start here: every
file under the folder is opened once, its header read (small pixel data with it), and the
files are grouped by Series Instance UID (0020,000E, PS3.3 C.7.3.1). Files without the
'DICM' marker (PS3.10 7.1) are set aside; a DICOMDIR (Basic Directory IOD, PS3.3 Annex F) is
an index of a file-set, not an image: it is set aside too, and named when it is all the
folder holds.

**Damaged files: one rule**, shared with :func:`bootcamp_utils.deidentify_folder` (both read
through :func:`read_dicom`, and name a file the same way). A file that is, or was meant to
be, a DICOM file but cannot be read as one whole stops the call with an error that names
the file and the fix: skipping it could silently drop a slice of the volume, or an image
of the de-identified copy. These are:

* an **empty** file (0 bytes: a failed copy or download);
* a file **truncated** anywhere: before the end of the 'DICM' marker at bytes 128-131,
  inside an element's header or value (the pixel data too), or holding no data set;
* a file that **could not be read** (a broken link, no permission, garbage after 'DICM');
* a DICOM data set **without the preamble** and 'DICM' marker (no Part 10 header: it
  starts with an element tag of group 0002 or 0008, and pydicom reads it with
  ``force=True``): the message says how to give it one.

Anything else without the marker (a README, a thumbnail) is not DICOM and is set aside.

Decimal (DS) and integer (IS) strings (PS3.5 6.2) are read from their text by
:func:`_number`, which names the file, the attribute and the fix when one is not a number.
"""

from __future__ import annotations

import gc
import os
import traceback
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydicom import dcmread
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.tag import Tag
from pydicom.uid import DeflatedExplicitVRLittleEndian, MediaStorageDirectoryStorage

from ._progress import progress_bar
from .geometry import _as_read

_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
_PROGRESS_FROM = 50  # files; show a progress bar from this many on (progress=None)
#: Elements up to this size are read with the header; larger ones (the pixel data of a CT
#: slice, 512 KB) when used. A 64 x 64 fMRI slice (8 KB) is then read in one go.
_READ_WITH_HEADER = 64 * 1024


class _ShortInJupyter:
    """An error whose message says what is wrong and what to do: IPython (Jupyter, Colab)
    shows that message and the caller's line, not the package's frames.

    IPython calls ``_render_traceback_`` when an exception has one. An error raised *from*
    another one (a bug, not a refusal) keeps its whole traceback.
    """

    def _render_traceback_(self) -> list[str]:
        if self.__cause__ is not None:
            return "".join(traceback.format_exception(self)).splitlines()
        lines = [f"{type(self).__name__}: {self}"]
        frames = traceback.extract_tb(self.__traceback__)
        package = str(Path(__file__).parent)
        inside = [i for i, f in enumerate(frames) if f.filename.startswith(package)]
        if inside and inside[0] > 0 and frames[inside[0] - 1].line:
            caller = frames[inside[0] - 1]
            lines.append(f"  (line {caller.lineno}: {caller.line.strip()})")
        return lines


class SeriesError(_ShortInJupyter, ValueError):
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

    __module__ = "bootcamp_utils.series"  # where it is documented and imported from

    def __init__(self, message: str, files: Iterable[Path | str] = ()):
        super().__init__(message)
        self.files = [Path(f) for f in files]


#: The label of files without a Series Instance UID, in :func:`list_series` and for
#: ``load_series(series_uid=...)``. A UID is digits and dots (PS3.5 9.1): no UID looks like it.
NO_UID = "(none)"

#: How to mend a damaged header value, added to the messages that name one.
FIX_VALUE = (
    "Correct the value (with pydicom: ds = pydicom.dcmread(path); ds.{keyword} = "
    "<the right value>; ds.save_as(path)), delete it if the file's IOD does not require it, "
    "or move the file out of the folder."
)


def _names(files: Iterable[Path], limit: int = 4, root: Path | None = None) -> str:
    """The first ``limit`` file names; with ``root``, their paths relative to it."""
    files = list(files)
    shown = ", ".join(f.name if root is None else _relative(f, root) for f in files[:limit])
    return shown + (f" and {len(files) - limit} more" if len(files) > limit else "")


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the folder loaded (``sub/0001.dcm``), else its name."""
    try:
        return path.relative_to(root.root if isinstance(root, _GivenFiles) else root).as_posix()
    except ValueError:
        return path.name


class _GivenFiles(list):
    """The files of one series, given instead of a folder (from an archive's index, say).

    A list of paths that names itself in messages as "the list of N files given (in ...)";
    ``root``, the folder that holds them all, is where their names in messages start from.
    """

    def __init__(self, files: Sequence[str | os.PathLike]):
        super().__init__(Path(f) for f in files)
        self.root = Path(os.path.commonpath([p.parent for p in self])) if self else Path()

    def __str__(self) -> str:
        return f"the list of {len(self)} file(s) given (in {self.root})"


def _given_files(files: Sequence[str | os.PathLike]) -> _GivenFiles:
    """``files`` checked: each exists once, and is a file (not a folder)."""
    given = _GivenFiles(files)
    if not given:
        raise SeriesError("No files given: pass the series' files, or the folder that holds them.")
    seen: dict[Path, int] = {}
    for k, path in enumerate(given):
        where = f"(file {k + 1} of the {len(given)} given)"
        if not path.exists():
            raise FileNotFoundError(
                f"No such file: {path} {where}. Was it moved or deleted since the list was "
                "made? Index the folder again, or leave the file out of the list."
            )
        if path.is_dir():
            raise SeriesError(
                f"{path} {where} is a folder: pass either one folder or a list of files.",
                [path],
            )
        again = seen.setdefault(path.resolve(), k)
        if again != k:
            raise SeriesError(
                f"{path.name} is listed twice (files {again + 1} and {k + 1} of the "
                f"{len(given)} given): pass each file once.",
                [path],
            )
    return given


def _candidate_files(folder: Path) -> list[Path]:
    if isinstance(folder, _GivenFiles):
        return folder
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


class DamagedFileError(ValueError):
    """A file that is, or was meant to be, a DICOM file and cannot be read as one whole.

    ``str(error)`` is ``"<file name> <problem>"``; :attr:`problem` holds what is wrong and
    the fix, for callers that name the file their own way.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    problem : str
        What is wrong with it and how to fix it, starting with a verb (``"is empty ..."``).
    """

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path.name} {problem}")
        self.path, self.problem = path, problem


#: The fix for a file that was cut short or damaged.
_COPY_AGAIN = "Replace it with a good copy, or move it out of the folder."


def read_dicom(path: Path, defer_size: int | None = _READ_WITH_HEADER) -> Dataset | None:
    """The data set of the DICOM file ``path``; None when it is not DICOM (no 'DICM' marker).

    The module docstring gives the rule. Values larger than ``defer_size`` bytes are read
    when used (``None``: everything now).

    Raises
    ------
    DamagedFileError
        If the file is empty, truncated, unreadable, or a data set without the preamble.
    """
    try:
        ds = dcmread(path, defer_size=defer_size)
    except InvalidDicomError:
        _refuse_if_meant_as_dicom(path)
        return None  # no 'DICM' marker: not a DICOM file (README.txt, thumbnails...)
    except Exception as exc:  # pydicom raises many kinds on corrupt input
        problem = f"could not be read as DICOM ({type(exc).__name__}: {exc}). {_COPY_AGAIN}"
        raise DamagedFileError(path, problem) from exc
    if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}) or len(ds) == 0:
        raise DamagedFileError(
            path,
            "starts like a DICOM file but holds no data set: the file is truncated or "
            f"damaged ({path.stat().st_size} bytes). {_COPY_AGAIN}",
        )
    _check_complete(ds, path)
    return ds


def _refuse_if_meant_as_dicom(path: Path) -> None:
    """Raise for a file without the 'DICM' marker that was meant to be DICOM."""
    size = path.stat().st_size
    if size == 0:  # a failed copy or download; ignoring it could drop an end slice
        raise DamagedFileError(path, f"is empty (0 bytes): a failed copy? {_COPY_AGAIN}")
    with open(path, "rb") as f:
        head = f.read(132)
    if size < 132 and _cut_preamble(head):
        raise DamagedFileError(
            path,
            f"is truncated: it ends after {size} bytes, before the 'DICM' marker at bytes "
            f"128-131. {_COPY_AGAIN}",
        )
    if head[:2] in (b"\x02\x00", b"\x08\x00", b"\x00\x08") and _reads_forced(path):
        raise DamagedFileError(
            path,
            "holds a DICOM data set without the 128-byte preamble and 'DICM' marker of a "
            "DICOM file (PS3.10 7.1): pydicom reads it only with pydicom.dcmread(path, "
            "force=True). Save it as a DICOM file (read it that way, set "
            "ds.file_meta.TransferSyntaxUID to the syntax it is written in, then "
            "ds.save_as(path, enforce_file_format=True)), or move it out of the folder.",
        )


def _reads_forced(path: Path) -> bool:
    """Whether pydicom, forced, reads an image's or document's data set from ``path``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom guessing the VR: not the student's
            ds = dcmread(path, force=True, stop_before_pixels=True, defer_size=1024)
        return "SOPClassUID" in ds
    except Exception:
        return False


def _read_header(path: Path) -> Dataset | None:
    """The data set, or None. Small pixel data is read with the header (one opening of the
    file); large pixel data is read later, only for the series that is loaded."""
    try:
        return read_dicom(path)
    except DamagedFileError as exc:
        raise SeriesError(str(exc), [path]) from exc.__cause__


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
        raise DamagedFileError(
            path, f"is truncated: the file ends after {size} bytes, {where}. {_COPY_AGAIN}"
        )


def _tell(elem) -> int:
    return elem.value_tell if isinstance(elem, RawDataElement) else elem.file_tell or 0


def _number(ds: Dataset, keyword: str, path: Path, default: float | None) -> float | None:
    """One numeric header value, ``default`` when absent or empty."""
    value = _as_read(ds, keyword)  # DS and IS from their text: quicker than pydicom's objects
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise _not_a_number(path, keyword, value) from exc


def _numbers(ds: Dataset, keyword: str, path: Path) -> tuple[float, ...] | None:
    """Every value of a numeric attribute that may hold several (VM 1-n), None if absent."""
    value = _as_read(ds, keyword)
    if value is None or value == "":
        return None
    values = [value] if isinstance(value, (str, bytes, int, float)) else list(value)
    try:
        return tuple(float(v) for v in values)
    except (TypeError, ValueError) as exc:
        raise _not_a_number(path, keyword, value, one=False) from exc


def _not_a_number(path: Path, keyword: str, value, one: bool = True) -> SeriesError:
    """A DS or IS value that is not a number: the file, the attribute, the fix."""
    vr = dictionary_VR(keyword)
    kind = {"DS": "Decimal String", "IS": "Integer String"}.get(vr, vr)
    shown = "\\".join(value) if isinstance(value, list) else value  # as in the file
    if one and isinstance(value, list):
        what = f"is {shown!r}, {len(value)} values where one is expected"
    else:
        what = f"is {shown!r}, not a number (VR {vr}, {kind}: PS3.5 6.2)"
    return SeriesError(
        f"{path.name}: {keyword} {Tag(tag_for_keyword(keyword))} {what}: the header is "
        "damaged. " + FIX_VALUE.format(keyword=keyword),
        [path],
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while headers are read.

    Every data set read is hundreds of small objects; the collector, which looks for groups
    of objects that refer to each other in a cycle, runs each time some hundreds more have
    been made, and again and again re-examines all the older ones: measured a third of the
    time of loading 1500 small files. Reading creates no cycles it would have to free (memory
    is freed by reference counting as usual), so it is paused, then put back as it was.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _has_pixels(ds: Dataset) -> bool:
    return any(k in ds for k in _PIXEL_KEYWORDS)


def _scan(folder: Path, progress: bool | None) -> tuple[dict[str, list], list[Path]]:
    """Headers of every DICOM file, grouped by series; and the files that are not DICOM."""
    files = _candidate_files(folder)
    show = len(files) >= _PROGRESS_FROM if progress is None else progress
    by_series: dict[str, list[tuple[Path, Dataset]]] = defaultdict(list)
    not_dicom, dicomdirs = [], []
    for path in progress_bar(files, desc="Reading DICOM headers", unit="file", show=show):
        ds = _read_header(path)
        if ds is None:
            not_dicom.append(path)
        elif ds.file_meta.get("MediaStorageSOPClassUID") == MediaStorageDirectoryStorage:
            dicomdirs.append((path, ds))
        else:
            by_series[str(ds.get("SeriesInstanceUID", ""))].append((path, ds))
    if not by_series and dicomdirs:
        raise _only_dicomdirs(folder, dicomdirs, not_dicom)
    if not by_series:
        raise SeriesError(
            f"No DICOM files in {folder}: {len(not_dicom)} file(s) without the "
            f"DICOM marker ({_names(not_dicom)}).",
            not_dicom,
        )
    return by_series, not_dicom


def _only_dicomdirs(folder: Path, dicomdirs: list, not_dicom: list[Path]) -> SeriesError:
    """The error for a folder whose only DICOM files are DICOMDIRs (file-set indexes)."""
    path, ds = dicomdirs[0]
    ids = [_file_id(item) for item in ds.get("DirectoryRecordSequence", [])]
    ids = [i for i in ids if i]
    here = [i for i in ids if (path.parent / i).is_file()]
    which = "It lists" if len(dicomdirs) == 1 else f"{_relative(path, folder)} lists"
    if not ids:
        where = f"{which} no files. "
    else:
        shown = ", ".join(ids[:3]) + (" ..." if len(ids) > 3 else "")
        where = (
            f"{which} {len(ids)} file(s) by Referenced File ID (0004,1500), paths from the "
            f"folder that holds it, the file-set's root ({shown}): "
            + (
                f"{len(ids) - len(here)} of them are not in {path.parent}. "
                if len(here) < len(ids)
                else "they are there, but are not DICOM files. "
            )
        )
    names = _names([p for p, _ in dicomdirs], 4, folder)
    what = "file is a DICOMDIR" if len(dicomdirs) == 1 else "files are DICOMDIRs"
    rest = f" The other {len(not_dicom)} file(s) have no DICOM marker ({_names(not_dicom)})."
    return SeriesError(
        f"No images in {folder}: its only DICOM {what} ({names}), the index of a DICOM "
        "file-set (Basic Directory IOD, PS3.3 Annex F), not an image. "
        f"{where}Copy the whole medium (the DICOMDIR and the folders beside it) and load "
        "the folder that holds both, or load the folder that holds the images."
        + (rest if not_dicom else ""),
        [p for p, _ in dicomdirs] + not_dicom,
    )


def _file_id(record: Dataset) -> str:
    """A directory record's Referenced File ID as a relative path ('' if it has none)."""
    value = record.get("ReferencedFileID")
    if not value:
        return ""
    return str(value) if isinstance(value, str) else "/".join(str(v) for v in value)
