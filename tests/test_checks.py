"""Exercise self-checks: right answers pass, typical mistakes get specific feedback."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.pixels import apply_modality_lut

from bootcamp_utils.checks import EXERCISES, Feedback, check
from bootcamp_utils.data import example_path, read_example, sample_path


def _says(feedback: Feedback, *words: str) -> bool:
    text = f"{feedback.message} {feedback.hint}".lower()
    return not feedback.correct and all(w.lower() in text for w in words)


def test_formats():
    assert check("01-formats", {".dcm": "DICOM", ".nii": "NIfTI", ".hdr": "Analyze 7.5",
                                ".mnc": "MINC"})
    assert _says(check("01-formats", {".dcm": "DICOM", ".nii": "NIfTI", ".hdr": "MINC",
                                      ".mnc": "Analyze"}), ".hdr", ".mnc", "Montreal")


def test_pixel_bytes():
    ds = read_example("rgb_color")
    truth = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    assert truth == len(ds.PixelData) == 240 * 320 * 3
    assert check("01-pixel-bytes", truth)
    assert _says(check("01-pixel-bytes", 240 * 320), "samples per pixel")
    assert _says(check("01-pixel-bytes", truth * 8), "bits")


def test_preamble():
    assert check("01-preamble", example_path("ct").read_bytes()[128:132])
    assert _says(check("01-preamble", "DICM"), "str", "binary")
    assert _says(check("01-preamble", b"\x00\x00\x00\x00"), "zero bytes", "128")
    assert _says(check("01-preamble", example_path("ct").read_bytes()[:4]), "first 4 bytes")
    assert "TIFF" in check("01-preamble", b"DICM").message  # CT_small's preamble is a TIFF
    assert _says(check("01-preamble", b"DIC"), "3 bytes")


def test_tag_number():
    assert check("01-tag-number", 0x00100010)
    assert check("01-tag-number", np.uint32(1048592))
    assert _says(check("01-tag-number", (0x0010, 0x0010)), "one integer", "<< 16")
    assert _says(check("01-tag-number", 100010), "hexadecimal")
    assert _says(check("01-tag-number", "(0010,0010)"), "text")


def test_private_tags():
    assert check("01-private-tags", {0x00091001, 0x00291010, 0x00190010})
    assert check("01-private-tags", [(0x0009, 0x1001), (0x0029, 0x1010), (0x0019, 0x0010)])
    missing = check("01-private-tags", {0x00091001})
    assert _says(missing, "missing", "(0019,0010)", "odd group")
    assert _says(check("01-private-tags", {0x00091001, 0x00291010, 0x00190010, 0x7FE00010}),
                 "not private: (7FE0,0010)")


def test_vr():
    ds = read_example("ct")
    truth = {k: ds[k].VR for k in ("PatientName", "StudyDate", "PixelSpacing", "Rows",
                                   "SOPInstanceUID", "SliceThickness")}
    assert check("01-vr", truth)
    assert check("01-vr", {k: v.lower() for k, v in truth.items()})
    wrong = dict(truth, PixelSpacing="FD")
    assert _says(check("01-vr", wrong), "1 of 6", "PixelSpacing", "decimal string")


def test_series_uids():
    n = len(list(sample_path("head_ct").glob("*.dcm")))
    assert check("01-series-uids", (1, n))
    assert _says(check("01-series-uids", (n, n)), "series", "share one")
    assert _says(check("01-series-uids", (1, 1)), "instances", "own SOP Instance UID")


def test_transfer_syntax():
    assert check("01-transfer-syntax", (False, False))
    assert _says(check("01-transfer-syntax", (True, False)), "byte order")
    assert _says(check("01-transfer-syntax", (False, True)), "implicit/explicit")
    assert _says(check("01-transfer-syntax", (None, None)), "booleans")  # the starter
    assert _says(check("01-transfer-syntax", (0, 0)), "booleans")


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("starter", [..., None, (None, None), set(), {}, ()])
def test_notebook_starter_values_never_pass(name, starter):
    assert not check(name, starter)


def test_hounsfield():
    ds = dcmread(sample_path("head_ct") / "CT0008.dcm")
    stored = int(ds.pixel_array[44, 176])
    hu = float(apply_modality_lut(ds.pixel_array, ds)[44, 176])
    assert -130 < hu < -80  # orbital fat
    assert check("01-hounsfield", hu)
    assert _says(check("01-hounsfield", stored), "stored value")
    assert _says(check("01-hounsfield", (stored - 1024) % 65536), "overflow")
    assert _says(check("01-hounsfield", hu + 100), "[row, column]")


def test_window_edges():
    assert check("01-window-edges", (0.0, 79.0))
    assert _says(check("01-window-edges", (0, 80)), "approximation", "c - 0.5")
    assert _says(check("01-window-edges", (10, 20)), "not the edges")


def test_bleed_slice():
    from bootcamp_utils.data._phantom import BLEED

    z = {int(dcmread(p, stop_before_pixels=True).InstanceNumber):
         float(dcmread(p, stop_before_pixels=True).ImagePositionPatient[2])
         for p in sample_path("head_ct").glob("*.dcm")}
    nearest = min(z, key=lambda n: abs(z[n] - BLEED.center[2]))
    assert check("01-bleed-slice", nearest)
    assert _says(check("01-bleed-slice", 1), "no haemorrhage", "brain window")
    edge = min((n for n in z if 4.5 < abs(z[n] - BLEED.center[2]) < BLEED.semi_axes[2]),
               key=lambda n: abs(z[n] - BLEED.center[2]))
    assert _says(check("01-bleed-slice", edge), "edge of the bleed")
    assert _says(check("01-bleed-slice", 999), "no slice 999")


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("junk", [None, "x", [1, 2, 3], {}, np.array([1, 2]), 3.5, object()])
def test_junk_answers_get_feedback_not_a_traceback(name, junk):
    feedback = check(name, junk)
    assert isinstance(feedback, Feedback) and not feedback.correct and feedback.message


def test_feedback_renders_and_unknown_names_are_helpful():
    good, bad = check("01-tag-number", 0x00100010), check("01-tag-number", 1)
    assert "Correct" in good._repr_html_() and "Not yet" in bad._repr_html_()
    assert "Hint" in bad._repr_html_() and "Hint" in str(bad) and bool(good) is True
    with pytest.raises(ValueError, match="Did you mean '01-tag-number'"):
        check("01-tag-numbr", 1)
