"""Display functions against pydicom's own modality LUT and windowing."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut, apply_windowing

from bootcamp_utils import windowing as wl
from bootcamp_utils.data import read_example


def _pydicom_window_01(values, ds, center, width):
    """pydicom's LINEAR windowing, mapped from its output range to [0, 1]."""
    ds = copy.deepcopy(ds)  # apply_windowing rewrites RescaleSlope/Intercept in place
    ds.WindowCenter, ds.WindowWidth = center, width
    ds.VOILUTFunction = "LINEAR"
    if ds.PixelRepresentation == 0:
        y_min, y_max = 0, 2**ds.BitsStored - 1
    else:
        y_min, y_max = -(2 ** (ds.BitsStored - 1)), 2 ** (ds.BitsStored - 1) - 1
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        y_min, y_max = y_min * slope + intercept, y_max * slope + intercept
    out = apply_windowing(np.asarray(values, dtype=np.float64), ds)
    return (out - y_min) / (y_max - y_min)


@pytest.fixture(scope="module")
def ct_slice(tmp_path_factory):
    from bootcamp_utils.data import write_samples

    root = write_samples(tmp_path_factory.mktemp("wl"))
    return dcmread(root / "head_ct" / "CT0020.dcm")


@pytest.mark.parametrize("name", ["ct", "mr", "overlay", "rt_dose"])
def test_real_world_values_equal_pydicom_modality_lut(name):
    ds = read_example(name)
    if int(ds.get("NumberOfFrames", 1)) > 1:
        ds.NumberOfFrames = 1  # rt_dose: top-level Dose Grid Scaling is not a rescale
        ds.PixelData = ds.PixelData[: ds.Rows * ds.Columns * ds.BitsAllocated // 8]
    np.testing.assert_array_equal(wl.real_world_values(ds),
                                  apply_modality_lut(ds.pixel_array, ds))


def test_real_world_values_of_generated_ct_are_hu(ct_slice):
    hu = wl.real_world_values(ct_slice)
    assert hu.dtype == np.float64
    np.testing.assert_array_equal(hu, apply_modality_lut(ct_slice.pixel_array, ct_slice))
    assert hu.min() >= -1024 and 20 < np.median(hu[100:150, 100:150]) < 60


def test_no_integer_overflow():
    ds = Dataset()
    ds.RescaleSlope, ds.RescaleIntercept = 3, -1024
    stored = np.array([[40000, 65535]], dtype=np.uint16)  # * 3 overflows uint16
    np.testing.assert_array_equal(wl.real_world_values(ds, stored), [[118976, 195581]])


def test_per_frame_rescale_in_enhanced_multiframe():
    ds = Dataset()
    ds.NumberOfFrames = 3
    frames = []
    for slope, intercept in [(1.0, -1024.0), (0.5, 0.0), (2.0, 10.0)]:
        transform = Dataset()
        transform.RescaleSlope, transform.RescaleIntercept = slope, intercept
        transform.RescaleType = "US"
        item = Dataset()
        item.PixelValueTransformationSequence = [transform]
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = frames
    stored = np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5) * 100
    out = wl.real_world_values(ds, stored)
    for k, item in enumerate(frames):
        one = Dataset()
        t = item.PixelValueTransformationSequence[0]
        one.RescaleSlope, one.RescaleIntercept = t.RescaleSlope, t.RescaleIntercept
        np.testing.assert_array_equal(out[k], apply_modality_lut(stored[k], one))


@pytest.mark.parametrize("seed", range(6))
def test_apply_window_equals_pydicom_on_random_input(ct_slice, seed):
    rng = np.random.default_rng(seed)
    ds = copy.deepcopy(ct_slice)
    if seed % 2:  # signed data, other bit depths
        ds.PixelRepresentation, ds.BitsStored = 1, 16
    values = rng.uniform(-2000, 3000, size=5000)
    center, width = rng.uniform(-500, 500), rng.choice([1, 2, 3, rng.uniform(1, 3000)])
    np.testing.assert_allclose(wl.apply_window(values, center, width),
                               _pydicom_window_01(values, ds, center, width), atol=1e-12)


@pytest.mark.parametrize(("center", "width"), [(40, 80), (40, 1), (0, 2), (-600, 1500)])
def test_apply_window_at_the_boundaries(ct_slice, center, width):
    c, w = center - 0.5, width - 1
    edges = np.array([c - w / 2, np.nextafter(c - w / 2, np.inf), c, c + w / 2,
                      np.nextafter(c + w / 2, np.inf), -1e9, 1e9])
    ours = wl.apply_window(edges, center, width)
    np.testing.assert_allclose(ours, _pydicom_window_01(edges, ct_slice, center, width),
                               atol=1e-12)
    assert ours[0] == 0.0 and ours[4] == 1.0  # <= lower edge is black, > upper edge white


def test_real_data_integer_inputs(ct_slice):
    hu = wl.real_world_values(ct_slice)
    for center, width in wl.PRESETS.values():
        np.testing.assert_allclose(wl.apply_window(hu, center, width),
                                   _pydicom_window_01(hu, ct_slice, center, width), atol=1e-12)


def test_width_below_one_is_refused():
    with pytest.raises(ValueError, match=">= 1"):
        wl.apply_window(np.zeros(3), 0, 0.5)


def test_clip_is_a_close_approximation():
    x = np.linspace(-200, 300, 10001)
    for width in (10, 80, 400, 2000):
        diff = np.abs(wl.apply_window_clip(x, 40, width) - wl.apply_window(x, 40, width))
        assert 0 < diff.max() <= 1.0 / (width - 1)


def test_header_windows_single_and_multi_valued(ct_slice):
    assert wl.header_windows(ct_slice) == [(40.0, 80.0, "BRAIN"), (600.0, 2800.0, "BONE")]
    mr = read_example("mr")
    assert wl.header_windows(Dataset()) == []
    single = Dataset()
    single.WindowCenter, single.WindowWidth = "500", "1000"
    assert wl.header_windows(single) == [(500.0, 1000.0, "")]
    assert isinstance(wl.header_windows(mr), list)


def test_display_values_defaults_and_monochrome1(ct_slice):
    shown = wl.display_values(ct_slice)  # first header window: brain 40/80
    np.testing.assert_array_equal(shown, wl.apply_window(wl.real_world_values(ct_slice), 40, 80))
    inverted = copy.deepcopy(ct_slice)
    inverted.PhotometricInterpretation = "MONOCHROME1"
    np.testing.assert_array_equal(wl.display_values(inverted), 1.0 - shown)
    bare = copy.deepcopy(ct_slice)
    del bare.WindowCenter, bare.WindowWidth
    full = wl.display_values(bare)
    assert full.min() == 0.0 and full.max() == 1.0  # whole range when no window is given


def test_presets_are_the_usual_ct_windows():
    assert set(wl.PRESETS) == {"brain", "subdural", "stroke", "bone", "lung", "mediastinum",
                               "abdomen", "liver"}
    assert wl.PRESETS["brain"] == (40.0, 80.0) and wl.PRESETS["lung"] == (-600.0, 1500.0)
