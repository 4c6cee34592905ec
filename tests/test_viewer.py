"""window_level_viewer: sources, orientation, widget state, static copy."""

from __future__ import annotations

import base64
import gzip
import json
import re

import nibabel as nib
import numpy as np
import pytest

from bootcamp_utils import load_series
from bootcamp_utils.data import _phantom, read_example
from bootcamp_utils.viewer import WindowLevelViewer, window_level_viewer


def _values(viewer: WindowLevelViewer) -> np.ndarray:
    """The volume the front end receives, back in real-world units."""
    meta = viewer._meta
    codes = np.frombuffer(viewer._volume, "<u2").reshape(meta["shape"])
    return codes * meta["scale"] + meta["offset"]


def _unpack(state: dict) -> np.ndarray:
    raw = gzip.decompress(base64.b64decode(state["_volume_b64"]))
    n = len(raw) // 2
    low, high = np.frombuffer(raw[:n], np.uint8), np.frombuffer(raw[n:], np.uint8)
    codes = low.astype(np.uint16) | (high.astype(np.uint16) << 8)
    return codes.reshape(state["_meta"]["shape"])


@pytest.fixture(scope="module")
def ct_viewer(samples_root):
    return window_level_viewer(samples_root / "head_ct")


def test_series_folder_uses_header_window_and_ct_presets(ct_viewer):
    assert (ct_viewer.center, ct_viewer.width) == (40.0, 80.0)  # first header window: BRAIN
    names = [p[0] for p in ct_viewer._meta["presets"]]
    assert names[:2] == ["header: BRAIN", "header: BONE"]
    assert {"lung", "subdural", "liver"} <= set(names)
    assert ct_viewer._meta["units"] == "HU"
    assert ct_viewer._meta["shape"] == [40, 256, 256]
    assert ct_viewer._meta["spacing"] == pytest.approx([4.0, 0.9375, 0.9375])
    assert ct_viewer.slice == 20 and ct_viewer.plane == "axial"


def test_preset_menu_lists_each_window_once_with_header_ones_labelled():
    """head_ct's header has BRAIN 40/80 and BONE 600/2800, the course's brain and bone too:
    each window is listed once, the header's labelled as such (issue 12, item 9)."""
    from pydicom import dcmread

    from bootcamp_utils import sample_path
    from bootcamp_utils.windowing import PRESETS, header_windows

    folder = sample_path("head_ct")
    header = dcmread(sorted(folder.glob("*.dcm"))[0], stop_before_pixels=True)
    windows = header_windows(header)
    assert [w[:2] for w in windows] == [(40.0, 80.0), (600.0, 2800.0)]  # the case at hand
    presets = window_level_viewer(folder)._meta["presets"]
    windows_listed = [tuple(p[1:3]) for p in presets]
    assert len(windows_listed) == len(set(windows_listed)), presets
    assert presets[:2] == [
        ["header: BRAIN", 40.0, 80.0, "LINEAR"],  # the header's function: C.11.2.1.3
        ["header: BONE", 600.0, 2800.0, "LINEAR"],
    ]
    assert not any(label.startswith("header") for label, *_ in presets[2:])
    course = {(c, w) for c, w in PRESETS.values()}
    assert set(windows_listed) == course | {(40.0, 80.0), (600.0, 2800.0)}  # none lost


def test_preset_menu_merges_a_course_preset_named_otherwise():
    from bootcamp_utils.viewer import _preset_menu

    menu = _preset_menu(
        [(40.0, 80.0, ""), (40.0, 80.0, "HEAD"), (500.0, 900.0, "WIDE")],
        "SIGMOID",
        {"brain": (40.0, 80.0), "lung": (-600.0, 1500.0)},
    )
    assert menu == [
        ("header: window 1 / HEAD / brain", 40.0, 80.0, "SIGMOID"),
        ("header: WIDE", 500.0, 900.0, "SIGMOID"),
        ("lung", -600.0, 1500.0, None),
    ]


def test_values_are_exact_hounsfield_units(ct_viewer, samples_root):
    assert ct_viewer._meta["scale"] == 1.0  # integer HU: no quantisation loss
    canonical = nib.as_closest_canonical(load_series(samples_root / "head_ct"))
    expected = np.asanyarray(canonical.dataobj)[::-1, ::-1, :].transpose(2, 1, 0)
    np.testing.assert_array_equal(_values(ct_viewer), expected)


