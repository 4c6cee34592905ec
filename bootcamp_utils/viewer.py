"""An interactive window/level viewer that works with and without a kernel.

``window_level_viewer(source)`` returns a widget. The image is always redrawn in the
browser (JavaScript in ``static/viewer.js``), never by a Python callback, so the same viewer
works in two ways:

* in a live kernel (JupyterLab, Notebook 7, VS Code, Colab) it is an anywidget whose state
  is synced with Python: move the sliders, then read ``viewer.center``, ``viewer.width``,
  ``viewer.slice`` and ``viewer.plane`` (or set them from Python);
* in a static page (the Jupyter Book, the reveal.js slides) the same output also carries a
  self-contained HTML copy (``viewer.to_html()``): the data embedded gzip-compressed (at most
  2 MB, downsampled if needed), window/level done in JavaScript, no network.

The grey levels follow DICOM (see :mod:`bootcamp_utils.windowing`): the VOI LUT Function
(LINEAR, LINEAR_EXACT or SIGMOID, from the header or chosen in the viewer), the header's
VOI LUT Sequence when there is one (offered as the preset "VOI LUT (header)", and shown
first unless you pass a window or a function), and inversion for MONOCHROME1 or
Presentation LUT Shape INVERSE. The JavaScript computes the same grey levels as
:func:`bootcamp_utils.windowing.display_values`.

The preset menu lists each window once: the header's windows first, labelled as such
("header: BRAIN (40/80)", with the header's VOI LUT Function), then for CT the course
presets of :data:`bootcamp_utils.windowing.PRESETS` (one with a header window's center and
width is merged into it). It always shows the window applied, "(custom)" when no preset
has it.

The readout numbers the slice shown as the source does, whatever the viewer holds: a
static copy that keeps one slice in two shows "axial 21/40", not "11/20". In the plane the
images were acquired in, a DICOM source (a series folder, a single-frame file) adds the
slice's Instance Number and position: "axial 21/40 · Instance 21 · z = 30 mm", the
coordinate of Image Position (Patient) along the axis nearest to the slices' normal; the
frames of an enhanced multi-frame file add their position only.
``viewer.slice`` is the index (from 0) in the viewer's volume.

Geometry comes from where the header keeps it: an enhanced multi-frame file (Enhanced CT,
MR...) has Pixel Spacing, Image Orientation and Position (Patient) in its per-frame or
shared functional groups (PS3.3 C.7.6.16), not at the top level
(:func:`bootcamp_utils.geometry.frame_geometry` reads it). The spacing between its
frames is their step along the normal, from their positions; frames that are not an evenly
spaced stack (two echoes at each place, several orientations) are named in the title as
not to scale, and frames with different Pixel Spacing are refused.

Fine steps: the sliders span the whole range (several HU per pixel for CT), so center and
width each have a number box beside them: type a value, or step it by one unit with the
arrow keys; dragging a slider with Shift held moves it one unit per pixel.

Keyboard: Tab to a slider, a number box, a menu or the plane buttons; the keys that control
uses (arrows, Page Up/Down, Home, End; a menu's letters; what is typed into a box) then act
on it and not on the page around it (JupyterLab and Notebook 7 select other cells with the
arrows in command mode). Every other key, and every key while the viewer has no focus,
stays the page's. In a reveal.js deck, Page Up/Down, Space and the arrows (what a
presenter's clicker sends) are the deck's even while a control has the focus: they change
slides and leave the control as it was (tested in JupyterLab 4, Notebook 7, a static page
and a reveal.js deck). A deck may give the viewer other sizes (its image, the text drawn on
it) with CSS custom properties, as the course's slides do (``static/viewer.js``, ``SIZES``).

The window it opens with, whatever the source (a dataset, a file, a series folder, a
nibabel image), first match wins: the window you pass; the header's first window; for CT
(a DICOM header that says CT, or a volume whose values span air to bone in HU) the brain
window 40/80; else the 1st-99th percentile range of the values.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import uuid
from pathlib import Path

import anywidget
import nibabel as nib
import numpy as np
import traitlets
from pydicom import dcmread
from pydicom.dataset import Dataset

from .geometry import FrameGeometry, frame_geometry
from .windowing import (
    PRESETS,
    _function_name,
    _voi_lut,
    display_inverted,
    header_windows,
    real_world_values,
    voi_lut_function,
)

__all__ = ["WindowLevelViewer", "window_level_viewer"]

_JS = Path(__file__).with_name("static") / "viewer.js"
STATIC_LIMIT = 2_000_000  # bytes of embedded data in one static viewer
LIVE_LIMIT = 64_000_000  # voxels sent to a live kernel's front end

# Radiological display of a RAS+ volume: (left, right, top, bottom) of the screen.
_LABELS = {"axial": "RLAP", "coronal": "RLSI", "sagittal": "APSI"}


class WindowLevelViewer(anywidget.AnyWidget):
    """A window/level viewer; build it with :func:`window_level_viewer`."""

    _esm = _JS.read_text(encoding="utf-8")
    center = traitlets.Float(40.0).tag(sync=True)
    width = traitlets.Float(80.0).tag(sync=True)
    slice = traitlets.Int(0).tag(sync=True)
    plane = traitlets.Unicode("axial").tag(sync=True)
    function = traitlets.Unicode("LINEAR").tag(sync=True)  # VOI LUT Function of the window
    use_lut = traitlets.Bool(False).tag(sync=True)  # show the header's VOI LUT Sequence
    _meta = traitlets.Dict().tag(sync=True)
    _volume = traitlets.Bytes(b"").tag(sync=True)

    def __init__(
        self,
        volume: np.ndarray,
        spacing,
        *,
        title: str = "",
        units: str = "",
        presets=(),
        labels: bool = False,
        invert: bool = False,
        center: float | None = None,
        width: float | None = None,
        plane: str = "axial",
        function: str = "LINEAR",
        voi_lut: tuple[int, int, np.ndarray] | None = None,
        use_lut: bool = False,
        slices: dict | None = None,
    ) -> None:
        function = _function_name(function)
        values = np.asarray(volume, dtype=np.float64)
        if values.ndim != 3 or min(values.shape) < 1:
            raise ValueError(f"expected a (slices, rows, columns) volume, got {values.shape}")
        if plane not in ("axial", "coronal", "sagittal"):
            raise ValueError(f"plane must be axial, coronal or sagittal, not {plane!r}")
        acquired = ("axial", "coronal", "sagittal").index(plane)
        original = values.shape
        if slices is not None and any(
            len(v) != original[acquired] for v in (slices["instance"], slices["position"])
        ):
            raise ValueError(
                f"slices: one Instance Number and position per {plane} slice "
                f"({original[acquired]}) expected"
            )
        finite = np.isfinite(values)
        if not finite.any():
            raise ValueError("the volume holds no finite value (all NaN or infinite)")
        if not finite.all():  # NaN in float maps: show as the lowest value, and say so
            title += f" ({int((~finite).sum())} NaN/inf voxels shown as the minimum)"
            values = np.where(finite, values, values[finite].min())
        values, axes = _fit_live(values)
        spacing = [float(s) * a[0] for s, a in zip(spacing, axes, strict=True)]
        low, high = float(values.min()), float(values.max())
        integer = bool(np.all(values == np.round(values))) and high - low <= 65535
        scale = 1.0 if integer else max(high - low, 1e-12) / 65535
        codes = np.rint((values - low) / scale).astype("<u2")
        counts, _ = np.histogram(values, bins=128, range=(low, high if high > low else low + 1))
        if center is None or width is None:
            lo, hi = np.percentile(values, [1, 99])
            center, width = (lo + hi) / 2, max(hi - lo, 1.0)
        self._codes = codes
        meta = {
            "title": title,
            "units": units,
            "shape": list(codes.shape),
            "spacing": [float(s) for s in spacing],
            "scale": scale,
            "offset": low,
            "range": [low, high if high > low else low + 1],
            "step": 1 if integer else (high - low) / 1000 or 1,
            "histogram": counts.tolist(),
            # (label, center, width, function or None): see _preset_menu
            "presets": [[*p, None][:4] for p in presets],
            "invert": bool(invert),
            "planes": codes.shape[0] > 1,
            "labels": {p: list(v) for p, v in _LABELS.items()} if labels else None,
            "acquired": plane,  # the plane the images were acquired in
            # Which original slices each index stands for, per axis (see _axis_map): the
            # readout shows the original slice number whatever was dropped or averaged.
            "axes": [_axis_map(n, *a) for n, a in zip(original, axes, strict=True)],
            # Per original slice of the acquired plane: Instance Number, position (mm)
            "slices": None if slices is None else dict(slices),
            # a VOI LUT Sequence: first value mapped, bits per entry, entries (C.11.2.1.1)
            "voi_lut": None
            if voi_lut is None
            else {
                "first": int(voi_lut[0]),
                "bits": int(voi_lut[1]),
                "data": [int(v) for v in voi_lut[2]],
            },
        }
        count = codes.shape[acquired]
        super().__init__(
            center=float(center),
            width=float(width),
            slice=count // 2,
            plane=plane,
            function=function,
            use_lut=bool(use_lut and voi_lut is not None),
            _meta=meta,
            _volume=codes.tobytes(),
        )

    # --- static copy ---------------------------------------------------------------------

    def static_state(self, limit: int = STATIC_LIMIT) -> dict:
        """The state of a static copy: data reduced until its text fits in ``limit``.

        Slices are dropped along the acquisition direction first (down to about two dozen),
        then pixels are averaged in the other two directions (down to 256), then more
        slices are dropped: the acquired images keep their detail as long as possible.
        """
        planes = ("axial", "coronal", "sagittal")
        axis = planes.index(self._meta["acquired"])  # the array axis slices are stacked on
        codes, spacing = self._codes, list(self._meta["spacing"])
        step = factor = 1
        while True:
            small = _reduce(codes, axis, step, factor)
            packed = _pack(small)
            in_plane = [n for i, n in enumerate(small.shape) if i != axis]
            if len(packed) <= limit or max(in_plane) <= 32:
                break
            if small.shape[axis] > 24:
                step *= 2
            elif max(in_plane) > 256 or small.shape[axis] == 1:
                factor *= 2
            else:
                step *= 2
        scales = [step if i == axis else factor for i in range(3)]
        maps = self._meta["axes"]
        meta = dict(
            self._meta,
            shape=list(small.shape),
            spacing=[s * f for s, f in zip(spacing, scales, strict=True)],
            axes=[
                _axis_map(m["count"], *_dropped((m["stride"], m["span"]), step))
                if i == axis
                else _axis_map(m["count"], *_pooled((m["stride"], m["span"]), factor))
                for i, m in enumerate(maps)
            ],
        )
        reduced = ([f"one slice in {step}"] if step > 1 else []) + (
            [f"{factor}x{factor} pixels averaged"] if factor > 1 else []
        )
        if reduced:
            meta["title"] += f" (static copy: {', '.join(reduced)})"
        shown = planes.index(self.plane)
        return {
            "center": self.center,
            "width": self.width,
            "plane": self.plane,
            "function": self.function,
            "use_lut": self.use_lut,
            "slice": min(self.slice // scales[shown], small.shape[shown] - 1),
            "_meta": meta,
            "_volume_b64": packed,
        }

    def to_html(self, limit: int = STATIC_LIMIT) -> str:
        """A self-contained HTML fragment: works offline, without a kernel, in any page."""
        element = f"bcu-{uuid.uuid4().hex[:12]}"
        state = json.dumps(self.static_state(limit)).replace("</", "<\\/")
        code = _JS.read_text(encoding="utf-8")
        return (
            f'<div id="{element}" class="bcu-static"></div>\n'
            f'<script type="module">\n{code}\n'
            f"render({{model: staticModel({state}), "
            f'el: document.getElementById("{element}")}});\n</script>\n'
        )

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data)
        data["text/html"] = self.to_html()  # what static pages (book, slides) show
        return data, metadata

    def _ipython_display_(self, **kwargs) -> None:  # ipywidgets 7 displays this way
        from IPython.display import display

        data, metadata = self._repr_mimebundle_()
        display(data, metadata=metadata, raw=True)


def _axis_map(count: int, stride: int, span: int) -> dict:
    """Index i of a reduced axis stands for the original indices i * stride to
    i * stride + span - 1 (averaged when span > 1) of ``count``."""
    return {"count": int(count), "stride": int(stride), "span": int(span)}


def _dropped(axis: tuple[int, int], step: int) -> tuple[int, int]:
    """(stride, span) of an axis after keeping one index in ``step``."""
    stride, span = axis
    return stride * step, span


def _pooled(axis: tuple[int, int], factor: int) -> tuple[int, int]:
    """(stride, span) of an axis after averaging ``factor`` neighbouring indices."""
    stride, span = axis
    return stride * factor, (factor - 1) * stride + span


def _fit_live(values: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Halve the resolution until the volume is small enough to send to a browser.

    Returns the volume and, per axis, (stride, span): index i now stands for the original
    indices i * stride to i * stride + span - 1 (so the spacing grew by stride)."""
    axes = [(1, 1)] * 3
    while values.size > LIVE_LIMIT:
        if values.shape[1] > 256:
            values = _pool(values, 2)
            axes = [axes[0], _pooled(axes[1], 2), _pooled(axes[2], 2)]
        else:
            values = values[::2]
            axes = [_dropped(axes[0], 2), axes[1], axes[2]]
    return values, axes


