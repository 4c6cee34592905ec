"""From stored pixel values to what the screen shows, as DICOM defines it.

Two steps (PS3.3 C.11):

1. **Modality LUT**: stored values -> real-world values, usually
   ``value = stored * RescaleSlope + RescaleIntercept`` (Hounsfield units for CT). In an
   enhanced multi-frame file every frame may carry its own slope and intercept.
2. **VOI LUT (window)**: real-world values -> display grey levels, through Window Center
   ``c`` and Window Width ``w`` with the linear function of PS3.3 C.11.2.1.2.1::

       x <= c - 0.5 - (w - 1) / 2   ->  black
       x >  c - 0.5 + (w - 1) / 2   ->  white
       otherwise                    ->  ((x - (c - 0.5)) / (w - 1) + 0.5)   (0 ... 1)

   The often-quoted "clip to [c - w/2, c + w/2]" is an approximation of it
   (:func:`apply_window_clip`), off by up to half a grey step at the edges.

MONOCHROME1 images show low values white: :func:`display_values` inverts them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from pydicom.dataset import Dataset

__all__ = [
    "PRESETS",
    "apply_window",
    "apply_window_clip",
    "display_values",
    "header_windows",
    "real_world_values",
]

#: Usual CT windows as (center, width) in HU. These are conventions that vary between
#: departments and textbooks, not values from the DICOM standard.
PRESETS: dict[str, tuple[float, float]] = {
    "brain": (40.0, 80.0),
    "subdural": (75.0, 215.0),
    "stroke": (40.0, 40.0),
    "bone": (600.0, 2800.0),  # head/temporal bone; body bone windows are often 400/1800
    "lung": (-600.0, 1500.0),
    "mediastinum": (50.0, 350.0),
    "abdomen": (40.0, 400.0),
    "liver": (60.0, 160.0),
}


def _frame_rescale(ds: Dataset, frame: int) -> tuple[float, float]:
    """Rescale slope and intercept of ``frame``: per-frame, shared, or top-level values."""
    for groups in (ds.get("PerFrameFunctionalGroupsSequence"),
                   ds.get("SharedFunctionalGroupsSequence")):
        if not groups:
            continue
        item = groups[frame] if len(groups) > 1 else groups[0]
        transform = item.get("PixelValueTransformationSequence")
        if transform:
            return float(transform[0].RescaleSlope), float(transform[0].RescaleIntercept)
    return float(ds.get("RescaleSlope", 1) or 1), float(ds.get("RescaleIntercept", 0) or 0)


def real_world_values(ds: Dataset, pixels: np.ndarray | None = None) -> np.ndarray:
    """Stored values -> real-world values (float64), frame by frame where they differ.

    ``pixels`` defaults to ``ds.pixel_array``. For a single frame this equals
    :func:`pydicom.pixels.apply_modality_lut` (which also handles a Modality LUT Sequence);
    for a multi-frame file each frame gets its own Rescale Slope/Intercept from the
    functional groups. Computed in floating point: no integer overflow, no rounding.
    """
    stored = ds.pixel_array if pixels is None else pixels
    if "ModalityLUTSequence" in ds:
        from pydicom.pixels import apply_modality_lut

        return np.asarray(apply_modality_lut(stored, ds), dtype=np.float64)
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    values = np.asarray(stored, dtype=np.float64)
    if n_frames == 1:
        slope, intercept = _frame_rescale(ds, 0)
        return values * slope + intercept
    out = np.empty_like(values)
    for frame in range(n_frames):
        slope, intercept = _frame_rescale(ds, frame)
        out[frame] = values[frame] * slope + intercept
    return out


def apply_window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """The linear VOI LUT function of PS3.3 C.11.2.1.2.1, mapped to floats in [0, 1].

    Equal to :func:`pydicom.pixels.apply_windowing` with VOI LUT Function LINEAR once its
    output range is mapped to [0, 1]. ``width`` must be at least 1.
    """
    if not width >= 1:
        raise ValueError(f"Window Width must be >= 1 for the linear function, got {width}")
    x = np.asarray(values, dtype=np.float64)
    c, w = float(center) - 0.5, float(width) - 1.0
    out = np.empty_like(x)
    below = x <= c - w / 2
    above = x > c + w / 2
    between = ~(below | above)
    out[below], out[above] = 0.0, 1.0
    if w > 0:
        out[between] = (x[between] - c) / w + 0.5
    return out


def apply_window_clip(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """The common approximation: clip to [c - w/2, c + w/2] and scale to [0, 1].

    Not the DICOM function; close to :func:`apply_window` (within about 1/width).
    """
    if not width > 0:
        raise ValueError(f"Window Width must be > 0, got {width}")
    low = float(center) - float(width) / 2
    return np.clip((np.asarray(values, dtype=np.float64) - low) / float(width), 0.0, 1.0)


def _as_list(value) -> list:
    """A DICOM value as a list: multi-valued elements are iterable, single values are not."""
    return [value] if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) \
        else list(value)


def header_windows(ds: Dataset) -> list[tuple[float, float, str]]:
    """Every (center, width, explanation) in the header; Window Center/Width may be multi-valued."""
    if "WindowCenter" not in ds or "WindowWidth" not in ds:
        return []

    centers, widths = _as_list(ds.WindowCenter), _as_list(ds.WindowWidth)
    explanations = _as_list(ds.get("WindowCenterWidthExplanation", []))
    return [(float(c), float(w), str(explanations[i]) if i < len(explanations) else "")
            for i, (c, w) in enumerate(zip(centers, widths, strict=False))]


def display_values(ds: Dataset, center: float | None = None, width: float | None = None,
                   values: np.ndarray | None = None) -> np.ndarray:
    """What a viewer shows, in [0, 1] (0 black): modality LUT, window, MONOCHROME1 inverted.

    ``center``/``width`` default to the first window in the header, else to the full range
    of the values. ``values`` are real-world values if you computed them already.
    """
    if values is None:
        values = real_world_values(ds)
    if center is None or width is None:
        windows = header_windows(ds)
        if windows:
            center, width = windows[0][:2]
        else:
            low, high = float(np.min(values)), float(np.max(values))
            center, width = (low + high) / 2, max(high - low, 1.0)
    shown = apply_window(values, center, width)
    if ds.get("PhotometricInterpretation") == "MONOCHROME1":
        shown = 1.0 - shown
    return shown
