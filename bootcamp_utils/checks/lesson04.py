"""The checks of notebook 04, other formats and special objects: one function per exercise.

Each truth is worked out here from the data the exercise names, every time a check runs: the
exported plane from the loaded CT (compared at the slices' centres, where any way of
stretching it keeps the slices' own values), the JPEG-LS error bound from the codestream
itself (its NEAR parameter, ITU-T T.87 / ISO 14495-1 C.2.3) and the lossy copy judged as a
validator does (the course's ``validate``, and PS3.3 C.7.6.1.1.5's DERIVED and new UID), the
dose from Dose Grid Scaling and the grid's geometry (PS3.3 C.8.8.3.2, relative or absolute
Grid Frame Offset Vector), the ECG from the channels' sensitivity, correction and baseline
(PS3.3 C.10.9.1). The usual mistakes are named: a figure saved instead of the pixels, a
plane not stretched, upside down, mirrored or a neighbour, the grey scale inverted, the
window (measured from the picture); pydicom's compress trusted to record the loss; frames
counted from 0; rows and columns swapped; stored values taken for dose or for microvolts.
Feedback says what was measured, never the value asked for.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.errors import InvalidDicomError
from pydicom.uid import JPEGLSLossless, JPEGLSNearLossless

from ..data import read_example, sample_path
from ._registry import Refused, exercise, number, right, written_file, wrong

#: Exercise 04-export: the brain window (centre, width) and the plane through the bleed.
EXPORT_WINDOW = (40.0, 80.0)
#: Exercise 04-lossy: the slice to compress and the error bound asked for.
LOSSY_SOURCE = ("head_ct", "CT0020.dcm")
LOSSY_NEAR = 3
#: Exercise 04-frame: the frame number asked for (DICOM counts frames from 1).
FRAME_NUMBER = 100
#: Exercise 04-dose: the point, in patient coordinates (mm).
DOSE_POINT = (239.43125, 219.43125, -731.87)
#: Exercise 04-ecg: the lead asked for.
ECG_LEAD = "Lead II"


# --- 04-export -------------------------------------------------------------------------------


def _not_in_memory(answer, kind: str, how: str) -> None:
    """Refuses an image, array or data set given where the path of the written file is asked."""
    from PIL import Image

    if isinstance(answer, Image.Image):
        what = "a PIL image in memory"
    elif isinstance(answer, np.ndarray) and answer.ndim >= 2:
        what = f"an array of shape {answer.shape} in memory"
    elif isinstance(answer, Dataset):
        what = "a data set in memory"
    else:
        return
    raise Refused(
        f"{what}: the check reads the {kind} file you saved, from its path.",
        f"Save it first ({how}) and answer with that path.",
    )


@cache
def _canonical_ct() -> tuple[np.ndarray, tuple[float, ...], np.ndarray]:
    """The head CT in RAS+ voxel order (HU), its voxel sizes and its affine."""
    import nibabel as nib

    from ..series import load_series

    image = nib.as_closest_canonical(load_series(sample_path("head_ct"), progress=False))
    return image.get_fdata(), tuple(map(float, image.header.get_zooms())), image.affine


def export_plane() -> int:
    """The sagittal plane (index along R) through the centre of the phantom's bleed."""
    from ..data._phantom import BLEED

    _, _, affine = _canonical_ct()
    lps = np.array(BLEED.center, dtype=float)
    ras = np.array([-lps[0], -lps[1], lps[2], 1.0])
    return int(round((np.linalg.inv(affine) @ ras)[0]))


def _windowed(plane: np.ndarray, center: float, width: float) -> np.ndarray:
    low = center - width / 2
    return np.clip((plane - low) / width, 0, 1) * 255


def _sagittal(i: int) -> np.ndarray:
    """Plane i as shown: superior at the top, anterior on the left (rows S, columns A)."""
    data, _, _ = _canonical_ct()
    return data[i].T[::-1, ::-1]


