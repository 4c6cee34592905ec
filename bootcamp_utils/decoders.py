"""Which installed package decodes a file's pixel data, and what to install when none does.

Compressed pixel data (JPEG, JPEG-LS, JPEG 2000, RLE) is decoded by *plugins*: pydicom keeps,
for every transfer syntax, the plugins that can decode it and which of them found their
packages installed (``pydicom.pixels.get_decoder(uid).available_plugins``). When none did,
``ds.pixel_array`` fails with a list of Python requirements; :func:`pixel_array` says instead
which file, which transfer syntax, and the one ``pip install`` line that fixes it.

The course installs (requirements.txt) the plugins that together decode every compressed
transfer syntax pydicom has a decoder for (not the video syntaxes, nor JPEG 2000 Part 2
multi-component):

* ``pylibjpeg`` with ``pylibjpeg-libjpeg`` (JPEG baseline, extended, lossless, JPEG-LS),
  ``pylibjpeg-openjpeg`` (JPEG 2000 and HTJ2K; an encoder too) and ``pylibjpeg-rle`` (RLE,
  faster than pydicom's own decoder);
* ``pyjpegls`` (JPEG-LS; the encoder that ``Dataset.compress`` uses for JPEG-LS).

Others work too when present: ``python-gdcm`` (which dicom2nifti installs) and ``pillow``
(JPEG baseline and JPEG 2000). Uncompressed syntaxes and Deflated Explicit VR Little Endian
need no plugin.

After installing a package, restart the kernel: pydicom looks for plugins once, on import.

The other ways decoding fails are named too, each with the file and a way out:
:class:`DamagedPixelDataError` when every installed decoder failed on the stream (pydicom's
JPEG-lossy.dcm), :class:`HeaderError` when the Transfer Syntax UID or an Image Pixel
attribute is missing, or an integer attribute holds something else (Number of Frames
``'1A'``). :func:`header_int` and :func:`header_float` read such values for the rest of
the package.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np
from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.pixels import get_decoder
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from ._plugins import lacking, pip_line
from .data import DataError

__all__ = [
    "COURSE_PLUGINS",
    "DamagedPixelDataError",
    "DecoderError",
    "DecoderStatus",
    "HeaderError",
    "decode",
    "decoder_status",
    "frame_item",
    "header_float",
    "header_int",
    "pixel_array",
]

#: The plugins whose packages the course declares, in the order it suggests them.
COURSE_PLUGINS = ("pylibjpeg", "pyjpegls")
#: Every decoding plugin pydicom 3 ships (``pydicom.pixels.decoders.<label>``); "pydicom"
#: (its own RLE decoder) needs nothing and is always available.
_PLUGINS = ("pylibjpeg", "pyjpegls", "gdcm", "pillow")


class DecoderError(DataError):
    """No installed package decodes a file's pixel data; the message says what to install.

    Examples
    --------
    >>> from bootcamp_utils import DecoderError, DataError
    >>> issubclass(DecoderError, DataError) and issubclass(DecoderError, ValueError)
    True
    """


class DamagedPixelDataError(DecoderError):
    """Decoders are installed, and every one failed: the stream itself is damaged.

    Examples
    --------
    >>> issubclass(DamagedPixelDataError, DecoderError)
    True
    """


class HeaderError(DataError):
    """An attribute needed to decode or display the pixels is missing or unreadable.

    The message names the file, the attribute (keyword and tag), the value found and a
    way out.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.NumberOfFrames = "2"
    >>> header_int(ds, "NumberOfFrames", 1)
    2
    >>> issubclass(HeaderError, DataError)
    True
    """


@dataclass(frozen=True)
class DecoderStatus:
    """Who can decode one transfer syntax here, and what to install when nobody can.

    Attributes
    ----------
    transfer_syntax : pydicom.uid.UID
        The Transfer Syntax UID (0002,0010); ``transfer_syntax.name`` is its name.
    decodable : bool
        True when ``ds.pixel_array`` can decode it here (native syntaxes always can).
    available : tuple of str
        The plugins that found their packages (``"pydicom"``, ``"pylibjpeg"``, ``"gdcm"``...).
    missing : dict
        Plugin -> the packages it lacks (pip names with pydicom's version bounds).
    known : bool
        False when pydicom has no decoder at all for it (video, JPEG XL...).
    """

    transfer_syntax: UID
    decodable: bool
    available: tuple[str, ...] = ()
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    known: bool = True

    @property
    def install(self) -> str | None:
        """The ``pip install`` line for the course's plugin; None if nothing is missing.

        Examples
        --------
        >>> from bootcamp_utils.decoders import decoder_status
        >>> print(decoder_status("1.2.840.10008.1.2.1").install)
        None
        """
        for plugin in COURSE_PLUGINS:
            if plugin in self.missing and plugin not in self.available:
                return pip_line(self.missing[plugin])
        return None


def decoder_status(transfer_syntax: str) -> DecoderStatus:
    """Which installed plugins decode ``transfer_syntax``, and which packages others need.

    Read from pydicom's own registry (:func:`pydicom.pixels.get_decoder`), so it agrees with
    what ``ds.pixel_array`` will do.

    Parameters
    ----------
    transfer_syntax : str
        A Transfer Syntax UID, such as ``ds.file_meta.TransferSyntaxUID``.

    Returns
    -------
    DecoderStatus

    Examples
    --------
    >>> from bootcamp_utils import decoder_status, read_example
    >>> status = decoder_status(read_example("mr_jpeg_ls").file_meta.TransferSyntaxUID)
    >>> status.transfer_syntax.name, status.decodable, "pylibjpeg" in status.available
    ('JPEG-LS Lossless Image Compression', True, True)
    >>> decoder_status("1.2.840.10008.1.2.1").available  # uncompressed: no plugin needed
    ()
    >>> decoder_status("1.2.840.10008.1.2.4.100").known  # MPEG2 video: pydicom cannot
    False
    """
    uid = UID(str(transfer_syntax))
    try:
        decoder = get_decoder(uid)
    except NotImplementedError:
        return DecoderStatus(uid, decodable=False, known=False)
    available = decoder.available_plugins
    missing = lacking("decoders", _PLUGINS, uid, available)
    return DecoderStatus(uid, decoder.is_available, available, missing)


def _syntax(ds: Dataset) -> UID | None:
    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    return UID(str(uid)) if uid else None


def source_name(ds: Dataset, filename: str | os.PathLike | None = None) -> str:
    """The file's name for a message: ``filename``, else ``ds.filename``, else "the data set"."""
    if filename is None:
        filename = getattr(ds, "filename", None)
    if isinstance(filename, (str, os.PathLike)) and str(filename):
        return os.path.basename(filename)
    return "the data set"


def _fix_hint(keyword: str) -> str:
    return (
        f"correct it (ds.{keyword} = ...) with the value the sender meant, or ask for a "
        "new copy of the file"
    )


def _header_value(ds, keyword, default, convert, kind, filename):
    value = ds[keyword].value if keyword in ds else None
    if value is None or value == "":
        return default
    try:
        return convert(value)
    except (TypeError, ValueError):
        tag = ds[keyword].tag
        raise HeaderError(
            f"{source_name(ds, filename)}: {keyword} ({tag.group:04X},{tag.element:04X}) "
            f"is {value!r}, not {kind}; the file is damaged there: {_fix_hint(keyword)}"
        ) from None


def header_int(
    ds: Dataset, keyword: str, default: int | None = None, filename: str | None = None
) -> int | None:
    """``int(ds.<keyword>)``, ``default`` when absent or empty, or a :class:`HeaderError`.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Any header.
    keyword : str
        An integer attribute (US, SS, IS), such as ``"NumberOfFrames"``.
    default : int, optional
        The value when the attribute is absent or empty.
    filename : str, optional
        The file's name for the message; default ``ds.filename``.

    Returns
    -------
    int or None

    Raises
    ------
    HeaderError
        If the value is not an integer (an IS written as ``"1A"``): the message names the
        file, the attribute and the value.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> header_int(Dataset(), "NumberOfFrames", 1)
    1
    """
    return _header_value(ds, keyword, default, _to_int, "an integer", filename)


def header_float(
    ds: Dataset, keyword: str, default: float | None = None, filename: str | None = None
) -> float | None:
    """``float(ds.<keyword>)`` (first value if multi-valued), or a :class:`HeaderError`.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Any header.
    keyword : str
        A decimal attribute (DS, FD), such as ``"RescaleSlope"``.
    default : float, optional
        The value when the attribute is absent or empty.
    filename : str, optional
        The file's name for the message; default ``ds.filename``.

    Returns
    -------
    float or None

    Raises
    ------
    HeaderError
        If the value is not a number (a DS written as ``"1,5"``): the message names the
        file, the attribute and the value.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.RescaleSlope = "2.5"
    >>> header_float(ds, "RescaleSlope", 1.0)
    2.5
    """
    return _header_value(ds, keyword, default, _to_float, "a number", filename)


def frame_item(ds: Dataset, frame: int, keyword: str) -> Dataset | None:
    """The first item of the functional group macro ``keyword`` that applies to ``frame``.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A multi-frame header.
    frame : int
        The frame's index (0 first).
    keyword : str
        The macro's sequence, e.g. ``"FrameVOILUTSequence"``.

    Returns
    -------
    pydicom.dataset.Dataset or None
        From the Per-Frame Functional Groups first, then the Shared ones (a macro sits in
        one or the other, PS3.3 C.7.6.16); None when neither holds it.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> voi, shared = Dataset(), Dataset()
    >>> voi.WindowCenter, voi.WindowWidth = "40", "80"
    >>> shared.FrameVOILUTSequence = [voi]
    >>> ds = Dataset()
    >>> ds.SharedFunctionalGroupsSequence = [shared]
    >>> frame_item(ds, 3, "FrameVOILUTSequence").WindowCenter
    '40'
    """
    for groups in (
        ds.get("PerFrameFunctionalGroupsSequence"),
        ds.get("SharedFunctionalGroupsSequence"),
    ):
        if not groups:
            continue
        item = groups[frame] if len(groups) > 1 else groups[0]
        macro = item.get(keyword)
        if macro:
            return macro[0]
    return None


def _to_int(value) -> int:
    if isinstance(value, int):
        return int(value)
    number = float(value)  # IS may be written "16.0" (pydicom reads it so too)
    if number != int(number):
        raise ValueError(value)
    return int(number)


def _to_float(value) -> float:
    if isinstance(value, (list, tuple, MultiValue)):
        value = value[0]
    return float(value)


def _syntax_hint(ds: Dataset) -> str:
    """Which Transfer Syntax UID to set, from the encoding pydicom read the data set with."""
    implicit, little = getattr(ds, "original_encoding", (None, None))
    encapsulated = "PixelData" in ds and ds["PixelData"].is_undefined_length
    if encapsulated or little is None:
        return (
            "set ds.file_meta.TransferSyntaxUID to the syntax the sender used (its "
            "conformance statement or the sending tool names it)"
        )
    uid = (
        ImplicitVRLittleEndian
        if implicit
        else (ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
    )
    return (
        f"pydicom read the data set as {uid.name}, so this is likely right:\n"
        f"    ds.file_meta.TransferSyntaxUID = pydicom.uid.{uid.keyword}"
    )


def _check_header(ds: Dataset, filename) -> UID:
    """The Transfer Syntax UID; a :class:`HeaderError` for what pydicom would trip on."""
    if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        sop = ds.get("SOPClassUID") or getattr(ds, "file_meta", Dataset()).get(
            "MediaStorageSOPClassUID"
        )
        what = f" (SOP Class: {UID(str(sop)).name})" if sop else ""
        raise HeaderError(
            f"{source_name(ds, filename)}: no Pixel Data (7FE0,0010), nor Float or Double "
            f"Float Pixel Data, so there are no pixels to decode{what}. A DICOMDIR, a "
            "report, a plan or a waveform has none: open an image file instead; an image "
            "without it was cut short: ask for a complete copy."
        )
    uid = _syntax(ds)
    if uid is None:
        raise HeaderError(
            f"{source_name(ds, filename)}: the file meta information has no Transfer "
            "Syntax UID (0002,0010), so nothing tells how Pixel Data is encoded "
            f"(PS3.10 7.1); {_syntax_hint(ds)}"
        )
    for keyword in (
        "Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation",
        "SamplesPerPixel", "PlanarConfiguration", "NumberOfFrames",
    ):  # fmt: skip
        header_int(ds, keyword, None, filename)
    return uid


_MISSING = re.compile(r"Missing required element: \((\w{4}),(\w{4})\) '([^']+)'")


def _missing(ds: Dataset, filename, exc: AttributeError) -> HeaderError | None:
    found = _MISSING.search(str(exc))
    if not found:
        return None
    group, element, name = found.groups()
    keyword = keyword_for_tag(int(group + element, 16)) or name.replace(" ", "")
    hint = ""
    if keyword == "BitsAllocated" and "PixelData" in ds and not ds["PixelData"].is_undefined_length:
        pixels = 1
        for other, default in (("Rows", 0), ("Columns", 0), ("SamplesPerPixel", 1),
                               ("NumberOfFrames", 1)):  # fmt: skip
            pixels *= header_int(ds, other, default, filename) or default
        if pixels and (8 * len(ds.PixelData)) // pixels in (8, 16, 32):
            hint = (
                f" Pixel Data holds {len(ds.PixelData)} bytes for {pixels} values, "
                f"{(8 * len(ds.PixelData)) // pixels} bits each."
            )
    return HeaderError(
        f"{source_name(ds, filename)}: {name} ({group},{element}) is missing, and pydicom "
        "needs it to decode Pixel Data (the Image Pixel module requires it, PS3.3 "
        f"C.7.6.3).{hint} Set it (ds.{keyword} = ...) to the value the sender used, or "
        "ask for a complete copy of the file."
    )


def _decoding(ds: Dataset, filename, call):
    """Run ``call()`` (a decode) and turn pydicom's and the plugins' errors into ours."""
    if filename is None:
        filename = getattr(ds, "filename", None)
        filename = filename if isinstance(filename, (str, os.PathLike)) else None
    uid = _check_header(ds, filename)
    status = decoder_status(uid)
    if not status.decodable:
        raise DecoderError(_message(status, filename, "no installed package decodes it"))
    try:
        return call()
    except AttributeError as exc:
        error = _missing(ds, filename, exc)
        if error is None:
            raise
        raise error from exc
    except MemoryError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if status.install is not None:
            # The installed plugins failed (Pillow or GDCM on a file they do not support);
            # the course's decoder would be tried too if it were installed: say so.
            failure = f"the installed decoders ({', '.join(status.available)}) failed: {first}"
            raise DecoderError(_message(status, filename, failure)) from exc
        raise DamagedPixelDataError(_damaged(ds, status, filename, exc)) from exc


def _damaged(ds: Dataset, status: DecoderStatus, filename, exc: Exception) -> str:
    uid = status.transfer_syntax
    reasons = [line.strip() for line in str(exc).strip().splitlines()[1:] if line.strip()]
    detail = "; ".join(reasons) if reasons else (str(exc).strip() or type(exc).__name__)
    if not uid.is_compressed:
        return (
            f"{source_name(ds, filename)}: the Pixel Data ({uid.name}, uncompressed) cannot "
            f"be read: {detail}. Either the file is truncated (ask the sender for a new "
            "copy) or Rows, Columns, Bits Allocated, Samples per Pixel or Number of Frames "
            "is wrong (compare them with the length of Pixel Data, len(ds.PixelData))."
        )
    who = ", ".join(status.available)
    return (
        f"{source_name(ds, filename)}: the Pixel Data ({uid.name}) cannot be decoded: "
        f"every installed decoder ({who}) failed ({detail}). The stream is damaged or "
        "truncated: the header is still readable, but the pixels are not. Ask the sender "
        "for a new copy, or try another decoder (dcmtk's dcmdjpeg, GDCM's gdcmconv "
        "--raw) to see whether it recovers part of the image."
    )


def _message(status: DecoderStatus, filename: str | os.PathLike | None, failure: str) -> str:
    uid = status.transfer_syntax
    where = f"{os.path.basename(filename)}: the" if filename else "The"
    text = f"{where} transfer syntax is {uid.name} ({uid}), and {failure}."
    if not status.known:
        return (
            f"{text} No package makes pydicom decode it: convert the file to an uncompressed "
            "transfer syntax with another tool (dcmtk, GDCM), or read the encoded frames with "
            "pydicom.encaps.generate_frames(ds.PixelData)."
        )
    text += (
        " Install the course's decoder, then restart the kernel (on Colab: Runtime > "
        f"Restart session):\n    {status.install}"
    )
    others = [" ".join(n) for plugin, n in status.missing.items() if plugin != "pylibjpeg"]
    if others:
        text += f"\n(These would decode it too: {'; '.join(others)}.)"
    return text


def pixel_array(ds: Dataset, filename: str | os.PathLike | None = None) -> np.ndarray:
    """``ds.pixel_array``, or a :class:`DecoderError` that says which package to install.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set with Pixel Data.
    filename : str or path-like, optional
        The file's name for the message; default ``ds.filename`` when pydicom read it.

    Returns
    -------
    numpy.ndarray
        The stored values, as ``ds.pixel_array`` returns them.

    Raises
    ------
    DecoderError
        When no installed plugin decodes the transfer syntax (the message names the file,
        the transfer syntax and the ``pip install`` line), or when the installed ones failed
        while the course's own decoder is missing.
    DamagedPixelDataError
        When the course's decoders are installed and all failed: the stream is damaged.
    HeaderError
        When the Transfer Syntax UID or an Image Pixel attribute pydicom needs is missing,
        or an integer attribute (Rows, Number of Frames...) holds something else.

    Examples
    --------
    >>> from bootcamp_utils import pixel_array, read_example
    >>> jpeg_ls, plain = read_example("mr_jpeg_ls"), read_example("mr")
    >>> pixels = pixel_array(jpeg_ls)
    >>> pixels.shape, pixels.dtype, bool((pixels == plain.pixel_array).all())
    ((64, 64), dtype('int16'), True)
    """
    return _decoding(ds, filename, lambda: ds.pixel_array)


def decode(
    ds: Dataset, filename: str | os.PathLike | None = None, *, as_rgb: bool = True
) -> tuple[np.ndarray, str]:
    """The decoded values, as ``ds.pixel_array`` gives them, and their colour space.

    By default pydicom converts YCbCr to RGB while decoding; the JPEG 2000 codec undoes
    YBR_ICT/YBR_RCT in any case: the second value is the Photometric Interpretation of
    the array returned, which may differ from the header's.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set with Pixel Data.
    filename : str or path-like, optional
        The file's name for the message; default ``ds.filename``.
    as_rgb : bool, optional
        False keeps YCbCr samples as stored (a JPEG's YBR_FULL_422 comes back at full
        resolution, still labelled YBR_FULL_422 by pydicom).

    Returns
    -------
    (numpy.ndarray, str)
        A writable copy of the stored values, and their Photometric Interpretation.

    Raises
    ------
    DecoderError, DamagedPixelDataError, HeaderError
        As :func:`pixel_array`.

    Examples
    --------
    >>> from bootcamp_utils import read_example
    >>> pixels, photometric = decode(read_example("mr"))
    >>> pixels.shape, photometric
    ((64, 64), 'MONOCHROME2')
    """

    def call():
        arr, meta = get_decoder(_syntax(ds)).as_array(ds, as_rgb=as_rgb)
        return np.array(arr, copy=True), str(meta["photometric_interpretation"])

    return _decoding(ds, filename, call)
