"""The speed-ups of load_series change nothing but time: the cycle collector is back as it was,
and numbers read from their text equal pydicom's conversion (explicit and implicit VR)."""

from __future__ import annotations

import gc

import pytest
from pydicom import dcmread
from pydicom.uid import ImplicitVRLittleEndian

from bootcamp_utils import load_series, sample_path
from bootcamp_utils.geometry import _as_read
from bootcamp_utils.series import SeriesError


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_is_restored_after_loading_and_after_an_error(tmp_path, enabled):
    (tmp_path / "empty.dcm").write_bytes(b"")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        load_series(sample_path("head_perfusion"))
        assert gc.isenabled() is enabled
        with pytest.raises(SeriesError):
            load_series(tmp_path)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


@pytest.mark.parametrize("syntax", ["explicit", "implicit"])
def test_numbers_from_text_equal_pydicom(tmp_path, syntax):
    path = sorted(sample_path("head_ct").iterdir())[0]
    if syntax == "implicit":  # every element's VR then comes from the dictionary
        ds = dcmread(path)
        path = tmp_path / "implicit.dcm"
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        ds.save_as(path)
    raw, converted = dcmread(path), dcmread(path)
    for keyword in ("PixelSpacing", "ImagePositionPatient", "RescaleIntercept", "InstanceNumber"):
        text = _as_read(raw, keyword)
        values = text if isinstance(text, list) else [text]
        expected = converted[keyword].value
        expected = list(expected) if converted[keyword].VM > 1 else [expected]
        assert [float(v) for v in values] == [float(v) for v in expected], keyword
    assert _as_read(raw, "Rows") == converted.Rows  # binary US: left to pydicom
