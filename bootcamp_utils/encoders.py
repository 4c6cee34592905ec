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

What :func:`compress` adds to ``Dataset.compress``:

* it returns a **copy**, and encodes the *decoded* pixels (pydicom encodes the raw bytes, which
  byte-swaps big-endian OW data and scrambles Planar Configuration 1 colour) with one named
  plugin per syntax (never ``gdcm``, whose RLE encoder aborts the process on odd-sized RGB);
* it decodes the result and compares it with the decoded original: a lossless copy must be
  identical, a near-lossless one within ``jls_error``; lossy JPEG 2000's largest error goes
  into Derivation Description. What cannot be done right is refused: :class:`EncoderError`
  names the file, the reason and the syntaxes that work;
* a lossy result records its loss, as PS3.3 C.7.6.1.1.5 asks and pydicom does not: Lossy Image
  Compression (0028,2110) "01", its Ratio (0028,2112) and Method (0028,2114) (appended after
  earlier values), Image Type value 1 DERIVED, a new SOP Instance UID; a lossless result keeps
  the SOP Instance UID, where pydicom makes a new one unless told otherwise;
* a lossy copy of an enhanced (functional-group) image is refused: DERIVED would have to go
  into every frame's Frame Type too, and the IOD's rules change with it;
* the copy is little endian throughout, a big-endian file's too, so ``save_as`` writes it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset, validate_file_meta
from pydicom.encaps import generate_frames
from pydicom.pixels import get_encoder
from pydicom.uid import (
    JPEG2000,
    UID,
    AllTransferSyntaxes,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    JPEGLSNearLossless,
)

from . import _plugins as plugins
from .data import DataError
from .decoders import source_name
from .deid.iod import has_functional_groups

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
                return plugins.pip_line(self.missing[plugin])
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
    missing = plugins.lacking("encoders", _PLUGINS, uid, available)
    return EncoderStatus(uid, encoder.is_available, available, missing)


def _message(status: EncoderStatus, ds: Dataset) -> str:
    """Why nothing here encodes the syntax, and what to install or use instead."""
    uid = status.transfer_syntax
    text = f"{source_name(ds)}: cannot compress to {uid.name} ({uid}): "
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


def _record_lossy(ds: Dataset, uid: UID, error: int) -> None:
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
    note = f"Lossy compression: {uid.name}, ratio {ratio}:1, largest pixel error {error}"
    old = ds.get("DerivationDescription")
    ds.DerivationDescription = f"{old}; {note}" if old else note


def _refuse(ds: Dataset, uid: UID, reason: str) -> EncoderError:
    """The error that names the file, the syntax asked for and why it cannot be done."""
    return EncoderError(f"{source_name(ds)}: cannot compress to {uid.name}: {reason}")


def _source_syntax(ds: Dataset, uid: UID) -> UID | None:
    """The data set's Transfer Syntax UID (None if absent); refuse compressed pixel data."""
    meta = getattr(ds, "file_meta", None)
    source = meta.get("TransferSyntaxUID") if meta is not None else None
    if source and UID(source).is_compressed:
        raise _refuse(
            ds, uid, f"the data set is already compressed ({UID(source).name}). Decompress a "
            "copy first (ds.decompress()), then compress it."
        )  # fmt: skip
    return UID(source) if source else None


def _check_image(ds: Dataset, uid: UID, source: UID | None) -> None:
    """Refuse a data set whose pixels cannot be decoded: no Pixel Data, syntax or attribute."""
    if (reason := plugins.undecodable(ds, source)) is not None:
        deflate = DeflatedExplicitVRLittleEndian.name
        raise _refuse(ds, uid, f"{reason}; or {deflate} compresses it as it is (on save).")


def _original(ds: Dataset, uid: UID) -> tuple[np.ndarray, dict]:
    """``plugins.decoded(ds)``, or a refusal that says why the pixels do not decode."""
    try:
        return plugins.decoded(ds)
    except plugins.FAILURES as exc:
        raise _refuse(
            ds, uid, f"its Pixel Data cannot be decoded ({plugins.plugin_error(exc)}). Compare "
            "Rows, Columns, Bits Allocated, Samples per Pixel and Number of Frames with "
            "len(ds.PixelData), or ask the sender for a new copy."
        ) from exc  # fmt: skip


def _as_file(out: Dataset) -> None:
    """Give the copy what save_as needs for a DICOM file (PS3.10 7.1): a preamble, and file
    meta information naming the SOP Class and Instance (a data set read without it)."""
    meta = out.file_meta
    for keyword in ("SOPClassUID", "SOPInstanceUID"):
        if out.get(keyword) and not meta.get(f"MediaStorage{keyword}"):
            setattr(meta, f"MediaStorage{keyword}", out.get(keyword))
    if getattr(out, "preamble", None) is None:
        out.preamble = b"\0" * 128
    uids = ("MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID")
    validate_file_meta(meta, enforce_standard=all(meta.get(k) for k in uids))


def _prepare(out: Dataset, uid: UID, meta: dict, source: UID, pixel_data: bool = False) -> None:
    """Make the copy little endian for save_as, with its Pixel Data's bytes swapped if
    ``pixel_data``; else describing the decoded array that replaces them (colour-by-pixel)."""
    if source == ExplicitVRBigEndian and (unknown := plugins.to_little_endian(out, pixel_data)):
        raise _refuse(
            out, uid, f"{', '.join(unknown)} has VR UN in a big-endian file, so nothing says how "
            f"to swap its bytes; delete it first (del ds[{unknown[0]}]) if you can do without."
        )  # fmt: skip
    if not pixel_data and out.get("SamplesPerPixel", 1) > 1:  # PS3.5 8.2.3; G.2 Note 2 (RLE)
        out.PlanarConfiguration = 0
        out.PhotometricInterpretation = meta["photometric_interpretation"]


