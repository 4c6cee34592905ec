"""Index a DICOM archive: one row per series, one per file, and the files that are not usable.

Before anything is trained on an archive, it is listed. :func:`index_archive` walks every
file under a folder, reads each header once (never the pixel data), and returns three
tables (pandas DataFrames) in an :class:`ArchiveIndex`:

* ``series``: one row per Series Instance UID (0020,000E, PS3.3 C.7.3.1), with what a
  selection needs: patient, study, modality, SOP class, Image Type, orientation, pixel
  and slice spacing, matrix size...;
* ``instances``: one row per readable DICOM file, with its geometry (Image Plane module,
  PS3.3 C.7.6.2) and whether it has Rescale Slope and Intercept;
* ``problems``: every file that is not a DICOM file, or is damaged, with a one-line
  reason. A bad file is listed, never fatal: an archive of thousands of files always
  holds a few.

**Damaged files** follow the package's one rule (:func:`bootcamp_utils._scan.read_dicom`,
shared with :func:`~bootcamp_utils.load_series`): empty, truncated anywhere (the pixel data
too, which is checked against the file's size without being read), or unreadable. A
truncated file often still holds its header: its Series Instance UID is then read from
what is left, and the problem is *attributed* to that series (column ``series_uid`` of
``problems``), so that :func:`bootcamp_utils.qa.qa_table` can exclude the series rather
than find a mysterious gap in it (or, for a first or last slice, nothing at all). A file
cut before its Series Instance UID (0020,000E) is attributed by its folder, when every
readable file there belongs to one series.

**Orientation.** Image Orientation (Patient) (0020,0037) holds the direction cosines of a
row and of a column in the patient's LPS axes (PS3.3 C.7.6.2.1.1); their cross product is
the slice normal. A slice is *axial* when the normal lies along z (foot-head), *coronal*
along y (anterior-posterior), *sagittal* along x (right-left), within
:data:`ORIENTATION_TOLERANCE_DEG`; otherwise it is *oblique*. A series whose files have
different orientations is *mixed*. **Slice spacing** is the median distance between the
distinct slice positions sorted along the normal: the distance from centre to centre,
which Slice Thickness (0018,0050) is not.

Reading a header costs about a millisecond; the index adds little to that
(``python benchmarks/bench_index.py`` compares it with a bare ``dcmread`` loop).

>>> from bootcamp_utils import sample_path
>>> index = index_archive(sample_path("identified_study"), progress=False)
>>> for s in index.series.itertuples():
...     print(s.description, s.image_type, s.n_files, s.orientation, sep=" | ")
Topogram 0.6 T20s | ORIGINAL\\PRIMARY\\LOCALIZER | 1 | coronal
Head 4 mm (Rivera) | ORIGINAL\\PRIMARY\\AXIAL | 4 | axial
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.uid import UID, MediaStorageDirectoryStorage

from ._scan import _PROGRESS_FROM, NO_UID, DamagedFileError, _collector_paused, read_dicom
from .geometry import GROUP_OF, FrameGeometry, _as_read, _geometry_of, frame_geometry

__all__ = ["ORIENTATION_TOLERANCE_DEG", "ArchiveIndex", "index_archive", "orientation_label"]

#: A slice normal within this angle (degrees) of a patient axis is axial, coronal or sagittal.
ORIENTATION_TOLERANCE_DEG = 1.0
#: Two orientations (direction cosines) that differ by more than this are different.
_SAME_COSINES = 1e-4
#: Slice positions closer than this (mm, along the normal) are one position, as for
#: :func:`~bootcamp_utils.load_series`.
SAME_POSITION_MM = 1e-3
#: Values larger than this (bytes) are not read: the pixel data of the smallest image is larger.
_HEADER_ONLY = 1024
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
_AXES = ("sagittal", "coronal", "axial")  # the normal along LPS x, y, z

INSTANCE_COLUMNS = [
    "path", "series_uid", "sop_uid", "sop_class", "modality", "image_type",
    "instance_number", "n_frames", "position", "orientation", "pixel_spacing", "rows",
    "columns", "rescale_slope", "rescale_intercept", "rescale", "slice_thickness",
    "patient_id", "study_uid", "study_date", "series_number", "description",
    "transfer_syntax", "manufacturer", "body_part",
]  # fmt: skip
SERIES_COLUMNS = [
    "patient_id", "study_uid", "study_date", "series_uid", "series_number", "modality",
    "sop_class", "sop_class_name", "description", "image_type", "n_files", "n_problems",
    "orientation", "pixel_spacing", "slice_spacing", "slice_thickness", "rows", "columns",
    "transfer_syntax", "manufacturer", "body_part", "folder",
]  # fmt: skip
PROBLEM_COLUMNS = ["path", "problem", "series_uid", "attributed_by"]
_SHARED_COLUMNS = [k for k in SERIES_COLUMNS if k in INSTANCE_COLUMNS]  # from the first file
INSTANCE_KEYWORDS = (
    "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID", "Modality", "ImageType",
    "InstanceNumber", "NumberOfFrames", "Rows", "Columns", "RescaleSlope", "RescaleIntercept",
    "PatientID", "StudyInstanceUID", "StudyDate", "SeriesNumber", "SeriesDescription",
    "Manufacturer", "BodyPartExamined",
)  # fmt: skip
#: Integer columns, missing values as pandas' NA (not NaN, which would make them floats).
_INTEGERS = dict.fromkeys(
    ["instance_number", "n_frames", "rows", "columns", "series_number"], "Int64"
)
_FUNCTIONAL_GROUPS = ("PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence")


@dataclass
class ArchiveIndex:
    """What :func:`index_archive` found under a folder.

    Attributes
    ----------
    folder : pathlib.Path
        The folder indexed.
    series : pandas.DataFrame
        One row per series (see :data:`SERIES_COLUMNS`), by patient, study date and series
        number. ``n_files`` counts its readable files, ``n_problems`` the damaged files
        attributed to it; a series whose every file is damaged has ``n_files`` 0.
    instances : pandas.DataFrame
        One row per readable DICOM file (see :data:`INSTANCE_COLUMNS`): ``position`` and
        ``orientation`` are tuples of floats (LPS mm, direction cosines) or None.
    problems : pandas.DataFrame
        ``path``, ``problem`` (one line: what is wrong, and the fix), ``series_uid`` (the
        series a damaged file belongs to, or missing) and ``attributed_by``: ``"header"``
        when what is left of the file names its series, ``"folder"`` when the header is cut
        before that but every readable file of its folder belongs to one series.
    """

    folder: Path
    series: pd.DataFrame
    instances: pd.DataFrame
    problems: pd.DataFrame

    def files(self, series_uid: str) -> list[Path]:
        """The readable files of one series, sorted by path.

        A series listed in :attr:`series` whose every file is damaged has none: ``[]``
        (its files are in :attr:`problems`).

        Raises
        ------
        KeyError
            If ``series_uid`` is not a series of the index; the message lists some.
        """
        rows = self.instances[self.instances["series_uid"] == series_uid]
        if rows.empty and not (self.series["series_uid"] == series_uid).any():
            known = ", ".join(self.series["series_uid"].head(5))
            raise KeyError(
                f"No readable file of series {series_uid!r} in {self.folder}. Pick a "
                f"series_uid from index.series['series_uid'] ({known}"
                f"{' ...' if len(self.series) > 5 else ''})."
            )
        return sorted(rows["path"])

    def __repr__(self) -> str:
        return (
            f"ArchiveIndex({str(self.folder)!r}: {len(self.series)} series, "
            f"{len(self.instances)} files, {len(self.problems)} problems)"
        )


def orientation_label(orientation, tolerance_deg: float = ORIENTATION_TOLERANCE_DEG) -> str | None:
    """ "axial", "coronal", "sagittal" or "oblique" for an Image Orientation (Patient).

    Parameters
    ----------
    orientation : sequence of 6 floats or None
        Row then column direction cosines, LPS (PS3.3 C.7.6.2.1.1).
    tolerance_deg : float, default :data:`ORIENTATION_TOLERANCE_DEG`
        How far (degrees) the slice normal may be from a patient axis.

    Returns
    -------
    str or None
        None when ``orientation`` is None or not two independent directions.

    Examples
    --------
    >>> orientation_label((1, 0, 0, 0, 1, 0)), orientation_label((0, 1, 0, 0, 0, -1))
    ('axial', 'sagittal')
    >>> orientation_label((1, 0, 0, 0, 0.966, -0.259))  # tilted 15 degrees
    'oblique'
    """
    if orientation is None:
        return None
    normal = np.cross(np.asarray(orientation[:3], float), np.asarray(orientation[3:], float))
    length = float(np.linalg.norm(normal))
    if not length > 1e-6:
        return None
    axis = int(np.argmax(np.abs(normal)))
    aligned = abs(normal[axis]) / length >= math.cos(math.radians(tolerance_deg))
    return _AXES[axis] if aligned else "oblique"


def index_archive(folder: str | os.PathLike, *, progress: bool | None = None) -> ArchiveIndex:
    """Index every file under ``folder``: series, instances and problems (headers only).

    Parameters
    ----------
    folder : path-like
        The archive; sub-folders are searched too. Hidden files (``.name``) are skipped.
    progress : bool, optional
        Show a progress bar; by default only for 50 files or more.

    Returns
    -------
    ArchiveIndex
        ``.series``, ``.instances``, ``.problems`` (pandas DataFrames) and ``.files(uid)``.

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist.
    NotADirectoryError
        If ``folder`` is a file.

    Examples
    --------
    >>> from bootcamp_utils import sample_path
    >>> index = index_archive(sample_path("unlabelled"), progress=False)
    >>> len(index.instances), len(index.problems)
    (1, 3)
    >>> print(index.problems["problem"].iloc[0])
    not a DICOM file: no 'DICM' marker at byte 128 (PS3.10 7.1)
    """
    from ._progress import progress_bar

    root = Path(folder)
    files = _walk(root)
    show = len(files) >= _PROGRESS_FROM if progress is None else progress
    rows, problems = [], []
    bar = progress_bar(files, desc="Indexing DICOM headers", unit="file", show=show)
    with _collector_paused(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # odd values: the tables say what matters
        for path in bar:
            row, problem = _index_file(path)
            if row is not None:
                rows.append(row)
            if problem is not None:
                problems.append(problem)
        # still paused: the tables hold every row, which the collector would go over again
        instances = pd.DataFrame(rows, columns=INSTANCE_COLUMNS).astype(_INTEGERS)
        problem_table = _by_folder(pd.DataFrame(problems, columns=PROBLEM_COLUMNS), instances)
        series = _series_table(instances, problem_table, root)
    return ArchiveIndex(root, series, instances, problem_table)


def _by_folder(problems: pd.DataFrame, instances: pd.DataFrame) -> pd.DataFrame:
    """Attribute a damaged file whose header is cut before its Series Instance UID to the
    one series of its folder, if every readable file there belongs to that series.

    Not for files that are not DICOM at all (a README beside the slices) nor DICOMDIRs.
    """
    damaged = problems["series_uid"].isna() & problems["attributed_by"].isna()
    damaged &= ~problems["problem"].isin([_NOT_DICOM, _DICOMDIR])
    if not damaged.any():
        return problems
    folders = instances.groupby(instances["path"].map(lambda p: p.parent))["series_uid"]
    only = {folder: uids.iloc[0] for folder, uids in folders if uids.nunique() == 1}
    uids, by = list(problems["series_uid"]), list(problems["attributed_by"])
    for k in np.flatnonzero(damaged.to_numpy()):
        uid = only.get(problems["path"].iloc[k].parent)
        if uid is not None:
            uids[k], by[k] = uid, "folder"
    return problems.assign(
        series_uid=pd.Series(uids, dtype=object, index=problems.index),
        attributed_by=pd.Series(by, dtype=object, index=problems.index),
    )
    return problems


def _walk(root: Path) -> list[Path]:
    """Every file under ``root``, sorted, hidden files and folders left out (as load_series)."""
    if not root.exists():
        raise FileNotFoundError(f"No such folder: {root}. Check the path (is it relative?).")
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is a file: index_archive expects a folder.")
    files = []
    for top, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(top, n) for n in sorted(names) if not n.startswith(".")]
    return files


def _index_file(path: Path) -> tuple[dict | None, dict | None]:
    """(instance row, problem row) of one file; either may be None."""
    try:
        ds = read_dicom(path, defer_size=_HEADER_ONLY)
    except DamagedFileError as exc:
        uid = _series_of_damaged(path)
        by = "header" if uid else None
        return None, {"path": path, "problem": str(exc), "series_uid": uid, "attributed_by": by}
    except OSError as exc:  # vanished, or no permission
        return None, {"path": path, "problem": f"could not be opened ({exc})", "series_uid": None}
    if ds is None:
        return None, {"path": path, "problem": _NOT_DICOM, "series_uid": None}
    if _is_dicomdir(ds):
        return None, {"path": path, "problem": _DICOMDIR, "series_uid": None}
    try:
        return _instance(path, ds), None
    except Exception as exc:  # a value pydicom cannot convert: name it, go on
        uid = _text(_Header(ds), "SeriesInstanceUID")
        problem = f"{path.name}: a header value could not be read ({type(exc).__name__}: {exc})"
        by = "header" if uid else None
        return None, {
            "path": path,
            "problem": problem,
            "series_uid": uid or None,
            "attributed_by": by,
        }


def _is_dicomdir(ds) -> bool:
    """Whether Media Storage SOP Class UID (0002,0002) is a DICOMDIR's (PS3.10 7.1, 7.3)."""
    element = ds.file_meta.get_item(_MEDIA_STORAGE_SOP_CLASS)
    text = _ascii(element) if element is not None else None  # as read: no conversion
    if text is None:
        return ds.file_meta.get("MediaStorageSOPClassUID") == MediaStorageDirectoryStorage
    return text.strip(" \0") == MediaStorageDirectoryStorage


