"""Black out text burned into the pixels (PS3.15 E.3.1, Clean Pixel Data Option).

Some images carry the patient's name or ID *in the pixels*: a localizer, an ultrasound
frame, a scanned document. Burned In Annotation (0028,0301) ``YES`` says so. Removing
attributes does not remove that text; :func:`black_out` paints rectangles over it::

    clean = black_out(ds, [(0, 48, 0, 160)])   # rows 0-47, columns 0-159

A box is ``(row0, row1, col0, col1)`` in pixel indices, half-open like a NumPy slice
(``array[row0:row1, col0:col1]``); every frame of a multi-frame image gets the same boxes.
What goes into a box depends on the Photometric Interpretation:

================ ==========================================================================
``MONOCHROME2``  the smallest value Bits Stored and Pixel Representation can hold: 0
                 unsigned, ``-2**(BitsStored - 1)`` signed
``MONOCHROME1``  the largest such value: ``2**BitsStored - 1`` unsigned,
                 ``2**(BitsStored - 1) - 1`` signed (MONOCHROME1 shows high values black)
``RGB``          0 in every channel (black)
``YBR_FULL``     uncompressed: Y 0, Cb and Cr half full scale (128 for 8 bits), black
                 without colour (PS3.3 C.7.6.3.1.2), the copy stays ``YBR_FULL``
other ``YBR_*``  ``YBR_FULL_422`` and compressed YCbCr (JPEG; JPEG 2000's ``YBR_ICT`` and
                 ``YBR_RCT``) are decoded to RGB, as pydicom's ``decompress`` and dcmtk's
                 ``dcmdjpeg`` do: 0 in every channel, the copy is ``RGB`` (an uncompressed
                 ``YBR_FULL`` copy is not valid in every IOD: dciodvfy rejects it in an
                 ultrasound image, whose uncompressed colour is RGB, PS3.3 C.8.5.6.1.2)
others           refused (``PALETTE COLOR``: black depends on the palette): convert the
                 image to RGB first
================ ==========================================================================

The two monochrome ends swap when the image is shown inverted the other way (Presentation
LUT Shape INVERSE on MONOCHROME2, IDENTITY on MONOCHROME1) or when Rescale Slope is
negative: the box always gets the stored value with the lowest displayed grey.

**When is the box black?** A window (LINEAR or LINEAR_EXACT) shows black every value at
or below its lower edge ``c - w/2``. The box's real-world value is ``fill * slope +
intercept``, the lowest the encoding can give at all, so it is black under every window
whose lower edge is at or above it; nothing stored in this image can be darker. For a
signed CT (``-32768 * 1 - 1024`` HU) that is every window there is. For an unsigned image it
is the Rescale Intercept: the course's localizer (unsigned, intercept 0) shows its box
black under its own window (1500/3000), brain (40/80) and stroke (40/40), and grey under
every preset whose lower edge is below 0 (lung -600/1500: 90 % grey; bone, abdomen,
mediastinum, liver, subdural likewise), as it shows its own darkest pixels. Making it black
there would mean rewriting the pixel encoding (Pixel Representation, Bits Stored), which
this helper does not do. A SIGMOID window is never quite black (PS3.3 C.11.2.1.3.1).

Smallest/Largest Image Pixel Value (0028,0106/0107) and Smallest/Largest Pixel Value in
Series (0028,0108/0109), when present, are widened to include the fill so that they stay
true; the windows and Pixel Padding Value are left as they are.

**What is painted is the decoded image**, as pydicom decodes it, never the raw bytes:
byte order, Planar Configuration, 8-bit data in an OW element of a
big-endian file (OW is a stream of 16-bit words, each byte-swapped: PS3.5 2016b 7.3) and
compression are pydicom's business, and the painted array is encoded again:

* an uncompressed file keeps its transfer syntax (big endian included: pydicom's
  ``save_as`` cannot switch a data set read as big endian to little endian), its byte order
  and its Planar Configuration;
* a compressed file (JPEG, JPEG-LS, JPEG 2000, RLE) comes back uncompressed, **Explicit VR
  Little Endian**: re-compressing would need an encoder and, for a lossy syntax, would lose
  more. A lossy original keeps its Lossy Image Compression ``01``.

Outside the boxes the decoded values are exactly those of the original, as RGB and, where
the colour space is kept, as stored (the tests check every pixel); the bits above Bits
Stored are written as pydicom decodes them (0, or the sign for signed data). The SOP
Instance UID is not changed: :func:`bootcamp_utils.deid.deidentify` replaces it anyway.

Nothing here *finds* the text: you give the boxes (look at the image, or know where your
scanner writes). After :func:`black_out` the data set claims Burned In Annotation ``NO``,
so check the result with your own eyes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.uid import UID, ExplicitVRLittleEndian

from ..decoders import decode, header_int, source_name

__all__ = ["CLEAN_PIXEL_DATA", "add_method_code", "black_out"]

Box = tuple[int, int, int, int]

#: The code Deidentification Method Code Sequence gets for cleaned pixels (113101).
CLEAN_PIXEL_DATA = codes.DCM.CleanPixelDataOption


def _check_boxes(boxes: Iterable[Sequence[int]], rows: int, cols: int) -> list[Box]:
    if isinstance(boxes, tuple) and len(boxes) == 4 and all(isinstance(b, int) for b in boxes):
        raise TypeError(f"boxes is a list of boxes: write [{boxes!r}], not {boxes!r}")
    checked = []
    for box in boxes:
        try:
            row0, row1, col0, col1 = (int(v) for v in box)
        except (TypeError, ValueError):
            raise TypeError(
                f"a box is four pixel indices (row0, row1, col0, col1), not {box!r}"
            ) from None
        if not (0 <= row0 < row1 <= rows and 0 <= col0 < col1 <= cols):
            raise ValueError(
                f"box {box!r} does not fit the image: need 0 <= row0 < row1 <= {rows} (Rows) "
                f"and 0 <= col0 < col1 <= {cols} (Columns); row1 and col1 are excluded"
            )
        checked.append((row0, row1, col0, col1))
    return checked


def add_method_code(ds: Dataset, code: Code = CLEAN_PIXEL_DATA) -> None:
    """Add ``code`` to the Deidentification Method Code Sequence of ``ds`` if it has one.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Changed in place; nothing happens without the sequence or when the code is there.
    code : pydicom.sr.coding.Code, optional
        The code; Clean Pixel Data Option (DCM 113101) by default.
    """
    seq = ds.get("DeidentificationMethodCodeSequence")
    if seq is None:
        return
    if any(
        item.get("CodeValue") == code.value
        and item.get("CodingSchemeDesignator") == code.scheme_designator
        for item in seq
    ):
        return
    item = Dataset()
    item.CodeValue = code.value
    item.CodingSchemeDesignator = code.scheme_designator
    item.CodeMeaning = code.meaning
    if isinstance(seq, DicomSequence):
        seq.append(item)
    else:
        ds.DeidentificationMethodCodeSequence = DicomSequence([*seq, item])


def black_out(ds: Dataset, boxes: Iterable[Sequence[int]]) -> Dataset:
    """A copy of ``ds`` with the pixels inside ``boxes`` painted black.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        An image whose Pixel Data an installed decoder reads; it is not modified.
    boxes : list of (int, int, int, int)
        Rectangles ``(row0, row1, col0, col1)``, half-open (``row1`` and ``col1`` are not
        painted), applied to every frame.

    Returns
    -------
    pydicom.dataset.Dataset
        The copy: Pixel Data encoded again from the painted decoded image, in the file's
        transfer syntax when it is uncompressed, else Explicit VR Little Endian (the
        module docstring gives the fill per Photometric Interpretation), Burned In
        Annotation ``NO``, and Clean Pixel Data Option (DCM 113101) added to the
        Deidentification Method Code Sequence when the data set has one.

    Raises
    ------
    TypeError
        If ``ds`` is not a Dataset or a box is not four integers.
    ValueError
        If there is no Pixel Data, the Photometric Interpretation is not MONOCHROME1,
        MONOCHROME2, RGB or a YBR one, Bits Allocated is not 8, 16 or 32, or a box lies
        outside the image; the message names the file.
    bootcamp_utils.decoders.DecoderError
        If no installed decoder reads the pixels, or the stream is damaged
        (``DamagedPixelDataError``); the message names the file and the way out.
    bootcamp_utils.decoders.HeaderError
        If the Transfer Syntax UID or an Image Pixel attribute is missing or unreadable (a
        ``DataError`` and a ``ValueError`` too).

    Examples
    --------
    >>> import numpy as np
    >>> from pydicom.dataset import Dataset, FileMetaDataset
    >>> from pydicom.uid import ExplicitVRLittleEndian
    >>> ds = Dataset()
    >>> ds.file_meta = FileMetaDataset()
    >>> ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    >>> image = np.arange(16, dtype=np.uint16).reshape(4, 4) + 100
    >>> ds.set_pixel_data(image, "MONOCHROME2", 12)
    >>> ds.BurnedInAnnotation = "YES"
    >>> clean = black_out(ds, [(0, 2, 0, 3)])
    >>> clean.pixel_array
    array([[  0,   0,   0, 103],
           [  0,   0,   0, 107],
           [108, 109, 110, 111],
           [112, 113, 114, 115]], dtype=uint16)
    >>> clean.BurnedInAnnotation, ds.BurnedInAnnotation
    ('NO', 'YES')
    """
    if not isinstance(ds, Dataset):
        raise TypeError(f"black_out needs a pydicom Dataset, not {type(ds).__name__}")
    name = source_name(ds)
    if "PixelData" not in ds:
        raise ValueError(f"{name}: no Pixel Data (7FE0,0010): nothing to black out")
    header = str(ds.get("PhotometricInterpretation", "")).strip()
    if header not in _PAINTABLE:
        raise ValueError(
            f"{name}: Photometric Interpretation {header or '(missing)'} is not supported: "
            "black_out handles MONOCHROME1, MONOCHROME2, RGB and the YBR colour spaces "
            "pydicom decodes to RGB; convert the image to RGB first "
            "(pydicom.pixels.apply_color_lut for PALETTE COLOR)"
        )
    bits = header_int(ds, "BitsAllocated")
    if bits is not None and bits not in (8, 16, 32):
        raise ValueError(f"{name}: Bits Allocated {bits} is not supported (8, 16 or 32 only)")
    # YBR_FULL stored uncompressed is painted as it is (no colour conversion: every pixel
    # outside the boxes keeps its samples); a JPEG's YCbCr and YBR_FULL_422 are decoded to
    # RGB, as pydicom's decompress and dcmtk's dcmdjpeg do. decode names a missing or
    # damaged attribute, if any.
    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    keep = header == "YBR_FULL" and uid is not None and not UID(str(uid)).is_compressed
    pixels, photometric = decode(ds, as_rgb=not keep)
    syntax = UID(str(ds.file_meta.TransferSyntaxUID))  # decode refused a missing one
    rows, cols = header_int(ds, "Rows"), header_int(ds, "Columns")
    checked = _check_boxes(boxes, rows, cols)
    if photometric not in ("MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL"):
        raise ValueError(
            f"{name}: pydicom decodes this {header} image as {photometric}; black_out "
            "paints MONOCHROME1, MONOCHROME2, RGB and YBR_FULL: convert it to RGB first "
            "(pydicom.pixels.convert_color_space)"
        )
    frames = header_int(ds, "NumberOfFrames", 1) or 1
    samples = 1 if photometric.startswith("MONOCHROME") else 3
    view = pixels.reshape(frames, rows, cols, samples)  # a view: painting it paints pixels
    kind = "i" if header_int(ds, "PixelRepresentation", 0) == 1 else "u"
    fill = _fill(ds, photometric, kind, bits)
    for row0, row1, col0, col1 in checked:
        view[:, row0:row1, col0:col1, :] = fill

    out = copy.deepcopy(ds)
    _store(out, view, syntax, photometric, kind, bits)
    out.BurnedInAnnotation = "NO"
    if samples == 1:
        for low, high in (
            ("SmallestImagePixelValue", "LargestImagePixelValue"),
            ("SmallestPixelValueInSeries", "LargestPixelValueInSeries"),
        ):
            if isinstance(out.get(low), int) and fill[0] < out[low].value:
                out[low].value = int(fill[0])
            if isinstance(out.get(high), int) and fill[0] > out[high].value:
                out[high].value = int(fill[0])
    add_method_code(out)
    return out


#: The Photometric Interpretations whose decoded array black_out can paint (a native
#: YBR_ICT/YBR_RCT, which no codec converts, is refused after decoding).
_PAINTABLE = (
    "MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT",
)  # fmt: skip


def _store(out: Dataset, view: np.ndarray, syntax: UID, photometric: str, kind, bits) -> None:
    """Encode the painted ``(frames, rows, cols, samples)`` array into ``out``'s Pixel Data.

    Native syntaxes keep their syntax, byte order and Planar Configuration; a compressed
    one becomes Explicit VR Little Endian (the painted image is not re-compressed). The
    bytes are what pydicom decodes back to ``view`` (PS3.5 8.1.1, 8.2): values in the
    syntax's byte order; 8-bit data in an OW element of a big-endian file is a stream of
    16-bit words (PS3.5 2016b 7.3, big endian is retired since), so byte pairs are swapped,
    as pydicom swaps them when reading.
    """
    elem = out["PixelData"]
    rewritten = syntax.is_compressed
    if rewritten:
        out.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        elem.is_undefined_length = False
        elem.VR = "OB" if bits == 8 else "OW"
        for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
            if keyword in out:
                del out[keyword]
        syntax = ExplicitVRLittleEndian
    if photometric != str(out.get("PhotometricInterpretation", "")).strip():
        out.PhotometricInterpretation = photometric  # YCbCr decoded to RGB
        rewritten = True
    colour = view.shape[-1] == 3
    if colour and (rewritten or "PlanarConfiguration" not in out):
        out.PlanarConfiguration = 0  # written colour-by-pixel
    planar = colour and int(out.get("PlanarConfiguration", 0) or 0) == 1
    order = "<" if syntax.is_little_endian else ">"
    values = view.transpose(0, 3, 1, 2) if planar else view
    data = np.ascontiguousarray(values).astype(f"{order}{kind}{bits // 8}").tobytes()
    if len(data) % 2:
        data += b"\x00"
    if bits == 8 and not syntax.is_little_endian and elem.VR == "OW":
        data = np.frombuffer(data, "u2").byteswap().tobytes()
    elem.value = data


def _fill(ds: Dataset, photometric: str, kind: str, bits: int) -> list[int]:
    """The box's value per sample: black in the decoded colour space (PS3.3 C.7.6.3.1.2)."""
    if photometric == "RGB":
        return [0, 0, 0]
    if photometric == "YBR_FULL":  # Y 0, Cb and Cr half full scale: black, no colour
        half = 1 << ((header_int(ds, "BitsStored", bits) or bits) - 1)
        return [0, half, half]
    return [_darkest(ds, kind, bits)]


def _darkest(ds: Dataset, kind: str, bits: int) -> int:
    """The stored value shown darkest: an end of the range Bits Stored can hold."""
    stored_bits = int(ds.get("BitsStored", bits) or bits)
    if kind == "i":
        low, high = -(1 << (stored_bits - 1)), (1 << (stored_bits - 1)) - 1
    else:
        low, high = 0, (1 << stored_bits) - 1
    from ..windowing import display_inverted

    lowest_is_dark = not display_inverted(ds)
    slope = ds.get("RescaleSlope")
    try:
        if slope is not None and float(slope) < 0:
            lowest_is_dark = not lowest_is_dark
    except (TypeError, ValueError):
        pass
    return low if lowest_is_dark else high