def _reduce(codes: np.ndarray, axis: int, step: int, factor: int) -> np.ndarray:
    """Keep one slice in ``step`` along ``axis``; average ``factor`` x ``factor`` pixels in
    the two other directions."""
    kept = np.take(codes, np.arange(0, codes.shape[axis], step), axis=axis)
    if factor == 1:
        return kept
    moved = np.moveaxis(kept, axis, 0)  # pool the in-plane axes of the acquired images
    return np.moveaxis(_pool(moved, factor), 0, axis)


def _pool(volume: np.ndarray, factor: int) -> np.ndarray:
    """Average ``factor`` x ``factor`` blocks of every slice (a clean downsample)."""
    if factor == 1:
        return volume
    k, r, c = volume.shape
    r2, c2 = r // factor * factor, c // factor * factor
    blocks = volume[:, :r2, :c2].reshape(k, r2 // factor, factor, c2 // factor, factor)
    pooled = blocks.mean(axis=(2, 4))
    return np.rint(pooled).astype(volume.dtype) if volume.dtype.kind in "ui" else pooled


def _pack(codes: np.ndarray) -> str:
    """uint16 codes -> low bytes then high bytes -> gzip -> base64 (JavaScript reverses it)."""
    raw = np.ascontiguousarray(codes, dtype="<u2").view(np.uint8).reshape(-1, 2)
    shuffled = np.concatenate([raw[:, 0], raw[:, 1]]).tobytes()
    return base64.b64encode(gzip.compress(shuffled, compresslevel=6, mtime=0)).decode("ascii")


# --- sources --------------------------------------------------------------------------------


def _from_dataset(ds: Dataset) -> tuple[np.ndarray, list[float], dict]:
    values = real_world_values(ds)
    if values.ndim == 2:
        values = values[None]
    if values.ndim != 3 or int(ds.get("SamplesPerPixel", 1)) != 1:
        raise ValueError(
            "the viewer shows single-sample (grey-scale) images; this one has "
            f"{ds.get('SamplesPerPixel')} samples per pixel"
        )
    frames = [frame_geometry(ds, i, strict=False) for i in range(values.shape[0])]
    pixel = {g.pixel_spacing and tuple(round(v, 4) for v in g.pixel_spacing) for g in frames}
    if len(pixel) > 1:
        name = getattr(ds, "filename", None) or "this dataset"
        shown = ", ".join(
            "none" if p is None else "\\".join(f"{v:g}" for v in p) for p in sorted(pixel, key=str)
        )
        raise ValueError(
            f"{name}: its frames have different Pixel Spacing ({shown} mm), and the viewer "
            "shows one volume with one pixel size. View one frame at a time: "
            "window_level_viewer(real_world_values(ds)[i], spacing=<that frame's Pixel "
            "Spacing>)."
        )
    rows, cols = (
        float(v) for v in frames[0].pixel_spacing or ds.get("ImagerPixelSpacing") or [1.0, 1.0]
    )
    stacked, note = _frame_spacing(frames)
    thickness = stacked or (frames[0].spacing_between_slices or frames[0].slice_thickness or 1.0)
    lut = _voi_lut(ds)
    options = {
        "title": f"{ds.get('Modality', '')} {ds.get('SeriesDescription', '')}".strip() + note,
        **_header_options(ds),
        "voi_lut": lut,
        "use_lut": lut is not None,
    }
    axis = _normal_axis(frames[0].orientation)
    positions = [g.position for g in frames]
    if values.shape[0] == 1 or (stacked and axis is not None):
        # one image: its Instance Number and position; the frames of an enhanced file:
        # each frame's position (the file's one Instance Number would not tell them apart)
        options["slices"] = {
            "instance": [_instance_number(ds)] if values.shape[0] == 1 else [None] * len(frames),
            "position": [None if axis is None or p is None else p[axis] for p in positions],
            "axis": "xyz"[axis] if axis is not None else "",
        }
    return values, [thickness, rows, cols], options


def _frame_spacing(frames: list[FrameGeometry]) -> tuple[float | None, str]:
    """mm from one frame to the next, from their positions projected on the normal.

    Returns (spacing, "") when the frames are an evenly spaced stack: one orientation,
    a position each, the same non-zero step along the normal (within 1%). Otherwise
    (None, note): the caller falls back to Spacing Between Slices or Slice Thickness, and
    ``note`` tells the title that the other planes are not to scale; it is empty when the
    frames have no positions of their own (an older multi-frame object, a cine), as before.
    """
    if len(frames) < 2 or any(g.position is None for g in frames):
        return None, ""
    uneven = " (frames are not an evenly spaced stack: the other planes are not to scale)"
    orientation = frames[0].orientation
    if (
        orientation is None
        or any(g.orientation is None for g in frames)
        or not np.allclose([g.orientation for g in frames], orientation, atol=1e-4)
    ):
        return None, uneven
    normal = np.cross(orientation[:3], orientation[3:])
    steps = np.diff([np.dot(g.position, normal) for g in frames])
    step = float(np.mean(steps))
    if abs(step) < 1e-3 or np.abs(steps - step).max() > 0.01 * abs(step):
        return None, uneven
    return abs(step), ""


def _instance_number(ds: Dataset) -> int | None:
    try:
        return int(ds.InstanceNumber)
    except (AttributeError, TypeError, ValueError):
        return None  # absent or empty (type 2 in most IODs)


def _normal_axis(orientation: tuple[float, ...] | None) -> int | None:
    """The patient axis (0 x, 1 y, 2 z of DICOM's LPS) nearest to the normal of slices
    with Image Orientation (Patient) ``orientation``."""
    if orientation is None or len(orientation) != 6:
        return None
    return int(np.argmax(np.abs(np.cross(orientation[:3], orientation[3:]))))


def _series_slices(
    files: list[Path], image: nib.Nifti1Image, shape: tuple[int, int, int], axis: int
) -> dict:
    """Instance Number and position of every slice of a series, in the viewer's order.

    ``image`` is the series as :func:`bootcamp_utils.load_series` loads it, ``shape`` the
    viewer's volume V[k, r, c] made of it by :func:`_from_nifti` (k inferior -> superior,
    rows anterior -> posterior, columns right -> left) and ``axis`` the axis of V the slices
    are stacked on. Each file's Image Position (Patient), the centre of its first pixel,
    goes through the inverse of the RAS+ (closest canonical) affine to its voxel, whose
    index along ``axis`` is the file's place in V.
    """
    ornt = nib.orientations.io_orientation(image.affine)
    canonical = image.affine @ nib.orientations.inv_ornt_aff(ornt, image.shape)
    to_voxel = np.linalg.inv(canonical)
    instance: list[int | None] = [None] * shape[axis]
    position: list[float | None] = [None] * shape[axis]
    normal = None
    for path in files:
        ds = dcmread(path, stop_before_pixels=True)
        geometry = frame_geometry(ds, strict=False)
        lps = geometry.position
        if lps is None:
            continue
        normal = _normal_axis(geometry.orientation) if normal is None else normal
        i, j, k = (to_voxel @ [-lps[0], -lps[1], lps[2], 1.0])[:3]  # LPS -> RAS -> voxel
        place = (k, shape[1] - 1 - j, shape[2] - 1 - i)[axis]  # voxel -> V (see _from_nifti)
        index = int(round(place))
        if 0 <= index < shape[axis] and abs(place - index) < 0.01:
            instance[index] = _instance_number(ds)
            position[index] = None if normal is None else lps[normal]
    return {"instance": instance, "position": position, "axis": "xyz"[normal or 0]}


def _default_window(windows: list[tuple[float, float, str]], is_ct: bool) -> dict:
    """The opening window: the header's first, else brain for CT, else none (the viewer
    then takes the 1st-99th percentile range)."""
    if windows:
        return {"center": windows[0][0], "width": windows[0][1]}
    if is_ct:
        return dict(zip(("center", "width"), PRESETS["brain"], strict=True))
    return {}


def _preset_menu(
    windows: list[tuple[float, float, str]],
    function: str,
    course: dict[str, tuple[float, float]],
) -> list[tuple[str, float, float, str | None]]:
    """The preset menu: (label, center, width, function), one entry per distinct window.

    The header's windows come first, labelled "header: " and their Window Center & Width
    Explanation (PS3.3 C.11.2.1.2), else "header: window N"; they carry the header's VOI LUT
    Function, which applies to every window of the header (C.11.2.1.3). Then the course
    ``course`` presets, which carry no function (choosing one keeps the function shown). A
    course preset with the same center and width as a header window is merged into it (its
    name added to the label when it is not the explanation in other letters): the menu never
    lists one window twice.
    """
    merged: dict[tuple[float, float], tuple[list[str], bool, str | None]] = {}
    for i, (c, w, explanation) in enumerate(windows):
        merged.setdefault((c, w), ([], True, function))[0].append(explanation or f"window {i + 1}")
    for name, (c, w) in course.items():
        names = merged.setdefault((c, w), ([], False, None))[0]
        if name.casefold() not in (n.casefold() for n in names):
            names.append(name)
    return [
        (("header: " if header else "") + " / ".join(names), c, w, fn)
        for (c, w), (names, header, fn) in merged.items()
    ]


def _header_options(ds: Dataset) -> dict:
    """Units, presets (the header's windows first, CT presets for CT), default window, VOI
    LUT Function and inversion, from a DICOM header."""
    is_ct = ds.get("Modality") == "CT"
    windows = header_windows(ds)
    function = voi_lut_function(ds)
    return {
        "units": "HU" if is_ct else "",
        "presets": _preset_menu(windows, function, PRESETS if is_ct else {}),
        "function": function,
        "invert": display_inverted(ds),
        **_default_window(windows, is_ct),
    }


def _from_nifti(
    image: nib.Nifti1Image, title: str, made: str = "image"
) -> tuple[np.ndarray, list[float], dict]:
    """The viewer's volume of a 3-D image; ``made`` is the code that made it, for messages."""
    if len(image.shape) != 3:
        raise _not_3d(image, made)
    canonical = nib.as_closest_canonical(image)
    data = np.asanyarray(canonical.dataobj, dtype=np.float64)
    dx, dy, dz = (float(z) for z in canonical.header.get_zooms()[:3])
    # V[k, r, c]: k inferior -> superior, rows anterior -> posterior, columns right -> left
    volume = data[::-1, ::-1, :].transpose(2, 1, 0)
    looks_ct = data.min() <= -900 and data.max() >= 300
    presets = _preset_menu([], "LINEAR", PRESETS if looks_ct else {})
    # Open in the plane the slices were acquired in: the world axis of the slice axis.
    slice_axis = int(nib.orientations.io_orientation(image.affine)[2, 0])
    options = {
        "title": title,
        "units": "HU" if looks_ct else "",
        "presets": presets,
        "labels": True,
        "plane": ("sagittal", "coronal", "axial")[slice_axis],
        **_default_window([], looks_ct),
    }
    return volume, [dz, dy, dx], options


def _not_3d(image: nib.Nifti1Image, made: str) -> ValueError:
    """What the image is, when it is not 3-D, and how to get a 3-D volume out of it."""
    shape = tuple(int(n) for n in image.shape)
    if len(shape) != 4:
        return ValueError(
            f"expected a 3-D image, got a {len(shape)}-D one of shape {shape}: the viewer "
            "shows a volume (columns, rows, slices); index the image down to three axes, "
            f"e.g. {made}.slicer[..., 0] (nibabel)."
        )
    step, unit = float(image.header.get_zooms()[3]), image.header.get_xyzt_units()[1]
    every = f", one every {step:g} {unit}" if step and unit != "unknown" else ""
    order = ", in acquisition order" if made.startswith("load_series(") else ""
    return ValueError(
        f"expected a 3-D image, got a 4-D one of shape {shape}: {shape[3]} volumes of "
        f"{shape[0]} x {shape[1]} x {shape[2]} voxels (time points, b-values or other "
        f"repetitions of the same slices{order}{every}). The viewer shows one "
        f"volume: window_level_viewer({made}.slicer[..., t]) shows volume t (from 0); "
        f"nibabel.four_to_three({made}) splits them all."
    )


def _series_files(folder: Path, series_uid: str | None) -> list[Path]:
    """The files of the (selected) series in ``folder``."""
    from .series import list_series

    infos = list_series(folder)
    return next((i for i in infos if series_uid in (None, i.uid)), infos[0]).files


def window_level_viewer(
    source: Dataset | nib.Nifti1Image | np.ndarray | str | os.PathLike,
    *,
    spacing: tuple[float, ...] | None = None,
    center: float | None = None,
    width: float | None = None,
    title: str | None = None,
    series_uid: str | None = None,
    function: str | None = None,
) -> WindowLevelViewer:
    """An interactive window/level viewer for ``source``.

    Parameters
    ----------
    source : Dataset, path, folder, nibabel image or numpy.ndarray
        A pydicom dataset, a DICOM file path, a series folder (loaded with
        :func:`bootcamp_utils.load_series`), a nibabel image, or a NumPy array (rows,
        columns) or (slices, rows, columns).
    spacing : tuple of float, optional
        For an array: mm between pixels, (row, column) or (slice, row, column); 1 mm if
        not given.
    center, width : float, optional
        The opening window in real-world units (HU for CT). Default, first match wins: the
        header's first window; for CT the brain window 40/80; else the 1st-99th
        percentile range of the values.
    title : str, optional
        Shown above the image.
    series_uid : str, optional
        Picks one series of a folder that holds several.
    function : {"LINEAR", "LINEAR_EXACT", "SIGMOID"}, optional
        VOI LUT Function (PS3.3 C.11.2.1.2-3); default the header's, else LINEAR.

    Returns
    -------
    WindowLevelViewer
        A widget; in a static page its HTML copy works without a kernel.

    Notes
    -----
    A DICOM file with a VOI LUT Sequence opens showing that table (as
    :func:`bootcamp_utils.windowing.display_values` does) unless you pass ``center``,
    ``width`` or ``function``; moving a slider switches to the window. MONOCHROME1 images
    and Presentation LUT Shape INVERSE are shown inverted (low values white). Volumes from
    a folder or a nibabel image are shown in radiological convention (patient's right on
    the left of the screen).

    Examples
    --------
    >>> import numpy as np
    >>> viewer = window_level_viewer(np.arange(-1000.0, 1000.0).reshape(40, 50),
    ...                              center=0, width=400, function="SIGMOID")
    >>> viewer.center, viewer.width, viewer.function
    (0.0, 400.0, 'SIGMOID')
    """
    options: dict
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            from .series import load_series

            image = load_series(path, series_uid)
            files = _series_files(path, series_uid)
            header = dcmread(files[0], stop_before_pixels=True)
            chosen = "" if series_uid is None else f", series_uid={series_uid!r}"
            made = f"load_series({str(path)!r}{chosen})"
            title = header.get("SeriesDescription", path.name)
            volume, voxel, options = _from_nifti(image, title, made)
            # the header knows better than a guess from the values: same rule as a file
            guessed = ("center", "width", "presets", "units")
            options = {k: v for k, v in options.items() if k not in guessed}
            options.update(_header_options(header))
            axis = ("axial", "coronal", "sagittal").index(options["plane"])
            options["slices"] = _series_slices(files, image, volume.shape, axis)
        elif path.is_file():
            volume, voxel, options = _from_dataset(dcmread(path))
        else:
            raise FileNotFoundError(f"No such file or folder: {path}")
    elif isinstance(source, Dataset):
        volume, voxel, options = _from_dataset(source)
    elif isinstance(source, nib.spatialimages.SpatialImage):
        volume, voxel, options = _from_nifti(source, "NIfTI image")
    else:
        volume = np.asarray(source, dtype=np.float64)
        if volume.ndim == 2:
            volume = volume[None]
        if volume.ndim != 3:
            raise ValueError(f"expected a 2-D or 3-D array, got shape {volume.shape}")
        given = list(spacing) if spacing is not None else [1.0, 1.0, 1.0]
        voxel = ([1.0] + given) if len(given) == 2 else given
        if len(voxel) != 3:
            raise ValueError(f"spacing needs 2 or 3 numbers (mm), got {spacing!r}")
        options = {"title": "array" + ("" if spacing else " (spacing unknown: 1 mm assumed)")}
    if center is not None:
        options["center"] = center
    if width is not None:
        options["width"] = width
    if function is not None:
        options["function"] = function
    if center is not None or width is not None or function is not None:
        options["use_lut"] = False  # you asked for a window: not the header's table
    if title is not None:
        options["title"] = title
    return WindowLevelViewer(volume, voxel, **options)
