"""The real-file sweep's pixel checks: ``compress``'s and ``black_out``'s outputs.

Each output is saved and read back; its decoded pixels are compared with the decoded original
(:meth:`tests.sweep_files._Context.reference`): equal, or within NEAR for JPEG-LS
near-lossless; for ``black_out``, one black value inside the boxes and the original outside.
"""

from __future__ import annotations

import numpy as np

from tests.sweep_files import Problem, _Context, _describe, _saved_and_read, decoded


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