def test_radiological_orientation(ct_viewer):
    """Patient's right on the screen's left, anterior at the top, superior slices last."""
    volume = _values(ct_viewer)
    spacing = ct_viewer._meta["spacing"]
    cx, cy, cz = _phantom.BLEED.center  # LPS: x < 0 is the patient's right
    k = round((cz - -50.0) / spacing[0])
    axial = volume[k]
    bleed = (axial > 55) & (axial < 85)
    rows, cols = np.nonzero(bleed)
    assert cols.mean() < axial.shape[1] / 2 - 20  # right side of the patient: screen left
    nose_slice = volume[round((-26 - -50.0) / spacing[0])]
    soft = np.nonzero(nose_slice[:, 120:136].max(axis=1) > -200)[0]
    assert soft.min() < 20  # the nose reaches the top rows: anterior is up
    assert ct_viewer._meta["labels"]["axial"] == ["R", "L", "A", "P"]


def test_static_copy_fits_the_budget_and_decodes(ct_viewer):
    state = ct_viewer.static_state()
    assert len(state["_volume_b64"]) <= 2_000_000
    codes = np.frombuffer(ct_viewer._volume, "<u2").reshape(ct_viewer._meta["shape"])
    step = ct_viewer._meta["shape"][0] // state["_meta"]["shape"][0]
    np.testing.assert_array_equal(_unpack(state), codes[::step])
    assert state["_meta"]["spacing"][0] == pytest.approx(4.0 * step)
    assert "one slice in" in state["_meta"]["title"] or step == 1


def test_small_budget_pools_pixels(ct_viewer):
    state = ct_viewer.static_state(limit=20_000)  # less than one full slice
    assert len(state["_volume_b64"]) <= 20_000
    shape = state["_meta"]["shape"]
    assert shape[1] < 256 and "pixels averaged" in state["_meta"]["title"]
    factor = 256 // shape[1]
    assert state["_meta"]["spacing"][1] == pytest.approx(0.9375 * factor)


def test_static_copy_follows_the_current_state(samples_root):
    viewer = window_level_viewer(samples_root / "head_ct")
    viewer.center, viewer.width, viewer.slice = 600.0, 2800.0, 31
    state = viewer.static_state()
    step = viewer._meta["shape"][0] // state["_meta"]["shape"][0]
    assert (state["center"], state["width"], state["slice"]) == (600.0, 2800.0, 31 // step)


def test_html_is_self_contained(ct_viewer):
    page = ct_viewer.to_html()
    assert len(page) < 2_100_000
    assert not re.search(r"(src|href)=|https?://|import\s*\(|from\s+['\"]", page)
    state = json.loads(re.search(r"staticModel\((\{.*\})\), el:", page, re.S)[1])
    assert state["_meta"]["title"].startswith("Head 4 mm brain")


def test_display_bundle_has_widget_view_and_html(ct_viewer):
    data, _ = ct_viewer._repr_mimebundle_()
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == ct_viewer.model_id
    assert data["text/html"].startswith('<div id="bcu-')


def test_dataset_and_file_sources():
    ds = read_example("ct")
    viewer = window_level_viewer(ds)
    assert viewer._meta["shape"] == [1, 128, 128] and viewer._meta["units"] == "HU"
    assert not viewer._meta["planes"]
    np.testing.assert_array_equal(
        _values(viewer)[0], ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    )
    from bootcamp_utils.data import example_path

    from_file = window_level_viewer(example_path("mr"))
    assert from_file._meta["shape"] == [1, 64, 64] and from_file._meta["units"] == ""


def test_monochrome1_is_inverted():
    ds = read_example("ct")
    ds.PhotometricInterpretation = "MONOCHROME1"
    assert window_level_viewer(ds)._meta["invert"] is True
    ds.PhotometricInterpretation = "MONOCHROME2"
    assert window_level_viewer(ds)._meta["invert"] is False


def test_nifti_and_array_sources():
    data = np.random.default_rng(0).normal(size=(20, 30, 10)).astype(np.float32)
    image = nib.Nifti1Image(data, np.diag([2.0, 3.0, 4.0, 1.0]))
    viewer = window_level_viewer(image)
    assert viewer._meta["shape"] == [10, 30, 20]  # (k, rows, columns)
    assert viewer._meta["spacing"] == [4.0, 3.0, 2.0]
    assert np.abs(_values(viewer) - data[::-1, ::-1, :].transpose(2, 1, 0)).max() < 1e-3
    flat = window_level_viewer(np.arange(12.0).reshape(3, 4), spacing=(0.5, 0.25))
    assert flat._meta["shape"] == [1, 3, 4] and flat._meta["spacing"] == [1.0, 0.5, 0.25]
    assert "spacing unknown" in window_level_viewer(np.zeros((2, 3, 4)))._meta["title"]


def test_python_sets_the_state():
    viewer = window_level_viewer(np.arange(100.0).reshape(10, 10), center=5, width=3)
    assert (viewer.center, viewer.width) == (5.0, 3.0)
    viewer.center = 50
    assert viewer.static_state()["center"] == 50.0


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((2, 2, 2, 2))])
def test_bad_arrays(bad):
    with pytest.raises(ValueError, match="expected"):
        window_level_viewer(bad)


