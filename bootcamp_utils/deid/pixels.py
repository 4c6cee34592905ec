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
others           refused (``YBR_*``: black is not 0 in Cb/Cr; ``PALETTE COLOR``: black
                 depends on the palette): convert the image to RGB first
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
true; the windows and Pixel Padding Value are left as they are. Only uncompressed pixel
data can be edited here: for a compressed transfer syntax, decompress first
(``ds.decompress()``, which needs the codec). Pixels outside the boxes are left byte for
byte as they were. The SOP Instance UID is not changed:
:func:`bootcamp_utils.deid.deidentify` replaces it anyway.

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
        An image with uncompressed Pixel Data; it is not modified.
    boxes : list of (int, int, int, int)
        Rectangles ``(row0, row1, col0, col1)``, half-open (``row1`` and ``col1`` are not
        painted), applied to every frame.

    Returns
    -------
    pydicom.dataset.Dataset
        The copy: Pixel Data re-encoded with the boxes black (the module docstring gives the
        value per Photometric Interpretation), Burned In Annotation ``NO``, and Clean Pixel
        Data Option (DCM 113101) added to the Deidentification Method Code Sequence when the
        data set has one.

    Raises
    ------
    TypeError
        If ``ds`` is not a Dataset or a box is not four integers.
    ValueError
        If there is no Pixel Data, the transfer syntax is compressed, the Photometric
        Interpretation is not MONOCHROME1, MONOCHROME2 or RGB, Bits Allocated is not 8, 16
        or 32, or a box lies outside the image.

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
    if "PixelData" not in ds:
        raise ValueError("the data set has no Pixel Data (7FE0,0010): nothing to black out")
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax is None:
        raise ValueError(
            "no Transfer Syntax UID in ds.file_meta: cannot tell how Pixel Data is encoded"
        )
    if syntax.is_compressed:
        raise ValueError(
            f"Pixel Data is compressed ({syntax.name}): decompress first, e.g. "
            "ds.decompress(), then black out"
        )
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if photometric not in ("MONOCHROME1", "MONOCHROME2", "RGB"):
        raise ValueError(
            f"Photometric Interpretation {photometric or '(missing)'} is not supported: "
            "black_out handles MONOCHROME1, MONOCHROME2 and RGB; convert the image to RGB "
            "first (pydicom.pixels.convert_color_space, apply_color_lut)"
        )
    bits = int(ds.BitsAllocated)
    if bits not in (8, 16, 32):
        raise ValueError(f"Bits Allocated {bits} is not supported (8, 16 or 32 only)")
    rows, cols = int(ds.Rows), int(ds.Columns)
    checked = _check_boxes(boxes, rows, cols)

    # The stored values as they are in the file, byte order and planar layout included,
    # so that everything outside the boxes is written back unchanged.
    kind = "i" if int(ds.get("PixelRepresentation", 0)) == 1 else "u"
    order = "<" if syntax.is_little_endian else ">"
    dtype = np.dtype(f"{order}{kind}{bits // 8}")
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1))
    count = frames * rows * cols * samples
    raw = bytes(ds.PixelData)
    if len(raw) < count * dtype.itemsize:
        raise ValueError(
            f"Pixel Data holds {len(raw)} bytes, fewer than the {count * dtype.itemsize} "
            "that Rows, Columns, Samples per Pixel and Number of Frames need"
        )
    stored = np.frombuffer(raw, dtype=dtype, count=count).copy()
    planar = samples > 1 and int(ds.get("PlanarConfiguration", 0)) == 1
    # view as (frames, samples, rows, cols) whatever the layout
    if planar:
        view = stored.reshape(frames, samples, rows, cols)
    else:
        view = stored.reshape(frames, rows, cols, samples).transpose(0, 3, 1, 2)

    fill = 0 if photometric == "RGB" else _darkest(ds, kind, bits)
    for row0, row1, col0, col1 in checked:
        view[:, :, row0:row1, col0:col1] = fill

    out = copy.deepcopy(ds)
    data = stored.tobytes() + raw[count * dtype.itemsize :]
    if len(data) % 2:
        data += b"\x00"
    out.PixelData = data
    out.BurnedInAnnotation = "NO"
    if photometric != "RGB":
        for low, high in (
            ("SmallestImagePixelValue", "LargestImagePixelValue"),
            ("SmallestPixelValueInSeries", "LargestPixelValueInSeries"),
        ):
            if isinstance(out.get(low), int) and fill < out[low].value:
                out[low].value = int(fill)
            if isinstance(out.get(high), int) and fill > out[high].value:
                out[high].value = int(fill)
    add_method_code(out)
    return out


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
