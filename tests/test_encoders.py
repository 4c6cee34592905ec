"""Compressing the course CT: every syntax pydicom writes, the loss recorded, what to install.

Issue 15 (lesson 04): ``bootcamp_utils.compress`` returns a compressed copy, sets Lossy Image
Compression (0028,2110), its ratio (0028,2112) and method (0028,2114) exactly when the result
is lossy (pydicom sets none of them), keeps the SOP Instance UID of a lossless copy, and names
the package to install when an encoder is missing (pydicom: "all of its plugins are missing
dependencies"). Every file written passes dciodvfy.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.encaps import generate_frames
from pydicom.pixels import get_encoder
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from bootcamp_utils import (
    DataError,
    EncoderError,
    compress,
    encoder_status,
    read_example,
    sample_path,
)

from .conftest import dciodvfy_errors, inflated, require_tool

#: id -> (transfer syntax, options, largest pixel error allowed or None (must be > 0), lossy)
CASES = {
    "rle": (RLELossless, {}, 0, False),
    "jpeg-ls": (JPEGLSLossless, {}, 0, False),
    "jpeg-ls-near-3": (JPEGLSNearLossless, {"jls_error": 3}, 3, True),
    "jpeg-ls-near-0": (JPEGLSNearLossless, {}, 0, False),  # NEAR=0: lossless (PS3.5 A.4.3)
    "j2k-lossless": (JPEG2000Lossless, {}, 0, False),
    "j2k-cr-20": (JPEG2000, {"j2k_cr": [20]}, None, True),
    "j2k-psnr-60": (JPEG2000, {"j2k_psnr": [60]}, None, True),
    "deflate": (DeflatedExplicitVRLittleEndian, {}, 0, False),
}
LOSSY = ("LossyImageCompression", "LossyImageCompressionRatio", "LossyImageCompressionMethod")


@pytest.fixture(scope="module")
def ct_path() -> Path:
    """The course's head CT slice (12 bits stored in 16, unsigned, 256 x 256)."""
    return sample_path("head_ct") / "CT0023.dcm"


def _written(ds: pydicom.Dataset, path: Path) -> pydicom.Dataset:
    ds.save_as(path)
    return pydicom.dcmread(path)


@pytest.mark.parametrize("case", CASES)
def test_each_syntax_round_trips_and_leaves_the_input_alone(case, ct_path, tmp_path):
    syntax, options, bound, lossy = CASES[case]
    ds = pydicom.dcmread(ct_path)
    before = copy.deepcopy(ds)
    out = compress(ds, syntax, **options)
    assert ds == before and ds.file_meta == before.file_meta  # the input is not changed
    assert "LossyImageCompression" not in ds
    back = _written(out, tmp_path / "ct.dcm")
    assert back.file_meta.TransferSyntaxUID == syntax
    error = np.abs(back.pixel_array.astype(np.int64) - ds.pixel_array).max()
    if bound is None:
        assert error > 0
    else:
        assert error <= bound
    assert all((k in back) is lossy for k in LOSSY), case
    # a lossy copy is a new image (PS3.3 C.7.6.1.1.5); a lossless one is the same image
    assert (back.SOPInstanceUID != ds.SOPInstanceUID) is lossy
    assert back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID
    assert (back.ImageType[0] == "DERIVED") is lossy


@pytest.mark.parametrize(
    ("syntax", "method"), [(JPEGLSNearLossless, "ISO_14495_1"), (JPEG2000, "ISO_15444_1")]
)
def test_lossy_attributes_name_the_method_and_the_ratio(syntax, method, ct_path, tmp_path):
    ds = pydicom.dcmread(ct_path)
    options = {"jls_error": 2} if syntax == JPEGLSNearLossless else {"j2k_cr": [10]}
    back = _written(compress(ds, syntax, **options), tmp_path / "lossy.dcm")
    assert back.LossyImageCompression == "01"
    assert back.LossyImageCompressionMethod == method
    # uncompressed size (256 x 256 x 2 bytes) / the codestream's size, 2 decimals
    codestream = b"".join(generate_frames(back.PixelData, number_of_frames=1))
    assert back.LossyImageCompressionRatio == round(256 * 256 * 2 / len(codestream), 2)
    file_size = (tmp_path / "lossy.dcm").stat().st_size
    assert 2 < 256 * 256 * 2 / file_size < back.LossyImageCompressionRatio  # header excluded
    assert f"ratio {back.LossyImageCompressionRatio}:1" in back.DerivationDescription


def test_pydicom_alone_records_no_loss(ct_path):
    """What the lesson shows: Dataset.compress leaves the lossy attributes out."""
    ds = pydicom.dcmread(ct_path)
    ds.compress(JPEG2000, j2k_cr=[10])
    assert not any(k in ds for k in LOSSY) and ds.ImageType[0] == "ORIGINAL"


