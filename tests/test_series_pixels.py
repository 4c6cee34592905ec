"""load_series values equal pydicom's decoding + modality LUT, whatever the pixel encoding.

load_series reads uncompressed little-endian pixels directly when pydicom's decoding would
not change them; these tests make sure that shortcut is never taken when it would.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.pixels import apply_modality_lut

from bootcamp_utils import SeriesError, load_series
from bootcamp_utils.data import example_path


def _expected(ds) -> np.ndarray:
    return apply_modality_lut(ds.pixel_array, ds).astype(np.float64)


def _loaded(folder) -> np.ndarray:
    image = load_series(folder)
    assert image.shape[2] == 1 and image.get_data_dtype() == np.float32
    return np.asarray(image.dataobj)[:, :, 0].T  # back to (rows, columns)


def _decodable(ds) -> bool:
    try:
        return ds.pixel_array.size > 0
    except Exception:
        return False


@pytest.mark.parametrize(
    "name", ["ct", "mr", "mr_implicit", "mr_big_endian", "mr_rle", "mr_jpeg_ls", "mr_jpeg2000"]
)
def test_real_files_in_every_transfer_syntax(name, tmp_path):
    shutil.copy(example_path(name), tmp_path / "slice")
    ds = dcmread(example_path(name))
    if not _decodable(ds):
        with pytest.raises(SeriesError, match="slice: the pixel data cannot be decoded"):
            load_series(tmp_path)
        pytest.skip(f"no decoder installed for {ds.file_meta.TransferSyntaxUID.name}")
    np.testing.assert_array_equal(_loaded(tmp_path), _expected(ds))


@pytest.fixture
def ct_slice(samples_root):
    return dcmread(samples_root / "head_ct" / "CT0020.dcm")


def _write(ds, folder, values: np.ndarray, **header) -> None:
    for keyword, value in header.items():
        setattr(ds, keyword, value)
    ds.PixelData = values.tobytes()
    ds.save_as(folder / "one.dcm")


def test_unsigned_with_garbage_above_bits_stored_is_masked(ct_slice, tmp_path):
    values = ct_slice.pixel_array.copy()
    values[:10, :10] |= 0x3000  # bits 12-13 set: not part of the 12 stored bits
    _write(ct_slice, tmp_path, values)
    reread = dcmread(tmp_path / "one.dcm")
    assert _expected(reread)[0, 0] < 4096 - 1024  # pydicom masks them
    np.testing.assert_array_equal(_loaded(tmp_path), _expected(reread))


@pytest.mark.parametrize("sign_extended", [True, False])
def test_signed_12_bit_in_16(ct_slice, tmp_path, sign_extended):
    hu = np.clip(ct_slice.pixel_array.astype(np.int16) - 1024, -2048, 2047)  # 12-bit signed
    raw = hu if sign_extended else (hu.view(np.uint16) & 0x0FFF).view(np.int16)
    _write(
        ct_slice,
        tmp_path,
        raw.astype("<i2"),
        PixelRepresentation=1,
        BitsStored=12,
        HighBit=11,
        RescaleIntercept="0",
        RescaleSlope="1",
    )
    reread = dcmread(tmp_path / "one.dcm")
    np.testing.assert_array_equal(_expected(reread), hu)  # pydicom sign-extends
    np.testing.assert_array_equal(_loaded(tmp_path), hu)


@pytest.mark.parametrize(("bits", "dtype"), [(8, "<u1"), (32, "<u4"), (32, "<i4"), (16, "<i2")])
def test_other_widths(ct_slice, tmp_path, bits, dtype):
    values = (ct_slice.pixel_array // (16 if bits == 8 else 1)).astype(dtype)
    if np.dtype(dtype).kind == "i":
        values = values - 1000
    _write(
        ct_slice,
        tmp_path,
        values,
        BitsAllocated=bits,
        BitsStored=bits,
        HighBit=bits - 1,
        PixelRepresentation=int(np.dtype(dtype).kind == "i"),
        RescaleSlope="0.5",
        RescaleIntercept="-7.25",
    )
    reread = dcmread(tmp_path / "one.dcm")
    np.testing.assert_array_equal(_loaded(tmp_path), _expected(reread))


def test_non_linear_modality_lut_sequence(ct_slice, tmp_path):
    """A Modality LUT Sequence replaces Rescale Slope/Intercept (PS3.3 C.11.1)."""
    from pydicom.dataset import Dataset

    item = Dataset()
    item.add_new(0x00283002, "US", [4096, 0, 16])  # LUT Descriptor: entries, first, bits
    item.ModalityLUTType = "HU"
    lut = (np.sqrt(np.arange(4096)) * 40).astype(np.uint16)  # deliberately non-linear
    item.add_new(0x00283006, "US", lut.tolist())  # LUT Data
    ct_slice.ModalityLUTSequence = [item]
    for keyword in ("RescaleSlope", "RescaleIntercept", "RescaleType"):
        delattr(ct_slice, keyword)
    _write(ct_slice, tmp_path, ct_slice.pixel_array)
    reread = dcmread(tmp_path / "one.dcm")
    np.testing.assert_array_equal(_expected(reread), lut[ct_slice.pixel_array])
    np.testing.assert_array_equal(_loaded(tmp_path), _expected(reread))