_MEDIA_STORAGE_SOP_CLASS = BaseTag(0x00020002)
_NOT_DICOM = "not a DICOM file: no 'DICM' marker at byte 128 (PS3.10 7.1)"
_DICOMDIR = "a DICOMDIR: the index of a file-set (PS3.3 Annex F), not an image"


def _series_of_damaged(path: Path) -> str | None:
    """The Series Instance UID that a damaged file's header still holds, if any.

    Elements are stored in tag order (PS3.5 7.1): reading stops after (0020,000E), so
    damage further on (the rest of the header, the pixel data) does not matter.
    """
    from pydicom.filereader import read_partial

    def past_the_uid(tag, vr, length) -> bool:
        return tag > 0x0020000E

    try:
        with open(path, "rb") as f:
            ds = read_partial(f, stop_when=past_the_uid, defer_size=_HEADER_ONLY, force=True)
        uid = str(ds.get("SeriesInstanceUID", "")).strip(" \0")
    except Exception:
        return None
    return uid if _UID.fullmatch(uid) else None


def _instance(path: Path, ds) -> dict:
    header = _Header(ds)
    geometry = _geometry(ds, header)
    slope, intercept = _float(header, "RescaleSlope"), _float(header, "RescaleIntercept")
    return {
        "path": path,
        "series_uid": _text(header, "SeriesInstanceUID") or NO_UID,
        "sop_uid": _text(header, "SOPInstanceUID"),
        "sop_class": _text(header, "SOPClassUID"),
        "modality": _text(header, "Modality"),
        "image_type": _text(header, "ImageType"),
        "instance_number": _int(header, "InstanceNumber"),
        "n_frames": _int(header, "NumberOfFrames") or 1,
        "position": geometry.position,
        "orientation": geometry.orientation,
        "pixel_spacing": geometry.pixel_spacing,
        "rows": _int(header, "Rows"),
        "columns": _int(header, "Columns"),
        "rescale_slope": slope,
        "rescale_intercept": intercept,
        "rescale": not (math.isnan(slope) or math.isnan(intercept)),
        "slice_thickness": geometry.slice_thickness,
        "patient_id": _text(header, "PatientID"),
        "study_uid": _text(header, "StudyInstanceUID"),
        "study_date": _text(header, "StudyDate"),
        "series_number": _int(header, "SeriesNumber"),
        "description": _text(header, "SeriesDescription"),
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "manufacturer": _text(header, "Manufacturer"),
        "body_part": _text(header, "BodyPartExamined"),
    }