def test_bad_spacing_and_path(tmp_path):
    with pytest.raises(ValueError, match="spacing"):
        window_level_viewer(np.zeros((2, 3, 4)), spacing=(1.0,))
    with pytest.raises(FileNotFoundError, match="nothing_here"):
        window_level_viewer(tmp_path / "nothing_here")


def test_folder_with_other_files_and_several_series(tmp_path, samples_root):
    import shutil

    from bootcamp_utils import MultipleSeriesError

    folder = tmp_path / "mixed"
    shutil.copytree(samples_root / "head_mr", folder / "mr")
    shutil.copytree(samples_root / "identified_study", folder / "study")
    (folder / "0README.txt").write_text("notes first in sorted order")
    with pytest.raises(MultipleSeriesError):
        window_level_viewer(folder)
    from bootcamp_utils import list_series

    mr_uid = next(s.uid for s in list_series(folder) if s.modality == "MR")
    viewer = window_level_viewer(folder, series_uid=mr_uid)
    # stored canonically (k = inferior -> superior), opened in the acquisition plane
    assert viewer._meta["shape"] == [256, 256, 36] and viewer._meta["units"] == ""
    assert (viewer.plane, viewer.slice) == ("sagittal", 18)
    assert viewer._meta["title"] == "SAG T1 SE 4mm"


def test_static_copy_drops_slices_along_the_acquisition_direction(samples_root):
    """A sagittal series keeps its sagittal images whole; slices go left-right."""
    viewer = window_level_viewer(samples_root / "head_mr")
    state = viewer.static_state()
    assert viewer._meta["acquired"] == "sagittal"
    assert state["_meta"]["shape"][:2] == [256, 256]  # every row and column of each image
    assert state["_meta"]["shape"][2] < 36 and len(state["_volume_b64"]) <= 2_000_000
    step = 36 // state["_meta"]["shape"][2]
    assert state["_meta"]["spacing"] == pytest.approx([1.0, 1.0, 4.0 * step])
    codes = np.frombuffer(viewer._volume, "<u2").reshape(viewer._meta["shape"])
    np.testing.assert_array_equal(_unpack(state), codes[:, :, ::step])


def test_oversized_volume_is_reduced_with_its_spacing(monkeypatch):
    from bootcamp_utils import viewer as module

    monkeypatch.setattr(module, "LIVE_LIMIT", 100_000)
    big = window_level_viewer(np.zeros((8, 512, 512)) + np.arange(512.0), spacing=(2, 0.5, 0.5))
    # averaged to 256 x 256 first, then slices dropped: 8 x 512 x 512 -> 1 x 256 x 256
    assert big._meta["shape"] == [1, 256, 256] and np.prod(big._meta["shape"]) <= 100_000
    assert big._meta["spacing"] == [16.0, 1.0, 1.0]  # the same field of view in mm


def test_nan_voxels_are_shown_as_minimum_and_named():
    data = np.arange(24.0).reshape(2, 3, 4)
    data[0, 0, :2] = np.nan
    viewer = window_level_viewer(data)
    assert "2 NaN/inf voxels" in viewer._meta["title"]
    assert np.isfinite(_values(viewer)).all() and _values(viewer).min() == 2.0
    with pytest.raises(ValueError, match="no finite value"):
        window_level_viewer(np.full((2, 2), np.nan))