def _way_out(ds: Dataset, uid: UID, arr: np.ndarray) -> str:
    """The lossless syntaxes that do encode this image here, and Deflate, which always does."""
    works = [
        s.name
        for s in plugins.LOSSLESS
        if s != uid and encoder_status(s).encodable and plugins.encodes(ds, s, arr)
    ]
    if not works:
        return (
            "Neither RLE, JPEG-LS nor JPEG 2000 encodes it here; "
            f"{DeflatedExplicitVRLittleEndian.name} (lossless, on save) always does."
        )
    deflate = DeflatedExplicitVRLittleEndian.name
    return f"These encode it losslessly: {'; '.join(works)}; and {deflate} always does (on save)."


def _verify(out: Dataset, uid: UID, original: np.ndarray, bound: int | None) -> int:
    """Decode the copy, compare it with the decoded original: the largest difference.

    Refuses (rather than return a wrong image) when it exceeds ``bound`` (None: no bound).
    """
    try:
        back, _ = plugins.decoded(out)
    except plugins.FAILURES as exc:
        raise _refuse(out, uid, f"the copy does not decode ({plugins.plugin_error(exc)}).") from exc
    if back.shape != original.shape:
        raise _refuse(out, uid, f"the copy decodes to {back.shape}, not {original.shape}.")
    error = np.abs(back.astype(np.int64) - original.astype(np.int64)).max(initial=0)
    if bound is not None and error > bound:
        raise _refuse(
            out, uid, f"the copy decodes with values up to {error} away from the original's, "
            f"where {bound} is allowed; refused rather than return a wrong image. "
            f"{_way_out(out, uid, original)}"
        )  # fmt: skip
    return int(error)


def _deflated(ds: Dataset, source: UID | None) -> Dataset:
    """A copy whose Transfer Syntax UID says Deflated; a big-endian one made little endian
    (Pixel Data rewritten from the decoded array, or swapped if bit-packed) and checked."""
    out = copy.deepcopy(ds)
    uid = DeflatedExplicitVRLittleEndian
    if source == ExplicitVRBigEndian:
        arr, meta = _original(ds, uid) if "PixelData" in ds else (None, {})
        rewrite = arr is not None and ds.BitsAllocated % 8 == 0
        _prepare(out, uid, meta, source, pixel_data=not rewrite)
        if rewrite:  # as pydicom decodes it: OB with 16 bits too, 32 bits in OW too
            out.PixelData = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
            out["PixelData"].VR = "OB" if ds.BitsAllocated == 8 else "OW"
        out.file_meta.TransferSyntaxUID = uid
        if arr is not None:
            _verify(out, uid, arr, 0)
    if getattr(out, "file_meta", None) is None:
        out.file_meta = FileMetaDataset()
    out.file_meta.TransferSyntaxUID = uid
    _as_file(out)
    return out


#: Why a lossy copy of an enhanced (functional-group) image is refused.
_ENHANCED_LOSSY = (
    "a lossy copy of an enhanced multi-frame image must be DERIVED in Image Type and in every "
    "frame's Frame Type (functional groups), and the IOD's rules change with it (Enhanced MR "
    "then forbids parts of the MR Pulse Sequence module); compress does not rewrite functional "
    "groups. "
)


def compress(ds: Dataset, transfer_syntax: str, **kwargs: Any) -> Dataset:
    """A copy of ``ds`` compressed to ``transfer_syntax``, checked; a lossy one says it is lossy.

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
        The copy, little endian, colour with Planar Configuration 0, checked against the
        decoded original. For Deflated Explicit VR Little Endian only the Transfer Syntax UID
        (and a big-endian file's byte order) changes: ``save_as`` deflates when it writes.

    Raises
    ------
    EncoderError
        Naming the file and what to do: no installed encoder (the ``pip install`` line), none
        in pydicom, ``ds`` compressed, without Pixel Data, Transfer Syntax UID or an Image
        Pixel attribute, an image the encoder cannot take (the syntaxes that can are named),
        a lossy syntax for an enhanced (functional-group) image,
        or a copy that does not decode to the original within the bound.

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
        raise EncoderError(_message(status, ds))
    source = _source_syntax(ds, uid)
    if uid == DeflatedExplicitVRLittleEndian:
        return _deflated(ds, source)
    _check_image(ds, uid, source)
    arr, meta = _original(ds, uid)
    out = copy.deepcopy(ds)
    _prepare(out, uid, meta, source)
    if (reason := plugins.encoder_limit(out, uid)) is not None:
        raise _refuse(out, uid, f"{reason}. {_way_out(out, uid, arr)}")
    lossy = _is_lossy(uid, kwargs)
    if lossy and has_functional_groups(ds):
        raise _refuse(out, uid, _ENHANCED_LOSSY + _way_out(out, uid, arr))
    kwargs.setdefault("generate_instance_uid", lossy)
    try:
        out.compress(uid, arr=arr, encoding_plugin=plugins.encoding_plugin(uid), **kwargs)
    except plugins.FAILURES as exc:
        reason = f"{plugins.encoding_plugin(uid)} cannot encode it ({plugins.plugin_error(exc)})."
        raise _refuse(out, uid, f"{reason} {_way_out(out, uid, arr)}") from exc
    near = uid == JPEGLSNearLossless and int(kwargs.get("jls_error") or 0)
    bound = None if uid == JPEG2000 else int(near)
    error = _verify(out, uid, arr, bound)
    if lossy:
        _record_lossy(out, uid, error)
    _as_file(out)
    return out