#: The tags read for the index, looked up once: finding a tag by its keyword each time is
#: a good part of reading a value.
_TAGS = {
    keyword: int(tag_for_keyword(keyword))
    for keyword in INSTANCE_KEYWORDS + tuple(GROUP_OF) + _FUNCTIONAL_GROUPS
}


class _Header:
    """The elements of a data set that the index reads, found in one pass over it.

    ``ds.get_item`` for each of some thirty tags costs more than going over the data set's
    elements once (a tag's comparison is Python code); values still come as read.
    """

    __slots__ = ("ds", "found")

    def __init__(self, ds) -> None:
        self.ds = ds
        self.found = {}
        for element in ds.values():
            tag = int(element.tag)
            if tag in _WANTED:
                self.found[tag] = element

    def item(self, keyword: str):
        """The element of ``keyword`` as ``ds.get_item`` gives it, None if absent."""
        element = self.found.get(_TAGS[keyword])
        if isinstance(element, RawDataElement) and element.value is None:
            return self.ds.get_item(_TAGS[keyword])  # deferred or empty: as get_item does
        return element


def _geometry(ds, header: _Header) -> FrameGeometry:
    """:func:`~bootcamp_utils.geometry.frame_geometry` of frame 0, not strict; quicker for a
    classic image (no functional groups: every value at the top level, PS3.3 C.7.6.2)."""
    if any(header.item(k) is not None for k in _FUNCTIONAL_GROUPS):
        return frame_geometry(ds, strict=False)
    return _geometry_of(lambda keyword: _number_text(header, keyword) or None, strict=False)


