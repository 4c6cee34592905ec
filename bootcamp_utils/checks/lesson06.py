"""The checks of notebook 06, DICOM for machine learning: one function per exercise.

Each check works its answer out from the generated archive ``sample_path("ml_archive")``:
the selection from the headers themselves (SOP Class UID, Image Type, PS3.3 C.7.6.1.1.2 and
C.8.2.1.1.1, the slice normal of Image Orientation (Patient), C.7.6.2.1.1), the missing
slices from the positions, the lesion volume from the SEG's own frames and pixel measures
(PS3.3 C.8.20, C.7.6.16.2.1), the split and the training statistics from the QA table and
scikit-learn, as the lesson does. The usual mistakes are named: a selection by name, study
UIDs for series UIDs, mm³ for mL, a split by series, statistics over every split.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..data import sample_path
from ._registry import Refused, exercise, mapping, number, pair, right, wrong

_CT = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage (PS3.4 B.5)
_TEST_SIZE, _SEED, _CLIP = 0.25, 0, (-1000.0, 1000.0)  # as the lesson's split and statistics


@functools.lru_cache(maxsize=2)
def _index():
    from ..archive import index_archive

    return index_archive(sample_path("ml_archive"), progress=False)


@functools.lru_cache(maxsize=2)
def _qa():
    from ..qa import qa_table

    return qa_table(_index())


def _normal(orientation) -> np.ndarray:
    o = np.asarray(orientation, float)
    return np.cross(o[:3], o[3:])


def _uid_set(answer, what: str = "a set of Series Instance UIDs") -> set[str]:
    """``answer`` as a set of UID strings; refuses text, mappings, numbers and None."""
    if isinstance(answer, (str, bytes)):
        raise Refused(f"one text, expected {what}.", "Put the UIDs in a set: {uid1, uid2}.")
    if answer is None or isinstance(answer, Mapping) or not hasattr(answer, "__iter__"):
        raise Refused(f"expected {what}, got {type(answer).__name__}.")
    if hasattr(answer, "columns"):  # a DataFrame iterates over its column names
        raise Refused(f"this is a whole table; expected {what}.", "set(table['series_uid'])")
    items = list(answer.ravel() if isinstance(answer, np.ndarray) else answer)
    bad = [x for x in items if not isinstance(x, str)]
    if bad:
        raise Refused(
            f"{len(bad)} item(s) are not text, such as {bad[0]!r}; expected {what}.",
            "Series Instance UIDs are strings such as '1.2.826.0.1...'.",
        )
    return {x.strip() for x in items}


def _other_uids(given: set[str]) -> str | None:
    """What the given UIDs are when they are not series UIDs (study, SOP instance, SOP class)."""
    inst = _index().instances
    for column, name in (
        ("study_uid", "Study Instance UIDs"),
        ("sop_uid", "SOP Instance UIDs (one file each)"),
        ("sop_class", "SOP Class UIDs (kinds of object)"),
        ("patient_id", "Patient IDs"),
    ):
        if given and given <= set(inst[column].dropna().astype(str)):
            return name
    return None


def _compare_sets(given: set[str], truth: set[str], what: str) -> tuple[list, list]:
    series = _index().series.set_index("series_uid")
    extra = sorted(given - truth)
    missing = sorted(truth - given)
    unknown = [u for u in extra if u not in series.index]
    if unknown:
        kind = _other_uids(given)
        if kind:
            raise Refused(
                f"these are {kind}, not Series Instance UIDs.", "index.series['series_uid']"
            )
        raise Refused(
            f"{len(unknown)} UID(s) are no series of the archive, such as {unknown[0]!r}.",
            "Take them from index.series['series_uid'].",
        )
    return extra, missing


def _describe(uid: str) -> str:
    row = _index().series.set_index("series_uid").loc[uid]
    return f"{row['patient_id']} {row['description']!r} ({row['image_type']}, {row['modality']})"


# --- 06-select ------------------------------------------------------------------------------


def selected_by_header() -> set[str]:
    """Series whose every readable file is CT Image Storage, ORIGINAL\\PRIMARY\\AXIAL, axial."""
    inst = _index().instances
    ok = set()
    for uid, group in inst.groupby("series_uid"):
        values = [str(t).split("\\") for t in group["image_type"]]
        axial = [
            o is not None
            and abs(_normal(o)[2]) / np.linalg.norm(_normal(o)) >= math.cos(math.radians(1))
            for o in group["orientation"]
        ]
        if (
            (group["sop_class"] == _CT).all()
            and (group["modality"] == "CT").all()
            and all(v[:3] == ["ORIGINAL", "PRIMARY", "AXIAL"] for v in values)
            and all(axial)
        ):
            ok.add(uid)
    return ok


@exercise("06-select", "The original, primary, axial CT image series, by header: a set of UIDs.")
def _select(answer):
    given = _uid_set(answer)
    truth = selected_by_header()
    extra, missing = _compare_sets(given, truth, "series")
    if not extra and not missing:
        return right(
            f"{len(truth)} series: CT Image Storage, Image Type ORIGINAL\\PRIMARY\\AXIAL, "
            "axial slices. Decided by header, whatever their names."
        )
    series = _index().series.set_index("series_uid")
    if extra:
        kinds = {
            "LOCALIZER": "a localizer (Image Type value 3 LOCALIZER, PS3.3 C.8.2.1.1.1)",
            "DERIVED": "derived (Image Type value 1 DERIVED: computed from other images)",
            "SECONDARY": "secondary (Image Type value 2 SECONDARY)",
        }
        first = series.loc[extra[0]]
        why = next(
            (text for word, text in kinds.items() if word in str(first["image_type"])),
            None,
        )
        if first["sop_class"] != _CT:
            why = f"not CT Image Storage but {first['sop_class_name']} (SOP Class UID)"
        elif first["modality"] != "CT":
            why = f"Modality {first['modality']}"
        elif why is None and first["orientation"] != "axial":
            why = f"{first['orientation']} slices, not axial (Image Orientation (Patient))"
        return wrong(
            f"{len(extra)} series too many, such as {_describe(extra[0])}: "
            f"{why or 'not original primary axial CT'}.",
            "Select on Modality, SOP Class UID, every value of Image Type and the orientation, "
            "not on the description.",
        )
    return wrong(
        f"{len(missing)} series missing, such as {_describe(missing[0])}, whose headers say "
        "it is an original primary axial CT image.",
        "A description or file name that looks odd does not matter: the headers decide.",
    )


# --- 06-gap ---------------------------------------------------------------------------------


def series_with_gaps(factor: float = 1.5) -> set[str]:
    """Series whose sorted distinct slice positions have a step > ``factor`` x the median."""
    inst = _index().instances
    found = set()
    for uid, group in inst.groupby("series_uid"):
        rows = group.dropna(subset=["position", "orientation"])
        if len(rows) < 3 or len(rows) != len(group):
            continue
        normal = _normal(rows["orientation"].iloc[0])
        along = np.unique(np.round([normal @ np.asarray(p, float) for p in rows["position"]], 3))
        steps = np.diff(along)
        if len(steps) >= 2 and steps.max() > factor * np.median(steps):
            found.add(uid)
    return found


def missing_slice_series() -> set[str]:
    """Original axial CT series with a gap between positions and no damaged file."""
    damaged = set(_index().problems["series_uid"].dropna())
    return (series_with_gaps() & selected_by_header()) - damaged


@exercise(
    "06-gap", "The series missing a slice, none of their files damaged: a set of series UIDs."
)
def _gap(answer):
    given = _uid_set(answer)
    truth = missing_slice_series()
    extra, missing = _compare_sets(given, truth, "series")
    if not extra and not missing:
        return right(
            f"{len(truth)} series with a step between slices well over the median: a slice "
            "is missing there, and stacking would join anatomy that is not adjacent."
        )
    qa = _qa().set_index("series_uid")
    damaged = set(_index().problems["series_uid"].dropna())
    if extra:
        row = qa.loc[extra[0]]
        if extra[0] in damaged:
            return wrong(
                f"{_describe(extra[0])} has damaged files: its slices are in the archive, "
                "just unreadable, so it is excluded as damaged, not for a missing slice.",
                "Keep only the series whose files are all readable (not_damaged).",
            )
        if given == set(qa.index[~qa["keep"]]):
            return wrong(
                "these are all the excluded series; only some lack a slice.",
                "Look at the no_gaps column, not keep.",
            )
        return wrong(
            f"{len(extra)} series have no missing slice, such as {_describe(extra[0])} "
            f"(excluded: {row['reason'].removeprefix('excluded: ')[:80]}).",
            "The column no_gaps is False where a slice is missing.",
        )
    return wrong(
        f"{len(missing)} series with a missing slice left out, such as {_describe(missing[0])}.",
        "qa['no_gaps'].eq(False): a series can fail an earlier check too, so its reason may "
        "name another one.",
    )


# --- 06-lesion-ml ---------------------------------------------------------------------------


def first_seg() -> tuple[Path, Path]:
    """The first SEG of the index (as the lesson picks it) and the CT series it references."""
    from pydicom import dcmread

    index = _index()
    uid = index.series.loc[index.series["modality"] == "SEG", "series_uid"].iloc[0]
    path = index.files(uid)[0]
    ct = dcmread(path, stop_before_pixels=True).ReferencedSeriesSequence[0].SeriesInstanceUID
    return path, ct


@functools.lru_cache(maxsize=1)
def lesion_facts() -> dict[str, float]:
    """Voxels of segment 1 in the first SEG, and the voxel sizes (mm) of its CT."""
    from pydicom import dcmread

    path, ct = first_seg()
    seg = dcmread(path)
    frames = np.asarray(seg.pixel_array).reshape(-1, seg.Rows, seg.Columns)
    shared = seg.get("SharedFunctionalGroupsSequence", [None])[0]
    count = 0
    for frame, item in zip(frames, seg.PerFrameFunctionalGroupsSequence, strict=True):
        # Segment Identification: per frame, or shared by all (PS3.3 C.8.20.3.1)
        where = item if "SegmentIdentificationSequence" in item else shared
        if int(where.SegmentIdentificationSequence[0].ReferencedSegmentNumber) == 1:
            count += int(np.count_nonzero(frame))
    inst = _index().instances
    rows = inst[inst["series_uid"] == ct]
    normal = _normal(rows["orientation"].iloc[0])
    along = np.sort([normal @ np.asarray(p, float) for p in rows["position"]])
    row_mm, col_mm = rows["pixel_spacing"].iloc[0]
    return {
        "voxels": count,
        "row": float(row_mm),
        "col": float(col_mm),
        "slice": float(np.median(np.diff(along))),
        "thickness": float(rows["slice_thickness"].iloc[0]),
    }


@exercise("06-lesion-ml", "The volume of the first SEG's lesion on its CT's grid, in mL.")
def _lesion(answer):
    given = number(answer, "one number of millilitres")
    f = lesion_facts()
    voxel = f["row"] * f["col"] * f["slice"]
    truth = f["voxels"] * voxel / 1000
    if math.isclose(given, truth, rel_tol=1e-3):
        return right(
            f"{f['voxels']} voxels x {voxel:g} mm³ = {truth * 1000:g} mm³ = {truth:.3f} mL."
        )
    mistakes = [
        (truth * 1000, "that is in mm³: 1 mL is 1000 mm³.", "Divide by 1000."),
        (f["voxels"], "that is the number of voxels, not a volume.", "Times the voxel volume."),
        (f["voxels"] / 1000, "the voxel count / 1000: the voxel volume is missing.", ""),
        (truth / 1000, "that is in litres (or dm³): 1 mL = 1 cm³.", "Divide mm³ by 1000 only."),
        (f["voxels"] * f["row"] * f["col"] / 1000, "the slice spacing is missing.", ""),
        (truth / f["slice"] * f["thickness"], "that uses Slice Thickness; the voxel's "
         "size along the slices is the spacing between their positions.", ""),
        (truth * 100, "that is in cm² x 10 or a unit slip: 1 mL = 1000 mm³.", ""),
    ]  # fmt: skip
    hint = "mask.get_fdata().sum() * np.prod(mask.header.get_zooms()) / 1000"
    for value, message, tip in mistakes:
        if not math.isclose(value, truth, rel_tol=1e-6) and math.isclose(
            given, value, rel_tol=1e-3
        ):
            return wrong(message, tip or hint)
    return wrong(f"{given:g} mL is not the lesion's volume.", hint)


# --- 06-split -------------------------------------------------------------------------------


def kept_series():
    """The kept series (the QA table's keep), with their patients."""
    qa = _qa()
    return qa.loc[qa["keep"], ["series_uid", "patient_id"]].reset_index(drop=True)


@exercise("06-split", "A train/test split of the kept series with no patient on both sides.")
def _split(answer):
    given = mapping(answer, '{"train": {...}, "test": {...}}')
    keys = {str(k).strip().lower() for k in given}
    if keys != {"train", "test"}:
        return wrong(
            f"the keys are {sorted(map(str, given))}; expected exactly 'train' and 'test'.",
            '{"train": set(...), "test": set(...)}',
        )
    sides = {str(k).strip().lower(): _uid_set(v) for k, v in given.items()}
    kept = kept_series()
    patient = dict(zip(kept["series_uid"], kept["patient_id"], strict=True))
    series = _index().series.set_index("series_uid")
    for side, uids in sides.items():
        if uids and not uids & set(series.index):
            kind = _other_uids(uids)
            if kind:
                return wrong(f"the {side} side holds {kind}, not Series Instance UIDs.")
        strangers = sorted(uids - set(series.index))
        if strangers:
            return wrong(f"{strangers[0]!r} ({side}) is no series of the archive.")
        excluded = sorted(uids - set(patient))
        if excluded:
            return wrong(
                f"{len(excluded)} excluded series in {side}, such as {_describe(excluded[0])}.",
                "Split the kept series only (qa['keep']).",
            )
    both = sides["train"] & sides["test"]
    if both:
        return wrong(f"{len(both)} series on both sides.", "Each series on one side.")
    missing = set(patient) - sides["train"] - sides["test"]
    if missing:
        return wrong(
            f"{len(missing)} kept series on neither side, such as {_describe(sorted(missing)[0])}.",
            "Every kept series goes to train or test.",
        )
    shared = sorted({patient[u] for u in sides["train"]} & {patient[u] for u in sides["test"]})
    if shared:
        return wrong(
            f"patients on both sides: {', '.join(shared[:4])}: their other study is in "
            "training, so the test score measures memory (leakage).",
            "Split by patient: GroupShuffleSplit(...).split(kept, groups=kept['patient_id']).",
        )
    n = kept["patient_id"].nunique()
    tested = len({patient[u] for u in sides["test"]})
    if tested == 0:
        return wrong("the test side is empty.", "About a quarter of the patients in test.")
    if tested > n / 2:
        return wrong(
            f"{tested} of {n} patients in test: more than in training (train and test swapped?).",
            "About a quarter of the patients in test.",
        )
    if not 0.1 <= tested / n <= 0.4:
        return wrong(f"{tested} of {n} patients in test: aim for about a quarter.")
    return right(f"{tested} of {n} patients in test, none on both sides: no leakage by patient.")


# --- 06-train-stats -------------------------------------------------------------------------


def lesson_split():
    """The kept series with the lesson's split: GroupShuffleSplit(0.25, random_state=0)."""
    from sklearn.model_selection import GroupShuffleSplit

    kept = kept_series()
    splitter = GroupShuffleSplit(n_splits=1, test_size=_TEST_SIZE, random_state=_SEED)
    _, test = next(splitter.split(kept, groups=kept["patient_id"]))
    kept["split"] = "train"
    kept.loc[kept.index[test], "split"] = "test"
    return kept


@functools.lru_cache(maxsize=1)
def stats_facts() -> dict[str, tuple[float, float]]:
    """(mean, std) for the training split as asked, and for the usual slips."""
    from ..series import load_series

    kept = lesson_split()
    index = _index()
    volumes = {
        u: load_series(index.files(u), progress=False).get_fdata() for u in kept["series_uid"]
    }
    train = [u for u, s in zip(kept["series_uid"], kept["split"], strict=True) if s == "train"]
    test = [u for u in kept["series_uid"] if u not in train]

    def stats(uids, clip=True):
        values = np.concatenate([volumes[u].ravel() for u in uids])
        values = np.clip(values, *_CLIP) if clip else values
        return float(values.mean()), float(values.std())

    means = [float(np.clip(volumes[u], *_CLIP).mean()) for u in train]
    stds = [float(np.clip(volumes[u], *_CLIP).std()) for u in train]
    return {
        "truth": stats(train),
        "all": stats(list(kept["series_uid"])),
        "test": stats(test),
        "unclipped": stats(train, clip=False),
        "per series": (float(np.mean(means)), float(np.mean(stds))),
    }


@exercise(
    "06-train-stats",
    "Mean and standard deviation of the training series' HU, clipped to [-1000, 1000].",
)
def _train_stats(answer):
    first, second = pair(answer, "two numbers (mean, std)")
    mean, std = number(first, "the mean"), number(second, "the standard deviation")
    f = stats_facts()
    truth_mean, truth_std = f["truth"]

    def near(a, b):
        return math.isclose(a, b, rel_tol=1e-3, abs_tol=0.05)

    if near(mean, truth_mean) and near(std, truth_std):
        return right(
            f"mean {truth_mean:.2f} HU, std {truth_std:.2f} HU, from the training split only: "
            "the same two numbers normalise validation and test."
        )
    if near(mean, truth_std) and near(std, truth_mean):
        return wrong("(std, mean): the two are swapped.", "(mean, std)")
    if near(mean, truth_mean) and near(std, truth_std**2):
        return wrong("the second number is the variance, not the standard deviation.", "np.std")
    slips = {
        "all": "these are over every kept series: the test images leak into training.",
        "test": "these are the test split's: statistics come from training only.",
        "unclipped": "not clipped to [-1000, 1000] HU.",
        "per series": "the mean of each series' statistics: pool all voxels together.",
    }
    for key, message in slips.items():
        m, s = f[key]
        if near(mean, m) and near(std, s):
            return wrong(message, "intensity_stats(clipped(u) for u in the training series_uid)")
    if near(mean, truth_mean):
        return wrong(
            f"the mean is right; the std {std:g} is not.",
            "np.std over all the training voxels together (ddof=0).",
        )
    return wrong(
        f"mean {mean:g}, std {std:g}: not the training split's.",
        "kept['split'] == 'train', each volume from load_series, np.clip to [-1000, 1000].",
    )