def _slice_centres(rows: int, slices: int) -> tuple[np.ndarray, np.ndarray]:
    """The row on which each slice's centre lands once the plane is stretched to ``rows``.

    Resamplers align a stretched picture in one of two ways: pixel centres on pixel centres
    (PIL, OpenCV, ``grey[np.arange(rows) * slices // rows]``), slice s on row
    (s + 0.5) rows / slices - 0.5; or the first and last rows on the first and last slices
    (``scipy.ndimage.zoom``, ``np.interp`` or ``np.linspace`` over slice indices), slice s on
    row s (rows - 1) / (slices - 1). Both are returned.
    """
    s = np.arange(slices)
    return (s + 0.5) * rows / slices - 0.5, s * (rows - 1) / max(slices - 1, 1)


def _at_slice_centres(pixels: np.ndarray, slices: int) -> list[np.ndarray]:
    """``pixels`` read back on the plane's own grid: a (slices, columns) array per alignment.

    Where a slice's centre lands, every interpolating resampler (nearest, linear, cubic,
    Lanczos; on the grey levels, or on the HU before windowing) gives back that slice's own
    value; between slices they rightly differ (here a nearest and a bilinear stretch by 7.5
    grey levels on average, up to 150 beside bone: each slice has noise of its own), so the
    check reads the picture at the centres only, linear between the two rows on either side.
    """
    rows = pixels.shape[0]
    samples = []
    for centre in _slice_centres(rows, slices):
        centre = np.clip(centre, 0, rows - 1)
        above = np.floor(centre).astype(int)
        below = np.minimum(above + 1, rows - 1)
        weight = (centre - above)[:, None]
        samples.append(pixels[above] * (1 - weight) + pixels[below] * weight)
    return samples


def _distance(expected: np.ndarray, samples: list[np.ndarray]) -> float:
    """Mean distance in grey levels from ``expected`` (on the plane's grid) to the samples of
    the picture, in whichever alignment fits it best."""
    return min(float(np.abs(sample - expected).mean()) for sample in samples)


#: The windows (centre, width) tried when measuring a picture's window, in HU.
_CENTERS = tuple(float(c) for c in range(0, 101, 5))
_WIDTHS = (40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 120.0, 140.0, 160.0, 200.0, 300.0, 400.0)
#: The largest mean distance (grey levels, at the slices' centres) of a right picture.
#: Measured (tests/checks_lesson04_cases.py): 0.0-0.1 stretched by nearest neighbour, 0.8-1.9
#: on the grey levels by PIL's bilinear, bicubic or Lanczos, 2.8 and 4.5 the HU stretched by
#: PIL (bicubic, bilinear) then windowed, 4.9 the HU stretched linearly with the corners
#: aligned then windowed; the neighbouring planes i - 1 and i + 1 measure 12 or more.
_MAX_DISTANCE = 8.0


def _measured_window(plane: np.ndarray, samples: list[np.ndarray]):
    """The window (centre, width) on a 5/10 HU grid that best explains the picture read back
    at the slices' centres, and its distance in grey levels: measured, so feedback names what
    the picture holds."""
    best = None
    for center in _CENTERS:
        for width in _WIDTHS:
            distance = _distance(_windowed(plane, center, width), samples)
            if best is None or distance < best[1]:
                best = ((center, width), distance)
    return best


def export_rows() -> float:
    """How many rows the plane has at square pixels: slices x slice step / pixel size."""
    data, zooms, _ = _canonical_ct()
    return data.shape[2] * zooms[2] / zooms[1]


_RIGHT = "right"
_ANOTHER_PLANE = "another sagittal plane, not the one through the bleed"
_INVERTED = (
    "inverted: the grey scale is reversed, dark where the HU are high (255 - x, or the plane "
    "as MONOCHROME1 would show it)"
)
_NOT_WINDOWED = "not windowed: the grey levels run from the plane's lowest to its highest HU"


def _plane_candidates(i: int) -> list[tuple[str, np.ndarray]]:
    """Plane i as shown, the ways it is often turned, and its neighbours, with a verdict each."""
    data, _, _ = _canonical_ct()
    plane = _sagittal(i)
    candidates = [
        (_RIGHT, plane),
        ("upside down: superior must be at the top", plane[::-1]),
        ("mirrored: anterior must be on the left", plane[:, ::-1]),
        ("upside down and mirrored", plane[::-1, ::-1]),
    ]
    others = [i + d for d in (-3, -2, -1, 1, 2, 3) if 0 <= i + d < data.shape[0]]
    return candidates + [(_ANOTHER_PLANE, _sagittal(j)) for j in others]


