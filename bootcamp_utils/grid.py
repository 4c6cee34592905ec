"""One grid for every image: canonical orientation, one voxel size, one intensity scale.

A model sees arrays, not patients: the same array axis must point the same way in every
image, a voxel must be the same size in millimetres, and the values must be on one scale.
Three steps get there, in this order:

1. :func:`to_canonical` reorders and flips the voxel axes so that they run, as near as
   they can, to the patient's Right, Anterior and Superior (RAS+, NIfTI's world axes;
   DICOM's patient axes are LPS, PS3.3 C.7.6.2.1.1). Nothing is interpolated: every voxel
   keeps its value and its place in the world, only its index changes.
2. :func:`resample` puts the image on a grid of another voxel size. This one does
   interpolate: linear (``order=1``) for CT numbers, nearest neighbour (``order=0``) for
   masks, whose values are labels, not quantities.
3. :func:`normalise` maps a window of Hounsfield units (CT numbers, PS3.3 C.8.2.1: Rescale
   Slope and Intercept give them) to [0, 1]; :func:`intensity_stats` measures the mean and
   spread of a list of images, to be computed on the training split only (statistics from
   the test images would leak them into training).

>>> import nibabel as nib
>>> from bootcamp_utils import load_series, sample_path
>>> from bootcamp_utils.grid import resample, to_canonical
>>> ct = to_canonical(load_series(sample_path("head_ct")))
>>> nib.aff2axcodes(ct.affine), [float(z) for z in ct.header.get_zooms()], ct.shape
(('R', 'A', 'S'), [0.9375, 0.9375, 4.0], (256, 256, 40))
>>> resample(ct, 2.0, order=1).shape  # 2 mm voxels
(120, 120, 79)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import nibabel as nib
import numpy as np

from .windowing import PRESETS

__all__ = ["intensity_stats", "normalise", "resample", "to_canonical"]


def to_canonical(img: nib.Nifti1Image) -> nib.Nifti1Image:
    """The image with its voxel axes reordered and flipped to run closest to RAS+.

    This is :func:`nibabel.as_closest_canonical`: it permutes and flips array axes, and
    changes the affine to match, so every voxel keeps its value and its world position
    (no resampling, no interpolation, nothing lost). It does not rotate: an oblique image
    stays oblique (its axes only run *closest* to R, A and S), and a sheared affine (a
    tilted gantry) stays sheared. Only :func:`resample` changes the grid itself. nibabel
    gives the copy sform code 2 ("aligned") and no qform; this keeps the input's codes
    (load_series's 1, "scanner"), as dcm2niix writes them.

    Parameters
    ----------
    img : nibabel.Nifti1Image
        Any 3-D or 4-D image (a 4-D image keeps its fourth axis last).

    Returns
    -------
    nibabel.Nifti1Image
        The image itself when it is already canonical, else a reoriented copy.

    Examples
    --------
    The sagittal head MR is stored (P, I, R): its rows run to the back, its columns down.

    >>> import nibabel as nib
    >>> from bootcamp_utils import load_series, sample_path
    >>> mr = load_series(sample_path("head_mr"))
    >>> nib.aff2axcodes(mr.affine), mr.shape
    (('P', 'I', 'R'), (256, 256, 36))
    >>> canonical = to_canonical(mr)
    >>> nib.aff2axcodes(canonical.affine), canonical.shape
    (('R', 'A', 'S'), (36, 256, 256))
    """
    canonical = nib.as_closest_canonical(img)
    if canonical is not img and isinstance(img, nib.Nifti1Image):
        scode, qcode = int(img.header["sform_code"]), int(img.header["qform_code"])
        canonical.set_sform(canonical.affine, code=scode or 2)
        canonical.set_qform(canonical.affine if qcode else None, code=qcode)
    return canonical


def _spacing3(spacing: float | Sequence[float]) -> np.ndarray:
    values = np.broadcast_to(np.asarray(spacing, dtype=float), (3,)).copy()
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(
            f"spacing must be one positive size in mm, or three (one per voxel axis), "
            f"not {spacing!r}"
        )
    return values


def resample(
    img: nib.Nifti1Image, spacing: float | Sequence[float], *, order: int
) -> nib.Nifti1Image:
    """The image on a grid of voxels ``spacing`` mm apart, along the image's own axes.

    The new grid keeps the first voxel's centre (voxel (0, 0, 0) stays where it was in the
    world) and the directions of the voxel axes; along each axis it holds as many voxels
    as fit within the old first and last voxel centres, so no value is extrapolated (the
    far edge moves in by less than one new voxel). The voxel at index ``n`` lies at
    ``n * new / old`` in old voxel indices, whose value :func:`scipy.ndimage.affine_transform`
    interpolates. For a canonical image this is the grid
    :func:`nibabel.processing.resample_to_output` makes, which may have one more voxel per
    axis, outside the data (filled with 0).

    Parameters
    ----------
    img : nibabel.Nifti1Image
        A 3-D image (canonical or not).
    spacing : float or sequence of 3 floats
        The new voxel size in mm: one for all axes, or one per voxel axis.
    order : int
        The interpolation, no default on purpose. ``1`` (linear) for CT numbers: each new
        voxel is a weighted mean of its 8 neighbours, so at the edge between two tissues it
        takes values in between (bone 1000 HU next to brain 40 HU gives some 500 HU voxels:
        a "tissue" that is not there, and a thin structure loses contrast). ``0`` (nearest
        neighbour) for a mask: a label has no "in between", the mean of 0 and 1 (0.5) or of
        labels 1 and 3 (2, another organ) is meaningless; nearest keeps every value one of
        the input's. ``3`` (cubic spline) is sharper but overshoots at edges.

    Returns
    -------
    nibabel.Nifti1Image
        float32 for ``order`` > 0; for ``order=0`` the input's data type (a uint8 mask stays
        uint8). sform and qform as the input's codes (qform unset for a sheared affine).

    Raises
    ------
    ValueError
        For a 4-D image, a spacing that is not positive, or an order outside 0-5.

    Examples
    --------
    >>> import numpy as np, nibabel as nib
    >>> from bootcamp_utils.grid import resample
    >>> img = nib.Nifti1Image(np.arange(5, dtype=np.float32).reshape(5, 1, 1), np.eye(4))
    >>> half = resample(img, (0.5, 1, 1), order=1)
    >>> np.asarray(half.dataobj).ravel().tolist()  # new values between the old ones
    [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    >>> mask = nib.Nifti1Image(np.array([0, 1, 1, 0, 0], np.uint8).reshape(5, 1, 1), np.eye(4))
    >>> np.asarray(resample(mask, (0.5, 1, 1), order=0).dataobj).ravel().tolist()  # ties go up
    [0, 1, 1, 1, 1, 0, 0, 0, 0]
    """
    from scipy import ndimage

    if len(img.shape) != 3:
        raise ValueError(
            f"resample needs a 3-D image, not shape {img.shape}: resample each volume of a "
            "4-D image (img.slicer[..., t]) on its own"
        )
    if isinstance(order, bool) or order not in range(6):
        raise ValueError(f"order is a spline order 0-5 (0 nearest, 1 linear), not {order!r}")
    new = _spacing3(spacing)
    old = np.sqrt((img.affine[:3, :3] ** 2).sum(axis=0))  # each voxel axis' length in mm
    ratio = new / old
    shape = tuple(
        int(np.floor((n - 1) / r + 1e-6)) + 1 for n, r in zip(img.shape, ratio, strict=True)
    )
    data = np.asanyarray(img.dataobj) if order == 0 else img.get_fdata(dtype=np.float32)
    out = ndimage.affine_transform(
        data, ratio, output_shape=shape, order=order, mode="nearest", prefilter=order > 1
    )
    affine = img.affine.copy()
    affine[:3, :3] = img.affine[:3, :3] * ratio  # same directions, new lengths
    result = nib.Nifti1Image(out.astype(data.dtype, copy=False), affine)
    result.set_sform(affine, code=int(img.header["sform_code"]) or 1)
    qcode = int(img.header["qform_code"])
    result.set_qform(affine if qcode else None, code=qcode)
    result.header.set_xyzt_units(*img.header.get_xyzt_units())
    return result


def normalise(
    img_or_array: nib.Nifti1Image | np.ndarray, window: tuple[float, float] | str
) -> np.ndarray:
    """Values mapped to [0, 1] by a window: ``low`` (and below) 0, ``high`` (and above) 1.

    The window is (center, width), as DICOM's Window Center and Width (PS3.3 C.11.2.1.2):
    ``low = center - width / 2``, ``high = center + width / 2``, straight line between
    (the LINEAR_EXACT function of C.11.2.1.3.2), then clipped: values outside the window all
    become 0 or 1, so choose it to hold the tissues the model must tell apart.

    Parameters
    ----------
    img_or_array : nibabel image or array-like
        CT numbers (HU).
    window : (float, float) or str
        (center, width) in HU, or the name of a preset of
        :data:`bootcamp_utils.windowing.PRESETS` (``"brain"`` is (40, 80)).

    Returns
    -------
    numpy.ndarray
        float32, same shape, every value in [0, 1].

    Raises
    ------
    ValueError
        For an unknown preset name or a width that is not positive.

    Examples
    --------
    >>> from bootcamp_utils.grid import normalise
    >>> normalise([-1000.0, 0.0, 40.0, 60.0, 1000.0], "brain").tolist()
    [0.0, 0.0, 0.5, 0.75, 1.0]
    """
    if isinstance(window, str):
        if window not in PRESETS:
            raise ValueError(f"No window preset {window!r}: use one of {sorted(PRESETS)}")
        window = PRESETS[window]
    center, width = (float(v) for v in window)
    if not width > 0:
        raise ValueError(f"The window width must be positive, not {width:g}")
    if isinstance(img_or_array, nib.spatialimages.SpatialImage):
        values = img_or_array.get_fdata(dtype=np.float32)
    else:
        values = np.asarray(img_or_array, dtype=np.float32)
    out = (values - np.float32(center - width / 2)) / np.float32(width)
    return np.clip(out, 0.0, 1.0, out=out)


def intensity_stats(images: Iterable) -> dict[str, float]:
    """Mean, standard deviation, minimum and maximum over every voxel of ``images``.

    Compute them on the training split only, then use them for every split (z-scoring,
    ``(x - mean) / std``): statistics that saw the test images leak them into training.
    The images are read one at a time (sums in float64), never all held at once.

    Parameters
    ----------
    images : iterable of nibabel images or arrays

    Returns
    -------
    dict
        ``{"mean", "std", "min", "max", "voxels"}``.

    Raises
    ------
    ValueError
        If ``images`` is empty.

    Examples
    --------
    >>> import numpy as np
    >>> from bootcamp_utils.grid import intensity_stats
    >>> intensity_stats([np.array([0.0, 2.0]), np.array([4.0])])
    {'mean': 2.0, 'std': 1.632993161855452, 'min': 0.0, 'max': 4.0, 'voxels': 3}
    """
    n, total, squares, low, high = 0, 0.0, 0.0, np.inf, -np.inf
    for image in images:
        values = np.asarray(image.dataobj if hasattr(image, "dataobj") else image, np.float64)
        n += values.size
        total += float(values.sum())
        squares += float((values**2).sum())
        low, high = min(low, float(values.min())), max(high, float(values.max()))
    if n == 0:
        raise ValueError("intensity_stats needs at least one image with voxels")
    mean = total / n
    std = float(np.sqrt(max(squares / n - mean**2, 0.0)))
    return {"mean": mean, "std": std, "min": low, "max": high, "voxels": n}
