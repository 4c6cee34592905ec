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


def _pydicom_window_01(values, ds, center, width, function="LINEAR"):
    """pydicom's windowing with VOI LUT Function ``function``, mapped from its output range
    to [0, 1]."""
    ds = copy.deepcopy(ds)  # apply_windowing rewrites RescaleSlope/Intercept in place
    ds.WindowCenter, ds.WindowWidth = center, width
    ds.VOILUTFunction = function
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
    np.testing.assert_array_equal(wl.real_world_values(ds), apply_modality_lut(ds.pixel_array, ds))


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
    np.testing.assert_allclose(
        wl.apply_window(values, center, width),
        _pydicom_window_01(values, ds, center, width),
        atol=1e-12,
    )


@pytest.mark.parametrize(("center", "width"), [(40, 80), (40, 1), (0, 2), (-600, 1500)])
def test_apply_window_at_the_boundaries(ct_slice, center, width):
    c, w = center - 0.5, width - 1
    edges = np.array(
        [
            c - w / 2,
            np.nextafter(c - w / 2, np.inf),
            c,
            c + w / 2,
            np.nextafter(c + w / 2, np.inf),
            -1e9,
            1e9,
        ]
    )
    ours = wl.apply_window(edges, center, width)
    np.testing.assert_allclose(ours, _pydicom_window_01(edges, ct_slice, center, width), atol=1e-12)
    assert ours[0] == 0.0 and ours[4] == 1.0  # <= lower edge is black, > upper edge white


def test_real_data_integer_inputs(ct_slice):
    hu = wl.real_world_values(ct_slice)
    for center, width in wl.PRESETS.values():
        np.testing.assert_allclose(
            wl.apply_window(hu, center, width),
            _pydicom_window_01(hu, ct_slice, center, width),
            atol=1e-12,
        )


def test_width_below_one_is_refused():
    with pytest.raises(ValueError, match=">= 1"):
        wl.apply_window(np.zeros(3), 0, 0.5)
    for function in ("LINEAR_EXACT", "SIGMOID"):
        assert wl.apply_window(np.zeros(3), 0, 0.5, function).shape == (3,)  # only w > 0
        with pytest.raises(ValueError, match="> 0"):
            wl.apply_window(np.zeros(3), 0, 0, function)
    with pytest.raises(ValueError, match="LINEAR, LINEAR_EXACT, SIGMOID"):
        wl.apply_window(np.zeros(3), 0, 10, "LOG")


def test_clip_is_linear_exact():
    x = np.linspace(-200, 300, 10001)
    for width in (0.5, 10, 80):
        np.testing.assert_array_equal(
            wl.apply_window_clip(x, 40, width), wl.apply_window(x, 40, width, "LINEAR_EXACT")
        )
    np.testing.assert_allclose(
        wl.apply_window(x, 40, 80, " linear_exact "), np.clip((x - 0.0) / 80, 0, 1), atol=1e-15
    )  # the textbook clip


@pytest.mark.parametrize(("center", "width"), [(40, 80), (40.3, 7.5), (-600, 1500), (0, 2)])
def test_linear_and_linear_exact_differ_by_at_most_one_over_width(center, width):
    """The module docstring's claim: black edges coincide, white edges one unit apart,
    largest output difference exactly 1/w, at x = c + w/2 - 1."""
    lo, hi = center - width / 2, center + width / 2
    x = np.concatenate([np.linspace(lo - 5, hi + 5, 200_001), [hi - 1]])
    linear, exact = (
        wl.apply_window(x, center, width),
        wl.apply_window(x, center, width, "LINEAR_EXACT"),
    )
    diff = linear - exact
    assert diff.min() >= -1e-12  # LINEAR is never darker
    assert diff.max() == pytest.approx(1 / width, rel=1e-9)
    assert x[np.argmax(diff)] == pytest.approx(hi - 1)
    for edge in (lo, np.nextafter(lo, np.inf)):  # the same black edge
        pair = (
            wl.apply_window([edge], center, width),
            wl.apply_window([edge], center, width, "LINEAR_EXACT"),
        )
        assert (pair[0][0] == 0) == (pair[1][0] == 0)
    assert wl.apply_window([np.nextafter(hi - 1, np.inf)], center, width)[0] == 1.0
    assert wl.apply_window([hi - 1], center, width, "LINEAR_EXACT")[0] < 1.0
    assert wl.apply_window([np.nextafter(hi, np.inf)], center, width, "LINEAR_EXACT")[0] == 1.0
    assert wl.apply_window([hi], center, width, "LINEAR_EXACT")[0] == 1.0  # (x-c)/w+0.5 = 1


