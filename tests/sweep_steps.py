"""The real-file sweep's steps: how each public helper is called on a file or a folder.

:data:`FILE_STEPS` maps a helper's name to a step that calls it on one file's
:class:`~tests.sweep_files._Context` and returns the checks of its output
(:mod:`tests.sweep_pixels`, :mod:`tests.sweep_deid`); :func:`_folder_steps` calls the
folder helpers (``list_series``, ``load_series``, ``deidentify_folder``).
"""

from __future__ import annotations

import hashlib
import time
from functools import partial
from pathlib import Path

import numpy as np

from tests.sweep_deid import _check_dciodvfy, _check_leaks
from tests.sweep_files import Problem, _Context, _describe, _names, classify
from tests.sweep_pixels import _check_black_out, _check_compressed, boxes_for

#: JPEG-LS near-lossless error bound the sweep asks for (``jls_error``).
NEAR = 2
#: deidentify_folder runs on folders up to this many bytes (the per-file deidentify covers
#: every file anyway; the folder call is for what only it does: DICOMDIRs, duplicates).
FOLDER_DEID_MAX_BYTES = 30_000_000


# --------------------------------------------------------------------------- file steps


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


def _black_out(ctx: _Context):
    from bootcamp_utils import black_out

    boxes = boxes_for(int(ctx.ds.get("Rows", 1) or 1), int(ctx.ds.get("Columns", 1) or 1))
    out = black_out(ctx.ds, boxes)
    return out, lambda: _check_black_out(ctx, out, boxes)


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


def _stand_in_series(ctx: _Context, referenced: list[str]) -> tuple[list[str], bool]:
    """The referenced series' files in the label's folder, if there (True), or else a real CT
    of another series (False): a label without its source images must then be refused."""
    import pydicom
    from pydicom.data import get_testdata_file

    found = []
    for path in sorted(Path(ctx.path).parent.iterdir()):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SeriesInstanceUID"])
        except Exception:
            continue
        if str(ds.get("SeriesInstanceUID", "")) in referenced and str(path) != ctx.path:
            found.append(str(path))
    return (found, True) if found else ([get_testdata_file("CT_small.dcm")], False)


def _referenced_series(ds) -> list[str]:
    refs = [str(s.SeriesInstanceUID) for s in ds.get("ReferencedSeriesSequence", [])]
    for frame in ds.get("ReferencedFrameOfReferenceSequence", []):  # RT Structure Set
        for study in frame.get("RTReferencedStudySequence", []):
            refs += [str(s.SeriesInstanceUID) for s in study.get("RTReferencedSeriesSequence", [])]
    return refs


def _label_step(modality: str, convert):
    def step(ctx: _Context):
        if str(ctx.ds.get("Modality", "")) != modality:
            return "n/a", None
        files, own = _stand_in_series(ctx, _referenced_series(ctx.ds))
        mask = convert(ctx, files)

        def check():
            if not own:
                raise Problem(
                    "wrong pixels",
                    f"a mask of shape {mask.shape} on {Path(files[0]).name}, a series the "
                    "label was not drawn on (it should have been refused)",
                )

        return mask, check

    return step


def _seg_to_mask(ctx: _Context, files):
    from bootcamp_utils.labels import seg_to_mask

    return seg_to_mask(ctx.path, files)


def _rtstruct_to_mask(ctx: _Context, files):
    from bootcamp_utils.labels import rtstruct_to_mask

    rois = ctx.ds.get("StructureSetROISequence", [])
    return rtstruct_to_mask(ctx.path, files, int(rois[0].ROINumber) if rois else 1)


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
    "seg_to_mask": _label_step("SEG", _seg_to_mask),
    "rtstruct_to_mask": _label_step("RTSTRUCT", _rtstruct_to_mask),
}


# --------------------------------------------------------------------------- folder steps


