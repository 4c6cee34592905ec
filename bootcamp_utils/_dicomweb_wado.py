"""WADO-RS for :mod:`bootcamp_utils.dicomweb`: instances, metadata, frames, rendered, bulk data.

Private: the server's retrieve half (PS3.18 10.4), split off to keep each module one read.
The shared pieces (``_Refusal``, ``_url``, ``_multipart``) live here too.
"""

from __future__ import annotations

import io
import re
import urllib.parse
import uuid
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import ExplicitVRLittleEndian

_LEVELS = ("studies", "series", "instances")
_UID_KEYS = {"studies": "StudyInstanceUID", "series": "SeriesInstanceUID", "instances": ""}
_UID_KEYS["instances"] = "SOPInstanceUID"
#: Compressed media types (PS3.18 Table 8.7.3-2) and the transfer syntaxes they carry.
_COMPRESSED = {
    "image/jpeg": ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
                   "1.2.840.10008.1.2.4.70"),
    "image/jls": ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"),
    "image/jp2": ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"),
    "image/jpx": ("1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93"),
    "image/dicom-rle": ("1.2.840.10008.1.2.5",),
}  # fmt: skip
_FUNCTIONS = {"linear": "LINEAR", "linear-exact": "LINEAR_EXACT", "sigmoid": "SIGMOID"}


