"""Right and plausible wrong answers to the exercises of notebook 06 (used by test_checks.py).

The truths come from the plan the archive is written from (``archive_truth()``, no file read),
from ``seg_to_mask`` (the SEG placed by highdicom's references) and from ``intensity_stats``,
not from the checks' own header reading. ``right_answers(name, tmp)`` and
``wrong_answers(name, tmp)`` mirror those of test_checks.py: None for other lessons' ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bootcamp_utils import load_series
from bootcamp_utils.data import sample_path
from bootcamp_utils.data._archive import archive_truth

_BY_HEADER = {"axial CT", "missing slice", "corrupt file", "duplicates"}


def _truth(kind=None) -> list[dict]:
    rows = archive_truth()
    return [
        r for r in rows if kind is None or r["kind"] in ({kind} if isinstance(kind, str) else kind)
    ]


def _uids(kind) -> set[str]:
    return {r["series_uid"] for r in _truth(kind)}


def _index():
    from bootcamp_utils.archive import index_archive

    return index_archive(sample_path("ml_archive"), progress=False)


# --- 06-select -------------------------------------------------------------------------------


def _select(right: bool):
    truth = _uids(_BY_HEADER)
    if right:
        return [truth, sorted(truth), tuple(truth), np.array(sorted(truth)), frozenset(truth),
                pd.Series(sorted(truth)), {f" {u} " for u in truth}]  # fmt: skip
    one = sorted(truth)[0]
    kept = {r["series_uid"] for r in _truth() if r["keep"]}
    return [
        (truth | {sorted(_uids("localizer"))[0]}, "too many", "localizer"),
        (truth | {sorted(_uids("derived"))[0]}, "too many", "derived"),
        (truth | _uids("secondary capture"), "too many", "sop class"),
        (truth | _uids("sagittal MR"), "too many", "ct image storage"),
        (truth | _uids("mixed orientation"), "too many", "not axial"),
        (truth - {one}, "missing", "headers say"),
        (kept, "missing", "headers say"),  # the QA's verdict, not the header selection
        (set(), "missing"),
        ({u for u in _uids(None)}, "too many"),
        ({r["study_uid"] for r in _truth(_BY_HEADER)}, "study instance uids"),
        ({r["patient_id"] for r in _truth(_BY_HEADER)}, "patient ids"),
        (one, "one text"),
        ({1, 2}, "not text"),
        (pd.DataFrame({"series_uid": sorted(truth)}), "whole table"),
        ({u: True for u in truth}, "expected a set"),
        ({"1.2.3.4"}, "no series of the archive"),
    ]


# --- 06-gap ----------------------------------------------------------------------------------


def _gap(right: bool):
    truth = _uids("missing slice")
    assert truth
    if right:
        return [truth, list(truth), tuple(truth), np.array(sorted(truth)), frozenset(truth)]
    excluded = {r["series_uid"] for r in _truth() if not r["keep"]}
    return [
        (truth | _uids("corrupt file"), "damaged files", "not for a missing slice"),
        (_uids("corrupt file"), "damaged files"),
        (excluded, "excluded series"),
        (set(), "left out"),
        (truth | _uids("duplicates"), "no missing slice"),
        (_uids("axial CT"), "no missing slice"),
        (truth | _uids("localizer"), "no missing slice"),
        ({r["study_uid"] for r in _truth("missing slice")}, "study instance uids"),
        (sorted(truth)[0], "one text"),
        ({3}, "not text"),
        (None, "expected a set"),
        ({"1.2.3"}, "no series of the archive"),
    ]


# --- 06-lesion-ml ----------------------------------------------------------------------------


def _lesion_truth() -> tuple[float, float, int, tuple]:
    from bootcamp_utils.labels import seg_to_mask

    index = _index()
    segs = [r for r in _truth("SEG")]
    first = index.series.loc[index.series["modality"] == "SEG", "series_uid"].iloc[0]
    row = next(r for r in segs if r["series_uid"] == first)
    mask = seg_to_mask(index.files(first)[0], index.files(row["referenced_series_uid"]))
    voxels = int(np.asarray(mask.dataobj).sum())
    zooms = tuple(float(z) for z in mask.header.get_zooms())
    assert voxels > 0 and abs(zooms[2] - row_spacing(row["referenced_series_uid"])) < 1e-6
    other = next(r for r in segs if r["series_uid"] != first)
    other_mask = seg_to_mask(index.files(other["series_uid"])[0],
                             index.files(other["referenced_series_uid"]))  # fmt: skip
    other_ml = float(np.asarray(other_mask.dataobj).sum() * np.prod(other_mask.header.get_zooms()))
    return voxels * float(np.prod(zooms)) / 1000, other_ml / 1000, voxels, zooms


def row_spacing(series_uid: str) -> float:
    return next(r["slice_spacing"] for r in archive_truth() if r["series_uid"] == series_uid)


def _lesion(right: bool):
    ml, other_ml, voxels, zooms = _lesion_truth()
    if right:
        return [ml, np.float32(ml), np.float64(ml), round(ml, 3), np.array(ml)]
    assert abs(other_ml - ml) > 1e-3 * ml
    return [
        (ml * 1000, "mm³", "1000"),
        (voxels, "number of voxels"),
        (voxels / 1000, "voxel volume is missing"),
        (ml / 1000, "litres"),
        (voxels * zooms[0] * zooms[1] / 1000, "slice spacing is missing"),
        (ml * 100, "1 ml = 1000 mm³"),
        (other_ml, "not the lesion's volume"),
        (ml * 1.1, "not the lesion's volume"),
        (0.0, "not the lesion's volume"),
        (True, "bool"),
        (f"{ml:.2f} mL", "text"),
        ((ml, "mL"), "one number"),
        (float("nan"), "not a finite number"),
    ]


# --- 06-split --------------------------------------------------------------------------------


def _kept() -> pd.DataFrame:
    rows = [r for r in archive_truth() if r["keep"]]
    return pd.DataFrame({"series_uid": [r["series_uid"] for r in rows],
                         "patient_id": [r["patient_id"] for r in rows]})  # fmt: skip


def _grouped(seed: int) -> dict[str, set[str]]:
    from sklearn.model_selection import GroupShuffleSplit

    kept = _kept()
    train, test = next(
        GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed).split(
            kept, groups=kept["patient_id"]
        )
    )
    return {
        "train": set(kept["series_uid"].iloc[train]),
        "test": set(kept["series_uid"].iloc[test]),
    }


def _split(right: bool):
    good = _grouped(0)
    if right:
        return [good, _grouped(1), {k: sorted(v) for k, v in good.items()},
                {"Train": good["train"], " test ": good["test"]},
                {k: np.array(sorted(v)) for k, v in good.items()}]  # fmt: skip
    from sklearn.model_selection import ShuffleSplit

    kept = _kept()
    leaky = None
    for seed in range(50):  # a split by series that puts one patient on both sides
        train, test = next(ShuffleSplit(n_splits=1, test_size=0.25, random_state=seed).split(kept))
        if set(kept["patient_id"].iloc[train]) & set(kept["patient_id"].iloc[test]):
            leaky = {"train": set(kept["series_uid"].iloc[train]),
                     "test": set(kept["series_uid"].iloc[test])}  # fmt: skip
            break
    assert leaky is not None
    one = sorted(good["test"])[0]
    excluded = sorted(r["series_uid"] for r in archive_truth() if not r["keep"])[0]
    patient = dict(zip(kept["series_uid"], kept["patient_id"], strict=True))
    patients = {k: {patient[u] for u in v} for k, v in good.items()}
    study = {r["series_uid"]: r["study_uid"] for r in archive_truth()}
    return [
        (leaky, "patients on both sides", "leakage"),
        ({"train": good["test"], "test": good["train"]}, "swapped"),
        ({"train": good["train"], "test": good["test"] - {one}}, "neither side"),
        ({"train": good["train"] | {excluded}, "test": good["test"]}, "excluded series"),
        ({"train": good["train"] | {one}, "test": good["test"]}, "both sides"),
        ({"train": good["train"] | good["test"], "test": set()}, "empty"),
        (patients, "patient ids"),
        ({k: {study[u] for u in v} for k, v in good.items()}, "study instance uids"),
        ({"training": good["train"], "test": good["test"]}, "keys"),
        ({"train": good["train"], "val": set(), "test": good["test"]}, "keys"),
        ([good["train"], good["test"]], "expected a dict"),
        ({"train": "1.2.3", "test": good["test"]}, "one text"),
        ({"train": good["train"], "test": {"1.2.3"}}, "no series of the archive"),
    ]


# --- 06-train-stats --------------------------------------------------------------------------


def _stats():
    from bootcamp_utils.grid import intensity_stats

    index = _index()
    kept = _kept()
    split = _grouped(0)

    def of(uids, clip=True):
        volumes = (load_series(index.files(u), progress=False).get_fdata() for u in sorted(uids))
        s = intensity_stats(np.clip(v, -1000, 1000) if clip else v for v in volumes)
        return s["mean"], s["std"]

    return {
        "truth": of(split["train"]),
        "all": of(kept["series_uid"]),
        "test": of(split["test"]),
        "unclipped": of(split["train"], clip=False),
    }


def _train_stats(right: bool):
    s = _stats()
    mean, std = s["truth"]
    if right:
        return [(mean, std), [mean, std], np.array([mean, std]), (round(mean, 2), round(std, 2)),
                (np.float32(mean), np.float32(std))]  # fmt: skip
    return [
        ((std, mean), "swapped"),
        ((mean, std**2), "variance"),
        (s["all"], "leak"),
        (s["test"], "test split"),
        (s["unclipped"], "not clipped"),
        ((mean, std + 5), "the mean is right"),
        ((0.0, 1.0), "not the training split's"),
        ((mean + 1024, std), "not the training split's"),
        (mean, "two numbers"),
        ((True, std), "bool"),
        ((str(mean), std), "text"),
        ((mean, std, 0), "2 values"),
    ]


_CASES = {
    "06-select": _select,
    "06-gap": _gap,
    "06-lesion-ml": _lesion,
    "06-split": _split,
    "06-train-stats": _train_stats,
}


def right_answers(name: str, tmp: Path) -> list | None:
    return _CASES[name](True) if name in _CASES else None


def wrong_answers(name: str, tmp: Path) -> list[tuple] | None:
    return _CASES[name](False) if name in _CASES else None