def _folder_steps(folder: str, tmp: Path, skip: frozenset, send) -> None:
    import bootcamp_utils as bc

    def call(helper, fn, check=None):
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
        seconds, problems = time.perf_counter() - started, []
        try:
            if check is not None:
                check(result)
        except Problem as problem:
            problems.append((problem.kind, str(problem)))
        except Exception as exc:
            problems.append(("check error", _describe(exc)))
        send(("done", helper, "ok", "", seconds, problems, False))
        return result

    listed = call("list_series", lambda: bc.list_series(folder, progress=False)) or []
    for info in listed:
        uid = info.uid
        img = call(f"load_series [{uid}]", partial(bc.load_series, folder, uid, progress=False))
        if img is not None:
            call(f"window_level_viewer(load_series) [{uid}]", partial(bc.window_level_viewer, img))
    _lesson06_steps(folder, tmp, call)
    size = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    if size <= FOLDER_DEID_MAX_BYTES:
        call(
            "deidentify_folder",
            lambda: bc.deidentify_folder(folder, tmp / "deid_folder", progress=False),
        )


# --------------------------------------------------------------------------- lesson 06


def _plain_grouping(folder: str) -> dict[str, int]:
    """Files pydicom reads as they are (no force) with a Series Instance UID, by series."""
    import pydicom

    counts: dict[str, int] = {}
    for path in Path(folder).rglob("*"):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            uid = str(ds.SeriesInstanceUID)
        except Exception:
            continue
        counts[uid] = counts.get(uid, 0) + 1
    return counts


def _check_index(folder: str, index) -> None:
    """Every file indexed or a problem with a reason; series counts as a plain grouping."""
    files = {str(p) for p in Path(folder).rglob("*") if p.is_file()}
    indexed, problems = set(map(str, index.instances["path"])), index.problems
    unaccounted = files - indexed - set(map(str, problems["path"]))
    if unaccounted:
        raise Problem("check error", f"{len(unaccounted)} file(s) neither indexed nor problems")
    blank = problems[problems["problem"].fillna("").str.strip() == ""]
    if len(blank):
        raise Problem("check error", f"{len(blank)} problem(s) without a reason")
    listed = dict(zip(index.series["series_uid"], index.series["n_files"], strict=True))
    attributed = problems.dropna(subset=["series_uid"]).groupby("series_uid").size()
    for uid, n in _plain_grouping(folder).items():
        have = int(listed.get(uid, 0)) + int(attributed.get(uid, 0))
        if uid not in listed and uid not in attributed or have < n:
            raise Problem("check error", f"series {uid}: {n} readable file(s), index has {have}")


def _check_qa(index, table) -> None:
    if list(table["series_uid"]) != list(index.series["series_uid"]):
        raise Problem("check error", "qa_table's rows are not index.series' series")
    out = table[~table["keep"].astype(bool)]
    if (out["reason"].fillna("").str.strip() == "excluded:").any() or not all(
        str(r).startswith("excluded: ") and len(str(r)) > 10 for r in out["reason"]
    ):
        raise Problem("check error", "an excluded series without a reason")


def _check_converted(files, tmp: Path, name: str) -> None:
    import nibabel as nib

    from bootcamp_utils import load_series
    from bootcamp_utils.grid import to_canonical

    written = nib.load(tmp / "dataset" / f"{name}.nii.gz")
    expected = to_canonical(load_series(files, progress=False))
    same = np.array_equal(np.asanyarray(written.dataobj), np.asanyarray(expected.dataobj))
    if not same or not np.allclose(written.affine, expected.affine, atol=1e-4):
        raise Problem("wrong pixels", f"{name}.nii.gz differs from load_series + to_canonical")


def _lesson06_steps(folder: str, tmp: Path, call) -> None:
    """index_archive, qa_table and, for each multi-file CT/MR series, convert_series."""
    from bootcamp_utils.archive import index_archive
    from bootcamp_utils.dataset import convert_series
    from bootcamp_utils.qa import qa_table

    index = call(
        "index_archive",
        lambda: index_archive(folder, progress=False),
        partial(_check_index, folder),
    )
    if index is None:
        return
    call("qa_table", lambda: qa_table(index), partial(_check_qa, index))
    for series in index.series.itertuples():
        if series.modality not in ("CT", "MR") or series.n_files < 2:
            continue
        files = call(
            f"ArchiveIndex.files [{series.series_uid}]", partial(index.files, series.series_uid)
        )
        if not files:
            continue
        # unique per folder and series: the two workers may share ``tmp``
        name = "s" + hashlib.sha256(f"{folder}|{series.series_uid}".encode()).hexdigest()[:16]
        call(
            f"convert_series [{series.series_uid}]",
            partial(convert_series, files, tmp / "dataset", name=name),
            lambda _, files=files, name=name: _check_converted(files, tmp, name),
        )
