"""Load a folder of DICOM slices as a 3-D or 4-D image in real-world units with a RAS+ affine.

What :func:`load_series` does, in the order the course teaches it:

1. find the DICOM files in the folder (any names, any order, sub-folders included);
2. group them by Series Instance UID and pick one series;
3. check that the slices belong together (same size, orientation and pixel spacing);
4. group them by their position along the slice normal (not by file name or Instance
   Number). One image per position: one volume. The same number of images at every
   position: that many volumes, put in acquisition order by the first of Temporal Position
   Identifier, Acquisition Number or Instance Number that tells them apart (as dcm2niix
   does, except that dcm2niix trusts Instance Number first);
5. check the spacing (no duplicate, missing or unevenly spaced slices);
6. apply each slice's own Rescale Slope and Intercept (they may differ between slices);
7. build the affine from Image Position/Orientation (Patient) and Pixel Spacing, converting
   DICOM's LPS patient coordinates to the RAS+ coordinates NIfTI uses. A 4-D image gets
   the first volume's affine and, as its fourth voxel size, the Repetition Time in seconds.
   An enhanced image (Enhanced CT, MR..., PS3.3 C.7.6.16) keeps these in its functional
   groups instead: :func:`bootcamp_utils.geometry.frame_geometry` finds them either way, so
   a folder of single-frame enhanced files loads like classic ones (a multi-frame file is
   refused with a message that says what reads it).

Every problem raises :class:`SeriesError` (a :class:`ValueError`) naming the files involved,
including what stays out of scope: volumes at different positions, positions holding
different numbers of images, and several echoes (or magnitude and phase) in one series.

A Siemens **mosaic** is one file that tiles the slices of a whole volume in one large
image (Image Type contains MOSAIC; Number Of Images In Mosaic in the private header
(0019,100A)). Stacked as a slice it would be a wrong volume; load_series unpacks it with
nibabel's reader of the Siemens CSA header, or refuses it with an error that names the tools
that can (dcm2niix, dicom2nifti).

The header fields it reads, and where the standard defines them: Series Instance UID
(0020,000E), General Series module, PS3.3 C.7.3.1; Image Position (Patient), Image
Orientation (Patient) and Pixel Spacing, Image Plane module, PS3.3 C.7.6.2 (the patient
coordinate system in C.7.6.2.1.1); Rescale Slope and Intercept, Modality LUT module, PS3.3
C.11.1 (for CT also C.8.2.1); Acquisition and Instance Number, General Image module,
C.7.6.1; Temporal Position Identifier and Repetition Time, MR Image module, C.8.3.1.

>>> from bootcamp_utils import load_series, sample_path
>>> load_series(sample_path("head_ct")).shape  # (columns, rows, slices)
(256, 256, 40)
>>> load_series(sample_path("head_perfusion")).shape  # (columns, rows, slices, volumes)
(64, 64, 10, 6)
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
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from ._scan import (
    _PROGRESS_FROM,
    FIX_VALUE,
    NO_UID,
    SeriesError,
    _collector_paused,
    _given_files,
    _has_pixels,
    _names,
    _number,
    _numbers,
    _scan,
)
from .geometry import FrameGeometry, frame_geometry
from .windowing import real_world_values

__all__ = ["MultipleSeriesError", "SeriesError", "SeriesInfo", "list_series", "load_series"]

#: DICOM's patient coordinates are LPS (x to the Left, y to Posterior, z to Superior);
#: NIfTI's are RAS+ (x to the Right, y to Anterior). Flip the first two axes.
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])

#: An enhanced image (PS3.3 C.7.6.16) describes its frames in functional groups, among them
#: its geometry (read by :func:`bootcamp_utils.geometry.frame_geometry`) and its rescaling.
_FUNCTIONAL_GROUPS = "SharedFunctionalGroupsSequence"


@dataclass
class SeriesInfo:
    """One series found in a folder, as :func:`list_series` reports it.

    Attributes
    ----------
    uid : str
        Series Instance UID (0020,000E), PS3.3 C.7.3.1; ``"(none)"`` for the files that
        lack one (``load_series(folder, series_uid="(none)")`` loads them).
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
        uid = (
            f"no SeriesInstanceUID (series_uid={NO_UID!r} loads them)"
            if self.uid == NO_UID
            else f"SeriesInstanceUID {self.uid}"
        )
        what = f"series {self.number} {self.modality} {self.description!r}"
        return f"{what}: {len(self.files)} files, {uid}"


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