_WANTED = frozenset(_TAGS.values())


def _ascii(element) -> str | None:
    """A raw element's value as text when it is plain ASCII, else None.

    Every character set of PS3.5 6.1 (Specific Character Set) encodes ASCII the same way
    (ESC, which starts an ISO 2022 code extension, excepted), so the bytes are the text;
    pydicom's conversion, which checks each value against its VR, is most of the time an
    index spends on a header.
    """
    raw = element.value if isinstance(element, RawDataElement) else None
    if isinstance(raw, bytes) and raw.isascii() and b"\x1b" not in raw:
        return raw.decode("ascii")
    return None


def _text(header: _Header, keyword: str) -> str:
    """A text value as a str (several values joined by a backslash, as in the file)."""
    ds, element = header.ds, header.item(keyword)
    if element is None:
        return ""
    text = _ascii(element)
    if text is not None and "\\" not in text:
        return text.strip(" \0")  # one value, the usual case
    if text is not None:
        return "\\".join(v.strip(" \0") for v in text.split("\\"))
    value = ds.get(keyword)
    if value is None:
        return ""
    if isinstance(value, (list, tuple, MultiValue)):
        return "\\".join(str(v).strip(" \0") for v in value)
    return str(value).strip(" \0")


def _number_text(header: _Header, keyword: str, element=None):
    """A DS or IS value as text (a str, or a list for several values), None if absent.

    ``element``: the element of ``keyword``, when the caller has it already.
    """
    element = header.item(keyword) if element is None else element
    if element is None:
        return None
    vr = getattr(element, "VR", None) or dictionary_VR(element.tag)
    text = _ascii(element) if vr in ("DS", "IS") else None
    if text is None:
        return _as_read(header.ds, keyword)
    text = text.strip(" \0")
    return text.split("\\") if "\\" in text else text


