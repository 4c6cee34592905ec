"""black_out on files nobody here wrote: every pixel checked against the decoded original.

Issue 24.3: black_out used to paint the raw bytes in the byte order it assumed. On 8-bit
RGB in a big-endian file (pydicom's SC_rgb_small_odd_big_endian, Pixel Data OW: a stream of
16-bit words whose byte pairs pydicom swaps, PS3.5 2016b 7.3) it painted the wrong bytes: part
of the box stayed visible and pixels outside it changed. It now paints the decoded array
and encodes it again (uncompressed syntaxes keep theirs; compressed ones become Explicit VR
Little Endian).

Each file below stands for a kind (colour, Planar Configuration 1, big endian, 8/16/32 bits,
multi-frame, signed, MONOCHROME1, YBR, deflated, every compressed family). For each: inside
the boxes the fill value, outside the boxes exactly the decoded original, the same after
save and read back, and the transfer syntax the module docstring promises. The whole of
pydicom's test files and pydicom-data (141 files black_out accepts) passed the same check
when this was written; this list keeps the run short.
"""

from __future__ import annotations

import copy
import io
import warnings

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian

from bootcamp_utils.decoders import DamagedPixelDataError, HeaderError
from bootcamp_utils.deid import black_out

#: file -> what it stands for; "+" marks the files in pydicom-data (skipped without it)
FILES = {
    "SC_rgb_small_odd_big_endian.dcm": "8-bit RGB, big endian OW, odd length (the bug)",
    "SC_rgb_small_odd.dcm": "8-bit RGB, odd length, little endian",
    "ExplVR_BigEnd.dcm": "8-bit RGB, big endian, Planar Configuration 1",
    "MR_small_bigendian.dcm": "16-bit signed, big endian",
    "MR_small_implicit.dcm": "16-bit signed, implicit VR",
    "CT_small.dcm": "16-bit signed CT",
    "rtdose_expb.dcm": "32-bit, 15 frames, big endian",
    "rtdose_1frame.dcm": "32-bit, implicit VR",
    "image_dfl.dcm": "8-bit, Deflated Explicit VR Little Endian",
    "SC_ybr_full_422_uncompressed.dcm": "native YBR_FULL_422, written as RGB",
    "+SC_ybr_full_uncompressed.dcm": "native YBR_FULL, kept (Cb and Cr 128 in the boxes)",
    "MR_small_RLE.dcm": "RLE, 16-bit signed",
    "SC_rgb_rle_32bit_2frame.dcm": "RLE, 32-bit RGB, 2 frames",
    "MR_small_jpeg_ls_lossless.dcm": "JPEG-LS lossless",
    "JPEGLSNearLossless_16.dcm": "JPEG-LS near-lossless, 16-bit",
    "MR_small_jp2klossless.dcm": "JPEG 2000 lossless",
    "J2K_pixelrep_mismatch.dcm": "JPEG 2000 whose stream's sign disagrees with the header",
    "SC_rgb_dcmtk_+eb+cy+np.dcm": "JPEG baseline YBR_FULL_422, written as RGB",
    "SC_rgb_jpeg_dcmtk.dcm": "JPEG baseline YBR_FULL, written as RGB",
    "SC_rgb_jpeg_gdcm.dcm": "JPEG lossless RGB",
    "JPGExtended.dcm": "JPEG extended 12-bit",
    "+color-pl.dcm": "8-bit RGB, Planar Configuration 1, little endian",
    "+SC_rgb_expb_16bit_2frame.dcm": "16-bit RGB, 2 frames, big endian",
    "+RG1_UNCR.dcm": "MONOCHROME1",
    "+RG1_J2KI.dcm": "MONOCHROME1, JPEG 2000 lossy",
    "+emri_small_big_endian.dcm": "enhanced MR, 10 frames, big endian",
    "+US1_J2KR.dcm": "JPEG 2000 YBR_RCT, decoded to RGB",
    "+emri_small_jpeg_2k_lossless.dcm": "enhanced MR, 10 frames, JPEG 2000",
}


