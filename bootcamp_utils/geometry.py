"""Where one frame of a DICOM image lies in space: spacing, orientation, position, thickness.

A classic single-frame image (CT Image, MR Image...) keeps its geometry at the top level of
the data set, in the Image Plane module (PS3.3 C.7.6.2): Pixel Spacing, Image Orientation
(Patient), Image Position (Patient), Slice Thickness, and for MR Spacing Between Slices.
Positions and orientations are in the patient coordinate system, LPS (PS3.3 C.7.6.2.1.1).

An **enhanced** image (Enhanced CT, Enhanced MR, Enhanced PET..., PS3.3 C.7.6.16) keeps the
same attributes in *functional groups* instead, whether the file holds one frame or many:

* Per-frame Functional Groups Sequence (5200,9230): one item per frame, for what differs
  between frames (usually the position);
* Shared Functional Groups Sequence (5200,9229): one item, for what all frames share
  (usually the spacing and orientation).

Each item nests the values one level deeper, in a macro sequence of one item:

=================================  ==========================================  ===========
attribute                          macro sequence                              PS3.3
=================================  ==========================================  ===========
Pixel Spacing, Slice Thickness,    Pixel Measures Sequence (0028,9110)         C.7.6.16.2.1
Spacing Between Slices
Image Position (Patient)           Plane Position Sequence (0020,9113)         C.7.6.16.2.3
Image Orientation (Patient)        Plane Orientation Sequence (0020,9116)      C.7.6.16.2.4
=================================  ==========================================  ===========

:func:`frame_geometry` looks in that order: the frame's per-frame item, the shared item, the
top level. A reader that looks only at the top level finds nothing in an enhanced file (or
a stray top-level value that is not the frame's).

>>> from bootcamp_utils import sample_path
>>> from pydicom import dcmread
>>> first = sorted(sample_path("head_ct").iterdir())[0]
>>> frame_geometry(dcmread(first, stop_before_pixels=True)).pixel_spacing
(0.9375, 0.9375)
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

__all__ = ["FrameGeometry", "frame_geometry"]

#: The functional group macro that holds each geometry attribute of an enhanced image.
GROUP_OF = {
    "PixelSpacing": "PixelMeasuresSequence",
    "SliceThickness": "PixelMeasuresSequence",
    "SpacingBetweenSlices": "PixelMeasuresSequence",
    "ImagePositionPatient": "PlanePositionSequence",
    "ImageOrientationPatient": "PlaneOrientationSequence",
}


@dataclass(frozen=True)
class FrameGeometry:
    """The geometry of one frame, in millimetres and DICOM's LPS patient coordinates.

    None where the header has no value (empty counts as absent, and so does a thickness or
    spacing of 0).

    Attributes
    ----------
    pixel_spacing : tuple of 2 floats or None
        Pixel Spacing (0028,0030): the distance between rows, then between columns (so the
        vertical spacing comes first).
    orientation : tuple of 6 floats or None
        Image Orientation (Patient) (0020,0037): direction cosines of a row (left to right
        in the image), then of a column (top to bottom).
    position : tuple of 3 floats or None
        Image Position (Patient) (0020,0032): x, y, z of the centre of the first (top left)
        pixel.
    slice_thickness : float or None
        Slice Thickness (0018,0050): the thickness of the imaged slab, not the distance to
        the next slice.
    spacing_between_slices : float or None
        Spacing Between Slices (0018,0088), centre to centre, where the header gives it.
    """

    pixel_spacing: tuple[float, float] | None
    orientation: tuple[float, float, float, float, float, float] | None
    position: tuple[float, float, float] | None
    slice_thickness: float | None
    spacing_between_slices: float | None


def _group_items(ds: Dataset, frame: int) -> list[Dataset]:
    """The functional group items that describe ``frame``: per-frame first, then shared."""
    items = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and frame < len(per_frame):
        items.append(per_frame[frame])
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        items.append(shared[0])
    return items


def _as_read(ds: Dataset, keyword: str):
    """A decimal (DS) or integer (IS) string's value as text: one str, or a list of them.

    pydicom converts a value the first time it is used, checking each number against the
    standard's rules and wrapping it in a DSfloat or IS object: about 25 microseconds an
    attribute, a good part of the time a loader spends on each of thousands of small files.
    The numbers are text in the file (PS3.5 6.2, backslash between values), and ``float()``
    reads that text directly; what pydicom has already converted is returned as it is.
    """
    element = ds.get_item(keyword)  # as read from the file, until something uses its value
    if not isinstance(element, RawDataElement):
        return ds.get(keyword)
    vr = element.VR or dictionary_VR(element.tag)  # implicit VR files: from the dictionary
    if vr not in ("DS", "IS"):
        return ds.get(keyword)
    text = (element.value or b"").decode("ascii", "replace").strip(" \0")
    return text.split("\\") if "\\" in text else text


def _value(ds: Dataset, items: list[Dataset], keyword: str, frame: int):
    for item in items:
        macro = item.get(GROUP_OF[keyword])
        value = _as_read(macro[0], keyword) if macro else None
        if value not in (None, ""):
            return value
    if keyword == "ImagePositionPatient" and frame > 0:
        return None  # an older multi-frame object: the top-level position is frame 0's
    value = _as_read(ds, keyword)
    return None if value == "" else value


def _numbers(keyword: str, value, count: int, strict: bool) -> tuple[float, ...] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, (str, bytes, int, float)) else list(value)
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        if strict:
            raise ValueError(f"{keyword} {value!r} is not numeric.") from None
        return None
    if len(numbers) != count or not all(abs(v) < float("inf") for v in numbers):
        if strict:
            raise ValueError(f"{keyword} should hold {count} numbers, has {value!r}.")
        return None
    return numbers


def frame_geometry(ds: Dataset, frame: int = 0, *, strict: bool = True) -> FrameGeometry:
    """Pixel spacing, orientation, position and slice thickness/spacing of one frame.

    Each value comes from the first of: the frame's item of the Per-frame Functional Groups
    Sequence, the Shared Functional Groups Sequence's item, the top level of the data set
    (see the module's docstring; PS3.3 C.7.6.16 and C.7.6.2). A classic image has only the
    top level; an older multi-frame object without functional groups has one top-level
    Image Position (Patient), the first frame's, so ``position`` is None for later frames.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The header (the pixel data is not needed).
    frame : int, default 0
        The frame, counted from 0.
    strict : bool, default True
        Raise :class:`ValueError` for a value that is present but not the right count of
        numbers; with False it counts as absent (None).

    Returns
    -------
    FrameGeometry
        Tuples of floats (mm, direction cosines), None where absent.

    Raises
    ------
    ValueError
        ``strict`` and a value that is not numeric or has the wrong number of values; the
        message names the attribute and the value.

    Examples
    --------
    An enhanced image's spacing lives in the shared Pixel Measures Sequence; a top-level
    value, if a writer left one, is not the frame's:

    >>> from pydicom.dataset import Dataset
    >>> measures, shared, ds = Dataset(), Dataset(), Dataset()
    >>> measures.PixelSpacing, measures.SliceThickness = [2.23, 2.23], 5
    >>> shared.PixelMeasuresSequence = [measures]
    >>> ds.SharedFunctionalGroupsSequence = [shared]
    >>> ds.PixelSpacing = [1, 1]
    >>> geometry = frame_geometry(ds)
    >>> geometry.pixel_spacing, geometry.slice_thickness, geometry.position
    ((2.23, 2.23), 5.0, None)
    """
    items = _group_items(ds, frame)
    return _geometry_of(lambda keyword: _value(ds, items, keyword, frame), strict)


def _geometry_of(value_of, strict: bool) -> FrameGeometry:
    """The :class:`FrameGeometry` of the values ``value_of(keyword)`` gives (None: absent).

    The one place that turns the five Image Plane values into numbers: shared by
    :func:`frame_geometry` and the archive index's quicker reader of classic images.
    """

    def numbers(keyword: str, count: int):
        return _numbers(keyword, value_of(keyword), count, strict)

    def length(keyword: str) -> float | None:
        found = numbers(keyword, 1)
        return found[0] or None if found else None  # 0 mm is no spacing: absent

    return FrameGeometry(
        pixel_spacing=numbers("PixelSpacing", 2),
        orientation=numbers("ImageOrientationPatient", 6),
        position=numbers("ImagePositionPatient", 3),
        slice_thickness=length("SliceThickness"),
        spacing_between_slices=length("SpacingBetweenSlices"),
    )
