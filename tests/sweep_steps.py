"""The real-file sweep's steps: how each public helper is called on a file or a folder.

:data:`FILE_STEPS` maps a helper's name to a step that calls it on one file's
:class:`~tests.sweep_files._Context` and returns the checks of its output
(:mod:`tests.sweep_pixels`, :mod:`tests.sweep_deid`); :func:`_folder_steps` calls the
folder helpers (``list_series``, ``load_series``, ``deidentify_folder``).
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import numpy as np

from tests.sweep_deid import _check_dciodvfy, _check_leaks
from tests.sweep_files import _Context, _describe, _names, classify
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
