"""Right and plausible wrong answers to the exercises of notebook 04 (used by test_checks.py).

The truths are worked out here from the data, independently of the checks: the sagittal
plane from ``load_series`` and nibabel, the compressed files with pydicom's own
``Dataset.compress``, the frame position, dose and ECG from the headers with pydicom.
``right_answers(name, tmp)`` and ``wrong_answers(name, tmp)`` mirror ``_right_answers`` and
``_wrong_answers`` of test_checks.py; every wrong answer comes with words its feedback must
contain. Answers that are files are written into ``tmp``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from pydicom import dcmread  # noqa: E402
from pydicom.dataset import Dataset  # noqa: E402
from pydicom.uid import JPEG2000, JPEGLSLossless, JPEGLSNearLossless, generate_uid  # noqa: E402

from bootcamp_utils import apply_window, compress, load_series, read_example  # noqa: E402
from bootcamp_utils.data import sample_path  # noqa: E402

_BLEED_RAS = (38.0, -25.0, 40.0)  # the phantom's bleed, (-38, 25, 40) mm in LPS


# --- 04-export -------------------------------------------------------------------------------


def _canonical():
    image = nib.as_closest_canonical(load_series(sample_path("head_ct"), progress=False))
    return image.get_fdata(), image.header.get_zooms(), image.affine


def _plane_index() -> int:
    _, _, affine = _canonical()
    i = nib.affines.apply_affine(np.linalg.inv(affine), _BLEED_RAS)[0]
    return int(round(i))


def _grey(plane: np.ndarray, center=40.0, width=80.0) -> np.ndarray:
    low = center - width / 2
    return np.round(np.clip((plane - low) / width, 0, 1) * 255).astype(np.uint8)


def _png(tmp: Path, name: str, grey: np.ndarray, rows: int | None = None, method=None) -> Path:
    image = Image.fromarray(grey)
    if rows is not None:
        # NEAREST is 0: `method or BICUBIC` would turn it into BICUBIC
        bicubic = Image.Resampling.BICUBIC
        image = image.resize((grey.shape[1], rows), bicubic if method is None else method)
    path = tmp / name
    image.save(path)
    return path


def _sagittal(i: int | None = None) -> tuple[np.ndarray, int]:
    data, zooms, _ = _canonical()
    plane = data[_plane_index() if i is None else i].T[::-1, ::-1]  # superior up, anterior left
    assert plane.shape == (40, 256)
    return plane, round(plane.shape[0] * zooms[2] / zooms[1])


def _stretched_hu(plane: np.ndarray, rows: int, method) -> np.ndarray:
    """The HU plane itself stretched to ``rows`` rows (PIL, float mode 'F'), not yet windowed."""
    image = Image.fromarray(plane.astype(np.float32)).resize((plane.shape[1], rows), method)
    return np.asarray(image, dtype=float)


def _stretched_corners(plane: np.ndarray, rows: int) -> np.ndarray:
    """``plane`` stretched linearly with the first and last rows on the first and last slices
    (as ``scipy.ndimage.zoom`` or ``np.interp`` on slice indices do), not PIL's pixel centres."""
    where = np.linspace(0, plane.shape[0] - 1, rows)
    return np.stack([np.interp(where, np.arange(plane.shape[0]), c) for c in plane.T], axis=1)


def _export_right(tmp: Path) -> list:
    plane, rows = _sagittal()
    assert rows == 171
    grey = _grey(plane)
    slices = np.arange(rows) * plane.shape[0] // rows  # nearest by hand: each row's slice
    corners = np.round(np.linspace(0, plane.shape[0] - 1, rows)).astype(int)
    bicubic_hu = _stretched_hu(plane, rows, Image.Resampling.BICUBIC)
    return [
        _png(tmp, "bicubic.png", grey, rows),
        str(_png(tmp, "bilinear.png", grey, rows, Image.Resampling.BILINEAR)),
        _png(tmp, "nearest.png", grey, rows, Image.Resampling.NEAREST),
        _png(tmp, "floor.png", grey, 170),
        _png(tmp, "lanczos.png", grey, rows, Image.Resampling.LANCZOS),
        # issue 23: stretched by repeating rows (nearest neighbour) in numpy, both alignments
        _png(tmp, "repeated_rows.png", grey[slices]),
        _png(tmp, "repeated_corners.png", grey[corners]),
        # issue 23: the HU stretched first, then windowed (the course's apply_window or a clip)
        _png(
            tmp, "hu_bicubic.png", np.round(apply_window(bicubic_hu, 40, 80) * 255).astype(np.uint8)
        ),
        _png(tmp, "hu_bilinear.png", _grey(_stretched_hu(plane, rows, Image.Resampling.BILINEAR))),
        _png(tmp, "hu_corners.png", _grey(_stretched_corners(plane, rows))),
    ]


