"""bootcamp_utils.deid.pixels.black_out and deidentify(burned_in_boxes=...) on the localizer
of the identified sample, whose name, MRN, birth date and hospital are burned into its
top-left corner (bootcamp_utils.data._samples._burn_in writes the text with value 4095; the
projection itself stays below 3100)."""

from __future__ import annotations

import copy
import subprocess
import warnings

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, JPEG2000Lossless

from bootcamp_utils.decoders import DamagedPixelDataError, HeaderError
from bootcamp_utils.deid import black_out, deidentify
from tests.conftest import require_tool

TEXT = 4095  # the value _burn_in gives the text pixels


@pytest.fixture(scope="module")
def scout_path(samples_root):
    return samples_root / "identified_study" / "SCOUT0001.dcm"


@pytest.fixture(scope="module")
def scout(scout_path):
    return pydicom.dcmread(scout_path)


@pytest.fixture(scope="module")
def box(scout):
    """The bounding box of the burned-in text, measured (half-open), with a 2-pixel margin."""
    rows, cols = np.nonzero(scout.pixel_array == TEXT)
    assert len(rows) > 100  # four lines of text
    assert rows.max() < 64 and cols.max() < 200  # the top-left corner
    return (rows.min() - 2, rows.max() + 3, cols.min() - 2, cols.max() + 3)


def test_black_out_the_localizer(scout, box):
    before = copy.deepcopy(scout)
    original = scout.pixel_array.copy()
    out = black_out(scout, [box])
    pixels = out.pixel_array
    r0, r1, c0, c1 = box
    assert pixels[r0:r1, c0:c1].max() == original.min() == pixels.min()
    outside = np.ones(original.shape, bool)
    outside[r0:r1, c0:c1] = False
    assert np.array_equal(pixels[outside], original[outside])
    assert not (pixels == TEXT).any()  # no text left anywhere
    assert out.BurnedInAnnotation == "NO"
    assert "DeidentificationMethodCodeSequence" not in out  # not de-identified: no codes
    # the input is unchanged
    assert scout.BurnedInAnnotation == "YES"
    assert scout.PixelData == before.PixelData and np.array_equal(scout.pixel_array, original)


def test_deidentify_with_the_box(scout, box):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no burned-in warning any more
        out = deidentify(scout, key="k", burned_in_boxes=[box])
    assert out.PatientIdentityRemoved == "YES"
    assert out.BurnedInAnnotation == "NO"
    codes = [
        (i.CodeValue, i.CodingSchemeDesignator) for i in out.DeidentificationMethodCodeSequence
    ]
    assert codes == [("113100", "DCM"), ("113101", "DCM")]
    assert out.DeidentificationMethodCodeSequence[1].CodeMeaning == "Clean Pixel Data Option"
    assert not (out.pixel_array == TEXT).any()
    assert scout.BurnedInAnnotation == "YES" and (scout.pixel_array == TEXT).any()
    # a function of the data set, as for a folder: boxes for the localizer only
    calls = []

    def boxes_for(ds):
        calls.append(ds.SOPInstanceUID)
        return [box] if "LOCALIZER" in ds.ImageType else None

    by_function = deidentify(scout, key="k", burned_in_boxes=boxes_for)
    assert calls == [scout.SOPInstanceUID]  # called with the original
    assert by_function.PixelData == out.PixelData
    assert by_function.PatientIdentityRemoved == "YES"


def test_black_out_adds_the_code_to_a_deidentified_file(scout, box):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        first = deidentify(scout, key="k")
    assert first.PatientIdentityRemoved == "NO"
    out = black_out(first, [box])
    values = [i.CodeValue for i in out.DeidentificationMethodCodeSequence]
    assert values == ["113100", "113101"]
    assert [i.CodeValue for i in first.DeidentificationMethodCodeSequence] == ["113100"]
    assert [i.CodeValue for i in black_out(out, [box]).DeidentificationMethodCodeSequence] == [
        "113100",
        "113101",
    ]  # not twice


@pytest.mark.external
def test_dciodvfy_on_the_blacked_out_localizer(scout_path, scout, box, tmp_path):
    tool = require_tool("dciodvfy", "dicom3tools")

    def errors(path):
        run = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
        return [line for line in (run.stdout + run.stderr).splitlines() if "Error" in line]

    assert errors(scout_path) == []
    black_out(scout, [box]).save_as(tmp_path / "black.dcm")
    deidentify(scout, burned_in_boxes=[box]).save_as(tmp_path / "deid.dcm")
    assert errors(tmp_path / "black.dcm") == []
    assert errors(tmp_path / "deid.dcm") == []