def _float(header: _Header, keyword: str) -> float:
    """A numeric value (the first, if several), NaN when absent or not a number."""
    element = header.item(keyword)
    if element is None:
        return math.nan
    vr = getattr(element, "VR", None) or dictionary_VR(element.tag)
    raw = element.value if isinstance(element, RawDataElement) else None
    if vr == "US" and isinstance(raw, bytes) and len(raw) >= 2:  # binary, PS3.5 6.2
        little = header.ds.original_encoding[1] is not False
        return float(int.from_bytes(raw[:2], "little" if little else "big"))
    value = _number_text(header, keyword, element)
    try:
        return float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError, IndexError):
        return math.nan


def _int(header: _Header, keyword: str) -> int | None:
    value = _float(header, keyword)
    return None if math.isnan(value) else int(value)


def _series_table(instances: pd.DataFrame, problems: pd.DataFrame, root: Path) -> pd.DataFrame:
    """One row per series of the instances, and per series known only from damaged files."""
    columns = {k: instances[k].tolist() for k in _SERIES_FROM_INSTANCES}  # one pass a column
    members: dict[str, list[int]] = {}
    for k, uid in enumerate(columns["series_uid"]):
        members.setdefault(uid, []).append(k)
    rows = [_series_row(uid, rows, columns, root) for uid, rows in members.items()]
    damaged = problems["series_uid"].dropna()
    known = set(members)
    for uid, group in problems[problems["series_uid"].isin(set(damaged) - known)].groupby(
        "series_uid"
    ):
        rows.append({"series_uid": uid, "n_files": 0, "folder": _folder(group["path"], root)})
    table = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    counts = damaged.value_counts()
    table["n_problems"] = table["series_uid"].map(counts).fillna(0).astype(int)
    table["n_files"] = table["n_files"].astype(int)
    table = table.astype({k: v for k, v in _INTEGERS.items() if k in SERIES_COLUMNS})
    order = ["patient_id", "study_date", "series_number", "series_uid"]
    return table.sort_values(order, na_position="last", kind="stable").reset_index(drop=True)