# --- every VOI LUT Function against pydicom, signed and unsigned ------------------------------


def _edges(center, width, function):
    """Inputs at and next to every threshold of ``function``."""
    if function == "LINEAR":
        lo, hi = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    else:
        lo, hi = center - width / 2, center + width / 2
    points = [lo, hi, center, center - 0.5]
    near = [np.nextafter(p, d) for p in points for d in (-np.inf, np.inf)]
    return np.array(points + near + [-1e6, 1e6])


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize(("center", "width"), [(40, 80), (40, 1), (-600.5, 1500), (2, 3.25)])
def test_every_function_equals_pydicom(ct_slice, function, signed, center, width):
    """pydicom 3.0.2's apply_windowing implements LINEAR_EXACT (C.11.2.1.3.2) and SIGMOID
    (C.11.2.1.3.1) exactly as the standard writes them (read in pydicom/pixels/processing.py)."""
    ds = copy.deepcopy(ct_slice)
    if signed:
        ds.PixelRepresentation, ds.BitsStored = 1, 16
        del ds.RescaleSlope, ds.RescaleIntercept
    rng = np.random.default_rng(int(width * 100))
    x = np.concatenate([_edges(center, width, function), rng.uniform(-2000, 3000, 2000)])
    ours = wl.apply_window(x, center, width, function)
    np.testing.assert_allclose(
        ours, _pydicom_window_01(x, ds, center, width, function), atol=1e-12, rtol=0
    )
    assert ours.min() >= 0.0 and ours.max() <= 1.0


def test_sigmoid_is_the_standards_formula():
    x = np.array([-1e4, 0.0, 30.0, 40.0, 50.0, 1e4])
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-4 * (x - 40) / 20))  # PS3.3 Eq. C.11-1, output range 1
    np.testing.assert_allclose(wl.apply_window(x, 40, 20, "SIGMOID"), expected, rtol=1e-15)
    slope = (wl.apply_window([40 + 1e-6], 40, 20, "SIGMOID") - 0.5) / 1e-6
    assert slope[0] == pytest.approx(1 / 20, rel=1e-6)  # as steep as a linear ramp of width w


# --- VOI LUT Sequence -------------------------------------------------------------------------


def _lut_dataset(first, bits, data, *, signed=False, as_bytes=False, descriptor_vr="US"):
    from pydicom.dataelem import DataElement
    from pydicom.uid import ExplicitVRLittleEndian

    ds = Dataset()
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.set_original_encoding(False, True)
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored, ds.PixelRepresentation = 12 if not signed else 16, int(signed)
    item = Dataset()
    descriptor = [len(data) % 65536, first % 65536 if descriptor_vr == "US" else first, bits]
    item.add(DataElement(0x00283002, descriptor_vr, descriptor))
    if as_bytes:
        item.add(DataElement(0x00283006, "OW", np.asarray(data, "<u2").tobytes()))
    else:
        item.add(DataElement(0x00283006, "US", [int(v) for v in data]))
    ds.VOILUTSequence = [item]
    return ds