def _image(pixels, photometric, syntax=ExplicitVRLittleEndian, bits=None):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.set_pixel_data(pixels, photometric, bits or pixels.dtype.itemsize * 8)
    if syntax != ExplicitVRLittleEndian:  # re-encode the bytes for the other syntax
        ds.PixelData = pixels.astype(pixels.dtype.newbyteorder(">")).tobytes()
        ds.file_meta.TransferSyntaxUID = syntax
    return ds


def test_monochrome1_signed_big_endian_and_rgb():
    signed = np.array([[-100, 5, 7], [8, 9, 300]], dtype=np.int16)
    # MONOCHROME1 shows high values black: the box gets the highest value 12 signed bits
    # can hold, MONOCHROME2 the lowest (issue 23.11: not the image's own extremes)
    out = black_out(_image(signed, "MONOCHROME1", ExplicitVRBigEndian, 12), [(0, 1, 0, 2)])
    assert out.pixel_array.tolist() == [[2047, 2047, 7], [8, 9, 300]]
    out = black_out(_image(signed, "MONOCHROME2", ExplicitVRBigEndian, 12), [(1, 2, 1, 3)])
    assert out.pixel_array.tolist() == [[-100, 5, 7], [8, -2048, -2048]]
    rgb = np.full((2, 3, 3), 200, dtype=np.uint8)
    ds = _image(rgb, "RGB")
    out = black_out(ds, [(0, 2, 2, 3)])
    assert out.pixel_array[:, 2].tolist() == [[0, 0, 0], [0, 0, 0]]
    assert (out.pixel_array[:, :2] == 200).all()
    ds.PlanarConfiguration = 1  # colour by plane: the same pixels in the picture
    ds.PixelData = np.ascontiguousarray(rgb.transpose(2, 0, 1)).tobytes()
    assert np.array_equal(black_out(ds, [(0, 2, 2, 3)]).pixel_array, out.pixel_array)


def test_clear_errors():
    ds = _image(np.zeros((4, 4), np.uint16), "MONOCHROME2")
    with pytest.raises(ValueError, match="does not fit"):
        black_out(ds, [(0, 5, 0, 2)])
    with pytest.raises(ValueError, match="does not fit"):
        black_out(ds, [(2, 2, 0, 2)])  # empty
    with pytest.raises(TypeError, match=r"write \[\(0, 2, 0, 2\)\]"):
        black_out(ds, (0, 2, 0, 2))
    with pytest.raises(TypeError, match="four pixel indices"):
        black_out(ds, [(0, 2)])
    # compressed pixels are decoded first: bytes that are no JPEG 2000 stream cannot be
    compressed = copy.deepcopy(ds)
    compressed.file_meta.TransferSyntaxUID = JPEG2000Lossless
    with pytest.raises(DamagedPixelDataError, match="cannot be decoded"):
        black_out(compressed, [(0, 2, 0, 2)])
    palette = _image(np.zeros((2, 2), np.uint8), "PALETTE COLOR")
    with pytest.raises(ValueError, match="PALETTE COLOR is not supported"):
        black_out(palette, [(0, 1, 0, 1)])
    rct = _image(np.zeros((2, 2, 3), np.uint8), "RGB")
    rct.PhotometricInterpretation = "YBR_RCT"  # only a JPEG 2000 codec turns it into RGB
    with pytest.raises(ValueError, match="decodes this YBR_RCT image as YBR_RCT"):
        black_out(rct, [(0, 1, 0, 1)])
    no_bits = _image(np.zeros((4, 4), np.uint16), "MONOCHROME2")
    del no_bits.BitsAllocated
    with pytest.raises(HeaderError, match=r"Bits Allocated \(0028,0100\) is missing"):
        black_out(no_bits, [(0, 1, 0, 1)])
    no_syntax = _image(np.zeros((4, 4), np.uint16), "MONOCHROME2")
    del no_syntax.file_meta.TransferSyntaxUID
    with pytest.raises(HeaderError, match=r"no Transfer Syntax UID \(0002,0010\)"):
        black_out(no_syntax, [(0, 1, 0, 1)])
    del ds.PixelData
    with pytest.raises(ValueError, match="no Pixel Data"):
        black_out(ds, [(0, 1, 0, 1)])
