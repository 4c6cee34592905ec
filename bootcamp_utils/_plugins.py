"""What pydicom's pixel-data plugins need, in pip's words: shared by decoders.py and encoders.py.

Each pydicom plugin module (``pydicom.pixels.decoders.gdcm``,
``pydicom.pixels.encoders.pyjpegls``...) keeps a table, transfer syntax -> the Python
requirements it needs (``DECODER_DEPENDENCIES``, ``ENCODER_DEPENDENCIES``). The functions
here read that table and write the install line. The rest, for :mod:`.encoders`: which
encoding plugin the course uses and what it cannot take, what the plugins' errors mean, what
a decoder needs from the header, the stored values as decoded, and a big-endian data set
made little endian.
"""

from __future__ import annotations

import importlib
import re

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import as_pixel_options, get_decoder, get_encoder
from pydicom.uid import (
    JPEG2000,
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

#: The few requirement names that differ from the name pip installs.
PIP_NAMES = {"gdcm": "python-gdcm"}
#: The one plugin the course encodes with, per syntax: never ``gdcm``, which pydicom tries
#: first for RLE and whose C++ aborts the process (SIGABRT) on odd-sized RGB images.
ENCODING_PLUGIN = {
    RLELossless: "pydicom",
    JPEGLSLossless: "pyjpegls",
    JPEGLSNearLossless: "pyjpegls",
    JPEG2000Lossless: "pylibjpeg",
    JPEG2000: "pylibjpeg",
}


def encoding_plugin(uid: UID) -> str:
    """The plugin to encode ``uid`` with: :data:`ENCODING_PLUGIN`'s, except that RLE takes
    pylibjpeg-rle (a course requirement) when it is installed, 6x faster than pydicom's own
    encoder (measured: 0.7 s against 4.4 s for a 30-frame 800 x 600 RGB ultrasound)."""
    if uid == RLELossless and "pylibjpeg" in get_encoder(uid).available_plugins:
        return "pylibjpeg"
    return ENCODING_PLUGIN[uid]


#: The lossless pixel compressions, in the order the course suggests them.
LOSSLESS = (RLELossless, JPEGLSLossless, JPEG2000Lossless)
#: Image Pixel attributes (PS3.3 C.7.6.3, Type 1) pydicom needs to decode and encode.
_IMAGE_PIXEL = ("Rows", "Columns", "BitsAllocated", "BitsStored", "PixelRepresentation",
                "SamplesPerPixel", "PhotometricInterpretation")  # fmt: skip
#: Bytes per value of the VRs whose values a byte order change must swap (PS3.5 7.3).
_SWAP = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
#: Errors pydicom and its plugins raise when they cannot decode or encode.
FAILURES = (AttributeError, KeyError, IndexError, TypeError, ValueError, RuntimeError)


def requirements(kind: str, plugin: str, uid: UID) -> tuple[str, ...]:
    """What ``plugin`` needs to decode or encode ``uid`` (pip names, pydicom's bounds).

    ``kind`` is ``"decoders"`` or ``"encoders"``, the pydicom package the plugin lives in.

    >>> requirements("decoders", "gdcm", UID("1.2.840.10008.1.2.4.80"))
    ('python-gdcm>=3.0.10',)
    """
    module = importlib.import_module(f"pydicom.pixels.{kind}.{plugin}")
    table = getattr(module, f"{kind[:-1].upper()}_DEPENDENCIES")
    needs = []
    for requirement in table.get(uid, ()):  # such as "gdcm>=3.0.10"
        name = re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0]
        if name != "numpy":  # always there
            needs.append(PIP_NAMES.get(name, name) + requirement[len(name) :])
    return tuple(needs)


def lacking(kind: str, plugins: tuple[str, ...], uid: UID, available) -> dict:
    """Plugin -> the packages it lacks, for each of ``plugins`` that is not ``available``.

    >>> lacking("decoders", ("gdcm",), UID("1.2.840.10008.1.2.4.80"), available=())
    {'gdcm': ('python-gdcm>=3.0.10',)}
    """
    lacking = {}
    for plugin in plugins:
        needs = requirements(kind, plugin, uid)
        if needs and plugin not in available:
            lacking[plugin] = needs
    return lacking


def pip_line(packages: tuple[str, ...]) -> str:
    """The ``pip install`` line for ``packages``, each quoted (their bounds hold ``>``).

    >>> pip_line(("pylibjpeg>=2.0", "pylibjpeg-libjpeg>=2.1"))
    'pip install "pylibjpeg>=2.0" "pylibjpeg-libjpeg>=2.1"'
    """
    return "pip install " + " ".join(f'"{n}"' for n in packages)


def plugin_error(exc: Exception) -> str:
    """What a pydicom or plugin error says: its first line or, under a heading ending in ":"
    (pydicom's "raised by all available plugins:"), the lines below it.

    >>> plugin_error(RuntimeError("Unable to encode as ... plugins:\\n  pyjpegls: too small"))
    'too small'
    """
    lines = [x.strip() for x in str(exc).splitlines() if x.strip() and "See Part 5" not in x]
    if len(lines) > 1 and lines[0].startswith("One or more of the following values is not"):
        return "pydicom's encoding profiles (after PS3.5 8.2) exclude " + ", ".join(lines[1:])
    if len(lines) > 1 and lines[0].endswith(":"):
        return "; ".join(x.split(": ", 1)[-1] for x in lines[1:])
    return lines[0] if lines else type(exc).__name__


