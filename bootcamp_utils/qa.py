"""Quality checks of an archive's series before they become training data: keep, or say why not.

A model learns from whatever it is given: a localizer among the CT volumes, a series with a
missing slice, a file copied twice. :func:`qa_table` gives **every** series of an
:class:`~bootcamp_utils.archive.ArchiveIndex` one row (nothing is silently dropped), a
``keep`` verdict, a ``reason`` in words ("kept: ..." or the first check that failed, with
the files or positions concerned), and one column per check (True, False, or missing when
it could not be made). Selection is by header, never by file or folder name.

The checks, in the order the reason reports the first failure (:data:`CHECKS`):

``modality``
    Modality (0008,0060) and SOP Class UID (0008,0016) are the ones wanted: CT Image
    Storage for CT (PS3.4 B.5). An Enhanced CT or a SEG is another IOD, read another way.
``image_type``
    Image Type (0008,0008) starts ORIGINAL\\PRIMARY: pixel values from the acquisition,
    not DERIVED (a reformat, a MIP) or SECONDARY (PS3.3 C.7.6.1.1.2); for CT its third
    value is AXIAL or LOCALIZER (PS3.3 C.8.2.1.1.1): a localizer (scout) is a projection,
    not a slice of a volume.
``not_damaged``
    No damaged file belongs to the series. A file cut short in its pixel data still has a
    header: :func:`~bootcamp_utils.archive.index_archive` reads its Series Instance UID from
    it and attributes the problem to the series (else the series would merely show a gap).
``geometry``
    Every file has Image Position (Patient), Image Orientation (Patient) and Pixel Spacing
    (Image Plane module, PS3.3 C.7.6.2): without them the slices cannot be placed.
``one_orientation``, ``axial``
    All files have one orientation, and it is axial (the slice normal along the patient's
    z axis, PS3.3 C.7.6.2.1.1; see :func:`~bootcamp_utils.archive.orientation_label`).
``same_grid``
    One Pixel Spacing, one Rows and one Columns for all files: one volume.
``rescale``
    Rescale Slope and Intercept in every file (Type 1 in the CT Image module, PS3.3
    C.8.2.1): stored values become Hounsfield units only with them.
``no_duplicates``
    No two files at one position along the normal, no SOP Instance UID twice (a file
    copied under another name).
``no_gaps``
    No missing slice: no step between neighbouring positions larger than
    :data:`GAP_FACTOR` times the median step.
``even_spacing``
    Every step equals the median within 1% (0.01 mm at least), as
    :func:`~bootcamp_utils.load_series` needs to stack the slices into one affine.
``enough_slices``
    At least ``min_slices`` distinct positions.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from pydicom.uid import (
    UID,
    CTImageStorage,
    MRImageStorage,
    PositronEmissionTomographyImageStorage,
)

from .archive import SAME_POSITION_MM, ArchiveIndex, orientation_label

__all__ = ["CHECKS", "GAP_FACTOR", "MIN_SLICES", "qa_series", "qa_table"]

CHECKS = (
    "modality", "image_type", "not_damaged", "geometry", "one_orientation", "axial",
    "same_grid", "rescale", "no_duplicates", "no_gaps", "even_spacing", "enough_slices",
)  # fmt: skip
#: A step between neighbouring slices this many times the median step is a missing slice.
GAP_FACTOR = 1.5
#: Fewer distinct slice positions than this is not a volume to train on.
MIN_SLICES = 10
#: The SOP class each modality's series must have (PS3.4 B.5).
SOP_CLASS_OF = {
    "CT": CTImageStorage,
    "MR": MRImageStorage,
    "PT": PositronEmissionTomographyImageStorage,
}
_SAME_COSINES = 1e-4


def qa_series(
    instances: pd.DataFrame,
    *,
    problems: pd.DataFrame | None = None,
    modality: str = "CT",
    min_slices: int = MIN_SLICES,
) -> dict[str, tuple[bool | None, str]]:
    """The checks of one series: check name -> (passed, detail).

    Parameters
    ----------
    instances : pandas.DataFrame
        The rows of ``index.instances`` of one series.
    problems : pandas.DataFrame, optional
        The rows of ``index.problems`` attributed to the series (its damaged files).
    modality : str, default "CT"
        The modality wanted; its SOP class comes from :data:`SOP_CLASS_OF`.
    min_slices : int, default :data:`MIN_SLICES`
        Fewer distinct positions fail ``enough_slices``.

    Returns
    -------
    dict
        Every name of :data:`CHECKS`, in that order, with ``(passed, detail)``: passed is
        None when the check could not be made (no geometry, no readable file).

    Examples
    --------
    >>> from bootcamp_utils import sample_path
    >>> from bootcamp_utils.archive import index_archive
    >>> index = index_archive(sample_path("identified_study"), progress=False)
    >>> scout = index.instances[index.instances["image_type"].str.endswith("LOCALIZER")]
    >>> qa_series(scout)["image_type"]
    (False, 'a localizer (Image Type ORIGINAL\\\\PRIMARY\\\\LOCALIZER, PS3.3 C.8.2.1.1.1)')
    """
    files = list(instances["path"]) if len(instances) else []
    names = _namer(files + (list(problems["path"]) if problems is not None else []))
    results: dict[str, tuple[bool | None, str]] = {}
    results["modality"] = _modality(instances, modality, names)
    results["image_type"] = _image_type(instances, names)
    results["not_damaged"] = _damaged(problems, names)
    results["geometry"] = _geometry(instances, names)
    results.update(_orientation(instances, names, results["geometry"][0]))
    results["same_grid"] = _same_grid(instances, names)
    results["rescale"] = _rescale(instances, names)
    results.update(_spacing(instances, names, results, min_slices))
    return {name: (_bool(results[name][0]), results[name][1]) for name in CHECKS}


def _bool(passed) -> bool | None:
    return None if passed is None else bool(passed)  # numpy's bools are not ``True``


def qa_table(
    index: ArchiveIndex, *, modality: str = "CT", min_slices: int = MIN_SLICES
) -> pd.DataFrame:
    """One row per series of ``index``: keep or not, the reason, and each check.

    Parameters
    ----------
    index : ArchiveIndex
        From :func:`~bootcamp_utils.archive.index_archive`.
    modality : str, default "CT"
        The modality wanted (see :func:`qa_series`).
    min_slices : int, default :data:`MIN_SLICES`
        Fewer distinct positions fail ``enough_slices``.

    Returns
    -------
    pandas.DataFrame
        In the order of ``index.series``: ``series_uid``, ``patient_id``, ``description``,
        ``n_files``, ``keep`` (bool: every check passed), ``reason`` (``"kept: ..."`` or
        ``"excluded: "`` and the first failed check), one nullable boolean column per
        name of :data:`CHECKS`, and ``failures`` (every failed check's detail, ``"; "``).

    Examples
    --------
    >>> from bootcamp_utils import sample_path
    >>> from bootcamp_utils.archive import index_archive
    >>> table = qa_table(index_archive(sample_path("identified_study"), progress=False))
    >>> for reason in table["reason"]:
    ...     print(reason)
    excluded: a localizer (Image Type ORIGINAL\\PRIMARY\\LOCALIZER, PS3.3 C.8.2.1.1.1)
    excluded: 4 slices, fewer than 10
    """
    by_series = dict(iter(index.instances.groupby("series_uid")))
    attributed = index.problems.dropna(subset=["series_uid"])
    damaged = dict(iter(attributed.groupby("series_uid")))
    empty = index.instances.iloc[:0]
    rows = []
    for series in index.series.itertuples():
        instances = by_series.get(series.series_uid, empty)
        checks = qa_series(
            instances,
            problems=damaged.get(series.series_uid),
            modality=modality,
            min_slices=min_slices,
        )
        failed = [detail for passed, detail in checks.values() if passed is False]
        unknown = [name for name, (passed, _) in checks.items() if passed is None]
        keep = not failed and not unknown
        if keep:
            reason = "kept: " + _summary(instances, modality)
        elif failed:
            reason = "excluded: " + failed[0]
        else:
            reason = "excluded: could not check " + ", ".join(unknown)
        row = {
            "series_uid": series.series_uid,
            "patient_id": series.patient_id,
            "description": series.description,
            "n_files": series.n_files,
            "keep": keep,
            "reason": reason,
        }
        row.update({name: passed for name, (passed, _) in checks.items()})
        row["failures"] = "; ".join(failed)
        rows.append(row)
    columns = ["series_uid", "patient_id", "description", "n_files", "keep", "reason"]
    table = pd.DataFrame(rows, columns=[*columns, *CHECKS, "failures"])
    table["keep"] = table["keep"].astype(bool)
    return table.astype({name: "boolean" for name in CHECKS})


# --- the checks -----------------------------------------------------------------------------


def _namer(paths: list[Path]):
    """Files named relative to the folder they share (their names, when in one folder)."""
    if not paths:
        return lambda found: ""
    common = Path(os.path.commonpath([str(Path(p).parent) for p in paths]))

    def names(found, limit: int = 3) -> str:
        found = list(found)
        shown = [Path(p).relative_to(common).as_posix() for p in found[:limit]]
        more = f" and {len(found) - limit} more" if len(found) > limit else ""
        return ", ".join(shown) + more

    return names


def _not_all(bad: pd.DataFrame, instances: pd.DataFrame, names) -> str:
    """' in 2 of 30 files (a.dcm, b.dcm)' when only some files fail, else ''."""
    if len(bad) == len(instances):
        return ""
    return f" in {len(bad)} of {len(instances)} files ({names(bad['path'])})"


def _modality(instances: pd.DataFrame, modality: str, names) -> tuple[bool | None, str]:
    if instances.empty:
        return None, "no readable file"
    wanted = SOP_CLASS_OF.get(modality)
    ok = instances["modality"] == modality
    if wanted is not None:
        ok &= instances["sop_class"] == wanted
    first = instances[~ok].iloc[0] if (~ok).any() else instances.iloc[0]
    sop = UID(first["sop_class"]).name if first["sop_class"] else "no SOP Class UID"
    if ok.all():
        return True, f"{modality}, {sop}"
    want = f"{modality}{', ' + UID(wanted).name if wanted else ''}"
    detail = f"Modality {first['modality'] or '(none)'}, {sop}, not {want}"
    return False, detail + _not_all(instances[~ok], instances, names)


def _image_type(instances: pd.DataFrame, names) -> tuple[bool | None, str]:
    if instances.empty:
        return None, "no readable file"
    values = instances["image_type"].str.upper().str.split("\\")
    original = values.map(lambda v: v[:2] == ["ORIGINAL", "PRIMARY"])
    localizer = values.map(lambda v: "LOCALIZER" in v[2:])
    bad = instances[~original | localizer]
    if bad.empty:
        return True, str(instances["image_type"].iloc[0])
    shown = bad["image_type"].iloc[0] or "(none)"
    if localizer.any():
        detail = f"a localizer (Image Type {shown}, PS3.3 C.8.2.1.1.1)"
    else:
        detail = f"Image Type {shown}, not ORIGINAL\\PRIMARY (PS3.3 C.7.6.1.1.2)"
    return False, detail + _not_all(bad, instances, names)


def _damaged(problems: pd.DataFrame | None, names) -> tuple[bool, str]:
    if problems is None or problems.empty:
        return True, "no damaged file"
    first = str(problems["problem"].iloc[0]).split(". ")[0]
    return False, f"{len(problems)} damaged file(s): {first}"


def _geometry(instances: pd.DataFrame, names) -> tuple[bool | None, str]:
    if instances.empty:
        return None, "no readable file"
    columns = ["position", "orientation", "pixel_spacing"]
    bad = instances[instances[columns].isna().any(axis=1)]
    if bad.empty:
        return True, "position, orientation and pixel spacing in every file"
    missing = [c for c in columns if bad[c].isna().any()]
    what = ", ".join(c.replace("_", " ") for c in missing)
    return False, (
        f"no {what} (Image Plane module, PS3.3 C.7.6.2) in {len(bad)} of {len(instances)} "
        f"file(s) ({names(bad['path'])})"
    )


def _orientation(instances, names, placed: bool | None) -> dict:
    if not placed:
        why = "no geometry" if placed is False else "no readable file"
        return {"one_orientation": (None, why), "axial": (None, why)}
    cosines = np.array(list(instances["orientation"]), float)
    differs = np.abs(cosines - cosines[0]).max(axis=1) > _SAME_COSINES
    if differs.any():
        labels = Counter(orientation_label(tuple(o)) for o in cosines)
        counts = ", ".join(f"{label} in {n}" for label, n in labels.most_common())
        detail = (
            f"{1 + len({tuple(np.round(o, 4)) for o in cosines[differs]})} orientations "
            f"({counts} files; {names(instances['path'][differs])} differ from "
            f"{names(instances['path'].iloc[:1])})"
        )
        return {"one_orientation": (False, detail), "axial": (None, "orientation mixed")}
    label = orientation_label(tuple(cosines[0]))
    normal = np.cross(cosines[0][:3], cosines[0][3:])
    angle = math.degrees(math.acos(min(1.0, abs(normal[2]) / np.linalg.norm(normal))))
    axial = (label == "axial", f"{label}: the slice normal is {angle:.1f} degrees from z")
    return {"one_orientation": (True, "one orientation"), "axial": axial}


def _same_grid(instances: pd.DataFrame, names) -> tuple[bool | None, str]:
    if instances.empty:
        return None, "no readable file"
    for column, what in [
        ("pixel_spacing", "Pixel Spacing"),
        ("rows", "Rows"),
        ("columns", "Columns"),
    ]:
        values = [_key(v) for v in instances[column]]  # not .map: it passes NA through
        counts = Counter(values)
        if len(counts) > 1:
            common = counts.most_common(1)[0][0]
            odd = instances[[v != common for v in values]]
            return False, (
                f"{what} differs: {_shown(common)} in {counts[common]} files, "
                f"{_shown(odd[column].iloc[0])} in {names(odd['path'])}"
            )
    return True, "one pixel spacing and matrix"


def _key(value):
    """A comparable form of a cell: a tuple rounded to 0.1 micrometre, a number, or None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return tuple(np.round(value, 4)) if isinstance(value, tuple) else value


def _shown(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if isinstance(value, tuple):
        return " x ".join(f"{v:g}" for v in value) + (" mm" if len(value) == 2 else "")
    return f"{value:g}"


def _rescale(instances: pd.DataFrame, names) -> tuple[bool | None, str]:
    if instances.empty:
        return None, "no readable file"
    bad = instances[~instances["rescale"].astype(bool)]
    if bad.empty:
        return True, "Rescale Slope and Intercept in every file"
    return False, (
        f"no Rescale Slope/Intercept (PS3.3 C.8.2.1) in {len(bad)} of {len(instances)} "
        f"file(s) ({names(bad['path'])})"
    )


def _spacing(instances, names, results: dict, min_slices: int) -> dict:
    """no_duplicates, no_gaps, even_spacing and enough_slices (positions along the normal)."""
    out = {"no_duplicates": _duplicate_uids(instances, names)}
    if not results["one_orientation"][0]:
        why = "no one orientation to sort along"
        out.update(no_gaps=(None, why), even_spacing=(None, why), enough_slices=(None, why))
        if out["no_duplicates"][0] is not False:
            out["no_duplicates"] = (None, why)
        return out
    o = np.asarray(instances["orientation"].iloc[0], float)
    normal = np.cross(o[:3], o[3:])
    axis = int(np.argmax(np.abs(normal)))
    letter = "xyz"[axis] if orientation_label(tuple(o)) != "oblique" else None
    order = np.argsort([np.asarray(p) @ normal for p in instances["position"]], kind="stable")
    rows = instances.iloc[order]
    along = np.array([np.asarray(p) @ normal for p in rows["position"]])
    paths = list(rows["path"])

    def where(k: int) -> str:  # a slice's place, as z=... for an axial series
        if letter is None:
            return f"{along[k]:.2f} mm along the normal"
        return f"{letter}={rows['position'].iloc[k][axis]:g}"

    same = np.flatnonzero(np.diff(along) < SAME_POSITION_MM)
    if same.size and out["no_duplicates"][0]:
        k = same[0]
        group = [paths[j] for j in range(len(paths)) if abs(along[j] - along[k]) < SAME_POSITION_MM]
        out["no_duplicates"] = (
            False,
            f"{len(group)} files at one position ({where(k)}): {names(group)}"
            + (f"; {same.size} duplicate position(s) in all" if same.size > 1 else ""),
        )
    keep = np.concatenate([[True], np.diff(along) >= SAME_POSITION_MM])
    distinct, firsts = along[keep], np.flatnonzero(keep)
    n = len(distinct)
    out["enough_slices"] = (
        n >= min_slices,
        f"{n} slice{'s' if n != 1 else ''}"
        + ("" if n >= min_slices else f", fewer than {min_slices}"),
    )
    if n < 2:
        return {**out, "no_gaps": (True, "one slice"), "even_spacing": (True, "one slice")}
    steps = np.diff(distinct)
    step = float(np.median(steps))
    gaps = np.flatnonzero(steps > GAP_FACTOR * step)
    if gaps.size:
        k = gaps[0]
        missing = max(1, round(steps[k] / step) - 1)
        a, b = firsts[k], firsts[k + 1]
        more = f" ({gaps.size} gaps in all)" if gaps.size > 1 else ""
        out["no_gaps"] = (
            False,
            f"{missing} missing slice{'s' if missing > 1 else ''} between {where(a)} and "
            f"{where(b)} ({names([paths[a], paths[b]])}: {steps[k]:g} mm apart, the series "
            f"steps {step:g} mm){more}",
        )
    else:
        out["no_gaps"] = (True, f"no step over {GAP_FACTOR:g} x {step:g} mm")
    tolerance = max(0.01, 0.01 * step)
    uneven = np.flatnonzero((np.abs(steps - step) > tolerance) & (steps <= GAP_FACTOR * step))
    if uneven.size:
        a, b = firsts[uneven[0]], firsts[uneven[0] + 1]
        out["even_spacing"] = (
            False,
            f"uneven spacing: {names([paths[a], paths[b]])} are {steps[uneven[0]]:g} mm apart "
            f"({where(a)}, {where(b)}), the series steps {step:g} mm",
        )
    else:
        out["even_spacing"] = (True, f"every step {step:g} mm")
    return out


def _duplicate_uids(instances: pd.DataFrame, names) -> tuple[bool | None, str]:
    if instances.empty:
        return None, "no readable file"
    counts = instances["sop_uid"].value_counts()
    twice = counts[counts > 1]
    if twice.empty:
        return True, "no position or SOP Instance UID twice"
    uid = twice.index[0]
    files = instances.loc[instances["sop_uid"] == uid, "path"]
    return False, (
        f"SOP Instance UID {uid} in {len(files)} files: {names(files)} (a copy?)"
        + (f"; {len(twice)} UIDs repeated in all" if len(twice) > 1 else "")
    )


def _summary(instances: pd.DataFrame, modality: str) -> str:
    """'axial CT, 30 slices, spacing 0.7 x 0.7 x 5 mm' (rows, columns, then slices)."""
    o = np.asarray(instances["orientation"].iloc[0], float)
    normal = np.cross(o[:3], o[3:])
    along = np.unique(np.round([np.asarray(p) @ normal for p in instances["position"]], 3))
    step = float(np.median(np.diff(along))) if len(along) > 1 else math.nan
    row, col = instances["pixel_spacing"].iloc[0]
    return f"axial {modality}, {len(along)} slices, spacing {row:g} x {col:g} x {step:.3g} mm"