#: The instance columns a series row is made from.
_SERIES_FROM_INSTANCES = [
    *_SHARED_COLUMNS, "sop_class", "image_type", "orientation", "pixel_spacing", "position",
    "path",
]  # fmt: skip


def _series_row(uid: str, rows: list[int], columns: dict[str, list], root: Path) -> dict:
    """The series row of the instances at ``rows`` (positions in ``columns``' lists)."""

    def values(column: str) -> list:
        every = columns[column]
        return [every[k] for k in rows]

    sop_class = _most_common(values("sop_class"))
    row = {k: columns[k][rows[0]] for k in _SHARED_COLUMNS}
    orientations = values("orientation")
    row.update(
        series_uid=uid,
        sop_class=sop_class,
        sop_class_name=UID(sop_class).name if sop_class else "",
        image_type=_most_common(values("image_type")),
        n_files=len(rows),
        orientation=_series_orientation(orientations),
        pixel_spacing=_most_common(values("pixel_spacing")),
        slice_spacing=slice_spacing(values("position"), orientations),
        folder=_folder(values("path"), root),
    )
    return row


def _most_common(values: list):
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else None


def _folder(paths, root: Path) -> str:
    common = Path(os.path.commonpath([str(p.parent) for p in paths]))
    return common.relative_to(root).as_posix() if common.is_relative_to(root) else str(common)


def _series_orientation(orientations: list) -> str | None:
    """The label of the files' one orientation; "mixed" if they have several."""
    known = _known(orientations)
    if known is None:
        return None
    if np.abs(known - known[0]).max() > _SAME_COSINES:
        return "mixed"
    return orientation_label(tuple(known[0]))


def _known(orientations: list) -> np.ndarray | None:
    """The orientations that are not None, one row each; None if there is none."""
    known = [o for o in orientations if o is not None]
    return np.asarray(known, float) if known else None


def slice_spacing(positions: list, orientations: list) -> float:
    """Median distance between the distinct slice positions, sorted along the normal (mm).

    NaN when fewer than two files have a position, or the files' orientations differ.

    Examples
    --------
    >>> axial = (1, 0, 0, 0, 1, 0)
    >>> slice_spacing([(0, 0, 0), (0, 0, 5), (0, 0, 2.5), (0, 0, 5)], [axial] * 4)
    2.5
    """
    distances = _distances(positions, orientations)
    if distances is None or len(distances) < 2:
        return math.nan
    return float(np.median(np.diff(distances)))


def _distances(positions: list, orientations: list) -> np.ndarray | None:
    """The distinct positions along the normal, sorted; None without one orientation."""
    known = _known(orientations)
    if known is None or np.abs(known - known[0]).max() > _SAME_COSINES:
        return None
    normal = np.cross(known[0][:3], known[0][3:])
    along = np.sort([float(np.asarray(p) @ normal) for p in positions if p is not None])
    if along.size == 0:
        return along
    keep = np.concatenate([[True], np.diff(along) >= SAME_POSITION_MM])
    return along[keep]