@pytest.mark.parametrize(
    ("first", "bits", "signed", "as_bytes"),
    [
        (0, 16, False, False),
        (100, 12, False, True),
        (0, 8, False, False),
        (-512, 16, True, False),
        (-512, 16, True, True),
    ],
)
def test_voi_lut_sequence_equals_pydicom(first, bits, signed, as_bytes):
    from pydicom.pixels import apply_voi

    rng = np.random.default_rng(bits)
    n = 256 if bits == 8 else 1024
    data = np.sort(rng.integers(0, 2**bits, n))
    ds = _lut_dataset(first, bits, data, signed=signed, as_bytes=as_bytes)
    x = np.arange(first - 50, first + n + 50)  # below, across and past the table
    x = np.concatenate([x, [first - 1, first, first + n - 1, first + n, -40000, 40000]])
    ours = wl.apply_voi_lut_sequence(x, ds)
    # pydicom reads the descriptor as it is declared: give it SS for a signed first value.
    theirs = _lut_dataset(
        first, bits, data, signed=signed, as_bytes=as_bytes, descriptor_vr="SS" if signed else "US"
    )
    expected = apply_voi(x.astype(np.int32), theirs) / (2**bits - 1)
    if bits == 8:
        # pydicom 3.0.2 deviates here: its table index has the entries' dtype (uint8), so
        # inputs 256 or more past the first value wrap around instead of taking the last
        # entry. Compare where it is right; the standard's rule is checked below.
        inside = x < first + 256
        np.testing.assert_array_equal(ours[inside], expected[inside])
    else:
        np.testing.assert_array_equal(ours, expected)
    # PS3.3 C.11.2.1.1: below the first value -> first entry, past the table -> last entry
    assert ours[x == first - 1][0] == data[0] / (2**bits - 1)
    assert ours[x == first + n][0] == ours[x == 40000][0] == data[-1] / (2**bits - 1)
    np.testing.assert_array_equal(ours[(x >= first) & (x < first + n)][:n] * (2**bits - 1), data)


def test_voi_lut_first_value_is_signed_only_when_the_input_can_be():
    data = np.arange(4) * 85
    unsigned = _lut_dataset(65024, 8, data)  # US 65024: a first value of 65024...
    assert wl.apply_voi_lut_sequence(np.array([65024, 65025]), unsigned).tolist() == [0, 1 / 3]
    signed = _lut_dataset(-512, 8, data, signed=True)  # ... or -512 as SS (same 16 bits)
    assert wl.apply_voi_lut_sequence(np.array([-512, -511]), signed).tolist() == [0, 1 / 3]
    ct = _lut_dataset(-512, 8, data)  # unsigned pixels, but the rescale gives negative HU
    ct.RescaleSlope, ct.RescaleIntercept = 1, -1024
    assert wl.apply_voi_lut_sequence(np.array([-512, -510]), ct).tolist() == [0, 2 / 3]


def test_voi_lut_sequence_errors():
    with pytest.raises(ValueError, match="no VOI LUT Sequence"):
        wl.apply_voi_lut_sequence(np.zeros(2), Dataset())
    short = _lut_dataset(0, 16, np.arange(10))
    short.VOILUTSequence[0].LUTDescriptor = [20, 0, 16]
    with pytest.raises(ValueError, match="20 entries"):
        wl.apply_voi_lut_sequence(np.zeros(2), short)


# --- display_values: precedence and presentation ----------------------------------------------


def test_display_values_precedence(ct_slice):
    ds = copy.deepcopy(ct_slice)
    hu = wl.real_world_values(ds)
    data = np.linspace(0, 65535, 4096).astype(int)[::-1]  # a decreasing table: inverts
    lut = _lut_dataset(-1024, 16, data).VOILUTSequence
    ds.VOILUTSequence = lut
    ds.VOILUTFunction = "SIGMOID"
    from_lut = wl.apply_voi_lut_sequence(hu, ds)
    np.testing.assert_array_equal(wl.display_values(ds), from_lut)  # 2. the table
    np.testing.assert_array_equal(
        wl.display_values(ds, 0, 100),  # 1. your window, header fn
        wl.apply_window(hu, 0, 100, "SIGMOID"),
    )
    np.testing.assert_array_equal(
        wl.display_values(ds, function="LINEAR"),  # 3. header window
        wl.apply_window(hu, 40, 80),
    )
    del ds.VOILUTSequence
    np.testing.assert_array_equal(wl.display_values(ds), wl.apply_window(hu, 40, 80, "SIGMOID"))
    with pytest.raises(ValueError, match="both center and width"):
        wl.display_values(ds, center=40)


