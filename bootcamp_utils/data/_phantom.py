"""A simple anatomical head model in DICOM patient coordinates, rendered as CT or MR.

The model is a list of ellipsoids in the patient coordinate system of DICOM (LPS: x grows
towards the patient's Left, y towards Posterior, z towards Superior; millimetres). Each
ellipsoid is painted over the previous ones with a soft edge of about one millimetre, so
voxels on a boundary get a partial-volume mix of the two tissues.

The same model is sampled on any grid (axial, sagittal, oblique...), which is what makes the
CT and the MR of the sample data show the same head. Values per tissue are typical ones from
the literature, not measurements: see data/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Typical CT numbers in Hounsfield units (water 0, air -1000).
CT_HU: dict[str, float] = {
    "air": -1000.0,
    "fat": -100.0,
    "soft_tissue": 45.0,
    "bone": 1300.0,  # cortical bone of the skull tables
    "marrow": 450.0,  # diploe: cancellous bone with marrow
    "csf": 8.0,
    "grey_matter": 40.0,
    "white_matter": 27.0,
    "blood": 68.0,  # acute haemorrhage, clotted blood
    "vitreous": 10.0,
    "lens": 120.0,
}

#: Arbitrary-unit signal of a T1-weighted spin echo (white matter brighter than grey).
MR_T1: dict[str, float] = {
    "air": 0.0,
    "fat": 950.0,
    "soft_tissue": 380.0,
    "bone": 25.0,
    "marrow": 780.0,
    "csf": 110.0,
    "grey_matter": 470.0,
    "white_matter": 640.0,
    "blood": 450.0,
    "vitreous": 90.0,
    "lens": 300.0,
}


@dataclass(frozen=True)
class Ellipsoid:
    """An axis-aligned ellipsoid of one tissue: centre and semi-axes in mm (LPS)."""

    tissue: str
    center: tuple[float, float, float]
    semi_axes: tuple[float, float, float]


def _cranial(tissue: str, a: float, b: float, c: float, dz: float = 0.0) -> Ellipsoid:
    return Ellipsoid(tissue, (0.0, 8.0, 25.0 + dz), (a, b, c))


def _pair(tissue: str, x: float, y: float, z: float, semi: tuple[float, float, float]):
    """The same ellipsoid on the patient's left (+x) and right (-x)."""
    return [Ellipsoid(tissue, (x, y, z), semi), Ellipsoid(tissue, (-x, y, z), semi)]


#: Painting order matters: later shapes cover earlier ones.
HEAD: list[Ellipsoid] = [
    Ellipsoid("soft_tissue", (0, 15, -115), (52, 55, 80)),  # neck
    Ellipsoid("soft_tissue", (0, -35, -45), (62, 58, 55)),  # face and jaw
    Ellipsoid("soft_tissue", (0, -95, -25), (11, 16, 24)),  # nose
    Ellipsoid("air", (0, -68, -42), (9, 24, 16)),  # nasal cavity
    *_pair("air", 26, -52, -55, (13, 15, 15)),  # maxillary sinuses
    _cranial("soft_tissue", 77, 97, 92),  # scalp
    _cranial("fat", 74.5, 94.5, 89.5),  # subcutaneous fat
    _cranial("soft_tissue", 72.5, 92.5, 87.5),  # galea and muscle
    _cranial("bone", 70, 90, 85),  # outer table
    _cranial("marrow", 68, 88, 83),  # diploe
    _cranial("bone", 66.5, 86.5, 81.5),  # inner table
    _cranial("csf", 65, 85, 80),  # subarachnoid space
    _cranial("grey_matter", 63, 83, 78),  # cortex
    _cranial("white_matter", 55, 74, 68, dz=3),
    Ellipsoid("csf", (0, 8, 50), (1.5, 80, 50)),  # interhemispheric fissure
    *_pair("grey_matter", 22, 5, 15, (10, 16, 12)),  # basal ganglia and thalami
    *_pair("csf", 9, 5, 30, (6, 28, 9)),  # lateral ventricles
    Ellipsoid("csf", (0, 5, 12), (2, 12, 8)),  # third ventricle
    Ellipsoid("blood", (-38, 25, 40), (9, 12, 8)),  # haemorrhage, patient's right
    *_pair("fat", 32, -70, -22, (16, 16, 14)),  # orbits
    *_pair("vitreous", 32, -72, -22, (12, 12, 12)),  # eyeballs
    *_pair("lens", 32, -83, -22, (4, 2, 4)),
]