class _Refusal(Exception):
    """An HTTP error answer: status and a plain-text reason."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def _url(app, ds: Dataset, level: str) -> str:
    parts = zip(_LEVELS[: _LEVELS.index(level) + 1], _UID_KEYS.values(), strict=False)
    return app.url + "".join(f"/{name}/{ds[key].value}" for name, key in parts)


def _metadata(app, path: Path) -> dict:
    """The whole data set as DICOM JSON; values over 1 KiB become BulkDataURI links."""
    ds = dcmread(path)
    url = _url(app, ds, "instances")
    if "PixelData" in ds and ds.file_meta.TransferSyntaxUID.is_compressed:
        frames = ",".join(str(n + 1) for n in range(int(ds.get("NumberOfFrames") or 1)))
        ds.PixelData, pixel_uri = b"", f"{url}/frames/{frames}"  # the frames, as stored
        return {**ds.to_json_dict(), "7FE00010": {"vr": "OB", "BulkDataURI": pixel_uri}}
    paths = dict(_paths(ds, ""))  # nested values get their path: 00880200/0/7FE00010

    def handler(element) -> str:
        return f"{url}/bulkdata/{paths[id(element)]}"

    return ds.to_json_dict(bulk_data_threshold=1024, bulk_data_element_handler=handler)


def _paths(ds: Dataset, prefix: str):
    for element in ds:
        if element.VR == "SQ":
            for index, item in enumerate(element.value):
                yield from _paths(item, f"{prefix}{element.tag:08X}/{index}/")
        else:
            yield id(element), f"{prefix}{element.tag:08X}"


def _bulkdata(path: Path, steps: list[str], instance_url: str):
    """One bulk data value, found by its path of tags and item numbers."""
    ds, element = dcmread(path), None
    try:
        for tag, index in zip(steps[::2], [*steps[1::2], None], strict=True):
            element = ds[int(tag, 16)]
            ds = element.value[int(index)] if index is not None else ds
    except (KeyError, ValueError, IndexError, TypeError):
        element = None
    if element is None or element.VR not in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
        raise _Refusal(404, f"{instance_url} has no bulk data {'/'.join(steps)}")
    return _multipart([("application/octet-stream", element.value)])


def _multipart(parts: list[tuple[str, bytes]], kind: str | None = None):
    """A ``multipart/related`` body (RFC 2387), one part per (Content-Type, bytes)."""
    boundary = uuid.uuid4().hex
    body = b"".join(
        b"--%s\r\nContent-Type: %s\r\n\r\n%s\r\n" % (boundary.encode(), ct.encode(), data)
        for ct, data in parts
    )
    kind = kind or parts[0][0].split(";")[0]
    header = f'multipart/related; type="{kind}"; boundary={boundary}'
    return 200, header, body + b"--%s--\r\n" % boundary.encode(), {}


def _parts(body: bytes, boundary: str) -> list[tuple[str, bytes]]:
    """The (Content-Type, bytes) of each part of a multipart body."""
    found = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        kind = re.search(rb"(?im)^content-type:\s*([^;\r\n]+)", head)
        found.append(((kind.group(1).decode().strip().lower() if kind else ""), data[:-2]))
    return found


def _retrieve(found, accept):
    """WADO-RS of whole instances: the files as stored, or native ones as Explicit VR LE."""
    choice = None
    for media, params in accept or [("*/*", {})]:
        if media in ("*/*", "multipart/*") or (
            media == "multipart/related"
            and params.get("type", "application/dicom") in ("application/dicom", "*/*")
        ):
            choice = params.get("transfer-syntax", ExplicitVRLittleEndian)
            break
    if choice is None:
        raise _Refusal(406, 'Instances are offered as multipart/related; type="application/dicom"')
    parts = []
    for path, header in found:
        stored = header.file_meta.TransferSyntaxUID
        if choice in ("*", stored):
            parts.append(("application/dicom", path.read_bytes()))
        elif choice == ExplicitVRLittleEndian and not stored.is_compressed:
            ds, buffer = dcmread(path), io.BytesIO()
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.save_as(buffer, implicit_vr=False, little_endian=True, enforce_file_format=True)
            parts.append(("application/dicom", buffer.getvalue()))
        else:
            raise _Refusal(
                406,
                f"{header.SOPInstanceUID} is stored as {stored.name}: this server does not "
                f"transcode; ask transfer-syntax=* or ={stored}",
            )
    return _multipart(parts, "application/dicom")


def _frame_numbers(text: str, header: Dataset) -> list[int]:
    count = int(header.get("NumberOfFrames") or 1)
    try:
        numbers = [int(n) for n in re.split(r",|%2C", text, flags=re.I)]
    except ValueError:
        raise _Refusal(400, f"Frame numbers are a list such as 1,2,3, not {text!r}") from None
    if not all(1 <= n <= count for n in numbers):
        raise _Refusal(404, f"Frames {text}: this instance has {count} frame(s) of Pixel Data")
    return numbers


def _frames(path: Path, header: Dataset, numbers: list[int], accept):
    """WADO-RS frames (PS3.18 10.4.1.1.4): native little endian, or as stored."""
    stored = header.file_meta.TransferSyntaxUID
    stored_type = next((m for m, uids in _COMPRESSED.items() if stored in uids), None)
    native = not stored.is_compressed and stored.is_little_endian and header.BitsAllocated > 1
    for media, params in accept or [("*/*", {})]:
        inner = params.get("type", "*/*") if media == "multipart/related" else media
        syntax = params.get("transfer-syntax")
        if (
            inner in ("*/*", "multipart/*")
            or syntax in ("*", stored)
            and (inner == "application/octet-stream" or inner == stored_type)
        ):
            kind = stored_type or "application/octet-stream"
            return _frame_parts(path, header, numbers, kind, stored, stored.is_compressed)
        uncompressed = syntax in (None, ExplicitVRLittleEndian)
        if inner == "application/octet-stream" and uncompressed and native:
            return _frame_parts(path, header, numbers, inner, ExplicitVRLittleEndian, False)
        if inner == stored_type and syntax is None:
            return _frame_parts(path, header, numbers, inner, stored, True)
    offered = "application/octet-stream (uncompressed)" if native else stored_type
    raise _Refusal(406, f"Frames of this instance (stored as {stored.name}) are offered as "
                   f'multipart/related; type="{offered}" or with transfer-syntax=*; '
                   "this server does not transcode")  # fmt: skip


def _frame_parts(path, header, numbers, kind, syntax, encapsulated):
    ds = dcmread(path)
    count = int(header.get("NumberOfFrames") or 1)
    if "PixelData" not in ds:
        raise _Refusal(404, f"{header.SOPInstanceUID} has no Pixel Data (7FE0,0010)")
    if encapsulated:
        from pydicom.encaps import generate_frames

        frames = list(generate_frames(ds.PixelData, number_of_frames=count))
    else:
        size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
        frames = [ds.PixelData[i * size : (i + 1) * size] for i in range(count)]
    part = f"{kind}; transfer-syntax={syntax}"
    return _multipart([(part, frames[n - 1]) for n in numbers], kind)


def _window(query: str):
    """``window=center,width[,function]`` (PS3.18 8.3.5.1.3) from a query, or None."""
    for pair in query.split("&"):
        name, _, raw = pair.partition("=")
        if name == "window":
            values = urllib.parse.unquote(raw).split(",")
            try:
                center, width = float(values[0]), float(values[1])
                function = _FUNCTIONS[(values[2:] or ["linear"])[0]]
                assert len(values) <= 3 and width > 0
            except (ValueError, IndexError, KeyError, AssertionError):
                raise _Refusal(400, f"window={raw}: center,width,function with width > 0 and "
                               f"function one of {', '.join(_FUNCTIONS)}") from None  # fmt: skip
            return center, width, function
    return None


def _rendered(path: Path, header: Dataset, frame: int | None, accept, query: str):
    """A PNG or JPEG (PS3.18 10.4.1.1.3): Modality LUT, then the asked or stored window."""
    from PIL import Image

    from .decoders import pixel_array
    from .windowing import apply_window, display_inverted, real_world_values, voi_lut_function

    kinds = [m for m, _ in accept or [("image/jpeg", {})]]
    kind = next((k for k in kinds if k in ("image/png", "image/jpeg")), None)
    kind = kind or ("image/jpeg" if {"*/*", "image/*"} & set(kinds) else None)
    if kind is None:
        raise _Refusal(406, "Rendered images are offered as image/png and image/jpeg")
    count = int(header.get("NumberOfFrames") or 1)
    if frame is None and count > 1:
        raise _Refusal(406, f"{count} frames: ask for one, .../frames/{{n}}/rendered")
    ds, window = dcmread(path), _window(query)
    pixels = pixel_array(ds)
    if ds.SamplesPerPixel == 1:
        values = real_world_values(ds, pixels)
        values = values[(frame or 1) - 1] if count > 1 else values
        if window is None and "WindowCenter" in ds and "WindowWidth" in ds:
            first = [ds.WindowCenter, ds.WindowWidth]
            first = [float(v[0] if isinstance(v, MultiValue) else v) for v in first]
            window = (*first, voi_lut_function(ds))
        if window is None:  # no window anywhere: the whole range
            low, high = float(values.min()), float(values.max())
            window = ((low + high) / 2, max(high - low, 1.0), "LINEAR_EXACT")
        grey = apply_window(values, *window)
        image = np.round((1 - grey if display_inverted(ds) else grey) * 255).astype(np.uint8)
    else:
        pixels = pixels[(frame or 1) - 1] if count > 1 else pixels
        image = (pixels >> max(int(ds.BitsStored) - 8, 0)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=kind.split("/")[1].upper())
    return 200, kind, buffer.getvalue(), {}
