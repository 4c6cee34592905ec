"""Three planes of a volume, shown the way radiologists read them, with orientation labels.

A NIfTI image's array is indexed ``data[i, j, k]``, and its affine maps (i, j, k) to world
coordinates in millimetres, RAS+ in nibabel: +x towards the patient's Right, +y Anterior,
+z Superior. Nothing in the array itself says which way is up on a screen. To show a plane
the way a radiologist expects:

1. **Reorient** the image to the closest canonical (RAS+) voxel order with
   :func:`nibabel.as_closest_canonical`, so that i, j, k run (approximately) along x, y, z.
   It permutes and flips the array, never resamples it.
2. **Cut** the plane: axial ``data[:, :, k]`` (indexed x, y), coronal ``data[:, j, :]``
   (x, z), sagittal ``data[i, :, :]`` (y, z).
3. **Transpose** it, because ``imshow`` puts the first index down the rows: rows must be
   the vertical direction of the picture (y for axial, z for the others).
4. **Flip both axes**: the top row is the highest y (anterior) or z (superior), and the
   radiological convention puts the patient's right, the highest x, on the viewer's left
   (for a sagittal plane, anterior on the left). In NumPy: ``plane.T[::-1, ::-1]``.
   ``plane.T`` alone is that picture turned by 180° (upside down), not its mirror;
   ``plane.T[::-1]`` is its mirror (for axial and coronal planes, the neurological view).
5. **Aspect**: a pixel is (row spacing / column spacing) as tall as it is wide; voxels of
   0.94 × 0.94 × 4 mm would look squashed 4 times in the coronal and sagittal planes
   without it.

Neurological convention (patient's left on the viewer's left) differs in step 4 only: no
flip of the columns of axial and coronal planes. :func:`show_planes` draws the letters on
every edge, so a figure says which convention it uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from nibabel.spatialimages import SpatialImage

__all__ = ["LABELS", "plane", "show_planes"]

#: The letters on the (left, right, top, bottom) edges of each plane, radiological convention.
LABELS = {
    "axial": ("R", "L", "A", "P"),
    "coronal": ("R", "L", "S", "I"),
    "sagittal": ("A", "P", "S", "I"),
}

#: The array axis each plane cuts across (RAS+ order: 0 = x, 1 = y, 2 = z).
_AXIS = {"sagittal": 0, "coronal": 1, "axial": 2}


def plane(data: np.ndarray, name: str, index: int) -> np.ndarray:
    """One plane of a RAS+-ordered 3-D array, as a picture: rows top to bottom, columns left
    to right, radiological convention (steps 2-4 of the module docstring).

    Parameters
    ----------
    data : numpy.ndarray
        A 3-D array in closest-canonical (RAS+) voxel order.
    name : {"axial", "coronal", "sagittal"}
        The plane.
    index : int
        The slice along the axis the plane cuts across.

    Returns
    -------
    numpy.ndarray
        The 2-D picture, ready for ``imshow``.

    Examples
    --------
    >>> data = np.zeros((3, 4, 5))
    >>> data[2, 3, 0] = 1          # highest x (right) and highest y (anterior), bottom slice
    >>> picture = plane(data, "axial", 0)
    >>> picture.shape              # rows run along y, columns along x
    (4, 3)
    >>> float(picture[0, 0])       # anterior at the top, the patient's right on the left
    1.0
    """
    if name not in _AXIS:
        raise ValueError(f"plane {name!r}: choose one of {', '.join(_AXIS)}")
    if data.ndim != 3:
        raise ValueError(f"plane() needs a 3-D array, got {data.ndim}-D {data.shape}")
    cut = np.take(data, index, axis=_AXIS[name])
    return cut.T[::-1, ::-1]


def show_planes(
    img: SpatialImage,
    point: Sequence[int] | None = None,
    *,
    window: tuple[float, float] | None = None,
    volume: int = 0,
    title: str = "",
) -> Figure:
    """Axial, coronal and sagittal planes of a NIfTI image, labelled on every edge.

    Parameters
    ----------
    img : nibabel.spatialimages.SpatialImage
        A 3-D or 4-D image (from :func:`bootcamp_utils.load_series`, ``nibabel.load``,
        dicom2nifti...), in any voxel order: it is reoriented to RAS+ first.
    point : (int, int, int), optional
        The voxel (i, j, k) *of the reoriented image* where the three planes cross; the
        centre of the volume by default.
    window : (float, float), optional
        (centre, width) of a linear window; the full range of the values if not given.
    volume : int
        For a 4-D image, which volume (the fourth index) to show.
    title : str
        A title for the whole figure.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels; each panel's title gives the slice and its world coordinate in mm.

    Raises
    ------
    ValueError
        If the image is not 3-D or 4-D, or ``point`` or ``volume`` lies outside it.
    """
    import matplotlib.pyplot as plt
    import nibabel as nib

    canonical = nib.as_closest_canonical(img)
    data = np.asanyarray(canonical.dataobj)
    if data.ndim == 4:
        if not 0 <= volume < data.shape[3]:
            raise ValueError(f"volume {volume} is outside the {data.shape[3]} volumes")
        data = data[..., volume]
    elif data.ndim != 3:
        raise ValueError(f"show_planes() needs a 3-D or 4-D image, got shape {data.shape}")
    centre = [n // 2 for n in data.shape] if point is None else [int(p) for p in point]
    if len(centre) != 3 or not all(0 <= p < n for p, n in zip(centre, data.shape, strict=True)):
        raise ValueError(f"point {point} is outside the volume of shape {data.shape}")
    zooms = canonical.header.get_zooms()[:3]
    world = canonical.affine @ [*centre, 1]
    low, high = (data.min(), data.max()) if window is None else _edges(window)

    fig, axes = plt.subplots(1, 3, figsize=(12, 4.4), layout="constrained")
    for ax, name in zip(axes, ("axial", "coronal", "sagittal"), strict=True):
        axis = _AXIS[name]
        rows, cols = [a for a in (0, 1, 2) if a != axis][::-1]  # after the transpose
        ax.imshow(
            plane(data, name, centre[axis]),
            cmap="gray",
            vmin=low,
            vmax=high,
            aspect=zooms[rows] / zooms[cols],
            interpolation="nearest",
        )
        ax.set_title(f"{name} {centre[axis]}: {'xyz'[axis]} = {world[axis]:.1f} mm")
        ax.set_xticks([])
        ax.set_yticks([])
        for letter, (x, y) in zip(LABELS[name], _EDGES, strict=True):
            ax.text(
                x,
                y,
                letter,
                transform=ax.transAxes,
                color="yellow",
                fontsize=13,
                ha="center",
                va="center",
                fontweight="bold",
            )
    if title:
        fig.suptitle(title)
    return fig


#: Where the letters go, in axes coordinates: left, right, top, bottom edge.
_EDGES = ((0.04, 0.5), (0.96, 0.5), (0.5, 0.95), (0.5, 0.05))


def _edges(window: tuple[float, float]) -> tuple[float, float]:
    """The values shown black and white for a (centre, width) window."""
    centre, width = window
    return centre - width / 2, centre + width / 2
