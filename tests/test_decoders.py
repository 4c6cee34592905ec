"""Compressed pixel data decodes with the declared decoders; a missing one says what to install.

Issue 17 (3): JPEG Lossless and JPEG-LS files decoded only because python-gdcm came with
dicom2nifti. The course now declares pydicom's plugins (requirements.txt); these tests decode
every compressed file pydicom ships with them and compare with a reference: the uncompressed
twin where pydicom ships one, the test pattern pydicom's own tests expect (ten colour bands),
pydicom's spot values, and an independent decoder (GDCM, Pillow, pydicom's RLE).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import get_decoder
from pydicom.uid import (
    UID,
    AllTransferSyntaxes,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLSLossless,
    JPEGLSNearLossless,
)

from bootcamp_utils import DataError, DecoderError, decoder_status, pixel_array
from bootcamp_utils.decoders import DamagedPixelDataError, HeaderError

FILES = Path(pydicom.__file__).parent / "data" / "test_files"

#: Damaged on purpose (pydicom's test_files/README.txt); no decoder reads them.
BROKEN = {
    "JPEG-lossy.dcm": "invalid scan stop value (JPGExtended.dcm is the fixed copy)",
    "JPEG2000-embedded-sequence-delimiter.dcm": "4 bytes of the codestream overwritten",
}
#: Lossless copies of an uncompressed file that pydicom ships too.
TWINS = {
    "MR_small_RLE.dcm": "MR_small.dcm",
    "MR_small_jpeg_ls_lossless.dcm": "MR_small.dcm",
    "MR_small_jp2klossless.dcm": "MR_small.dcm",
    "rtdose_rle.dcm": "rtdose.dcm",
    "rtdose_rle_1frame.dcm": "rtdose_1frame.dcm",
}
#: pydicom's 100 x 100 RGB test image: ten bands of ten rows (8-bit values; the second frame
#: of the 2-frame files is the first inverted); pydicom's tests read row 5, 15... column 50.
BANDS = np.array(
    [
        (255, 0, 0),
        (255, 128, 128),
        (0, 255, 0),
        (128, 255, 128),
        (0, 0, 255),
        (128, 128, 255),
        (0, 0, 0),
        (64, 64, 64),
        (192, 192, 192),
        (255, 255, 255),
    ]
)
#: The bands' files and the largest error allowed (0: lossless; JPEG-LS: its NEAR value, 2).
BAND_FILES = {
    "SC_rgb_rle.dcm": 0,
    "SC_rgb_rle_2frame.dcm": 0,
    "SC_rgb_rle_16bit.dcm": 0,
    "SC_rgb_rle_16bit_2frame.dcm": 0,
    "SC_rgb_rle_32bit.dcm": 0,
    "SC_rgb_rle_32bit_2frame.dcm": 0,
    "SC_rgb_jpeg_gdcm.dcm": 0,  # JPEG Lossless
    "SC_rgb_gdcm_KY.dcm": 0,  # JPEG 2000, coded reversibly
    "SC_rgb_jls_lossy_line.dcm": 2,
    "SC_rgb_jls_lossy_sample.dcm": 2,
    "SC_rgb_jpeg_dcmtk.dcm": 8,  # JPEG baseline from here on
    "SC_rgb_jpeg_lossy_gdcm.dcm": 8,
    "SC_rgb_dcmtk_+eb+cr.dcm": 8,
    "SC_rgb_dcmtk_+eb+cy+n1.dcm": 8,
    "SC_rgb_dcmtk_+eb+cy+n2.dcm": 8,
    "SC_rgb_dcmtk_+eb+cy+np.dcm": 8,
    "SC_rgb_dcmtk_+eb+cy+s2.dcm": 8,
    "SC_rgb_dcmtk_+eb+cy+s4.dcm": 8,
}
#: The plugins the course declares, by the transfer syntaxes they must decode here.
COURSE = {"pylibjpeg": None, "pyjpegls": {JPEGLSLossless, JPEGLSNearLossless}}


def _read(name: str) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # header quirks some test files have on purpose
        return pydicom.dcmread(FILES / name)


def _compressed() -> list[str]:
    names = []
    for path in sorted(FILES.glob("*.dcm")):
        try:
            ds = _read(path.name)
        except Exception:  # the files without a preamble, truncated ones...
            continue
        syntax = ds.file_meta.get("TransferSyntaxUID")
        if syntax and UID(syntax).is_compressed and "PixelData" in ds and path.name not in BROKEN:
            names.append(path.name)
    return names


COMPRESSED = _compressed()


def _decode(ds: pydicom.Dataset, plugin: str | None = None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # header quirks some test files have on purpose
        if plugin is None:
            return pixel_array(ds)
        return pydicom.pixels.pixel_array(ds, decoding_plugin=plugin)


def test_pydicom_ships_the_compressed_files_these_tests_expect():
    syntaxes = {_read(n).file_meta.TransferSyntaxUID.name.split(" ")[0] for n in COMPRESSED}
    assert len(COMPRESSED) >= 35, COMPRESSED
    assert {"JPEG", "JPEG-LS", "RLE"} <= syntaxes
    assert set(TWINS) | set(BAND_FILES) <= set(COMPRESSED)


def test_course_decoders_are_installed_for_every_compressed_syntax():
    """Fails where only python-gdcm (dicom2nifti's dependency) or Pillow decodes."""
    for uid in AllTransferSyntaxes:
        status = decoder_status(uid)
        if not status.known or not UID(uid).is_compressed:
            continue
        assert "pylibjpeg" in status.available, (UID(uid).name, status)
        assert status.install is None
    for uid in COURSE["pyjpegls"]:
        assert "pyjpegls" in decoder_status(uid).available


@pytest.mark.parametrize("name", COMPRESSED)
def test_every_compressed_example_decodes(name):
    ds = _read(name)
    pixels = _decode(ds)
    frames = int(ds.get("NumberOfFrames") or 1)
    shape = (frames,) * (frames > 1) + (ds.Rows, ds.Columns)
    shape += (ds.SamplesPerPixel,) * (ds.SamplesPerPixel > 1)
    assert pixels.shape == shape


@pytest.mark.parametrize("name", sorted(TWINS))
def test_lossless_examples_equal_their_uncompressed_twin(name):
    twin = _read(TWINS[name]).pixel_array
    for plugin in get_decoder(_read(name).file_meta.TransferSyntaxUID).available_plugins:
        decoded = _decode(_read(name), plugin)
        assert decoded.dtype == twin.dtype, plugin
        assert np.array_equal(decoded, twin), plugin


@pytest.mark.parametrize("name", sorted(BAND_FILES))
def test_colour_band_examples_match_pydicoms_expectations(name):
    ds = _read(name)
    pixels = _decode(ds)  # RGB: pydicom converts YBR by default
    frames = pixels if pixels.ndim == 4 else pixels[np.newaxis]
    top = (1 << ds.BitsAllocated) - 1
    expected = BANDS.astype(np.int64) * (top // 255)
    for index, frame in enumerate(frames):
        want = expected if index == 0 else top - expected
        error = np.abs(frame[5::10, 50, :].astype(np.int64) - want).max()
        assert error <= BAND_FILES[name], (index, error)


def test_jpeg_extended_12_bit_matches_pydicoms_spot_values():
    pixels = _decode(_read("JPGExtended.dcm"))
    assert (pixels[420, 140], pixels[230, 120]) == (244, 95)


@pytest.mark.parametrize("name", COMPRESSED)
def test_course_decoders_agree_with_every_other_decoder(name):
    """Independent implementations give the same values (JPEG baseline: within rounding)."""
    ds = _read(name)
    syntax = ds.file_meta.TransferSyntaxUID
    results = {}
    for plugin in get_decoder(syntax).available_plugins:
        try:
            results[plugin] = _decode(_read(name), plugin)
        except Exception:
            # GDCM and Pillow refuse some files (12-bit JPEG, YBR_RCT in Pillow); the course's
            # own decoders must not.
            assert plugin not in COURSE, plugin
    tolerance = 3 if syntax in (JPEGBaseline8Bit, JPEGExtended12Bit) else 0
    for course in (p for p in COURSE if p in results):
        for other, pixels in results.items():
            assert pixels.shape == results[course].shape, (course, other)
            diff = np.abs(pixels.astype(np.int64) - results[course].astype(np.int64)).max()
            assert diff <= tolerance, (course, other, diff)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_damaged_examples_name_the_file_and_the_way_out(name):
    """With the course's decoders installed, a damaged stream is our error, naming the file
    (pydicom's says only "Unable to decode as exceptions were raised by all plugins")."""
    with pytest.raises(DamagedPixelDataError) as caught:
        _decode(_read(name))
    message = str(caught.value)
    syntax = _read(name).file_meta.TransferSyntaxUID.name
    assert message.startswith(f"{name}: the Pixel Data ({syntax}) cannot be decoded: every ")
    assert "pylibjpeg" in message  # what each decoder said
    assert "Ask the sender for a new copy" in message and "gdcmconv --raw" in message
    assert isinstance(caught.value, DecoderError) and isinstance(caught.value, ValueError)
    assert isinstance(caught.value.__cause__, RuntimeError)  # pydicom's, kept as the cause


def test_truncated_uncompressed_pixel_data_names_the_file():
    with pytest.raises(DamagedPixelDataError) as caught:
        _decode(_read("MR_truncated.dcm"))
    message = str(caught.value)
    assert message.startswith("MR_truncated.dcm: the Pixel Data (Explicit VR Little Endian, ")
    assert "8130 vs 8192 bytes" in message and "len(ds.PixelData)" in message


# --- a damaged header (issue 24.7) -------------------------------------------------------------


def test_no_transfer_syntax_uid_says_which_one_to_set():
    from bootcamp_utils import real_world_values

    ds = _read("MR_small_implicit.dcm")
    del ds.file_meta.TransferSyntaxUID
    with pytest.raises(HeaderError) as caught:
        pixel_array(ds)
    message = str(caught.value)
    assert message.startswith("MR_small_implicit.dcm: the file meta information has no ")
    assert "(0002,0010)" in message
    assert "ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian" in message
    with pytest.raises(HeaderError, match="MR_small_implicit.dcm"):
        real_world_values(ds)
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian  # the way out
    assert np.array_equal(pixel_array(ds), _read("MR_small.dcm").pixel_array)


def test_no_bits_allocated_says_what_pixel_data_holds():
    ds = _read("MR_small.dcm")
    del ds.BitsAllocated
    with pytest.raises(HeaderError) as caught:
        pixel_array(ds)
    message = str(caught.value)
    assert message.startswith("MR_small.dcm: Bits Allocated (0028,0100) is missing")
    assert "8192 bytes for 4096 values, 16 bits each" in message
    assert "ds.BitsAllocated = ..." in message and "C.7.6.3" in message
    assert isinstance(caught.value.__cause__, AttributeError)


def test_an_integer_attribute_that_is_not_an_integer():
    ds = _read("badVR.dcm")  # pydicom's own: Number of Frames (IS) is '1A'
    with pytest.raises(HeaderError) as caught:
        pixel_array(ds)
    message = str(caught.value)
    assert message == (
        "badVR.dcm: NumberOfFrames (0028,0008) is '1A', not an integer; the file is damaged "
        "there: correct it (ds.NumberOfFrames = ...) with the value the sender meant, or ask "
        "for a new copy of the file"
    )
    assert isinstance(caught.value, DataError) and not isinstance(caught.value, DecoderError)
    ds.NumberOfFrames = len(ds.PixelData) // (10 * 10 * 4)  # the way out: 15 frames
    assert pixel_array(ds).shape == (15, 10, 10)


# --- a decoder missing ---------------------------------------------------------------------


def _only(monkeypatch, syntax, plugins: tuple[str, ...] = ()) -> None:
    """Leave ``plugins`` the only available decoders of ``syntax`` (no uninstalling)."""
    decoder = get_decoder(syntax)
    kept = {k: v for k, v in decoder._available.items() if k in plugins}
    monkeypatch.setattr(decoder, "_available", kept)


def test_missing_decoder_names_file_syntax_and_pip_line(monkeypatch):
    ds = _read("MR_small_jpeg_ls_lossless.dcm")
    _only(monkeypatch, ds.file_meta.TransferSyntaxUID)
    status = decoder_status(ds.file_meta.TransferSyntaxUID)
    assert not status.decodable
    assert status.install == 'pip install "pylibjpeg>=2.0" "pylibjpeg-libjpeg>=2.1"'
    with pytest.raises(DecoderError) as caught:
        pixel_array(ds)
    message = str(caught.value)
    assert message.startswith(
        "MR_small_jpeg_ls_lossless.dcm: the transfer syntax is JPEG-LS Lossless Image "
        "Compression (1.2.840.10008.1.2.4.80), and no installed package decodes it."
    )
    assert '\n    pip install "pylibjpeg>=2.0" "pylibjpeg-libjpeg>=2.1"\n' in message
    assert "pyjpegls>=1.3" not in message  # pydicom's decoder needs 1.2: its own table
    assert "pyjpegls>=1.2" in message and "python-gdcm>=3.0.10" in message
    assert "restart the kernel" in message
    assert isinstance(caught.value, DataError) and isinstance(caught.value, ValueError)


def test_missing_decoder_message_names_the_file_given(monkeypatch):
    ds = _read("MR_small_jp2klossless.dcm")
    _only(monkeypatch, ds.file_meta.TransferSyntaxUID)
    with pytest.raises(
        DecoderError,
        match=r"^IM0001: the transfer syntax is JPEG 2000 Image "
        r"Compression \(Lossless Only\)",
    ) as caught:
        pixel_array(ds, filename=Path("scan") / "IM0001")
    assert 'pip install "pylibjpeg>=2.0" "pylibjpeg-openjpeg>=2.0"' in str(caught.value)


def test_installed_decoders_failing_without_the_courses_says_what_to_install(monkeypatch):
    """Colab without the course's packages: GDCM and Pillow, and neither reads 12-bit JPEG."""
    ds = _read("JPGExtended.dcm")
    _only(monkeypatch, ds.file_meta.TransferSyntaxUID, ("gdcm", "pillow"))
    with pytest.raises(DecoderError) as caught:
        pixel_array(ds)
    message = str(caught.value)
    assert message.startswith("JPGExtended.dcm: the transfer syntax is JPEG Extended")
    assert "the installed decoders (gdcm, pillow) failed: Unable to decode" in message
    assert 'pip install "pylibjpeg>=2.0" "pylibjpeg-libjpeg>=2.1"' in message


def test_a_syntax_pydicom_cannot_decode_says_so():
    ds = _read("MR_small.dcm")
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2 video
    assert decoder_status(ds.file_meta.TransferSyntaxUID).known is False
    with pytest.raises(DecoderError, match="MPEG2.*No package makes pydicom decode it"):
        pixel_array(ds)


def test_uncompressed_data_needs_no_plugin():
    status = decoder_status("1.2.840.10008.1.2")
    assert status.decodable and status.install is None and status.missing == {}
    assert pixel_array(_read("MR_small.dcm"))[-1, -1] == 862  # pydicom's own spot value


# --- where the course decodes: load_series, real_world_values (the viewer) -------------------


def test_load_series_names_the_package_when_a_decoder_is_missing(monkeypatch, tmp_path):
    """A JPEG-LS series: without its decoder, load_series says what to install."""
    from bootcamp_utils import SeriesError, load_series

    ds = _read("MR_small_jpeg_ls_lossless.dcm")
    ds.save_as(tmp_path / "slice.dcm")
    assert load_series(tmp_path).shape[:2] == (64, 64)  # decodes with the course's plugins
    _only(monkeypatch, ds.file_meta.TransferSyntaxUID)
    with pytest.raises(SeriesError) as caught:
        load_series(tmp_path)
    assert str(caught.value).startswith("slice.dcm: the transfer syntax is JPEG-LS Lossless")
    assert 'pip install "pylibjpeg>=2.0" "pylibjpeg-libjpeg>=2.1"' in str(caught.value)


def test_real_world_values_and_the_viewer_name_the_package(monkeypatch):
    from bootcamp_utils import real_world_values, window_level_viewer

    ds = _read("MR_small_jp2klossless.dcm")
    _only(monkeypatch, ds.file_meta.TransferSyntaxUID)
    with pytest.raises(DecoderError, match="MR_small_jp2klossless.dcm: the transfer syntax"):
        real_world_values(ds)
    with pytest.raises(DecoderError, match="pylibjpeg-openjpeg"):
        window_level_viewer(ds)


def test_a_file_without_pixel_data_says_it_is_no_image():
    from bootcamp_utils import display_values, real_world_values

    ds = _read("rtplan.dcm")
    for call in (pixel_array, real_world_values, display_values):
        with pytest.raises(HeaderError) as caught:
            call(ds)
        assert str(caught.value).startswith(
            "rtplan.dcm: no Pixel Data (7FE0,0010), nor Float or Double Float Pixel Data, so "
            "there are no pixels to decode (SOP Class: RT Plan Storage)."
        ), call.__name__