def test_display_values_equal_pydicom_voi_lut(ct_slice):
    """display_values follows pydicom's apply_voi_lut (prefer_lut=True) for the VOI step."""
    from pydicom.pixels import apply_voi_lut

    ds = copy.deepcopy(ct_slice)
    ds.VOILUTFunction = "LINEAR_EXACT"
    hu = wl.real_world_values(ds)
    np.testing.assert_allclose(
        wl.display_values(ds), _pydicom_window_01(hu, ds, 40, 80, "LINEAR_EXACT"), atol=1e-12
    )
    data = (np.arange(4096) * 16).astype(int)
    ds.VOILUTSequence = _lut_dataset(-1024, 16, data).VOILUTSequence  # US 64512 in the file
    theirs = copy.deepcopy(ds)  # pydicom takes the declared VR literally: give it SS -1024
    theirs.VOILUTSequence = _lut_dataset(-1024, 16, data, descriptor_vr="SS").VOILUTSequence
    expected = apply_voi_lut(hu.astype(np.int32), theirs) / 65535
    np.testing.assert_array_equal(wl.display_values(ds), expected)


def test_presentation_lut_shape_decides_inversion():
    ds = Dataset()
    ds.WindowCenter, ds.WindowWidth = "50", "100"
    x = np.array([0.0, 25.0, 100.0])
    plain = wl.apply_window(x, 50, 100)
    cases = [
        ("MONOCHROME2", None, False),
        ("MONOCHROME1", None, True),
        ("MONOCHROME1", "INVERSE", True),
        ("MONOCHROME2", "IDENTITY", False),
        ("MONOCHROME2", "INVERSE", True),
        ("MONOCHROME1", "IDENTITY", False),
    ]
    for photometric, shape, inverted in cases:
        ds.PhotometricInterpretation = photometric
        if shape:
            ds.PresentationLUTShape = shape
        elif "PresentationLUTShape" in ds:
            del ds.PresentationLUTShape
        assert wl.display_inverted(ds) is inverted, (photometric, shape)
        # 1 - y, as the standard means it (pydicom's apply_presentation_lut computes
        # max(arr) - arr instead, which depends on the image's own maximum)
        np.testing.assert_array_equal(
            wl.display_values(ds, values=x), 1 - plain if inverted else plain
        )
    ds.PresentationLUTShape = "LIN OD"
    with pytest.raises(ValueError, match="IDENTITY or INVERSE"):
        wl.display_inverted(ds)


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
    assert set(wl.PRESETS) == {
        "brain",
        "subdural",
        "stroke",
        "bone",
        "lung",
        "mediastinum",
        "abdomen",
        "liver",
    }
    assert wl.PRESETS["brain"] == (40.0, 80.0) and wl.PRESETS["lung"] == (-600.0, 1500.0)


# --- enhanced images: the window lives in the functional groups (issue 24.8) ----------------


def _enhanced_ct():
    from pydicom.data import get_testdata_file

    path = get_testdata_file("eCT_Supplemental.dcm")  # pydicom-data's enhanced CT
    if path is None:
        pytest.skip("eCT_Supplemental.dcm is in pydicom-data, which is not installed")
    return dcmread(path)


def _pydicom_frame_01(ds, frame):
    """pydicom's apply_voi_lut on one frame, its window and rescale put at the top level
    (pydicom reads neither from the functional groups), mapped to [0, 1]."""
    from pydicom.pixels import apply_voi_lut

    one = Dataset()
    one.BitsStored, one.PixelRepresentation = ds.BitsStored, ds.PixelRepresentation
    one.PhotometricInterpretation = ds.PhotometricInterpretation
    for keyword in ("PixelValueTransformationSequence", "FrameVOILUTSequence"):
        for groups in (
            ds.get("PerFrameFunctionalGroupsSequence"),
            ds.SharedFunctionalGroupsSequence,
        ):
            if groups and keyword in groups[min(frame, len(groups) - 1)]:
                for element in groups[min(frame, len(groups) - 1)][keyword][0]:
                    one[element.tag] = element
                break
    hu = apply_modality_lut(ds.pixel_array[frame], one)
    y_min, y_max = 0, 2**ds.BitsStored - 1  # unsigned here
    slope, intercept = float(one.RescaleSlope), float(one.RescaleIntercept)
    y_min, y_max = y_min * slope + intercept, y_max * slope + intercept
    return hu, (apply_voi_lut(hu, one) - y_min) / (y_max - y_min)