def _grey_candidates(plane: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """``plane`` shown as asked and in the usual wrong ways: (verdict, grey levels 0-255)."""
    right = _windowed(plane, *EXPORT_WINDOW)
    return [
        (_RIGHT, right),
        ("another window", _windowed(plane, 40.0, 400.0)),
        ("swapped", _windowed(plane, *EXPORT_WINDOW[::-1])),
        (_NOT_WINDOWED, (plane - plane.min()) / np.ptp(plane) * 255),
        # PS3.3 C.7.6.3.1.2: MONOCHROME1 shows the lowest value white, MONOCHROME2 black
        (_INVERTED, 255 - right),
    ]


def _named_mistake(samples: list[np.ndarray], i: int):
    """The refusal naming the mistake whose picture is closest to the answer's ``samples`` (a
    turned plane, a neighbour, the grey scale inverted or not windowed), or None when the
    closest is plane i windowed, or when even the closest does not explain the picture."""
    distances = {}
    for plane_verdict, plane in _plane_candidates(i):
        for grey_verdict, shown in _grey_candidates(plane):
            key = (plane_verdict, grey_verdict)
            distances[key] = min(distances.get(key, np.inf), _distance(shown, samples))
    (plane_verdict, grey_verdict), distance = min(distances.items(), key=lambda kv: kv[1])
    if distance > _MAX_DISTANCE:
        return None
    if grey_verdict == _INVERTED:
        also = "" if plane_verdict == _RIGHT else f"; and {plane_verdict}"
        return wrong(
            f"the picture is {_INVERTED}{also}.",
            "0 is black: low HU dark, high HU white, as MONOCHROME2 shows them.",
        )
    if plane_verdict == _ANOTHER_PLANE:
        return wrong(
            f"the picture is {_ANOTHER_PLANE}.",
            "i is the bleed's voxel index along R in the canonical CT, rounded (the cell above).",
        )
    if plane_verdict != _RIGHT:
        return wrong(f"the picture is {plane_verdict}.", "Compare with the figure above.")
    if grey_verdict == _NOT_WINDOWED:
        return wrong(f"{_NOT_WINDOWED}.", "bc.apply_window(plane, centre, width) * 255")
    return None


@exercise(
    "04-export",
    "Export the sagittal plane i of the canonical CT through the bleed as an 8-bit greyscale "
    "PNG: brain window 40/80, superior at the top, anterior on the left, square pixels. "
    "Answer with the path of the PNG.",
)
def _export(answer):
    from PIL import Image, UnidentifiedImageError

    _not_in_memory(answer, "PNG", "Image.fromarray(grey).save(OUT / 'sagittal_brain.png')")
    path = written_file(answer, "the path of the PNG you wrote", "OUT / 'sagittal_brain.png'")
    try:
        with Image.open(path) as image:
            kind, mode = image.format, image.mode
            pixels = np.asarray(image.convert("L") if mode != "L" else image, dtype=float)
    except UnidentifiedImageError:
        raise Refused(f"{path.name} is not an image file PIL can open.") from None
    if kind == "JPEG":
        return wrong(
            f"{path.name} is a JPEG: it changes the grey levels themselves.",
            "Save as PNG (lossless): Image.fromarray(grey).save(OUT / 'sagittal.png').",
        )
    if kind != "PNG":
        return wrong(f"{path.name} is a {kind} file, not a PNG.", "Save with a .png name.")
    if mode in ("RGB", "RGBA", "P"):
        return wrong(
            f"a {mode} image, not 8-bit greyscale: plt.imsave and plt.savefig write colour "
            "channels (savefig adds axes and margins too).",
            "Save the 8-bit array itself: Image.fromarray(grey) with grey of dtype uint8.",
        )
    if mode != "L":
        return wrong(
            f"mode {mode!r}: not 8-bit greyscale (mode 'L').",
            "np.round(windowed * 255).astype(np.uint8) before Image.fromarray.",
        )
    data, zooms, _ = _canonical_ct()
    rows, columns = pixels.shape
    stretched = export_rows()
    if rows == data.shape[1] and columns in (data.shape[2], round(stretched), int(stretched)):
        return wrong(
            f"{columns} x {rows} pixels (width x height): the plane lies on its side; "
            "superior should be at the top.",
            "data[i].T puts the slices (superior to inferior once flipped) down the rows.",
        )
    if columns != data.shape[1]:
        return wrong(
            f"{columns} columns: the plane has one per voxel along A (data.shape[1] of them)."
        )
    if rows == data.shape[2]:
        return wrong(
            f"{rows} rows, one per slice: the slices are {zooms[2]:g} mm apart and a column "
            f"{zooms[1]:g} mm wide, so the head is squashed.",
            "Stretch the rows so that a pixel is as tall as it is wide (Image.resize).",
        )
    if abs(rows - stretched) > 1:
        return wrong(
            f"{rows} rows: with square pixels the plane would be "
            f"{'shorter' if rows > stretched else 'taller'}.",
            "Rows at square pixels: slices x slice spacing / pixel size along A.",
        )
    i = export_plane()
    samples = _at_slice_centres(pixels, data.shape[2])
    if (mistake := _named_mistake(samples, i)) is not None:
        return mistake
    (center, width), distance = _measured_window(_sagittal(i), samples)
    if distance > _MAX_DISTANCE:
        return wrong(
            f"the picture does not match plane i in any window: at the slices' centres it is "
            f"{distance:.1f} grey levels off on average (a right one, however stretched, is "
            f"within {_MAX_DISTANCE:g}).",
            "Window the canonical CT's plane i to 0-255 (apply_window gives 0-1), then stretch "
            "it with Image.resize: not padded, cropped or blurred.",
        )
    if (center, width) != EXPORT_WINDOW:
        swapped = " (centre and width swapped?)" if (width, center) == EXPORT_WINDOW else ""
        return wrong(
            f"another window: the picture measures about {center:g}/{width:g} (centre/width "
            f"in HU), not the brain window the exercise asks for{swapped}.",
            "bc.apply_window(plane, centre, width) * 255",
        )
    return right(
        f"{columns} x {rows} pixels of {zooms[1]:.2f} mm, and the grey levels measure as "
        f"window {center:g}/{width:g}: a picture for a slide. Measure on the DICOM, not on this."
    )


# --- 04-lossy --------------------------------------------------------------------------------


def _near(ds: Dataset) -> int | None:
    """The NEAR parameter of a JPEG-LS codestream's first scan (ITU-T T.87 C.2.3), or None."""
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    start = frame.find(b"\xff\xda")  # SOS: length (2), Ns (1), Ns x (Ci, Tmi), NEAR, ILV...
    if start < 0:
        return None
    components = frame[start + 4]
    return frame[start + 5 + 2 * components]


def _ratio(ds: Dataset) -> float:
    frames = int(ds.get("NumberOfFrames") or 1)
    uncompressed = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8 * frames
    compressed = sum(len(f) for f in generate_frames(ds.PixelData, number_of_frames=frames))
    return uncompressed / compressed


def _last(ds: Dataset, keyword: str):
    """The last value of a (possibly multi-valued) attribute, or None."""
    if keyword not in ds or ds[keyword].VM == 0:
        return None
    value = ds[keyword].value
    return value[-1] if ds[keyword].VM > 1 else value


@exercise(
    "04-lossy",
    "Compress head_ct/CT0020.dcm to JPEG-LS near-lossless with an error bound of 3 using "
    "pydicom's own Dataset.compress, record the loss yourself (Lossy Image Compression, its "
    "ratio and method, Image Type value 1 DERIVED), and save it into OUT. Answer with the path "
    "of the file.",
)
def _lossy(answer):
    from ..validation import lossy_copy_problems, validate

    _not_in_memory(answer, "DICOM", "ds.save_as(OUT / 'CT0020_jpeg_ls_near3.dcm')")
    path = written_file(answer, "the path of the DICOM file you wrote", "OUT / 'near.dcm'")
    try:
        ds = dcmread(path)
    except (InvalidDicomError, EOFError, OSError, ValueError) as err:
        raise Refused(f"{path} is not a DICOM file pydicom can read: {err}") from None
    original = dcmread(sample_path(LOSSY_SOURCE[0]) / LOSSY_SOURCE[1])
    # the same slice, in any series (a derived copy may rightly get a series of its own)
    same_slice = all(
        ds.get(keyword) == original.get(keyword)
        for keyword in ("StudyInstanceUID", "FrameOfReferenceUID", "ImagePositionPatient")
    )
    if not same_slice:
        return wrong(f"{path.name} is not a copy of {LOSSY_SOURCE[1]} (another slice or study).")
    if "PixelData" not in ds:
        return wrong(f"{path.name} has no Pixel Data (7FE0,0010): the image itself is missing.")
    syntax = ds.file_meta.get("TransferSyntaxUID")
    if syntax == JPEGLSLossless or (syntax == JPEGLSNearLossless and _near(ds) == 0):
        return wrong(
            f"{syntax.name}, error bound 0: this copy is lossless.",
            "Dataset.compress(JPEGLSNearLossless, jls_error=...) with the bound asked for.",
        )
    if syntax != JPEGLSNearLossless:
        name = syntax.name if syntax else "without a Transfer Syntax UID"
        return wrong(
            f"the file is {name}, not JPEG-LS near-lossless.",
            "Dataset.compress(JPEGLSNearLossless, jls_error=...) with the bound asked for.",
        )
    if (near := _near(ds)) != LOSSY_NEAR:
        return wrong(
            f"the codestream's error bound (NEAR) is {near}, not {LOSSY_NEAR}.",
            "jls_error is the error bound.",
        )
    error = int(np.abs(ds.pixel_array.astype(int) - original.pixel_array).max())
    if error > LOSSY_NEAR:
        return wrong(f"a stored value is {error} off: more than the bound {LOSSY_NEAR}.")
    flag = _last(ds, "LossyImageCompression")
    if flag is None:
        return wrong(
            "Lossy Image Compression (0028,2110) is missing: pydicom's compress does not set "
            "it, and a reader cannot tell this image was altered.",
            "PS3.3 C.7.6.1.1.5: its enumerated values are 00 and 01.",
        )
    if flag != "01":
        return wrong(
            f"Lossy Image Compression is {flag!r}: its enumerated values are '00' (never lossy "
            "compressed) and '01' (lossy compressed), two characters.",
        )
    method = _last(ds, "LossyImageCompressionMethod")
    if method is None:
        return wrong(
            "Lossy Image Compression Method (0028,2114) is missing.",
            "PS3.3 C.7.6.1.1.5.1 lists the defined terms, one per compression method.",
        )
    if method != "ISO_14495_1":
        known = {
            "ISO_10918_1": "JPEG (baseline/extended)",
            "ISO_15444_1": "JPEG 2000",
            "ISO_14495_1 ": "JPEG-LS with a space",
        }
        return wrong(
            f"method {method!r} is {known.get(method, 'not the defined term')}: JPEG-LS is "
            "ISO_14495_1.",
            "PS3.3 C.7.6.1.1.5.1 lists the defined terms.",
        )
    stated = _last(ds, "LossyImageCompressionRatio")
    truth = _ratio(ds)
    if stated is None:
        return wrong(
            "Lossy Image Compression Ratio (0028,2112) is missing.",
            "Uncompressed bytes / compressed bytes of the pixel data.",
        )
    stated = float(stated)
    if 0 < stated < 1 and abs(1 / stated - truth) < 0.05 * truth:
        return wrong(
            f"ratio {stated:g} is below 1: this is compressed / uncompressed, upside down.",
            "The ratio is uncompressed bytes / compressed bytes.",
        )
    if abs(stated - truth) > 0.05 * truth:
        return wrong(
            f"ratio {stated:g} is more than 5 % away from the pixel data's uncompressed bytes "
            "/ compressed bytes.",
            "Rows x Columns x bytes per sample / len(ds.PixelData) is close enough; not the "
            "file sizes.",
        )
    for problem in lossy_copy_problems(ds, original):
        if problem.kind == "uid":
            return wrong(
                "the lossy copy kept the original's SOP Instance UID: it is a different image "
                "now (PS3.3 C.7.6.1.1.5), and a PACS holding both would take one for the other.",
                "Dataset.compress makes a new one unless told not to (generate_instance_uid).",
            )
        return wrong(
            f"Image Type (0008,0008) value 1 is {problem.value}: a lossy compressed copy of "
            "another image is DERIVED (PS3.3 C.7.6.1.1.5).",
            "Change value 1 only; keep the others.",
        )
    if problems := validate(ds):
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return wrong(
            f"the file breaks the standard: {problems[0]}{more}.",
            "bc.validate(ds) lists every problem; dciodvfy finds the same.",
        )
    return right(
        f"JPEG-LS, NEAR = {LOSSY_NEAR}, ratio {truth:.2f}:1, largest error {error}, Image Type "
        "DERIVED, a new SOP Instance UID: the file now says it was altered, and it validates."
    )


# --- 04-frame --------------------------------------------------------------------------------


@cache
def enhanced_mr() -> Dataset:
    """nibabel's Philips enhanced MR header (its pixels blanked), as the lesson reads it."""
    import nibabel as nib

    path = Path(nib.__file__).parent / "nicom" / "tests" / "data" / "philips_mprage.dcm.gz"
    with gzip.open(path) as compressed:
        return dcmread(compressed)


def _positions() -> np.ndarray:
    frames = enhanced_mr().PerFrameFunctionalGroupsSequence
    return np.array([f.PlanePositionSequence[0].ImagePositionPatient for f in frames], dtype=float)


def _vector3(answer, what: str) -> np.ndarray:
    if answer is None or isinstance(answer, (str, bytes, bool, np.bool_, dict, set)):
        raise Refused(f"expected {what}, got {type(answer).__name__}.")
    try:
        values = [number(v, what) for v in np.asarray(answer, dtype=object).ravel()]
    except TypeError:
        raise Refused(f"expected {what}, got {type(answer).__name__}.") from None
    if len(values) != 3:
        raise Refused(f"expected {what}: 3 numbers, got {len(values)}.")
    return np.array(values)


@exercise(
    "04-frame",
    "Image Position (Patient) of frame number 100 of the enhanced MR: (x, y, z) in mm.",
)
def _frame(answer):
    given = _vector3(answer, "(x, y, z) in mm")
    positions = _positions()
    truth = positions[FRAME_NUMBER - 1]
    if np.allclose(given, truth, atol=1e-3):
        return right(
            f"frame {FRAME_NUMBER} is item {FRAME_NUMBER - 1} of the Per-frame Functional "
            "Groups Sequence: DICOM counts frames from 1, Python from 0."
        )
    if np.allclose(given, truth, atol=0.05):
        return wrong("close, but rounded: give the values as stored (to 0.001 mm).")
    if np.allclose(given, positions[FRAME_NUMBER], atol=1e-3):
        return wrong(
            f"this is frame {FRAME_NUMBER + 1}: DICOM numbers frames from 1, the sequence's "
            "items from 0.",
            f"PerFrameFunctionalGroupsSequence[{FRAME_NUMBER - 1}]",
        )
    for index in (0, len(positions) - 1):
        if np.allclose(given, positions[index], atol=1e-3):
            return wrong(
                f"this is frame {index + 1}'s position; each frame has its own, in its item "
                "of the Per-frame Functional Groups Sequence.",
            )
    if np.allclose(given[::-1], truth, atol=1e-3):
        return wrong("the order is (x, y, z), as the file stores it.")
    if np.allclose(given, truth * [-1, -1, 1], atol=1e-3):
        return wrong("this is in RAS: Image Position (Patient) is LPS, keep it as stored.")
    matches = np.flatnonzero(np.all(np.isclose(positions, given, atol=1e-3), axis=1))
    if matches.size:
        return wrong(f"this is frame {matches[0] + 1}'s position, not frame {FRAME_NUMBER}'s.")
    return wrong(
        "no frame is at this position.",
        "mr.PerFrameFunctionalGroupsSequence[...].PlanePositionSequence[0].ImagePositionPatient",
    )


# --- 04-dose ---------------------------------------------------------------------------------


def frame_positions(ds: Dataset) -> np.ndarray:
    """Image Position (Patient) of every frame of an RT Dose grid, (frames, 3) in mm (LPS).

    Grid Frame Offset Vector (3004,000C) comes in two forms (PS3.3 C.8.8.3.2): (a) its first
    element is 0: offsets relative to Image Position (Patient), along the normal (row
    direction x column direction); (b) its first element equals the z of Image Position
    and Image Orientation is (1, 0, 0, 0, 1, 0): the frames' z coordinates themselves.

    Raises
    ------
    ValueError
        When the vector is in neither form.
    """
    origin = np.array(ds.ImagePositionPatient, dtype=float)
    orientation = np.array(ds.ImageOrientationPatient, dtype=float)
    offsets = np.array(ds.GridFrameOffsetVector, dtype=float)
    if offsets[0] == 0:  # (a) relative, along the normal
        return origin + offsets[:, None] * np.cross(orientation[:3], orientation[3:])
    if np.isclose(offsets[0], origin[2]) and np.allclose(orientation, [1, 0, 0, 0, 1, 0]):
        positions = np.repeat(origin[None], len(offsets), axis=0)  # (b) absolute z
        positions[:, 2] = offsets
        return positions
    raise ValueError(
        f"Grid Frame Offset Vector starts with {offsets[0]:g}: neither 0 (relative) nor the "
        f"z of Image Position, {origin[2]:g}, with an axial grid (absolute); PS3.3 C.8.8.3.2"
    )


def dose_index(ds: Dataset, point) -> tuple[int, int, int]:
    """(frame, row, column) of the voxel nearest to ``point`` (x, y, z in mm, LPS)."""
    orientation = np.array(ds.ImageOrientationPatient, dtype=float)
    along_row, down_column = orientation[:3], orientation[3:]
    normal = np.cross(along_row, down_column)
    positions = frame_positions(ds)
    point = np.array(point, dtype=float)
    frame = int(np.argmin(np.abs((point - positions) @ normal)))
    row_step, column_step = (float(v) for v in ds.PixelSpacing)
    shift = point - positions[frame]
    return frame, round(shift @ down_column / row_step), round(shift @ along_row / column_step)


def _dose_sample() -> Dataset:
    """The RT Dose the exercise reads (a function, so that a test can offer another one)."""
    return read_example("rt_dose")


def _rounded(given: float, truth: float) -> bool:
    """Whether ``given`` is ``truth`` rounded to 1 to 5 decimals (and not ``truth`` itself)."""
    return any(np.isclose(given, round(truth, n), rtol=1e-9) for n in range(1, 6))


@exercise(
    "04-dose",
    "The dose of the RT Dose sample at the point (239.43125, 219.43125, -731.87) mm, in its "
    "Dose Units.",
)
def _dose(answer):
    given = number(answer, "the dose, one number")
    header = _dose_sample()
    scaling, units = float(header.DoseGridScaling), header.DoseUnits
    dose = header.pixel_array * scaling
    z = frame_positions(header)[:, 2]
    k, j, i = dose_index(header, DOSE_POINT)
    truth = float(dose[k, j, i])

    def same(value: float) -> bool:
        return bool(np.isclose(given, value, rtol=1e-6, atol=1e-9))

    if same(truth):
        return right(
            f"frame {k} (z = {z[k]:g} mm, from Image Position and Grid Frame Offset Vector), "
            f"row {j}, column {i}; stored {dose[k, j, i] / scaling:.0f} x {scaling:g} = "
            f"{truth:g} {units}."
        )
    if same(truth / scaling):
        return wrong(
            f"{given:g} is the stored value: the raw array is not dose.",
            "Multiply by Dose Grid Scaling (3004,000E).",
        )
    if same(truth * 100):
        return wrong(f"{given:g} is 100 times the dose: the units are {units}, not %.")
    if same(float(dose[k, i, j])):
        return wrong(
            "rows and columns are swapped: x runs along a row (the column index), y down the "
            "rows (the row index).",
            "dose[frame, row, column] = dose[z index, y index, x index]",
        )
    if same(float(dose[k, :, :].T[j, i])):
        return wrong("rows and columns are swapped.", "dose[frame, row, column]")
    for wrong_k in (k - 1, k + 1):
        if 0 <= wrong_k < len(z) and same(float(dose[wrong_k, j, i])):
            return wrong(
                f"frame {wrong_k}, z = {z[wrong_k]:g} mm: the point is at z = {DOSE_POINT[2]}.",
                "Grid Frame Offset Vector (3004,000C) places each frame: PS3.3 C.8.8.3.2.",
            )
    frame_by_spacing = round((DOSE_POINT[2] - z[0]) / 10)
    if 0 <= frame_by_spacing < len(z) and same(float(dose[frame_by_spacing, j, i])):
        return wrong(
            f"frame {frame_by_spacing}: the frames are not 10 mm apart like the pixels; "
            "Grid Frame Offset Vector (3004,000C) says where each frame is.",
        )
    if _rounded(given, truth):
        return wrong(f"{given} looks rounded: give the value as computed, all its digits.")
    for other in (float(dose.max()), float(dose[k].max()), float(dose[k].mean())):
        if same(other):
            return wrong(f"{given:g} is not the dose at the point (a maximum or a mean?).")
    return wrong(
        f"{given:g} is not the dose at ({', '.join(map(str, DOSE_POINT))}) mm.",
        "Find the frame from z, the row from y and the column from x; then scale.",
    )


# --- 04-ecg ----------------------------------------------------------------------------------


def ecg_leads() -> tuple[list[str], np.ndarray, np.ndarray]:
    """The ECG sample's first waveform: lead names, stored samples, microvolts."""
    from pydicom.waveforms.numpy_handler import multiplex_array

    ds = read_example("waveform")
    group = ds.WaveformSequence[0]
    names = [c.ChannelSourceSequence[0].CodeMeaning for c in group.ChannelDefinitionSequence]
    return names, multiplex_array(ds, 0, as_raw=True), ds.waveform_array(0)


@exercise(
    "04-ecg",
    "The peak-to-peak amplitude of Lead II in the ECG sample's first waveform, in millivolts.",
)
def _ecg(answer):
    given = number(answer, "an amplitude in mV, one number")
    names, raw, microvolts = ecg_leads()
    lead = names.index(ECG_LEAD)
    truth = float(np.ptp(microvolts[:, lead])) / 1000

    def same(value: float) -> bool:
        return bool(np.isclose(given, value, rtol=1e-6))

    if same(truth):
        return right(
            f"{truth:g} mV: stored values x sensitivity x correction + baseline give microvolts "
            "(the channel's units), / 1000 gives millivolts."
        )
    if _rounded(given, truth):
        return wrong(f"{given} looks rounded: give the value as computed, all its digits.")
    if same(truth * 1000):
        return wrong(f"{given:g} is in microvolts, the channel's units: the question asks mV.")
    if same(float(np.ptp(raw[:, lead]))) or same(float(np.ptp(raw[:, lead])) / 1000):
        return wrong(
            "these are stored values: scale by Channel Sensitivity first.",
            "ds.waveform_array(0) applies sensitivity, correction and baseline.",
        )
    if same(float(microvolts[:, lead].max()) / 1000) or same(
        float(microvolts[:, lead].min()) / 1000
    ):
        return wrong("this is the largest (or smallest) value: peak-to-peak is max - min.")
    for index, name in enumerate(names):
        if index != lead and same(float(np.ptp(microvolts[:, index])) / 1000):
            return wrong(
                f"this is {name}, channel {index}: {ECG_LEAD} is channel {lead}.",
                "Channel Source Sequence's Code Meaning names each channel.",
            )
    if same(float(np.ptp(microvolts)) / 1000):
        return wrong("this is over all the leads, not Lead II alone.")
    return wrong(f"{given:g} mV is not Lead II's peak-to-peak amplitude.")
