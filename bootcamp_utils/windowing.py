"""From stored pixel values to what the screen shows, as DICOM defines it.

Three steps (PS3.3 C.11, PS3.4 N.2):

1. **Modality LUT**: stored values -> real-world values, usually
   ``value = stored * RescaleSlope + RescaleIntercept`` (Hounsfield units for CT). In an
   enhanced multi-frame file every frame may carry its own slope and intercept.
2. **VOI LUT**: real-world values -> grey levels in [0, 1] (0 black), either through a
   window (Window Center ``c``, Window Width ``w``) and the VOI LUT Function (0028,1056),
   or through a table, the VOI LUT Sequence (0028,3010):

   * ``LINEAR``, the default (PS3.3 C.11.2.1.2.1), ``w >= 1``::

         x <= c - 0.5 - (w - 1) / 2   ->  0 (black)
         x >  c - 0.5 + (w - 1) / 2   ->  1 (white)
         otherwise                    ->  (x - (c - 0.5)) / (w - 1) + 0.5

   * ``LINEAR_EXACT`` (PS3.3 C.11.2.1.3.2), ``w > 0``: the "clip to [c - w/2, c + w/2]"
     that textbooks teach::

         x <= c - w / 2   ->  0
         x >  c + w / 2   ->  1
         otherwise        ->  (x - c) / w + 0.5

   * ``SIGMOID`` (PS3.3 C.11.2.1.3.1), ``w > 0``: ``1 / (1 + exp(-4 (x - c) / w))``, never
     quite black or white; its slope at the center equals that of a linear ramp of width w.

   LINEAR and LINEAR_EXACT differ only slightly. Their black edges coincide
   (``c - 0.5 - (w - 1) / 2 = c - w / 2``); LINEAR reaches white one input unit earlier
   (from ``c + w / 2 - 1`` on instead of from ``c + w / 2``); in between LINEAR is the steeper
   ramp, and the largest difference of the two outputs is exactly ``1 / w``, at
   ``x = c + w / 2 - 1``: 1/80 of the grey range for a brain window, about 3 of 256 grey
   levels.

   A **VOI LUT Sequence** is a table (PS3.3 C.11.2.1.1): LUT Descriptor = (number of
   entries, first value mapped, bits per entry), LUT Data = the entries. Input values
   below the first value mapped take the first entry, values past the end the last one;
   the output range is 0 ... 2**bits - 1.
3. **Presentation LUT**: MONOCHROME1 images show their lowest values white. Presentation
   LUT Shape (2050,0020) INVERSE says the same (it is required with MONOCHROME1 in DX,
   mammography and intra-oral images); IDENTITY says "do not invert".

Which VOI transform :func:`display_values` applies, first match wins:

1. a window you pass (``center`` and ``width``), with your ``function`` or the header's;
2. the header's VOI LUT Sequence, unless you asked for a ``function`` (as
   :func:`pydicom.pixels.apply_voi_lut` does by default, ``prefer_lut=True``; the standard
   lets a viewer choose when a file carries both, PS3.3 C.11.2);
3. the header's first window, with the header's VOI LUT Function; an enhanced image without
   one at the top level: its frame's Frame VOI LUT Sequence, per frame or shared (PS3.3
   C.7.6.16.2.10);
4. the full range of the values, LINEAR.

Then the image is inverted when Presentation LUT Shape is INVERSE, or, without that
attribute, when Photometric Interpretation is MONOCHROME1 (a Presentation LUT Shape
overrides the Photometric Interpretation, as in a presentation state: PS3.4 N.2.1.4).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
from pydicom.dataset import Dataset

from .decoders import HeaderError, frame_item, header_float, header_int, source_name

__all__ = [
    "FUNCTIONS",
    "PRESETS",
    "apply_voi_lut_sequence",
    "apply_window",
    "apply_window_clip",
    "display_inverted",
    "display_values",
    "header_windows",
    "real_world_values",
    "voi_lut_function",
]

#: The VOI LUT Function (0028,1056) values this module implements (PS3.3 C.11.2.1.3).
FUNCTIONS: tuple[str, ...] = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
VOIFunction = Literal["LINEAR", "LINEAR_EXACT", "SIGMOID"]

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
    name = source_name(ds)
    transform = frame_item(ds, frame, "PixelValueTransformationSequence")
    if transform is not None:
        return (
            header_float(transform, "RescaleSlope", 1.0, name),
            header_float(transform, "RescaleIntercept", 0.0, name),
        )
    return (
        header_float(ds, "RescaleSlope", 1.0) or 1.0,
        header_float(ds, "RescaleIntercept", 0.0) or 0.0,
    )


def real_world_values(ds: Dataset, pixels: np.ndarray | None = None) -> np.ndarray:
    """Stored values -> real-world values (float64), frame by frame where they differ.

    The Modality LUT step (PS3.3 C.11.1): ``stored * RescaleSlope + RescaleIntercept``,
    or the Modality LUT Sequence when there is one.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The header (Rescale Slope/Intercept, functional groups, Modality LUT Sequence).
    pixels : numpy.ndarray, optional
        Stored values; default ``ds.pixel_array`` (through
        :func:`bootcamp_utils.decoders.pixel_array`, whose error names what to install).

    Returns
    -------
    numpy.ndarray
        float64 real-world values. For a single frame this equals
        :func:`pydicom.pixels.apply_modality_lut`; for a multi-frame file each frame gets
        its own Rescale Slope/Intercept from the functional groups. Computed in floating
        point: no integer overflow, no rounding.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    >>> real_world_values(ds, np.array([0, 1024, 1064], dtype=np.uint16)).tolist()
    [-1024.0, 0.0, 40.0]
    """
    if pixels is None:  # decoded here; a missing decoder names the package to install
        from .decoders import pixel_array

        pixels = pixel_array(ds)
    stored = pixels
    if "ModalityLUTSequence" in ds:
        from pydicom.pixels import apply_modality_lut

        return np.asarray(apply_modality_lut(stored, ds), dtype=np.float64)
    n_frames = header_int(ds, "NumberOfFrames", 1) or 1
    values = np.asarray(stored, dtype=np.float64)
    if n_frames == 1:
        slope, intercept = _frame_rescale(ds, 0)
        return values * slope + intercept
    out = np.empty_like(values)
    for frame in range(n_frames):
        slope, intercept = _frame_rescale(ds, frame)
        out[frame] = values[frame] * slope + intercept
    return out


def _function_name(function: str) -> str:
    name = str(function).strip().upper()
    if name not in FUNCTIONS:
        raise ValueError(
            f"VOI LUT Function {function!r} is not one of {', '.join(FUNCTIONS)} "
            "(PS3.3 C.11.2.1.3); pass one of those"
        )
    return name


def apply_window(
    values: np.ndarray, center: float, width: float, function: VOIFunction | str = "LINEAR"
) -> np.ndarray:
    """Window real-world values to grey levels in [0, 1] with a VOI LUT Function.

    Parameters
    ----------
    values : array_like
        Real-world values (the output of the Modality LUT, e.g. HU).
    center, width : float
        Window Center (0028,1050) and Window Width (0028,1051), in the units of ``values``.
    function : {"LINEAR", "LINEAR_EXACT", "SIGMOID"}
        VOI LUT Function (0028,1056); case and surrounding spaces are ignored.
        ``"LINEAR"`` (PS3.3 C.11.2.1.2.1) needs ``width >= 1``; ``"LINEAR_EXACT"``
        (C.11.2.1.3.2, the plain clip to [c - w/2, c + w/2]) and ``"SIGMOID"``
        (C.11.2.1.3.1) need ``width > 0``.

    Returns
    -------
    numpy.ndarray
        float64 grey levels, 0 black, 1 white. Equal to
        :func:`pydicom.pixels.apply_windowing` once its output range is mapped to [0, 1].

    Raises
    ------
    ValueError
        If ``width`` is too small for ``function``, or ``function`` is unknown.

    Examples
    --------
    >>> hu = np.array([0.0, 39.0, 79.0, 80.0])
    >>> apply_window(hu, 40, 80).round(4).tolist()                  # LINEAR: white from 79
    [0.0, 0.4937, 1.0, 1.0]
    >>> apply_window(hu, 40, 80, "LINEAR_EXACT").round(4).tolist()  # white from 80
    [0.0, 0.4875, 0.9875, 1.0]
    >>> apply_window(hu, 40, 80, "SIGMOID").round(4).tolist()       # never 0 or 1
    [0.1192, 0.4875, 0.8754, 0.8808]
    """
    name = _function_name(function)
    c, w = float(center), float(width)
    x = np.asarray(values, dtype=np.float64)
    if name == "SIGMOID":
        if not w > 0:
            raise ValueError(f"Window Width must be > 0 for SIGMOID, got {width}")
        with np.errstate(over="ignore"):  # exp -> inf far below the center: 1/inf = 0
            return 1.0 / (1.0 + np.exp(-4.0 * (x - c) / w))
    if name == "LINEAR":
        if not w >= 1:
            raise ValueError(
                f"Window Width must be >= 1 for LINEAR, got {width} "
                "(LINEAR_EXACT and SIGMOID accept any width > 0)"
            )
        c, w = c - 0.5, w - 1.0
    elif not w > 0:
        raise ValueError(f"Window Width must be > 0 for LINEAR_EXACT, got {width}")
    out = np.empty_like(x)
    below = x <= c - w / 2
    above = x > c + w / 2
    between = ~(below | above)
    out[below], out[above] = 0.0, 1.0
    if w > 0:
        out[between] = (x[between] - c) / w + 0.5
    return out


def apply_window_clip(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """The LINEAR_EXACT VOI LUT Function: clip to [c - w/2, c + w/2], scale to [0, 1].

    A thin alias of ``apply_window(values, center, width, "LINEAR_EXACT")``: this "clip"
    is the DICOM function LINEAR_EXACT of PS3.3 C.11.2.1.3.2, not an approximation. It
    differs from the default LINEAR function by at most ``1 / width``.

    Parameters
    ----------
    values : array_like
        Real-world values.
    center, width : float
        Window Center and Window Width; ``width > 0``.

    Returns
    -------
    numpy.ndarray
        float64 grey levels in [0, 1].

    Examples
    --------
    >>> apply_window_clip(np.array([0.0, 40.0, 80.0]), 40, 80).tolist()
    [0.0, 0.5, 1.0]
    """
    return apply_window(values, center, width, "LINEAR_EXACT")


def voi_lut_function(ds: Dataset, frame: int = 0) -> str:
    """The header's VOI LUT Function (0028,1056), ``"LINEAR"`` when absent or empty.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Any header.
    frame : int, optional
        For an enhanced image without a top-level window: the function that goes with
        this frame's window in its Frame VOI LUT Sequence (as :func:`header_windows`).

    Returns
    -------
    str
        ``"LINEAR"``, ``"LINEAR_EXACT"`` or ``"SIGMOID"`` (PS3.3 C.11.2.1.3).

    Raises
    ------
    ValueError
        If the header names a function this module does not implement.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> voi_lut_function(ds)
    'LINEAR'
    >>> ds.VOILUTFunction = "SIGMOID"
    >>> voi_lut_function(ds)
    'SIGMOID'
    """
    source = _window_source(ds, frame)
    return _function_name(source.get("VOILUTFunction") or "LINEAR")


def _input_may_be_signed(ds: Dataset) -> bool:
    """Whether the input to the VOI LUT may be negative (PS3.3 C.11.2.1.1, second value)."""
    if "ModalityLUTSequence" in ds:
        return False  # a Modality LUT's output is unsigned (C.11.1.1.1)
    bits = header_int(ds, "BitsStored", 16) or 16
    signed = header_int(ds, "PixelRepresentation", 0) == 1
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    if "RescaleSlope" in ds or "RescaleIntercept" in ds:
        slope, intercept = _frame_rescale(ds, 0)
        return min(low * slope + intercept, high * slope + intercept) < 0
    return signed


def _voi_lut(ds: Dataset, index: int = 0) -> tuple[int, int, np.ndarray] | None:
    """(first value mapped, bits per entry, entries) of a VOI LUT Sequence item, or None."""
    items = ds.get("VOILUTSequence")
    if not items:
        return None
    item = items[index]
    if item.get("LUTDescriptor") is None or item.get("LUTData") is None:
        return None
    # Explicit VR gives the whole descriptor one VR (US or SS): read all three values as
    # 16-bit words, then the second as SS when the VOI LUT's input may be negative.
    n, first, bits = (int(v) % 65536 for v in item.LUTDescriptor)
    n = n or 65536
    if _input_may_be_signed(ds) and first >= 32768:
        first -= 65536
    raw = item["LUTData"].value
    if isinstance(raw, (bytes, bytearray)):  # OW: 16-bit words, or 8-bit entries packed
        little = ds.original_encoding[1] if ds.original_encoding[1] is not None else True
        if bits <= 8 and len(raw) == n:
            data = np.frombuffer(raw, np.uint8)
        else:
            data = np.frombuffer(raw, ("<" if little else ">") + "u2")
    else:
        data = np.asarray(raw if isinstance(raw, Iterable) else [raw], dtype=np.int64)
    if data.size < n:
        raise ValueError(
            f"VOI LUT Sequence item {index}: LUT Descriptor says {n} entries, "
            f"LUT Data holds {data.size}; the file is damaged"
        )
    return first, bits, data[:n].astype(np.int64)


def apply_voi_lut_sequence(values: np.ndarray, ds: Dataset, index: int = 0) -> np.ndarray:
    """Map real-world values through the header's VOI LUT Sequence, to [0, 1].

    PS3.3 C.11.2.1.1: input ``first`` (the second LUT Descriptor value) takes entry 0, each
    input one higher the next entry; inputs below ``first`` take the first entry, inputs
    past the table the last one. Entries run from 0 to ``2**bits - 1`` (``bits``: the third
    LUT Descriptor value), so each is divided by ``2**bits - 1``. The second value is read
    as signed (SS) when the VOI LUT's input may be negative (signed pixels, or a rescale
    that can give negative values), whatever VR the file declares for the descriptor.
    Non-integer inputs take the entry of the integer below them, as pydicom does.

    Parameters
    ----------
    values : array_like
        Real-world values (the output of the Modality LUT).
    ds : pydicom.dataset.Dataset
        A header with a VOI LUT Sequence (0028,3010).
    index : int
        Which item of the sequence (a file may offer several views).

    Returns
    -------
    numpy.ndarray
        float64 grey levels in [0, 1], 0 black. Equal to
        :func:`pydicom.pixels.apply_voi` divided by ``2**bits - 1``.

    Raises
    ------
    ValueError
        If ``ds`` has no usable VOI LUT Sequence, or its LUT Data is too short.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> item = Dataset()
    >>> item.LUTDescriptor = [4, 10, 8]       # 4 entries, first input 10, 8-bit entries
    >>> item.LUTData = [0, 51, 204, 255]
    >>> ds = Dataset()
    >>> ds.VOILUTSequence = [item]
    >>> apply_voi_lut_sequence(np.array([5, 10, 11, 12, 13, 99]), ds).tolist()
    [0.0, 0.0, 0.2, 0.8, 1.0, 1.0]
    """
    lut = _voi_lut(ds, index)
    if lut is None:
        raise ValueError(
            "this header has no VOI LUT Sequence (0028,3010) with LUT Descriptor "
            "and LUT Data; use apply_window with a center and width instead"
        )
    first, bits, data = lut
    x = np.floor(np.asarray(values, dtype=np.float64))
    entry = np.clip(x - first, 0, data.size - 1).astype(np.intp)
    return np.clip(data[entry] / float(2**bits - 1), 0.0, 1.0)


def display_inverted(ds: Dataset) -> bool:
    """Whether the lowest values show white (the Presentation LUT step, PS3.3 C.11.6).

    Presentation LUT Shape (2050,0020) decides when present: INVERSE inverts, IDENTITY does
    not (it overrides Photometric Interpretation, as in a presentation state, PS3.4
    N.2.1.4). Without it, MONOCHROME1 inverts (PS3.3 C.7.6.3.1.2). In a conformant image
    the two agree: IDENTITY goes with MONOCHROME2, INVERSE with MONOCHROME1.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Any header.

    Returns
    -------
    bool
        True when the grey levels must be inverted (``1 - y``) for display.

    Raises
    ------
    ValueError
        If Presentation LUT Shape has another value than IDENTITY or INVERSE.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.PhotometricInterpretation = "MONOCHROME1"
    >>> display_inverted(ds)
    True
    >>> ds.PresentationLUTShape = "IDENTITY"
    >>> display_inverted(ds)
    False
    """
    shape = str(ds.get("PresentationLUTShape") or "").strip().upper()
    if shape:
        if shape not in ("IDENTITY", "INVERSE"):
            raise ValueError(
                f"Presentation LUT Shape {shape!r} is not IDENTITY or INVERSE "
                "(PS3.3 C.11.6); this module cannot display it"
            )
        return shape == "INVERSE"
    return str(ds.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1"


def _as_list(value) -> list:
    """A DICOM value as a list: multi-valued elements are iterable, single values are not."""
    single = isinstance(value, (str, bytes)) or not isinstance(value, Iterable)
    return [value] if single else list(value)


def _window_source(ds: Dataset, frame: int = 0) -> Dataset:
    """Where the window of ``frame`` lives: the top level, else its Frame VOI LUT item."""
    if "WindowCenter" in ds and "WindowWidth" in ds:
        return ds
    item = frame_item(ds, frame, "FrameVOILUTSequence")
    if item is not None and "WindowCenter" in item and "WindowWidth" in item:
        return item
    return ds


def _window_numbers(ds: Dataset, source: Dataset, keyword: str) -> list[float]:
    values = _as_list(source[keyword].value)
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        tag = source[keyword].tag
        where = "" if source is ds else " in Frame VOI LUT Sequence (0028,9132)"
        raise HeaderError(
            f"{source_name(ds)}: {keyword} ({tag.group:04X},{tag.element:04X}){where} is "
            f"{source[keyword].value!r}, not a number (DS); the file is damaged there. Pass "
            "your own window, display_values(ds, center, width), or correct the header "
            f"(ds.{keyword} = ...)."
        ) from None


def header_windows(ds: Dataset, frame: int = 0) -> list[tuple[float, float, str]]:
    """Every window in the header; Window Center/Width may be multi-valued.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Any header.
    frame : int, optional
        For an enhanced multi-frame image without a top-level window: whose Frame VOI LUT
        Sequence (Per-Frame, else Shared Functional Groups) to read. Default the first.

    Returns
    -------
    list of (float, float, str)
        (center, width, explanation) for each window (PS3.3 C.11.2.1.2); empty when the
        header has no Window Center and Window Width. The explanation is "" when absent.

    Raises
    ------
    bootcamp_utils.decoders.HeaderError
        If Window Center or Window Width is not a number (the message names the file).

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.WindowCenter, ds.WindowWidth = ["40", "600"], ["80", "2800"]
    >>> ds.WindowCenterWidthExplanation = ["BRAIN", "BONE"]
    >>> header_windows(ds)
    [(40.0, 80.0, 'BRAIN'), (600.0, 2800.0, 'BONE')]
    """
    source = _window_source(ds, frame)
    if "WindowCenter" not in source or "WindowWidth" not in source:
        return []
    centers = _window_numbers(ds, source, "WindowCenter")
    widths = _window_numbers(ds, source, "WindowWidth")
    explanations = _as_list(source.get("WindowCenterWidthExplanation", []))
    return [
        (c, w, str(explanations[i]) if i < len(explanations) else "")
        for i, (c, w) in enumerate(zip(centers, widths, strict=False))
    ]


def _per_frame_windows(ds: Dataset, values: np.ndarray) -> bool:
    """Whether each frame of ``values`` takes its own window from the functional groups."""
    if "WindowCenter" in ds and "WindowWidth" in ds:
        return False
    frames = header_int(ds, "NumberOfFrames", 1) or 1
    if frames < 2 or values.ndim < 3 or values.shape[0] != frames:
        return False
    return _window_source(ds, 0) is not ds


def _windowed(ds, values, center, width, function, frame: int = 0) -> np.ndarray:
    """Steps 1, 3 and 4 of the precedence, with the window of ``frame``."""
    name = voi_lut_function(ds, frame) if function is None else function
    if center is None:
        windows = header_windows(ds, frame)
        if windows:
            center, width = windows[0][:2]
        else:
            low, high = float(np.min(values)), float(np.max(values))
            center, width, name = (low + high) / 2, max(high - low, 1.0), "LINEAR"
    return apply_window(values, center, width, name)


def display_values(
    ds: Dataset,
    center: float | None = None,
    width: float | None = None,
    values: np.ndarray | None = None,
    *,
    function: VOIFunction | str | None = None,
) -> np.ndarray:
    """What a viewer shows, in [0, 1] (0 black): modality LUT, VOI LUT, presentation LUT.

    The VOI step follows the precedence in the module docstring: your window, else the
    header's VOI LUT Sequence (unless you pass ``function``), else the header's first
    window, else the full range of the values. Then the grey levels are inverted when
    :func:`display_inverted` says so (MONOCHROME1, Presentation LUT Shape INVERSE).

    An enhanced multi-frame image keeps its windows in the functional groups (Frame VOI
    LUT Sequence, per frame or shared; PS3.3 C.7.6.16.2.10): without a top-level window,
    each frame is shown with its own window and VOI LUT Function.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image's header (and pixels, unless ``values`` is given).
    center, width : float, optional
        A window in real-world units; both or neither.
    values : numpy.ndarray, optional
        Real-world values, if you computed them already (:func:`real_world_values`).
    function : {"LINEAR", "LINEAR_EXACT", "SIGMOID"}, optional
        VOI LUT Function; default the header's VOI LUT Function (0028,1056), else LINEAR.

    Returns
    -------
    numpy.ndarray
        float64 grey levels in [0, 1], 0 black, as they appear on screen.

    Raises
    ------
    bootcamp_utils.decoders.HeaderError
        If a window, rescale or Number of Frames in the header is not a number.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.PhotometricInterpretation = "MONOCHROME1"      # low values white
    >>> ds.WindowCenter, ds.WindowWidth = "2048", "4096"
    >>> x = np.array([0.0, 2048.0, 4095.0])
    >>> display_values(ds, values=x).round(4).tolist()
    [1.0, 0.4999, 0.0]
    >>> display_values(ds, values=x, function="LINEAR_EXACT").round(4).tolist()
    [1.0, 0.5, 0.0002]
    """
    if values is None:
        values = real_world_values(ds)
    if (center is None) != (width is None):
        raise ValueError("pass both center and width, or neither")
    values = np.asarray(values)
    if center is None and function is None and _voi_lut(ds) is not None:
        shown = apply_voi_lut_sequence(values, ds)
    elif _per_frame_windows(ds, values):
        shown = np.stack(
            [
                _windowed(ds, values[frame], center, width, function, frame)
                for frame in range(values.shape[0])
            ]
        )
    else:
        shown = _windowed(ds, values, center, width, function)
    if display_inverted(ds):
        shown = 1.0 - shown
    return shown