def _export_wrong(tmp: Path) -> list[tuple]:
    plane, rows = _sagittal()
    grey = _grey(plane)
    figure = tmp / "figure.png"
    plt.imsave(figure, np.asarray(Image.fromarray(grey).resize((256, rows))), cmap="gray")
    jpeg = tmp / "sagittal.jpg"
    Image.fromarray(grey).resize((256, rows)).save(jpeg, quality=90)
    sixteen = tmp / "sixteen.png"
    Image.fromarray(grey.astype(np.uint16) * 257).resize((256, rows)).save(sixteen)
    full = np.round((plane - plane.min()) / np.ptp(plane) * 255).astype(np.uint8)
    (tmp / "folder").mkdir()
    return [
        (_png(tmp, "square.png", grey), "40 rows", "squashed"),
        (_png(tmp, "upside.png", grey[::-1], rows), "upside down"),
        (_png(tmp, "mirror.png", grey[:, ::-1], rows), "mirrored"),
        (_png(tmp, "both.png", grey[::-1, ::-1], rows), "upside down and mirrored"),
        (_png(tmp, "soft.png", _grey(plane, 40, 400), rows), "another window", "40/400"),
        (_png(tmp, "wide.png", _grey(plane, 40, 120), rows), "measures about 40/120"),
        (_png(tmp, "narrow.png", _grey(plane, 40, 70), rows), "measures about 40/70"),
        (_png(tmp, "low.png", _grey(plane, 30, 80), rows), "measures about 30/80"),
        (Image.fromarray(grey), "pil image", "in memory", "path"),
        (_png(tmp, "swapped.png", _grey(plane, 80, 40), rows), "measures about 80/40", "swapped"),
        (_png(tmp, "minmax.png", full, rows), "not windowed"),
        (_png(tmp, "unscaled.png", grey // 255, rows), "does not match", "0-255"),
        (
            _png(tmp, "padded.png", np.vstack([grey, np.zeros((rows - 40, 256), np.uint8)])),
            "padded",
        ),
        (_png(tmp, "inverted.png", 255 - grey, rows), "inverted", "reversed"),
        (_png(tmp, "inverted_upside.png", 255 - grey[::-1], rows), "inverted", "upside down"),
        *[
            (
                _png(tmp, f"other{d:+d}.png", _grey(_sagittal(_plane_index() + d)[0]), rows),
                "another sagittal plane",
                "bleed",
            )
            for d in (-3, -1, 1, 2)
        ],
        (_png(tmp, "side.png", np.asarray(Image.fromarray(grey).resize((256, rows))).T), "side"),
        (_png(tmp, "side40.png", grey.T), "side"),
        (_png(tmp, "half.png", grey[:, :128], rows), "128 columns"),
        (_png(tmp, "tall.png", grey, 256), "256 rows"),
        (figure, "rgba", "the 8-bit array"),
        (jpeg, "jpeg", "png"),
        (sixteen, "not 8-bit"),
        (tmp / "missing.png", "no file"),
        (tmp / "folder", "folder"),
        (None, "path"),
        (grey, "path"),
    ]


# --- 04-lossy --------------------------------------------------------------------------------


def _source():
    return dcmread(sample_path("head_ct") / "CT0020.dcm")


def _flagged(ds, method="ISO_14495_1", ratio=None, derived=True):
    """``ds`` marked lossy as PS3.3 C.7.6.1.1.5 asks: flag, method, ratio, Image Type DERIVED."""
    if derived:
        ds.ImageType = ["DERIVED", *list(ds.ImageType)[1:]]
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionMethod = method
    ds.LossyImageCompressionRatio = (
        round(ds.Rows * ds.Columns * 2 / len(ds.PixelData), 2) if ratio is None else ratio
    )
    return ds


def _near(error: int = 3, **kwargs):
    ds = _source()
    ds.compress(JPEGLSNearLossless, jls_error=error, **kwargs)
    return ds


def _save(ds, tmp: Path, name: str) -> Path:
    path = tmp / name
    ds.save_as(path)
    return path


def _lossy_right(tmp: Path) -> list:
    exact = _near()
    frame_bytes = len(exact.PixelData) - 16  # two item headers: the empty table, one frame
    exact = _flagged(exact, ratio=round(exact.Rows * exact.Columns * 2 / frame_bytes, 4))
    appended = _flagged(_near())
    appended.LossyImageCompressionRatio = [appended.LossyImageCompressionRatio]
    appended.LossyImageCompressionMethod = ["ISO_14495_1"]
    new_series = _flagged(_near())  # a derived image in a series of its own (lesson 02)
    new_series.SeriesInstanceUID, new_series.SeriesNumber = generate_uid(), 1020
    secondary = _flagged(_near())
    secondary.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]
    secondary.DerivationDescription = "JPEG-LS near-lossless, NEAR 3"
    referenced = _flagged(_near())  # the source named, as lesson 02 teaches
    source = Dataset()
    source.ReferencedSOPClassUID = _source().SOPClassUID
    source.ReferencedSOPInstanceUID = _source().SOPInstanceUID
    referenced.SourceImageSequence = [source]
    code = Dataset()  # DCM 113040 Lossy Compression (PS3.16 CID 7203)
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = (
        "113040",
        "DCM",
        "Lossy Compression",
    )
    referenced.DerivationCodeSequence = [code]
    return [
        _save(_flagged(_near()), tmp, "solution.dcm"),
        str(_save(exact, tmp, "exact.dcm")),
        _save(appended, tmp, "appended.dcm"),
        _save(compress(_source(), JPEGLSNearLossless, jls_error=3), tmp, "helper.dcm"),
        _save(new_series, tmp, "new_series.dcm"),
        _save(secondary, tmp, "secondary.dcm"),
        _save(referenced, tmp, "referenced.dcm"),
    ]


def _lossy_wrong(tmp: Path) -> list[tuple]:
    bare = _near()
    inverse = _flagged(_near())
    inverse.LossyImageCompressionRatio = round(1 / inverse.LossyImageCompressionRatio, 4)
    by_file = _flagged(_near(), ratio=round(_source().PixelData.__len__() / 30000, 2))
    no_method = _near()
    no_method.LossyImageCompression, no_method.LossyImageCompressionRatio = "01", 7.0
    no_ratio = _near()
    no_ratio.LossyImageCompression, no_ratio.LossyImageCompressionMethod = "01", "ISO_14495_1"
    zero = _flagged(_near())
    zero.LossyImageCompression = "00"
    lossless = _source()
    lossless.compress(JPEGLSLossless)
    j2k = _source()
    j2k.compress(JPEG2000, j2k_cr=[10])
    other = dcmread(sample_path("head_ct") / "CT0023.dcm")
    other.compress(JPEGLSNearLossless, jls_error=3)
    plain = _source()
    # files dciodvfy rejects (each checked with dciodvfy by tests/test_lesson04.py)
    no_class = _flagged(_near())  # Source Image Sequence without its Type 1 SOP Class UID
    item = Dataset()
    item.ReferencedSOPInstanceUID = _source().SOPInstanceUID
    no_class.SourceImageSequence = [item]
    two_values = _flagged(_near())  # CT Image Type value 3 (AXIAL) dropped
    two_values.ImageType = ["DERIVED", "PRIMARY"]
    one_value = _flagged(_near())
    one_value.ImageType = ["DERIVED"]
    same_as_study = _flagged(_near())
    same_as_study.SeriesInstanceUID = same_as_study.StudyInstanceUID
    meta = _flagged(_near(generate_instance_uid=False))  # a new UID, the file meta's kept
    meta.SOPInstanceUID = generate_uid()
    digit = _flagged(_near())
    digit.LossyImageCompression = "1"
    no_pixels = _flagged(_near())
    del no_pixels.PixelData
    return [
        (_save(_flagged(_near(), derived=False), tmp, "original.dcm"), "derived", "value 1"),
        (_save(no_class, tmp, "no_class.dcm"), "referencedsopclassuid", "type 1"),
        (_save(two_values, tmp, "two_values.dcm"), "value 3"),
        (_save(one_value, tmp, "one_value.dcm"), "multiplicity"),
        (_save(same_as_study, tmp, "same_as_study.dcm"), "studyinstanceuid"),
        (_save(meta, tmp, "meta.dcm"), "mediastoragesopinstanceuid"),
        (_save(digit, tmp, "digit.dcm"), "'1'", "enumerated values"),
        (_save(no_pixels, tmp, "no_pixels.dcm"), "no pixel data"),
        (_flagged(_near()), "in memory", "save_as"),
        (_save(bare, tmp, "bare.dcm"), "missing", "pydicom"),
        (_save(_flagged(_near(2)), tmp, "near2.dcm"), "near", "not 3"),
        (_save(_flagged(lossless), tmp, "lossless.dcm"), "lossless"),
        (_save(_flagged(_near(0)), tmp, "near0.dcm"), "lossless"),
        (_save(_flagged(j2k, "ISO_15444_1"), tmp, "j2k.dcm"), "jpeg 2000", "not jpeg-ls"),
        (_save(_flagged(_near(), "ISO_15444_1"), tmp, "method.dcm"), "iso_15444_1", "jpeg 2000"),
        (_save(_flagged(_near(), "ISO_10918_1"), tmp, "jpeg.dcm"), "iso_10918_1", "jpeg"),
        (_save(_flagged(_near(), "JPEG_LS"), tmp, "name.dcm"), "not the defined term"),
        (_save(no_method, tmp, "no_method.dcm"), "method", "missing"),
        (_save(no_ratio, tmp, "no_ratio.dcm"), "ratio", "missing"),
        (_save(inverse, tmp, "inverse.dcm"), "upside down", "below 1"),
        (_save(by_file, tmp, "by_file.dcm"), "ratio"),
        (_save(zero, tmp, "zero.dcm"), "'00'"),
        (_save(_flagged(_near(generate_instance_uid=False)), tmp, "same_uid.dcm"), "sop instance"),
        (_save(_flagged(other), tmp, "other.dcm"), "not a copy of ct0020"),
        (_save(plain, tmp, "plain.dcm"), "not jpeg-ls"),
        (sample_path("head_ct") / "CT0020.dcm", "sample data"),
        (tmp / "nothing.dcm", "no file"),
        (None, "path"),
    ]


# --- 04-frame --------------------------------------------------------------------------------


def _enhanced():
    path = Path(nib.__file__).parent / "nicom" / "tests" / "data" / "philips_mprage.dcm.gz"
    with gzip.open(path) as compressed:
        return dcmread(compressed)


def _position(ds, index: int) -> list[float]:
    item = ds.PerFrameFunctionalGroupsSequence[index]
    return [float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient]


def _frame_right(tmp: Path) -> list:
    ds = _enhanced()
    truth = _position(ds, 99)
    content = ds.PerFrameFunctionalGroupsSequence[99].FrameContentSequence[0]
    assert int(content.InStackPositionNumber) == 100
    return [
        truth,
        tuple(truth),
        np.array(truth),
        ds.PerFrameFunctionalGroupsSequence[99].PlanePositionSequence[0].ImagePositionPatient,
        [round(v, 6) for v in truth],
    ]


def _frame_wrong(tmp: Path) -> list[tuple]:
    ds = _enhanced()
    truth = np.array(_position(ds, 99))
    return [
        (_position(ds, 100), "frame 101", "from 1"),
        (_position(ds, 0), "frame 1's position"),
        (_position(ds, 175), "frame 176's position"),
        (_position(ds, 49), "frame 50's position"),
        (truth[::-1].tolist(), "(x, y, z)"),
        ((truth * [-1, -1, 1]).tolist(), "ras"),
        (np.round(truth, 1).tolist(), "rounded"),
        ([0.0, 0.0, 0.0], "no frame"),
        (truth[:2].tolist(), "3 numbers"),
        (str(truth.tolist()), "expected (x, y, z)"),
        (None, "expected (x, y, z)"),
        ([True, 0.0, 1.0], "bool"),
    ]


# --- 04-dose ---------------------------------------------------------------------------------


def _dose():
    ds = read_example("rt_dose")
    return ds, ds.pixel_array * float(ds.DoseGridScaling)


def _dose_right(tmp: Path) -> list:
    ds, dose = _dose()
    # (239.43125, 219.43125, -731.87) mm: x0 + 5 x 10 mm, y0 + 2 x 10 mm, offset 30 mm (frame 6)
    assert float(ds.GridFrameOffsetVector[6]) == 30.0
    truth = dose[6, 2, 5]
    return [truth, float(truth), np.float32(truth), ds.pixel_array[6, 2, 5] * 1e-6]


def _dose_wrong(tmp: Path) -> list[tuple]:
    ds, dose = _dose()
    return [
        (int(ds.pixel_array[6, 2, 5]), "stored value"),
        (float(dose[6, 2, 5] * 100), "100 times"),
        (float(dose[6, 5, 2]), "swapped"),
        (float(dose[5, 2, 5]), "frame 5"),
        (float(dose[7, 2, 5]), "frame 7"),
        (float(dose[3, 2, 5]), "not 10 mm apart"),
        (round(float(dose[6, 2, 5]), 2), "rounded"),
        (float(dose.max()), "maximum or a mean"),
        (float(dose[6].mean()), "maximum or a mean"),
        (float(dose[0, 0, 0]), "not the dose at"),
        (True, "bool"),
        ("1.127", "text"),
        (None, "expected the dose"),
    ]


# --- 04-ecg ----------------------------------------------------------------------------------


def _ecg():
    """Lead II by hand: stored x sensitivity x correction + baseline (PS3.3 C.10.9.1)."""
    ds = read_example("waveform")
    group = ds.WaveformSequence[0]
    channels, samples = group.NumberOfWaveformChannels, group.NumberOfWaveformSamples
    stored = np.frombuffer(group.WaveformData, dtype="<i2").reshape(samples, channels)
    names = [c.ChannelSourceSequence[0].CodeMeaning for c in group.ChannelDefinitionSequence]
    scale = np.array(
        [
            float(c.ChannelSensitivity) * float(c.ChannelSensitivityCorrectionFactor)
            for c in group.ChannelDefinitionSequence
        ]
    )
    baseline = np.array([float(c.ChannelBaseline) for c in group.ChannelDefinitionSequence])
    assert group.WaveformBitsAllocated == 16 and group.WaveformSampleInterpretation == "SS"
    return names, stored, stored * scale + baseline


def _ecg_right(tmp: Path) -> list:
    names, _, microvolts = _ecg()
    lead = names.index("Lead II")
    truth = np.ptp(microvolts[:, lead]) / 1000
    return [truth, float(truth), np.float32(truth), truth + 1e-9]


def _ecg_wrong(tmp: Path) -> list[tuple]:
    names, stored, microvolts = _ecg()
    ii = names.index("Lead II")
    truth = np.ptp(microvolts[:, ii]) / 1000
    return [
        (truth * 1000, "microvolts"),
        (float(np.ptp(stored[:, ii])), "stored values"),
        (float(np.ptp(stored[:, ii])) / 1000, "stored values"),
        (np.ptp(microvolts[:, 0]) / 1000, "lead i (einthoven)", "channel 0"),
        (np.ptp(microvolts[:, 2]) / 1000, "lead iii", "channel 2"),
        (microvolts[:, ii].max() / 1000, "max - min"),
        (microvolts[:, ii].min() / 1000, "max - min"),
        (np.ptp(microvolts) / 1000, "all the leads"),
        (round(truth, 2), "rounded"),
        (1.0, "not lead ii's"),
        (True, "bool"),
        ("1.34625", "text"),
        (None, "amplitude"),
    ]


_CASES = {
    "04-export": (_export_right, _export_wrong),
    "04-lossy": (_lossy_right, _lossy_wrong),
    "04-frame": (_frame_right, _frame_wrong),
    "04-dose": (_dose_right, _dose_wrong),
    "04-ecg": (_ecg_right, _ecg_wrong),
}


def right_answers(name: str, tmp: Path) -> list | None:
    """The right answers to ``name``, or None if it is not an exercise of lesson 04."""
    return _CASES[name][0](tmp) if name in _CASES else None


def wrong_answers(name: str, tmp: Path) -> list[tuple]:
    """(answer, words its feedback must contain) for ``name``, or None if not of lesson 04."""
    return _CASES[name][1](tmp) if name in _CASES else None