def test_enhanced_ct_shows_the_shared_frame_voi_lut_window():
    ds = _enhanced_ct()
    assert "WindowCenter" not in ds and ds.PixelRepresentation == 0
    assert wl.header_windows(ds) == [(49.0, 102.0, "")]  # Shared Functional Groups
    shown = wl.display_values(ds)
    for frame in range(int(ds.NumberOfFrames)):
        hu, expected = _pydicom_frame_01(ds, frame)
        np.testing.assert_allclose(shown[frame], expected, atol=1e-12)
        np.testing.assert_allclose(shown[frame], wl.apply_window(hu, 49, 102), atol=1e-12)
    assert 0 < shown.mean() < 1 and (shown == 1).any()  # not the full range: clipped


def test_per_frame_windows_and_functions_each_frame_its_own():
    ds = _enhanced_ct()
    shared = ds.SharedFunctionalGroupsSequence[0]
    del shared.FrameVOILUTSequence
    for frame, (center, width, function) in enumerate([(49, 102, None), (300, 900, "SIGMOID")]):
        voi = Dataset()
        voi.WindowCenter, voi.WindowWidth = str(center), str(width)
        if function:
            voi.VOILUTFunction = function
        ds.PerFrameFunctionalGroupsSequence[frame].FrameVOILUTSequence = [voi]
    assert wl.header_windows(ds, frame=1) == [(300.0, 900.0, "")]
    assert (wl.voi_lut_function(ds), wl.voi_lut_function(ds, frame=1)) == ("LINEAR", "SIGMOID")
    shown = wl.display_values(ds)
    for frame in range(2):
        np.testing.assert_allclose(shown[frame], _pydicom_frame_01(ds, frame)[1], atol=1e-12)
    assert shown[1].min() > 0  # SIGMOID is never quite black: frame 1 used its own function


# --- damaged headers: our error, naming the file and the way out (issue 24.7) -----------------


def _corrupt(keyword, good, bad):
    """MR_small written with ``keyword = good``, whose bytes then say ``bad`` (same length)."""
    import io

    ds = read_example("mr")
    setattr(ds, keyword, good)
    buffer = io.BytesIO()
    ds.save_as(buffer)
    raw = buffer.getvalue()
    assert raw.count(good.encode()) == 1
    ds = dcmread(io.BytesIO(raw.replace(good.encode(), bad.encode())))
    ds.filename = "corrupt.dcm"
    return ds


def test_a_window_center_that_is_not_a_number():
    from bootcamp_utils.decoders import HeaderError

    ds = _corrupt("WindowCenter", "1234.5", "abcdef")
    with pytest.raises(HeaderError, match=r"^corrupt.dcm: WindowCenter \(0028,1050\) is 'abcdef'"):
        wl.display_values(ds)
    with pytest.raises(HeaderError, match=r"display_values\(ds, center, width\)"):
        wl.header_windows(ds)
    assert wl.display_values(ds, 600, 1200).shape == (64, 64)  # the way out works


def test_a_rescale_slope_that_is_not_a_number():
    from bootcamp_utils.decoders import HeaderError

    ds = _corrupt("RescaleSlope", "1.2345", "1,2345")
    with pytest.raises(HeaderError, match=r"corrupt.dcm: RescaleSlope \(0028,1053\) is '1,2345'"):
        wl.real_world_values(ds)


def test_a_number_of_frames_that_is_not_an_integer():
    from pydicom.data import get_testdata_file

    from bootcamp_utils.decoders import HeaderError

    ds = dcmread(get_testdata_file("badVR.dcm"))  # pydicom's: Number of Frames '1A'
    with pytest.raises(HeaderError, match=r"badVR.dcm: NumberOfFrames \(0028,0008\) is '1A'"):
        wl.real_world_values(ds)
    with pytest.raises(HeaderError, match="not an integer"):
        wl.display_values(ds, values=np.zeros((10, 10)))