# --- listing and choosing a series ----------------------------------------------------------
# (finding the files and reading their headers: bootcamp_utils._scan)


def _info(uid: str, members: list[tuple[Path, Dataset]]) -> SeriesInfo:
    path, ds = members[0]
    number = _number(ds, "SeriesNumber", path, None)
    return SeriesInfo(
        uid=uid or NO_UID,
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
        No DICOM file in the folder (a DICOMDIR alone is named as the file-set index it
        is, with the files it lists), or a damaged file (the rule: ``bootcamp_utils._scan``).

    Examples
    --------
    >>> from bootcamp_utils import list_series, sample_path
    >>> for info in list_series(sample_path("identified_study")):
    ...     print(info.number, info.modality, info.description, len(info.files))
    1 CT Topogram 0.6 T20s 1
    2 CT Head 4 mm (Rivera) 4
    """
    with _collector_paused():
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
        series_uid = "" if series_uid == NO_UID else series_uid  # as list_series labels it
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


@dataclass
class _Slice:
    path: Path
    ds: Dataset
    position: np.ndarray
    orientation: np.ndarray
    spacing: np.ndarray
    distance: float = 0.0
    geometry: FrameGeometry | None = None


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
        path, ds = next((p, ds) for p, ds in members if p == multi[0])
        what = (
            "an enhanced image: each frame's position is in its functional groups"
            if _FUNCTIONAL_GROUPS in ds
            else "multi-frame"
        )
        raise SeriesError(
            f"{_names(multi)} hold(s) several frames in one file ({path.name}: "
            f"{int(_number(ds, 'NumberOfFrames', path, 1) or 1)} frames, {what}): "
            "load_series reads series of single-frame files. Look at it with "
            "window_level_viewer(path); read its frames with pydicom (ds.pixel_array) and "
            "each frame's place with bootcamp_utils.geometry.frame_geometry(ds, frame); "
            "convert it to NIfTI with dcm2niix.",
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
        try:  # at the top level, or in an enhanced image's functional groups
            geometry = frame_geometry(ds)
        except ValueError as exc:  # "<keyword> ... is not numeric", or too few numbers
            word = str(exc).split(" ", 1)[0]
            fix = FIX_VALUE.format(keyword=word if tag_for_keyword(word) else "<attribute>")
            raise SeriesError(f"{path.name}: {exc} {fix}", [path]) from exc
        position, orientation, spacing = (
            geometry.position,
            geometry.orientation,
            geometry.pixel_spacing,
        )
        if position is None or orientation is None or spacing is None:
            unplaced.append(path)
            continue
        slices.append(
            _Slice(path, ds, np.array(position), np.array(orientation), np.array(spacing))
        )
        slices[-1].geometry = geometry
    if unplaced:
        raise SeriesError(
            f"{len(unplaced)} file(s) have no position in space ({_names(unplaced)}): Image "
            "Position (Patient), Image Orientation (Patient) and Pixel Spacing are needed to "
            "place slices in a volume (at the top level, or in the functional groups of an "
            "enhanced image).",
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
        parts = "; ".join(
            f"({', '.join(f'{v + 0:g}' for v in value)}) in {_names(paths, 2)}"  # -0 as 0
            for value, paths in groups.items()
        )
        raise SeriesError(
            f"The slices disagree on {what}: {parts}. They cannot form one "
            "volume (several acquisitions in one series?).",
            [p for paths in groups.values() for p in paths],
        )


#: Header fields that tell volumes of one series apart, in the order they are tried: the first
#: that every file carries and that numbers the images at each position differently wins.
#: Temporal Position Identifier (0020,0100) is the MR Image module's volume number (PS3.3
#: C.8.3.1); Acquisition Number (0020,0012) and Instance Number (0020,0013) are in the
#: General Image module (C.7.6.1).
VOLUME_KEYS = ("TemporalPositionIdentifier", "AcquisitionNumber", "InstanceNumber")

#: Fields that, when they differ inside one series, make it several images, not one 4-D
#: image: dcm2niix writes them to separate files (_e1, _e2... for echoes, _ph for phase).
_SPLIT_KEYS = ("EchoNumbers", "EchoTime", "ImageType")


def _split_volumes(slices: list[_Slice], root: Path) -> tuple[list[list[_Slice]], str | None]:
    """Group the slices into volumes with the same positions, in acquisition order.

    Returns the volumes (one for an ordinary 3-D series) and the header field that ordered
    them (None for one volume). Messages name files relative to ``root``, the folder loaded.
    """
    row, col = slices[0].orientation[:3], slices[0].orientation[3:]
    normal = np.cross(row, col)
    for s in slices:
        s.distance = float(s.position @ normal)
    slices.sort(key=lambda s: s.distance)
    groups: list[list[_Slice]] = [[slices[0]]]
    for s in slices[1:]:
        if s.distance - groups[-1][0].distance < 1e-3:
            groups[-1].append(s)
        else:
            groups.append([s])
    if all(len(g) == 1 for g in groups):
        return [slices], None

    for g in groups:  # the same file twice is a copying mistake, not a second volume
        uids = [s.ds.get("SOPInstanceUID") for s in g]
        for i, uid in enumerate(uids):
            if uid is not None and uid in uids[i + 1 :]:
                a, b = g[i], g[uids.index(uid, i + 1)]
                raise SeriesError(
                    f"Duplicate slice position at {a.distance:.3f} mm along the normal: "
                    f"{_names([a.path, b.path], 2, root).replace(', ', ' and ')} are the "
                    "same image twice (same SOP Instance UID). Remove the copy.",
                    [a.path, b.path],
                )
    _check_not_mixed([s for g in groups for s in g])
    counts = sorted({len(g) for g in groups})
    if len(counts) > 1:
        raise _unequal_volumes(groups, counts, root)

    n_volumes = counts[0]
    for keyword in VOLUME_KEYS:
        order = _volume_order(groups, keyword)
        if order is not None:
            break
    else:
        first = groups[0]
        raise SeriesError(
            f"{len(slices)} images at {len(groups)} slice positions, {n_volumes} at each: "
            f"{n_volumes} volumes, but no header field tells which image belongs to which "
            f"(none of {', '.join(VOLUME_KEYS)} numbers the images at one position "
            f"differently: {_names(s.path for s in first)}). dcm2niix may sort them by "
            "acquisition time.",
            [s.path for s in first],
        )
    volumes = [[g[i] for g in order] for i in range(n_volumes)]
    return volumes, keyword


def _check_not_mixed(slices: list[_Slice]) -> None:
    """Several echoes (or magnitude and phase) at each position are not one time series."""
    for keyword in _SPLIT_KEYS:
        by_value: dict = defaultdict(list)
        for s in slices:
            if keyword == "ImageType":  # CS; Echo Numbers (IS) and Echo Time (DS) are numbers
                value = s.ds.get(keyword)
                key = value if isinstance(value, str) or value is None else tuple(value)
            else:
                key = _numbers(s.ds, keyword, s.path)
            by_value[key].append(s.path)
        if len(by_value) > 1:
            values = sorted(by_value, key=str)
            parts = "; ".join(f"{v!r}: {_names(by_value[v], 2)}" for v in values)
            raise SeriesError(
                f"The series holds several images at each slice position with different "
                f"{keyword} ({parts}): several echoes or image types mixed in one series, not "
                f"one volume over time. load_series returns one image per call: copy the files "
                f"of one {keyword} into a folder of their own (read it with "
                f"pydicom.dcmread(path, stop_before_pixels=True).{keyword}) and load that "
                "folder; dcm2niix writes one file for each (suffixes _e1, _e2... or _ph).",
                [p for v in values for p in by_value[v]],
            )


def _unequal_volumes(groups: list[list[_Slice]], counts: list[int], root: Path) -> SeriesError:
    """The error for a series whose positions hold different numbers of images."""
    dup = next(g for g in groups if len(g) > 1)
    tally = ", ".join(f"{sum(len(g) == c for g in groups)} position(s) hold {c}" for c in counts)
    # Do the volumes, numbered by a header field, lie at different positions?
    for keyword in VOLUME_KEYS[:2]:
        by_value: dict = defaultdict(list)
        for s in (s for g in groups for s in g):
            by_value[_number(s.ds, keyword, s.path, None)].append(s)
        sizes = {len(v) for v in by_value.values()}
        if None not in by_value and len(by_value) > 1 and len(sizes) == 1:
            (a, *_), (b, *_) = sorted(by_value.items())[:2]
            where = {
                k: ", ".join(f"{s.distance:.2f}" for s in sorted(v, key=lambda s: s.distance))
                for k, v in by_value.items()
            }
            return SeriesError(
                f"The series holds {len(by_value)} volumes of {sizes.pop()} slices (by "
                f"{keyword}), but they are not at the same slice positions ({keyword} {a:g}: "
                f"{where[a]} mm along the normal; {keyword} {b:g}: {where[b]} mm): "
                "load_series stacks volumes only at identical positions. Load each volume "
                "from a folder of its own.",
                [s.path for g in groups for s in g],
            )
    return SeriesError(
        f"Duplicate slice positions, different images at one position, but not the same "
        f"number at every position ({tally}): not a set of complete volumes. First at "
        f"{dup[0].distance:.3f} mm along the normal: {_names((s.path for s in dup), 4, root)}. "
        "A missing or extra file, or several acquisitions in one series? Remove the extra "
        "files, or load a complete set of volumes.",
        [s.path for g in groups if len(g) > 1 for s in g],
    )


def _volume_order(groups: list[list[_Slice]], keyword: str) -> list[list[_Slice]] | None:
    """Each position's images sorted by ``keyword``, or None if it does not tell them apart.

    Temporal Position Identifier and Acquisition Number must take the same values at every
    position (one per volume); Instance Number, unique in a series, must only order them.
    """
    ordered, value_sets = [], set()
    for g in groups:
        values = []
        for s in g:
            value = _number(s.ds, keyword, s.path, None)
            if value is None:
                return None
            values.append(value)
        if len(set(values)) < len(values):
            return None
        value_sets.add(tuple(sorted(values)))
        ordered.append([s for _, s in sorted(zip(values, g, strict=True), key=lambda x: x[0])])
    if keyword != "InstanceNumber" and len(value_sets) > 1:
        return None
    return ordered


def _sort_and_check_spacing(slices: list[_Slice], root: Path) -> tuple[list[_Slice], np.ndarray]:
    """Sort along the normal; return the slices and the vector from one slice to the next.

    Messages name files relative to ``root``, the folder loaded."""
    row, col = slices[0].orientation[:3], slices[0].orientation[3:]
    normal = np.cross(row, col)
    for s in slices:
        s.distance = float(s.position @ normal)
    slices.sort(key=lambda s: s.distance)
    if len(slices) == 1:
        geometry = slices[0].geometry
        thickness = geometry.spacing_between_slices or geometry.slice_thickness or 1.0
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
            else "different images at one position"
        )
        pairs = [(slices[i].path, slices[i + 1].path) for i in same]
        raise SeriesError(
            f"{same.size} duplicate slice position(s), first at {a.distance:.3f} "
            f"mm along the normal: {_names([a.path, b.path], 2, root).replace(', ', ' and ')} "
            f"({why}).",
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


def _check_same_positions(volumes: list[list[_Slice]]) -> None:
    """Every volume's slices at the first volume's positions (so one affine serves all)."""
    first = np.array([s.position for s in volumes[0]])
    for t, volume in enumerate(volumes[1:], start=2):
        shifts = np.linalg.norm(np.array([s.position for s in volume]) - first, axis=1)
        if shifts.max() > 0.01:
            k = int(np.argmax(shifts))
            raise SeriesError(
                f"Volume {t} is not at the positions of volume 1: {volume[k].path.name} "
                f"lies {shifts[k]:.3f} mm from {volumes[0][k].path.name}, in the same slice "
                "plane (moved within the plane between volumes?). load_series stacks "
                "volumes only at identical positions.",
                [volume[k].path, volumes[0][k].path],
            )


def _volume_interval(first: _Slice) -> float:
    """pixdim[4] of a 4-D image, in seconds: Repetition Time, as dcm2niix writes it; else 0.

    For a 2-D multi-slice series such as fMRI or perfusion EPI, one volume is acquired per
    Repetition Time (0018,0080, ms). For other sequences (3-D, dynamic contrast) it is not the
    time between volumes; NIfTI has no better field, and 0 means unknown.
    """
    tr = _number(first.ds, "RepetitionTime", first.path, None)
    return tr / 1000.0 if tr and tr > 0 else 0.0


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


# --- vendor packings: several slices tiled in one image --------------------------------------

#: Siemens' private block (0019,10xx) of creator "SIEMENS MR HEADER" holds Number Of Images In
#: Mosaic at (0019,100A); nibabel's reader of the CSA header (0029,1010) unpacks the tiles.
_SIEMENS_MR_HEADER = "SIEMENS MR HEADER"


def _mosaic_sign(ds: Dataset) -> str | None:
    """Why the header says the file is a mosaic (slices tiled in one image), or None."""
    image_type = ds.get("ImageType", [])
    values = [image_type] if isinstance(image_type, str) else list(image_type)
    if any(str(v).strip().upper() == "MOSAIC" for v in values):
        return "Image Type contains MOSAIC"
    creator = ds.get((0x0019, 0x0010))
    if (0x0019, 0x100A) in ds and creator is not None and creator.value == _SIEMENS_MR_HEADER:
        return "(0019,100A) Number Of Images In Mosaic is present"
    return None


def _mosaic_refusal(path: Path, ds: Dataset, why: str, problem: str) -> SeriesError:
    return SeriesError(
        f"{path.name} is a mosaic ({why}): several slices tiled in one "
        f"{ds.get('Rows')} x {ds.get('Columns')} image by the scanner "
        f"({ds.get('Manufacturer', 'unknown manufacturer')}), not one slice. {problem} "
        "Loading it as a slice would give a wrong volume, so load_series refuses. Convert it "
        "with dcm2niix (which unpacks Siemens and United Imaging mosaics), dicom2nifti, or "
        "nibabel.nicom.dicomwrappers.wrapper_from_data.",
        [path],
    )


def _load_mosaics(members: list[tuple[Path, Dataset]]) -> tuple[np.ndarray, np.ndarray, list]:
    """Unpack Siemens mosaics with nibabel: (columns, rows, slices[, volumes]) data, affine.

    Each file is one volume: Number Of Images In Mosaic tiles, in a square grid of
    ceil(sqrt(n)) tiles per side, read left to right then top to bottom. Image Position
    (Patient) is the corner of the whole mosaic, not of a tile; the slice direction and
    order come from the CSA header's SliceNormalVector. nibabel.nicom's MosaicWrapper
    does this the way dcm2niix does (tests/test_series_mosaic.py compares them).
    Returns the data, the RAS+ affine and the files in volume order.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "The DICOM readers are highly experimental..."
        from nibabel.nicom.dicomwrappers import MosaicWrapper, wrapper_from_data

    plain = [p for p, ds in members if _mosaic_sign(ds) is None]
    if plain:
        raise SeriesError(
            f"The series mixes mosaic files and {len(plain)} ordinary image(s) "
            f"({_names(plain)}): load_series cannot stack them into one volume.",
            plain,
        )
    wrapped = []
    for path, ds in members:
        if _number(ds, "NumberOfFrames", path, 1) not in (None, 1):
            raise _mosaic_refusal(path, ds, _mosaic_sign(ds) or "", "It is also multi-frame.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "experimental readers"; CSA read problems
            try:
                wrapper = wrapper_from_data(ds)
                ok = isinstance(wrapper, MosaicWrapper) and wrapper.is_mosaic
                affine = wrapper.affine if ok else None
            except Exception as exc:  # nibabel raises several kinds on odd headers
                ok, affine, problem = False, None, f"nibabel could not read it: {exc}."
            else:
                problem = (
                    "Its Siemens CSA header (0029,1010), which says how many tiles hold "
                    "slices and in which direction they run, is missing or unreadable."
                )
        if not ok or affine is None:
            raise _mosaic_refusal(path, ds, _mosaic_sign(ds) or "", problem)
        wrapped.append((path, ds, wrapper, affine))

    shapes = {w.image_shape for _, _, w, _ in wrapped}
    if len(shapes) > 1:
        raise SeriesError(
            f"The mosaic files hold volumes of different sizes {sorted(shapes)}: they "
            "cannot form one 4-D image.",
            [p for p, *_ in wrapped],
        )
    first_affine = wrapped[0][3]
    moved = [p for p, _, _, a in wrapped if not np.allclose(a, first_affine, atol=1e-3)]
    if moved:
        raise SeriesError(
            f"{len(moved)} mosaic volume(s) lie elsewhere than {wrapped[0][0].name} "
            f"({_names(moved)}): load_series stacks volumes only at identical positions.",
            moved,
        )
    if len(wrapped) > 1:
        _check_not_mixed(
            [_Slice(p, ds, np.zeros(3), np.zeros(6), np.zeros(2)) for p, ds, *_ in wrapped]
        )
        for keyword in VOLUME_KEYS:
            values = [_number(ds, keyword, p, None) for p, ds, *_ in wrapped]
            if None not in values and len(set(values)) == len(values):
                order = sorted(range(len(wrapped)), key=lambda i: values[i])
                break
        else:
            raise SeriesError(
                f"{len(wrapped)} mosaic volumes at one position, but none of "
                f"{', '.join(VOLUME_KEYS)} numbers them differently: their order in time "
                "is unknown.",
                [p for p, *_ in wrapped],
            )
        wrapped = [wrapped[i] for i in order]

    volumes = []
    for path, _, wrapper, _ in wrapped:
        try:
            volumes.append(np.asarray(wrapper.get_data(), np.float32).transpose(1, 0, 2))
        except Exception as exc:
            raise SeriesError(
                f"{path.name}: the mosaic's pixel data cannot be unpacked ({exc}).", [path]
            ) from exc
    data = volumes[0] if len(volumes) == 1 else np.stack(volumes, axis=-1)
    lps = first_affine[:, [1, 0, 2, 3]]  # nibabel indexes (row, column): swap to (column, row)
    return data, LPS_TO_RAS @ lps, [(p, ds) for p, ds, *_ in wrapped]


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
    from .decoders import DecoderError, pixel_array

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns about fixable header quirks
            return pixel_array(s.ds, filename=s.path.name)
    except DecoderError as exc:  # the message says which package decodes this syntax
        raise SeriesError(str(exc), [s.path]) from exc
    except Exception as exc:
        raise SeriesError(
            f"{s.path.name}: the pixel data cannot be decoded ({exc}).", [s.path]
        ) from exc


def _real_world(slices: list[_Slice], progress: bool) -> np.ndarray:
    from pydicom.pixels import apply_modality_lut

    from ._progress import progress_bar

    first = slices[0].ds
    stack = np.empty((len(slices), int(first.Rows), int(first.Columns)), np.float32)
    for k, s in enumerate(
        progress_bar(slices, desc="Reading pixel data", unit="slice", show=progress)
    ):
        stored = _stored_values(s)
        if "ModalityLUTSequence" in s.ds:
            stack[k] = apply_modality_lut(stored, s.ds)
            continue
        if _FUNCTIONAL_GROUPS in s.ds or "PerFrameFunctionalGroupsSequence" in s.ds:
            stack[k] = real_world_values(s.ds, stored)  # slope/intercept in the groups
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


def _mosaic_image(members: list[tuple[Path, Dataset]]) -> nib.Nifti1Image:
    data, affine, ordered = _load_mosaics(members)
    image = nib.Nifti1Image(data, affine)
    image.set_sform(affine, code=1)
    image.set_qform(affine, code=1)
    if data.ndim == 4:
        path, ds = ordered[0]
        interval = _volume_interval(_Slice(path, ds, np.zeros(3), np.zeros(6), np.zeros(2)))
        image.header.set_xyzt_units("mm", "sec")
        image.header.set_zooms((*image.header.get_zooms()[:3], interval))
    else:
        image.header.set_xyzt_units("mm")
    return image


def load_series(
    folder: str | os.PathLike | Iterable[str | os.PathLike],
    series_uid: str | None = None,
    *,
    progress: bool | None = None,
) -> nib.Nifti1Image:
    """Load the DICOM series in ``folder`` as a NIfTI image in real-world units.

    Parameters
    ----------
    folder : str, os.PathLike, or a sequence of them
        Folder holding the slices (file names and order do not matter; sub-folders and
        non-DICOM files are fine); or the series' files themselves, in any order (from an
        archive's index): the same image as from a folder holding just those files.
    series_uid : str, optional
        Series Instance UID to load when the folder holds several image series
        (:func:`list_series` lists them); ``"(none)"``, as it labels them, for the files
        without one.
    progress : bool, optional
        Show a progress bar; by default only for 50 files or more.

    Returns
    -------
    nibabel.Nifti1Image
        float32 voxel values after each slice's Rescale Slope/Intercept (Hounsfield units
        for CT), indexed (column, row, slice) with slices sorted along the normal; the
        affine maps voxel indices to RAS+ millimetres (sform and, unless the gantry was
        tilted, qform both set, code 1 "scanner"). A series of several volumes at the same
        positions gives (column, row, slice, volume), volumes in acquisition order, the
        fourth voxel size the Repetition Time in seconds (0 if unknown). A Siemens mosaic
        is unpacked into its slices.

    Raises
    ------
    FileNotFoundError
        The folder, or a file of the list, does not exist.
    SeriesError
        Anything that stops the files from forming one volume (or one set of volumes); the
        message names the files. :class:`MultipleSeriesError` when several series are
        present and none is chosen.

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

    A perfusion series: 6 volumes of the same 10 slices, one every 1.5 s.

    >>> image = load_series(sample_path("head_perfusion"))
    >>> image.shape, float(image.header.get_zooms()[3]), image.header.get_xyzt_units()
    ((64, 64, 10, 6), 1.5, ('mm', 'sec'))

    The files of one series, listed (by an archive's index, say), in any order:

    >>> files = sorted(sample_path("head_ct").glob("*.dcm"), reverse=True)
    >>> load_series(files).shape
    (256, 256, 40)
    """
    single = isinstance(folder, (str, os.PathLike))
    source = Path(folder) if single else _given_files(list(folder))  # type: ignore[arg-type]
    with _collector_paused():
        return _load(source, series_uid, progress)


def _load(folder: Path, series_uid: str | None, progress: bool | None) -> nib.Nifti1Image:
    by_series, _ = _scan(folder, progress)
    members = _select(folder, by_series, series_uid)
    if any(_mosaic_sign(ds) for _, ds in members):
        return _mosaic_image(members)
    volumes, _ = _split_volumes(_geometry(members), folder)
    slices, slice_vector = _sort_and_check_spacing(volumes[0], folder)
    affine = _affine(slices[0], slice_vector)
    _check_same_positions(volumes)
    ordered = [s for v in volumes for s in v]
    interval = _volume_interval(ordered[0]) if len(volumes) > 1 else 0.0
    show = len(ordered) >= _PROGRESS_FROM if progress is None else progress
    stack = _real_world(ordered, show)  # (volume x slice, rows, columns)
    if len(volumes) == 1:
        data = stack.transpose(2, 1, 0)  # (columns, rows, slices)
    else:  # (columns, rows, slices, volumes)
        data = stack.reshape(len(volumes), len(slices), *stack.shape[1:]).transpose(3, 2, 1, 0)

    image = nib.Nifti1Image(data, affine)
    image.set_sform(affine, code=1)
    if len(volumes) == 1:
        image.header.set_xyzt_units("mm")
    else:
        image.header.set_xyzt_units("mm", "sec")
        image.header.set_zooms((*image.header.get_zooms()[:3], interval))
    normal = np.cross(slices[0].orientation[:3], slices[0].orientation[3:])
    tilted = abs(abs(float(normal @ slice_vector)) - float(np.linalg.norm(slice_vector))) > 1e-4
    image.set_qform(None if tilted else affine, code=0 if tilted else 1)
    return image