#: Where the haemorrhage is, for exercises and tests.
BLEED = next(shape for shape in HEAD if shape.tissue == "blood")


def voxel_centres(
    origin: np.ndarray,
    row_dir: np.ndarray,
    col_dir: np.ndarray,
    slice_step: np.ndarray,
    shape: tuple[int, int, int],
    pixel_spacing: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Patient coordinates (x, y, z) in mm of every voxel of a (slices, rows, columns) grid.

    ``row_dir`` is the direction along a row (the first triplet of Image Orientation
    (Patient)), ``col_dir`` the direction down a column, ``pixel_spacing`` is (row spacing,
    column spacing) as in DICOM, ``slice_step`` the vector from one slice's origin to the
    next one's. Each returned array broadcasts to ``shape``: on a grid aligned with the
    patient axes each coordinate varies along one array axis only, which keeps this cheap.
    """
    steps = [np.asarray(v, np.float64) for v in (slice_step, col_dir, row_dir)]
    steps[1] = steps[1] * pixel_spacing[0]
    steps[2] = steps[2] * pixel_spacing[1]
    coords = []
    for axis in range(3):
        value = np.full((1, 1, 1), float(origin[axis]))
        for array_axis, (step, n) in enumerate(zip(steps, shape, strict=True)):
            if step[axis] != 0.0:
                index_shape = [1, 1, 1]
                index_shape[array_axis] = n
                value = value + np.arange(n).reshape(index_shape) * step[axis]
        coords.append(value.astype(np.float32))
    return coords[0], coords[1], coords[2]


def _block(coords, shape: Ellipsoid, reach: np.ndarray, full_shape) -> tuple[slice, ...] | None:
    """The index block that contains every voxel near ``shape``, or None."""
    nears = [np.abs(c - shape.center[i]) <= reach[i] for i, c in enumerate(coords)]
    block = []
    for axis in range(3):
        ok = np.ones(full_shape[axis], bool)
        others = tuple(a for a in range(3) if a != axis)
        for near in nears:
            ok &= np.broadcast_to(near.any(axis=others), (full_shape[axis],))
        hits = np.flatnonzero(ok)
        if hits.size == 0:
            return None
        block.append(slice(int(hits[0]), int(hits[-1]) + 1))
    return tuple(block)


def render(
    coords: tuple[np.ndarray, np.ndarray, np.ndarray],
    values: dict[str, float],
    edge_mm: float = 1.0,
) -> np.ndarray:
    """Paint the head model at the voxel centres ``coords`` with one value per tissue.

    Returns float32 values on the broadcast shape of ``coords``; outside the head is "air".
    """
    full_shape = np.broadcast_shapes(*(c.shape for c in coords))
    out = np.full(full_shape, values["air"], dtype=np.float32)
    for shape in HEAD:
        reach = np.asarray(shape.semi_axes) + 2 * edge_mm
        block = _block(coords, shape, reach, full_shape)
        if block is None:
            continue
        r2 = np.zeros((1, 1, 1), np.float32)
        for i, c in enumerate(coords):
            sub = c[tuple(s if c.shape[d] > 1 else slice(None) for d, s in enumerate(block))]
            r2 = r2 + ((sub - np.float32(shape.center[i])) / np.float32(shape.semi_axes[i])) ** 2
        # Signed distance to the surface, approximated along the mean semi-axis.
        dist = (np.sqrt(r2) - 1.0) * np.float32(np.mean(shape.semi_axes))
        weight = np.clip(0.5 - dist / np.float32(edge_mm), 0.0, 1.0)
        current = out[block]
        current += weight * (np.float32(values[shape.tissue]) - current)
    return out


def gaussian_blur_2d(images: np.ndarray, sigma_px: float) -> np.ndarray:
    """Blur every 2-D image of a (slices, rows, columns) stack with a Gaussian (via FFT)."""
    n_rows, n_cols = images.shape[-2:]
    fy = np.fft.fftfreq(n_rows)[:, None]
    fx = np.fft.rfftfreq(n_cols)[None, :]
    transfer = np.exp(-2.0 * (np.pi * sigma_px) ** 2 * (fx**2 + fy**2))
    spectrum = np.fft.rfft2(images) * transfer
    return np.fft.irfft2(spectrum, s=(n_rows, n_cols)).astype(np.float32)


def ct_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma_hu: float) -> np.ndarray:
    """Correlated noise of standard deviation ``sigma_hu``, as filtered back projection gives."""
    white = rng.standard_normal(shape, dtype=np.float32)
    textured = gaussian_blur_2d(white, sigma_px=0.8)
    return textured * np.float32(sigma_hu / textured.std())


def rician(rng: np.random.Generator, signal: np.ndarray, sigma: float) -> np.ndarray:
    """Magnitude MR noise: |signal + complex Gaussian noise|."""
    real = signal + rng.normal(0.0, sigma, signal.shape).astype(np.float32)
    imag = rng.normal(0.0, sigma, signal.shape).astype(np.float32)
    return np.hypot(real, imag)


# --- a chest radiograph (projection), for the MONOCHROME1 sample ------------------------

#: Linear attenuation coefficients (1/mm) at a diagnostic chest energy (about 60 keV):
#: water-like soft tissue 0.02, cortical bone about 0.05, air-filled lung 0.004.
MU_PER_MM: dict[str, float] = {"soft_tissue": 0.020, "bone": 0.050, "lung": 0.004}


def _chord(
    x: np.ndarray, y: np.ndarray, cx: float, cy: float, a: float, b: float, depth: float
) -> np.ndarray:
    """Path length (mm) through an ellipsoid of semi-axes (a, b, depth), seen along z."""
    r2 = ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2
    return 2.0 * depth * np.sqrt(np.clip(1.0 - r2, 0.0, None))


def chest_attenuation(size: int, spacing_mm: float) -> np.ndarray:
    """Line integral of attenuation, mu * path length, of a PA chest: a (size, size) image.

    Rows run head -> feet, columns patient's right -> left as a PA film is hung (the
    patient's right on the viewer's left). Shapes: trunk, two lungs, heart, spine, ribs,
    clavicles; crude, but the grey levels a radiograph shows come out in the right order.
    """
    half = size * spacing_mm / 2
    coords = (np.arange(size) + 0.5) * spacing_mm - half
    y, x = np.meshgrid(coords, coords, indexing="ij")  # y: down (feet), x: screen right
    soft, bone, lung = (MU_PER_MM[k] for k in ("soft_tissue", "bone", "lung"))
    mu = soft * _chord(x, y, 0, 10, 165, 230, 110)  # trunk
    mu += soft * _chord(x, y, 0, -200, 60, 70, 55)  # neck
    for side in (-1, 1):  # lungs replace tissue by air-filled lung
        mu -= (soft - lung) * _chord(x, y, side * 78, -15, 62, 135, 90)
        mu += (bone - soft) * _chord(x, y, side * 75, -150, 80, 7, 6)  # clavicle
    for k in range(9):  # ribs: thin bony arcs that curve down towards the sides
        arc_y = -120 + k * 27 + 0.0022 * x**2
        band = np.exp(-(((y - arc_y) / 4.5) ** 2)) * (np.abs(x) > 12) * (np.abs(x) < 150)
        mu += (bone - soft) * 9.0 * band
    mu += 0.6 * soft * _chord(x, y, 22, 55, 68, 72, 55)  # heart, over the left lung
    mu += (bone - soft) * _chord(x, y, 0, 0, 13, 400, 14)  # spine, behind everything
    return mu.astype(np.float32)