# --- the opening window and the DICOM grey-scale pipeline -----------------------------------


def test_opening_window_rule_is_the_same_for_every_source(samples_root):
    """The header's window, else brain for CT, else the 1st-99th percentile: as documented."""
    ct = read_example("ct")
    assert "WindowCenter" not in ct  # pydicom's CT_small.dcm: a CT slice without a window
    viewer = window_level_viewer(ct)
    assert (viewer.center, viewer.width) == (40.0, 80.0)  # brain, not the percentile window
    mr = read_example("mr")
    for keyword in ("WindowCenter", "WindowWidth"):
        if keyword in mr:
            delattr(mr, keyword)
    values = mr.pixel_array.astype(float)
    lo, hi = np.percentile(values, [1, 99])
    viewer = window_level_viewer(mr)
    assert (viewer.center, viewer.width) == pytest.approx(((lo + hi) / 2, hi - lo))
    hu = np.full((4, 8, 8), -1000.0)
    hu[:, 2:6, 2:6] = 400.0
    assert (window_level_viewer(nib.Nifti1Image(hu, np.eye(4))).center,) == (40.0,)
    folder = window_level_viewer(samples_root / "head_mr")  # a folder: the header's window
    assert (folder.center, folder.width) == (500.0, 1000.0)
    assert [p[1:3] for p in folder._meta["presets"]] == [[500.0, 1000.0]]


def test_chest_radiograph_opens_inverted_on_its_voi_lut(samples_root):
    from pydicom import dcmread

    ds = dcmread(samples_root / "chest_dx" / "DX0001.dcm")
    viewer = window_level_viewer(ds)
    assert viewer._meta["invert"] is True and viewer.use_lut is True
    assert viewer.function == "SIGMOID"  # the header's VOI LUT Function, for its windows
    table = viewer._meta["voi_lut"]
    assert (table["first"], table["bits"], len(table["data"])) == (0, 16, 4096)
    assert (viewer.center, viewer.width) == (2100.0, 3400.0)
    assert viewer._meta["spacing"][1:] == [0.8, 0.8]  # Imager Pixel Spacing
    state = viewer.static_state()
    assert (state["function"], state["use_lut"]) == ("SIGMOID", True)
    chosen = window_level_viewer(ds, center=2000, width=1000, function="linear_exact")
    assert chosen.use_lut is False and chosen.function == "LINEAR_EXACT"
    with pytest.raises(ValueError, match="LINEAR, LINEAR_EXACT, SIGMOID"):
        window_level_viewer(ds, function="LOG")


def test_presentation_lut_shape_decides_inversion():
    ds = read_example("ct")
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.PresentationLUTShape = "IDENTITY"
    assert window_level_viewer(ds)._meta["invert"] is False
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PresentationLUTShape = "INVERSE"
    assert window_level_viewer(ds)._meta["invert"] is True


def test_slices_carry_instance_numbers_and_positions(ct_viewer, samples_root):
    """Issue 12, item 6: each slice of the acquired plane, in the viewer's order, knows its
    file's Instance Number and position, whatever order the files are numbered in."""
    from pydicom import dcmread

    headers = [dcmread(p, stop_before_pixels=True) for p in (samples_root / "head_ct").iterdir()]
    by_z = sorted(headers, key=lambda d: float(d.ImagePositionPatient[2]))  # feet -> head
    slices = ct_viewer._meta["slices"]
    assert slices["axis"] == "z"
    assert slices["instance"] == [int(d.InstanceNumber) for d in by_z]
    assert slices["position"] == [float(d.ImagePositionPatient[2]) for d in by_z]
    # the sagittal MR: slices are V's columns, patient's right (x most negative) first
    mr = window_level_viewer(samples_root / "head_mr")
    headers = [dcmread(p, stop_before_pixels=True) for p in (samples_root / "head_mr").iterdir()]
    by_x = sorted(headers, key=lambda d: float(d.ImagePositionPatient[0]))
    assert mr._meta["slices"]["axis"] == "x"
    assert mr._meta["slices"]["instance"] == [int(d.InstanceNumber) for d in by_x]
    assert mr._meta["slices"]["position"] == [float(d.ImagePositionPatient[0]) for d in by_x]
    from bootcamp_utils import real_world_values

    k = len(by_x) // 3  # that file's pixels are column k of the viewer's volume
    pixels = real_world_values(dcmread(by_x[k].filename))
    assert np.allclose(np.sort(_values(mr)[:, :, k], axis=None), np.sort(pixels, axis=None))


