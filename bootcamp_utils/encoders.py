"""Compress a data set's pixel data, record a lossy compression, and say what to install.

pydicom compresses with :meth:`Dataset.compress <pydicom.dataset.Dataset.compress>`, through
*encoder plugins*, the way it decodes through decoder plugins (:mod:`bootcamp_utils.decoders`):
for every transfer syntax it keeps the plugins that can encode it and which of them found their
packages (``pydicom.pixels.get_encoder(uid).available_plugins``). pydicom 3 encodes:

* RLE Lossless: pydicom itself (no package needed; ``pylibjpeg-rle`` or ``python-gdcm`` are
  faster);
* JPEG-LS Lossless and JPEG-LS Near-Lossless: ``pyjpegls``;
* JPEG 2000 Lossless and JPEG 2000 (lossy): ``pylibjpeg`` with ``pylibjpeg-openjpeg``.

No package makes pydicom encode JPEG baseline, JPEG Lossless or HTJ2K.

Deflated Explicit VR Little Endian is different: it compresses the whole data set, not the
pixels, and pydicom does it with the standard library's zlib when it *saves* a data set whose
Transfer Syntax UID says Deflated. :func:`compress` sets that UID; ``save_as`` deflates.

:func:`compress` differs from ``Dataset.compress`` in three ways:

* it returns a compressed **copy**; the data set given is not changed;
* a lossy result records its loss, as PS3.3 C.7.6.1.1.5 asks and pydicom does not: Lossy Image
  Compression (0028,2110) "01", Lossy Image Compression Ratio (0028,2112) and Method
  (0028,2114) (values appended after earlier ones), Image Type value 1 DERIVED, and a new SOP
  Instance UID;
* a lossless result keeps the SOP Instance UID (same image, other encoding), where pydicom
  makes a new one unless told ``generate_instance_uid=False``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import generate_frames
from pydicom.pixels import get_encoder
from pydicom.uid import (
    JPEG2000,
    UID,
    AllTransferSyntaxes,
    DeflatedExplicitVRLittleEndian,
    JPEGLSNearLossless,
)

from ._plugins import lacking, pip_line
from .data import DataError

__all__ = ["EncoderError", "EncoderStatus", "LOSSY_METHODS", "compress", "encoder_status"]

#: The plugins whose packages the course declares, in the order it suggests them.
COURSE_PLUGINS = ("pyjpegls", "pylibjpeg")
#: Every encoding plugin pydicom 3 ships that needs a package ("pydicom", its own RLE
#: encoder, needs none).
_PLUGINS = ("pyjpegls", "pylibjpeg", "gdcm")
#: Lossy Image Compression Method (0028,2114), defined terms of PS3.3 C.7.6.1.1.5.1, for the
#: lossy transfer syntaxes pydicom can encode.
LOSSY_METHODS = {JPEGLSNearLossless: "ISO_14495_1", JPEG2000: "ISO_15444_1"}


class EncoderError(DataError):
    """A data set cannot be compressed to a transfer syntax; the message says what to do.

    Examples
    --------
    >>> from bootcamp_utils import DataError, EncoderError
    >>> issubclass(EncoderError, DataError) and issubclass(EncoderError, ValueError)
    True
    """


@dataclass(frozen=True)
class EncoderStatus:
    """Who can encode one transfer syntax here, and what to install when nobody can.

    Attributes
    ----------
    transfer_syntax : pydicom.uid.UID
        The Transfer Syntax UID; ``transfer_syntax.name`` is its name.
    encodable : bool
        True when :func:`compress` can produce it here.
    available : tuple of str
        The plugins that found their packages (``"pydicom"``, ``"pyjpegls"``...); ``("zlib",)``
        for Deflated Explicit VR Little Endian.
    missing : dict
        Plugin -> the packages it lacks (pip names with pydicom's version bounds).
    known : bool
        False when pydicom has no encoder at all for it (JPEG baseline, HTJ2K, video...).
    """

    transfer_syntax: UID
    encodable: bool
    available: tuple[str, ...] = ()
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    known: bool = True

    @property
    def install(self) -> str | None:
        """The ``pip install`` line for the course's plugin; None if nothing is missing.

        Examples
        --------
        >>> from bootcamp_utils.encoders import encoder_status
        >>> print(encoder_status("1.2.840.10008.1.2.4.80").install)  # JPEG-LS: installed
        None
        """
        if self.encodable:
            return None
        for plugin in COURSE_PLUGINS:
            if plugin in self.missing:
                return pip_line(self.missing[plugin])
        return None


def encoder_status(transfer_syntax: str) -> EncoderStatus:
    """Which installed plugins encode ``transfer_syntax``, and which packages others need.

    Read from pydicom's own registry (:func:`pydicom.pixels.get_encoder`), so it agrees with
    what ``Dataset.compress`` will do.

    Parameters
    ----------
    transfer_syntax : str
        A Transfer Syntax UID, such as ``pydicom.uid.JPEGLSLossless``.

    Returns
    -------
    EncoderStatus

    Examples
    --------
    >>> from pydicom.uid import JPEG2000, JPEGBaseline8Bit, RLELossless
    >>> from bootcamp_utils import encoder_status
    >>> status = encoder_status(JPEG2000)
    >>> status.transfer_syntax.name, status.encodable, status.available
    ('JPEG 2000 Image Compression', True, ('pylibjpeg',))
    >>> "pydicom" in encoder_status(RLELossless).available  # pydicom's own RLE encoder
    True
    >>> encoder_status(JPEGBaseline8Bit).known  # pydicom cannot write JPEG baseline
    False
    """
    uid = UID(str(transfer_syntax))
    if uid == DeflatedExplicitVRLittleEndian:
        return EncoderStatus(uid, encodable=True, available=("zlib",))
    try:
        encoder = get_encoder(uid)
    except NotImplementedError:
        return EncoderStatus(uid, encodable=False, known=False)
    available = encoder.available_plugins
    missing = lacking("encoders", _PLUGINS, uid, available)
    return EncoderStatus(uid, encoder.is_available, available, missing)


def _message(status: EncoderStatus) -> str:
    uid = status.transfer_syntax
    text = f"Cannot compress to {uid.name} ({uid}): "
    if not status.known:
        can = [s.name for s in AllTransferSyntaxes if encoder_status(s).known and s.is_compressed]
        return (
            f"{text}pydicom has no encoder for it, with any package. It can write: "
            f"{'; '.join(can)}; and {DeflatedExplicitVRLittleEndian.name}."
        )
    text += (
        "no installed package encodes it. Install the course's encoder, then restart the kernel "
        f"(on Colab: Runtime > Restart session):\n    {status.install}"
    )
    others = [" ".join(n) for plugin, n in status.missing.items() if plugin not in COURSE_PLUGINS]
    if others:
        text += f"\n(These would encode it too: {'; '.join(others)}.)"
    return text


def _is_lossy(uid: UID, options: dict) -> bool:
    """JPEG 2000 (pydicom asks for a ratio or PSNR), or JPEG-LS with a nonzero error bound."""
    return uid == JPEG2000 or (uid == JPEGLSNearLossless and bool(options.get("jls_error")))


def _compression_ratio(ds: Dataset) -> float:
    """Uncompressed pixel bytes / compressed bytes (the encoded frames), as PS3.3 defines it."""
    frames = int(ds.get("NumberOfFrames") or 1)
    uncompressed = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8 * frames
    compressed = sum(len(f) for f in generate_frames(ds.PixelData, number_of_frames=frames))
    return uncompressed / compressed


def _record_lossy(ds: Dataset, uid: UID) -> None:
    """Set what PS3.3 C.7.6.1.1.5 asks of a lossy compressed copy of an image."""
    ratio = round(_compression_ratio(ds), 2)

    def values(keyword: str) -> list:  # the values already there, as a list
        if keyword not in ds or ds[keyword].VM == 0:
            return []
        return list(ds[keyword].value) if ds[keyword].VM > 1 else [ds[keyword].value]

    ds.LossyImageCompression = "01"  # once "01", never reset
    ds.LossyImageCompressionRatio = values("LossyImageCompressionRatio") + [ratio]
    ds.LossyImageCompressionMethod = values("LossyImageCompressionMethod") + [LOSSY_METHODS[uid]]
    if ds.get("ImageType"):
        ds.ImageType = ["DERIVED", *list(ds.ImageType)[1:]]
    note = f"Lossy compression: {uid.name}, ratio {ratio}:1"
    old = ds.get("DerivationDescription")
    ds.DerivationDescription = f"{old}; {note}" if old else note


def compress(ds: Dataset, transfer_syntax: str, **kwargs: Any) -> Dataset:
    """A copy of ``ds`` compressed to ``transfer_syntax``; a lossy one says it is lossy.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set with uncompressed Pixel Data; it is not changed.
    transfer_syntax : str
        The Transfer Syntax UID to compress to, such as ``pydicom.uid.RLELossless``.
    **kwargs
        Passed to :meth:`pydicom.dataset.Dataset.compress`: ``jls_error=2`` (JPEG-LS
        Near-Lossless: the largest error allowed; 0, the default, is lossless),
        ``j2k_cr=[10]`` or ``j2k_psnr=[60]`` (JPEG 2000 lossy: one is required),
        ``generate_instance_uid`` (default: True only for a lossy result).

    Returns
    -------
    pydicom.dataset.Dataset
        The compressed copy. For Deflated Explicit VR Little Endian only the Transfer Syntax
        UID changes: ``save_as`` deflates the data set when it writes the file.

    Raises
    ------
    EncoderError
        When no installed package encodes the transfer syntax (the message has the ``pip
        install`` line), when pydicom cannot encode it at all, or when ``ds`` is compressed.

    Examples
    --------
    >>> import numpy as np
    >>> from pydicom.uid import JPEG2000, JPEGLSLossless
    >>> from bootcamp_utils import compress, read_example
    >>> ct = read_example("ct")
    >>> small = compress(ct, JPEGLSLossless)
    >>> small.file_meta.TransferSyntaxUID.name, ct.file_meta.TransferSyntaxUID.name
    ('JPEG-LS Lossless Image Compression', 'Explicit VR Little Endian')
    >>> bool(np.array_equal(small.pixel_array, ct.pixel_array)), "LossyImageCompression" in small
    (True, False)
    >>> lossy = compress(ct, JPEG2000, j2k_cr=[10])
    >>> lossy.LossyImageCompression, lossy.LossyImageCompressionMethod, lossy.ImageType[0]
    ('01', 'ISO_15444_1', 'DERIVED')
    >>> 9 < lossy.LossyImageCompressionRatio < 11, lossy.SOPInstanceUID != ct.SOPInstanceUID
    (True, True)
    """
    uid = UID(str(transfer_syntax))
    status = encoder_status(uid)
    if not status.encodable:
        raise EncoderError(_message(status))
    meta = getattr(ds, "file_meta", None)
    source = meta.get("TransferSyntaxUID") if meta is not None else None
    if source and UID(source).is_compressed:
        raise EncoderError(
            f"Cannot compress to {uid.name}: the data set is already compressed "
            f"({UID(source).name}). Decompress a copy first (ds.decompress()), then compress it."
        )
    out = copy.deepcopy(ds)
    if uid == DeflatedExplicitVRLittleEndian:
        if getattr(out, "file_meta", None) is None:
            out.file_meta = FileMetaDataset()
        out.file_meta.TransferSyntaxUID = uid
        return out
    lossy = _is_lossy(uid, kwargs)
    kwargs.setdefault("generate_instance_uid", lossy)
    out.compress(uid, **kwargs)
    if lossy:
        _record_lossy(out, uid)
    return out