def test_an_image_compressed_lossy_before_keeps_its_history(ct_path):
    ds = pydicom.dcmread(ct_path)
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = 5
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    ds.DerivationDescription = "JPEG baseline, then decompressed"
    out = compress(ds, JPEGLSNearLossless, jls_error=1)
    assert out.LossyImageCompressionMethod == ["ISO_10918_1", "ISO_14495_1"]
    assert out.LossyImageCompressionRatio[0] == 5 and len(out.LossyImageCompressionRatio) == 2
    assert out.DerivationDescription.startswith("JPEG baseline, then decompressed; Lossy")
    out.decompress()  # in place (pydicom 3.0 returns None)
    again = compress(out, JPEG2000, j2k_psnr=[50])  # two lossy steps after the first
    assert again.LossyImageCompressionMethod == ["ISO_10918_1", "ISO_14495_1", "ISO_15444_1"]
    assert len(again.LossyImageCompressionRatio) == 3


def test_a_lossless_copy_of_a_lossy_image_stays_lossy(ct_path):
    """Once "01", never reset: a lossless compression leaves the history as it is."""
    ds = pydicom.dcmread(ct_path)
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = 5
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    out = compress(ds, JPEGLSLossless)
    assert (out.LossyImageCompression, out.LossyImageCompressionRatio) == ("01", 5)


def test_deflate_is_done_on_save(ct_path, tmp_path):
    ds = pydicom.dcmread(ct_path)
    out = compress(ds, DeflatedExplicitVRLittleEndian)
    assert out.PixelData == ds.PixelData  # nothing happens until the file is written
    out.save_as(tmp_path / "deflated.dcm")
    ds.save_as(tmp_path / "plain.dcm")
    deflated, plain = (tmp_path / "deflated.dcm").stat().st_size, (tmp_path / "plain.dcm").stat()
    assert deflated < 0.6 * plain.st_size  # the head CT deflates to about 45 %
    assert np.array_equal(inflated(tmp_path / "deflated.dcm").pixel_array, ds.pixel_array)


@pytest.mark.external
@pytest.mark.parametrize("case", CASES)
def test_every_written_file_passes_dciodvfy(case, ct_path, tmp_path):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    syntax, options, _, _ = CASES[case]
    path = tmp_path / "ct.dcm"
    compress(pydicom.dcmread(ct_path), syntax, **options).save_as(path)
    assert dciodvfy_errors(dciodvfy, path) == []  # a deflated file: checked once inflated


# --- an encoder missing ----------------------------------------------------------------------


def _only(monkeypatch, syntax, plugins: tuple[str, ...] = ()) -> None:
    """Leave ``plugins`` the only available encoders of ``syntax`` (no uninstalling)."""
    encoder = get_encoder(syntax)
    kept = {k: v for k, v in encoder._available.items() if k in plugins}
    monkeypatch.setattr(encoder, "_available", kept)


@pytest.mark.parametrize(
    ("syntax", "line"),
    [
        (JPEGLSLossless, 'pip install "pyjpegls>=1.3"'),
        (JPEGLSNearLossless, 'pip install "pyjpegls>=1.3"'),
        (JPEG2000Lossless, 'pip install "pylibjpeg>=2.0" "pylibjpeg-openjpeg>=2.2"'),
        (JPEG2000, 'pip install "pylibjpeg>=2.0" "pylibjpeg-openjpeg>=2.2"'),
    ],
)
def test_missing_encoder_names_the_syntax_and_the_pip_line(monkeypatch, syntax, line):
    ds = read_example("ct")
    _only(monkeypatch, syntax)
    with pytest.raises(RuntimeError, match="all of its plugins are missing dependencies"):
        copy.deepcopy(ds).compress(syntax, jls_error=2, j2k_cr=[10])  # pydicom's message
    status = encoder_status(syntax)
    assert not status.encodable and status.install == line
    with pytest.raises(EncoderError) as caught:
        compress(ds, syntax, j2k_cr=[10])
    message = str(caught.value)
    assert message.startswith(f"CT_small.dcm: cannot compress to {syntax.name} ({syntax}): no ")
    assert f"\n    {line}" in message and "restart the kernel" in message
    assert isinstance(caught.value, DataError) and isinstance(caught.value, ValueError)


def test_rle_needs_no_package(monkeypatch):
    """pydicom's own RLE encoder is enough: the course's plugins only make it faster."""
    _only(monkeypatch, RLELossless, ("pydicom",))
    status = encoder_status(RLELossless)
    assert status.encodable and status.install is None and "pylibjpeg" in status.missing
    ct = read_example("ct")
    assert np.array_equal(compress(ct, RLELossless).pixel_array, ct.pixel_array)


def test_a_syntax_pydicom_cannot_encode_says_which_it_can():
    assert encoder_status(JPEGBaseline8Bit).known is False
    with pytest.raises(EncoderError, match="JPEG Baseline.*pydicom has no encoder") as caught:
        compress(read_example("ct"), JPEGBaseline8Bit)
    assert "JPEG-LS Lossless Image Compression" in str(caught.value)
    assert "Deflated Explicit VR Little Endian" in str(caught.value)


def test_compressed_input_says_decompress_first():
    with pytest.raises(EncoderError, match=r"already compressed \(JPEG-LS.*ds.decompress\(\)"):
        compress(read_example("mr_jpeg_ls"), RLELossless)