def test_static_copy_maps_each_slice_to_the_source(ct_viewer):
    """Index i of the static copy is slice i * stride of the source (the readout's number)."""
    meta = ct_viewer.static_state()["_meta"]
    assert [a["count"] for a in meta["axes"]] == [40, 256, 256]
    assert meta["axes"][0] == {"count": 40, "stride": 2, "span": 1}  # one slice in two
    pooled = ct_viewer.static_state(limit=20_000)["_meta"]["axes"]
    assert pooled[1]["span"] == pooled[1]["stride"] > 1  # pixels averaged in blocks
    assert ct_viewer._meta["axes"] == [{"count": n, "stride": 1, "span": 1} for n in (40, 256, 256)]


def test_oversized_volume_maps_indices_to_the_source(monkeypatch):
    from bootcamp_utils import viewer as module

    monkeypatch.setattr(module, "LIVE_LIMIT", 100_000)
    big = window_level_viewer(np.zeros((8, 512, 512)), spacing=(2, 0.5, 0.5))
    assert big._meta["axes"] == [
        {"count": 8, "stride": 8, "span": 1},  # slices dropped: 1 kept of 8
        {"count": 512, "stride": 2, "span": 2},  # 2 x 2 pixels averaged
        {"count": 512, "stride": 2, "span": 2},
    ]
    assert big._meta["slices"] is None  # an array has no Instance Numbers


def test_single_file_carries_its_instance_number(samples_root):
    from pydicom import dcmread

    path = next(iter(sorted((samples_root / "head_ct").iterdir())))
    viewer = window_level_viewer(path)
    ds = dcmread(path, stop_before_pixels=True)
    assert viewer._meta["slices"] == {
        "instance": [int(ds.InstanceNumber)],
        "position": [float(ds.ImagePositionPatient[2])],
        "axis": "z",
    }


def test_4d_image_is_named_with_how_to_view_one_volume(samples_root):
    """Before: only 'expected a 3-D image, got shape (64, 64, 10, 6)'."""
    image = load_series(samples_root / "head_perfusion")
    with pytest.raises(ValueError, match=r"4-D one of shape \(64, 64, 10, 6\)") as info:
        window_level_viewer(image)
    message = str(info.value)
    assert "6 volumes of 64 x 64 x 10 voxels" in message
    assert "one every 1.5 sec" in message
    assert "window_level_viewer(image.slicer[..., t])" in message
    assert "nibabel.four_to_three(image)" in message
    viewer = window_level_viewer(image.slicer[..., 2])  # the advice works
    assert viewer._meta["shape"] == [10, 64, 64]
    volumes = [_values(window_level_viewer(v)) for v in nib.four_to_three(image)]
    assert np.array_equal(_values(viewer), volumes[2])
    assert not np.array_equal(volumes[2], volumes[0])


def test_4d_series_folder_gives_the_code_that_views_one_volume(samples_root):
    folder = samples_root / "head_perfusion"
    with pytest.raises(ValueError, match="acquisition order") as info:
        window_level_viewer(folder)
    code = re.search(
        r"(window_level_viewer\(load_series\(.*?\)\.slicer\[\.\.\., t\]\))", str(info.value)
    )
    assert code, str(info.value)
    viewer = eval(  # noqa: S307 - the code the message gives, volume t = 0
        code.group(1),
        {"window_level_viewer": window_level_viewer, "load_series": load_series, "t": 0},
    )
    assert viewer._meta["shape"] == [10, 64, 64]


def test_5d_image_is_named():
    image = nib.Nifti1Image(np.zeros((4, 4, 4, 2, 3), np.float32), np.eye(4))
    with pytest.raises(ValueError, match=r"5-D one of shape \(4, 4, 4, 2, 3\).*slicer"):
        window_level_viewer(image)
