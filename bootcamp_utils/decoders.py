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
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder
from pydicom.uid import UID

from ._plugins import lacking, pip_line
from .data import DataError

__all__ = ["COURSE_PLUGINS", "DecoderError", "DecoderStatus", "decoder_status", "pixel_array"]

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
        while the course's own decoder is missing. Other decoding errors are pydicom's.

    Examples
    --------
    >>> from bootcamp_utils import pixel_array, read_example
    >>> jpeg_ls, plain = read_example("mr_jpeg_ls"), read_example("mr")
    >>> pixels = pixel_array(jpeg_ls)
    >>> pixels.shape, pixels.dtype, bool((pixels == plain.pixel_array).all())
    ((64, 64), dtype('int16'), True)
    """
    if filename is None:
        filename = getattr(ds, "filename", None)
        filename = filename if isinstance(filename, (str, os.PathLike)) else None
    uid = _syntax(ds)
    status = decoder_status(uid) if uid is not None else None
    if status is not None and not status.decodable:
        raise DecoderError(_message(status, filename, "no installed package decodes it"))
    try:
        return ds.pixel_array
    except Exception as exc:
        # The installed plugins failed (Pillow or GDCM on a file they do not support); the
        # course's decoder would be tried too if it were installed: say so.
        if status is None or status.install is None:
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        failure = f"the installed decoders ({', '.join(status.available)}) failed: {first}"
        raise DecoderError(_message(status, filename, failure)) from exc