def encoder_limit(ds: Dataset, uid: UID) -> str | None:
    """Why the course's plugin for ``uid`` cannot take this image, when known ahead; else None.

    Measured with pydicom 3.0 and pylibjpeg-openjpeg 2.6: openjpeg always uses 6 resolution
    levels, so an image needs 2**5 = 32 rows and columns; it takes at most 24 bits stored.
    pydicom's encoding profiles (after PS3.5 8.2) allow Bits Allocated 8 or 16 for RLE and
    JPEG-LS.
    """
    if uid in (JPEG2000Lossless, JPEG2000):
        if ds.BitsStored > 24:
            return (
                f"pylibjpeg-openjpeg encodes at most 24 bits stored; this image has {ds.BitsStored}"
            )
        if min(ds.Rows, ds.Columns) < 32:
            return (
                "pylibjpeg-openjpeg needs at least 32 rows and 32 columns (it always uses 6 "
                f"resolution levels); this image is {ds.Rows} x {ds.Columns}"
            )
    elif ds.BitsAllocated not in (8, 16):
        return (
            f"pydicom encodes {uid.name} only with Bits Allocated 8 or 16 (its profiles, after "
            f"PS3.5 8.2); this image has {ds.BitsAllocated}"
        )
    return None


def encodes(ds: Dataset, uid: UID, arr: np.ndarray) -> bool:
    """Whether the course's plugin for ``uid`` encodes the first frame of ``arr`` (described
    by ``ds``'s Image Pixel attributes)."""
    frame = arr[0] if int(ds.get("NumberOfFrames") or 1) > 1 else arr
    options = as_pixel_options(ds, number_of_frames=1)
    try:
        get_encoder(uid).encode(frame, encoding_plugin=encoding_plugin(uid), **options)
    except FAILURES:
        return False
    return True


def decoded(ds: Dataset) -> tuple[np.ndarray, dict]:
    """The stored values in native byte order (colour as stored, not made RGB), and pydicom's
    description of them (Planar Configuration 0; YBR_FULL_422 upsampled to YBR_FULL)."""
    arr, meta = get_decoder(ds.file_meta.TransferSyntaxUID).as_array(ds, raw=True)
    return arr.astype(arr.dtype.newbyteorder("="), copy=False), meta


def to_little_endian(ds: Dataset, pixel_data: bool = False) -> list[str]:
    """Make a data set read as big endian little endian, in place, for ``save_as``: swap the
    bytes of every OW, OF, OL, OD, OV value (top-level Pixel Data only if ``pixel_data``:
    the caller may re-encode it). Returns the tags of UN elements, whose layout nothing
    says; when there are any, nothing else is changed but the raw elements parsed."""
    unknown: list[str] = []
    ds.walk(lambda _, elem: unknown.append(str(elem.tag)) if elem.VR == "UN" else None)
    if unknown:  # walk parsed every raw element with the file's byte order
        return unknown

    def swap(dataset: Dataset, elem) -> None:
        size = _SWAP.get(elem.VR)
        if size and elem.value and (pixel_data or not (dataset is ds and elem.tag == 0x7FE00010)):
            elem.value = np.frombuffer(elem.value, f">u{size}").astype(f"<u{size}").tobytes()

    ds.walk(swap)
    ds.set_original_encoding(False, True)
    return []


def _syntax_hint(ds: Dataset) -> str:
    """Which Transfer Syntax UID to set, from the encoding pydicom read the data set with."""
    implicit, little = ds.original_encoding
    if little is None or ds["PixelData"].is_undefined_length:
        return "set ds.file_meta.TransferSyntaxUID to the syntax the sender used"
    uid = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    uid = uid if little else ExplicitVRBigEndian
    return f"set ds.file_meta.TransferSyntaxUID = pydicom.uid.{uid.keyword} (as pydicom read it)"


def undecodable(ds: Dataset, syntax: UID | None) -> str | None:
    """Why pydicom cannot decode ``ds``'s pixels (``syntax``: its Transfer Syntax UID), with
    the fix: no Pixel Data, no syntax, a missing Image Pixel attribute; None if none of them."""
    if "PixelData" not in ds:
        return "it has no Pixel Data (7FE0,0010) to compress"
    if syntax is None:
        return (
            "the file meta information has no Transfer Syntax UID (0002,0010), so nothing says "
            f"how Pixel Data is encoded (PS3.10 7.1). Either {_syntax_hint(ds)} and try again"
        )
    needed = _IMAGE_PIXEL + (("PlanarConfiguration",) if ds.get("SamplesPerPixel", 1) > 1 else ())
    missing = [keyword for keyword in needed if ds.get(keyword) in (None, "")]
    if missing:
        return (
            f"{', '.join(missing)} missing (Type 1 in the Image Pixel module, PS3.3 C.7.6.3), so "
            "the pixels cannot be decoded. Set each (ds.BitsAllocated = ...) to the value the "
            "sender used, or ask for a complete copy"
        )
    return None
