"""Is a blacked-out box black under every window the course offers? (issue 23.11)

black_out fills MONOCHROME2 with the lowest value Bits Stored and Pixel Representation can
hold (MONOCHROME1 the highest). Under a LINEAR window a value shows black when it lies at or
below the lower edge ``c - w/2``. So the box is black under every window whose lower edge
is at or above the fill's real-world value, and no stored value can do better:

* a signed CT (pydicom's CT_small, -32768 - 1024 HU): black under every preset;
* the course's localizer (unsigned 12 bits, intercept 0): black under its own window, brain
  and stroke; under the presets whose lower edge is below 0 it is exactly as dark as the
  image's darkest possible value, and this file names those presets.

And on files nobody here wrote (pydicom's test files): pixels outside the boxes stay
identical, Smallest/Largest Image Pixel Value stay true, dciodvfy finds no new error.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

import bootcamp_utils as bc
from bootcamp_utils.deid import black_out
from bootcamp_utils.windowing import PRESETS
from tests.conftest import require_tool

#: The presets whose lower edge lies below 0, where an unsigned image with intercept 0 has
#: no stored value that shows black (measured below, not assumed).
NOT_BLACK_ON_THE_LOCALIZER = {"subdural", "bone", "lung", "mediastinum", "abdomen", "liver"}


def _windows(ds):
    windows = dict(PRESETS)
    if "WindowCenter" in ds:
        center, width = bc.header_windows(ds)[0][:2]
        windows["header"] = (center, width)
    return windows


@pytest.fixture(scope="module")
def scout(samples_root):
    return pydicom.dcmread(samples_root / "identified_study" / "SCOUT0001.dcm")


def test_the_localizer_box_under_every_course_window(scout):
    box = (0, 64, 0, 200)  # the corner where the text is burned in
    clean = black_out(scout, [box])
    fill_hu = float(bc.real_world_values(clean)[0, 0])
    assert fill_hu == 0.0  # 0 stored, intercept 0: the lowest real-world value possible
    not_black = set()
    for name, (center, width) in _windows(clean).items():
        shown = bc.display_values(clean, center, width)[0:64, 0:200]
        darkest = bc.display_values(clean, center, width, values=np.array([fill_hu]))[0]
        assert np.all(shown == darkest), name  # nothing stored can show darker
        if shown.max() == 0:
            assert center - width / 2 >= fill_hu, name
        else:
            assert center - width / 2 < fill_hu, name
            not_black.add(name)
    assert not_black == NOT_BLACK_ON_THE_LOCALIZER
    lung = bc.display_values(clean, *PRESETS["lung"])[0, 0]
    assert lung == pytest.approx(0.9, abs=0.01)  # the figure the module docstring gives


def test_a_signed_ct_box_is_black_under_every_preset():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    assert ds.PixelRepresentation == 1
    clean = black_out(ds, [(10, 40, 20, 60)])
    assert clean.pixel_array[10:40, 20:60].min() == -32768
    for name, (center, width) in _windows(clean).items():
        for function in ("LINEAR", "LINEAR_EXACT"):
            shown = bc.display_values(clean, center, width, function=function)
            assert shown[10:40, 20:60].max() == 0, (name, function)
    # the image's own darkest pixel was not black under lung: the old fill was not enough
    old = ds.pixel_array.min() * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    center, width = PRESETS["lung"]
    assert old > center - width / 2


def test_the_darkest_end_follows_the_presentation():
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds.PresentationLUTShape = "INVERSE"  # MONOCHROME2 shown inverted: high values are dark
    assert black_out(ds, [(0, 2, 0, 2)]).pixel_array[0, 0] == 32767
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds.RescaleSlope, ds.RescaleIntercept = -1, 0
    assert black_out(ds, [(0, 2, 0, 2)]).pixel_array[0, 0] == 32767


def _errors(tool, path):
    run = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=120)
    return [line for line in (run.stdout + run.stderr).splitlines() if "Error" in line]


FILES = ["CT_small.dcm", "MR_small.dcm", "MR_small_bigendian.dcm", "RG1_UNCR.dcm",
         "SC_rgb.dcm", "SC_rgb_16bit.dcm", "US1_UNCR.dcm", "emri_small.dcm"]  # fmt: skip


@pytest.mark.parametrize("name", FILES)
def test_files_nobody_here_wrote(name, tmp_path):
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pydicom-data)")
    ds = pydicom.dcmread(path)
    boxes = [(0, 8, 0, 16), (ds.Rows - 5, ds.Rows, ds.Columns - 9, ds.Columns)]
    clean = black_out(ds, boxes)
    before, after = ds.pixel_array, clean.pixel_array
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    mask = np.ones((frames, ds.Rows, ds.Columns), bool)  # True outside the boxes
    for r0, r1, c0, c1 in boxes:
        mask[:, r0:r1, c0:c1] = False
    outside = mask if frames > 1 else mask[0]  # the shape of pixel_array without samples
    assert np.array_equal(before[outside], after[outside])
    inside = after[~outside]
    if ds.PhotometricInterpretation == "RGB":
        assert (inside == 0).all()
    else:
        signed, bits = ds.PixelRepresentation == 1, int(ds.BitsStored)
        low = -(1 << (bits - 1)) if signed else 0
        high = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
        end = high if ds.PhotometricInterpretation == "MONOCHROME1" else low
        assert (inside == end).all()
        # Smallest/Largest Image Pixel Value stay true bounds of the new pixels
        if "SmallestImagePixelValue" in clean:
            assert clean.SmallestImagePixelValue <= after.min()
        if "LargestImagePixelValue" in clean:
            assert clean.LargestImagePixelValue >= after.max()
    tool = require_tool("dciodvfy", "dicom3tools")
    clean.save_as(tmp_path / "clean.dcm")
    assert len(_errors(tool, tmp_path / "clean.dcm")) <= len(_errors(tool, path))