def _read(name: str) -> pydicom.Dataset:
    path = get_testdata_file(name.lstrip("+"))
    if path is None:
        pytest.skip(f"{name.lstrip('+')} is in pydicom-data, which is not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def _boxes(ds) -> list[tuple[int, int, int, int]]:
    """A box over the top-left third and the single bottom-right pixel."""
    rows, cols = int(ds.Rows), int(ds.Columns)
    return [(0, max(1, rows // 3), 0, max(1, cols // 2)), (rows - 1, rows, cols - 1, cols)]


def _keeps_colour_space(ds) -> bool:
    """Uncompressed YBR_FULL stays YCbCr; other YCbCr becomes RGB (the module docstring)."""
    photometric = str(ds.PhotometricInterpretation)
    if not photometric.startswith("YBR"):
        return True
    return photometric == "YBR_FULL" and not ds.file_meta.TransferSyntaxUID.is_compressed


def _fill(ds, stored: bool) -> list[int]:
    """The value per sample the module docstring promises (no inversion, no negative slope).

    Colour decoded to RGB: black, 0 0 0. YBR_FULL as stored: Y 0, Cb and Cr half full
    scale (PS3.3 C.7.6.3.1.2).
    """
    photometric = str(ds.PhotometricInterpretation)
    if ds.SamplesPerPixel == 3:
        if stored and photometric == "YBR_FULL":
            half = 1 << (int(ds.BitsStored) - 1)
            return [0, half, half]
        return [0, 0, 0]
    bits, signed = int(ds.BitsStored), ds.PixelRepresentation == 1
    low = -(1 << (bits - 1)) if signed else 0
    high = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    return [high if photometric == "MONOCHROME1" else low]


def _decoded(ds, stored: bool) -> np.ndarray:
    """pydicom's decoding of a copy: RGB (its default), or the samples as stored."""
    ds = copy.deepcopy(ds)
    ds.pixel_array_options(as_rgb=not stored)
    return ds.pixel_array


def _problems(ds, out, boxes, stored: bool) -> list[str]:
    """Every way the painted copy differs from what it must be (empty: right)."""
    before, after = _decoded(ds, stored), _decoded(out, stored)
    if before.shape != after.shape or before.dtype != after.dtype:
        return [f"shape/dtype {before.shape} {before.dtype} -> {after.shape} {after.dtype}"]
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    shape = (frames, int(ds.Rows), int(ds.Columns), -1)
    before, after = before.reshape(shape), after.reshape(shape)
    inside = np.zeros(shape[:3], bool)
    for r0, r1, c0, c1 in boxes:
        inside[:, r0:r1, c0:c1] = True
    problems = []
    wrong_inside = int(np.count_nonzero(after[inside] != _fill(ds, stored)))
    if wrong_inside:
        problems.append(f"{wrong_inside} values inside the boxes are not the fill")
    changed_outside = int(np.count_nonzero(after[~inside] != before[~inside]))
    if changed_outside:
        problems.append(f"{changed_outside} values outside the boxes changed")
    return problems


@pytest.mark.parametrize("name", sorted(FILES), ids=lambda n: n.lstrip("+"))
def test_black_out_paints_exactly_the_boxes(name):
    ds = _read(name)
    boxes = _boxes(ds)
    out = black_out(ds, boxes)
    # as a viewer shows it (YCbCr converted to RGB) and, where the colour space is kept,
    # as stored (no colour conversion)
    assert _problems(ds, out, boxes, stored=False) == [], FILES[name]
    if _keeps_colour_space(ds):
        assert _problems(ds, out, boxes, stored=True) == [], FILES[name]
    # written and read back: the same pixels (the encoding pydicom decodes is the one written)
    buffer = io.BytesIO()
    out.save_as(buffer)
    back = pydicom.dcmread(io.BytesIO(buffer.getvalue()))
    assert np.array_equal(back.pixel_array, out.pixel_array)
    syntax = ds.file_meta.TransferSyntaxUID
    expected = ExplicitVRLittleEndian if syntax.is_compressed else syntax
    assert back.file_meta.TransferSyntaxUID == expected
    photometric = str(ds.PhotometricInterpretation)
    kept = _keeps_colour_space(ds)
    assert back.PhotometricInterpretation == (photometric if kept else "RGB")


def test_the_big_endian_8_bit_rgb_of_the_issue():
    """The whole 3 x 3 picture, value by value: the first row black, the rest untouched."""
    ds = _read("SC_rgb_small_odd_big_endian.dcm")
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRBigEndian
    assert ds["PixelData"].VR == "OW" and ds.BitsAllocated == 8
    expected = ds.pixel_array.copy()
    expected[0] = 0
    out = black_out(ds, [(0, 1, 0, 3)])
    assert out.pixel_array.tolist() == expected.tolist()
    assert out.file_meta.TransferSyntaxUID == ExplicitVRBigEndian  # kept, as documented


def test_what_black_out_refuses_on_real_files():
    palette = _read("examples_palette.dcm")
    with pytest.raises(ValueError, match="^examples_palette.dcm: Photometric Interpretation PALE"):
        black_out(palette, [(0, 1, 0, 1)])
    seg = _read("liver_1frame.dcm")
    with pytest.raises(ValueError, match="^liver_1frame.dcm: Bits Allocated 1 is not supported"):
        black_out(seg, [(0, 1, 0, 1)])
    damaged = _read("JPEG2000-embedded-sequence-delimiter.dcm")
    with pytest.raises(DamagedPixelDataError, match="^JPEG2000-embedded-sequence-delimiter.dcm"):
        black_out(damaged, [(0, 1, 0, 1)])
    corrupt = _read("badVR.dcm")  # Number of Frames '1A'
    with pytest.raises(HeaderError, match=r"^badVR.dcm: NumberOfFrames \(0028,0008\) is '1A'"):
        black_out(corrupt, [(0, 1, 0, 1)])
