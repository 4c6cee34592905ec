"""A small DICOMweb origin server for lesson 05: QIDO-RS, WADO-RS and STOW-RS over a folder.

DICOMweb (PS3.18) offers the DICOM services as HTTP *resources* under a root URL, here
``http://127.0.0.1:<port>/dicom-web``. The path names the level, the ``Accept`` header the
format (PS3.18 8.7, content negotiation instead of presentation contexts):

* **QIDO-RS**, search (PS3.18 10.6): ``GET /studies``, ``/series``, ``/instances``, also
  below a study or series (``/studies/{study}/series``...). Query keys are keywords or tags
  (``PatientID=BOOTCAMP-*``, ``00100020=...``) with the matching of PS3.4 C.2.2.2: ``*``
  and ``?`` wildcards, a list of UIDs, a date range ``20240101-20241231``; also
  ``includefield`` (``all`` or attributes), ``limit`` and ``offset`` (PS3.18 8.3.4). The
  answer is ``application/dicom+json`` (PS3.18 Annex F): the default attributes of the level
  (PS3.18 Tables 10.6.3-3, -4, -5) and the computed ones (Modalities in Study, the
  ``NumberOf...Related...`` counts, Retrieve URL); *204 No Content* when nothing matches.
* **WADO-RS**, retrieve (PS3.18 10.4): a study, series or instance as
  ``multipart/related; type="application/dicom"``; ``.../metadata`` as DICOM JSON whose Pixel
  Data is a ``BulkDataURI`` link (with host *and* port); ``.../frames/1,2`` as
  ``multipart/related; type="application/octet-stream"`` (uncompressed, PS3.18 8.7.3's default
  Explicit VR Little Endian) or, with ``transfer-syntax=*``, as stored; ``.../rendered`` as
  ``image/png`` or ``image/jpeg``, windowed with ``?window=center,width,function``
  (PS3.18 8.3.5.1.3; default: the file's first Window Center/Width).
* **STOW-RS**, store (PS3.18 10.5): ``POST /studies`` with ``multipart/related;
  type="application/dicom"``; the answer lists each instance in Referenced SOP Sequence
  (0008,1199) or, with its Failure Reason (0008,1197), in Failed SOP Sequence (0008,1198).

What it cannot do is refused clearly: *400* (bad request), *404* (no such resource), *406*
(a media type or transfer syntax it cannot produce: it never transcodes compressed pixel
data), *415* (STOW-RS of anything but ``application/dicom``), each with a plain-text reason.

Percent-encoding (RFC 3986): ``*`` and ``?`` are wildcards only when sent as themselves. An
encoded ``%2A`` is data, a literal asterisk (RFC 3986 2.2, 6.2.2.2), as Orthanc 1.10 reads it;
an encoded unreserved character (``%2D``) is decoded. Commas that separate UIDs or the three
window values may be encoded (``%2C``): neither can contain a comma. Matching is
case-sensitive except for person names (PS3.4 C.2.2.2.1 allows both).

:func:`start_dicomweb` runs the server in a thread of this Python, bound to 127.0.0.1 only:
other machines cannot connect, and it ends with this process whatever ends it.
:func:`bootcamp_utils.start_pacs` starts one next to pynetdicom's qrscp, on the files qrscp
stores; its STOW-RS then sends each instance to qrscp with C-STORE, so C-FIND finds it too.
"""

from __future__ import annotations

import atexit
import io
import os
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pydicom import dcmread
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from ._dicomweb_wado import (
    _LEVELS,
    _UID_KEYS,
    _bulkdata,
    _frame_numbers,
    _frames,
    _metadata,
    _parts,
    _Refusal,
    _rendered,
    _retrieve,
    _url,
)

__all__ = ["DICOMwebServer", "start_dicomweb"]

HOST = "127.0.0.1"
ROOT = "/dicom-web"
_RUNNING: set[DICOMwebServer] = set()
#: PS3.18 Tables 10.6.3-3 (study), 10.6.3-4 (series), 10.6.3-5 (instance) default attributes.
_DEFAULTS = {
    "studies": "SpecificCharacterSet StudyDate StudyTime AccessionNumber InstanceAvailability "
    "ModalitiesInStudy ReferringPhysicianName TimezoneOffsetFromUTC RetrieveURL PatientName "
    "PatientID PatientBirthDate PatientSex StudyInstanceUID StudyID "
    "NumberOfStudyRelatedSeries NumberOfStudyRelatedInstances",
    "series": "SpecificCharacterSet Modality TimezoneOffsetFromUTC SeriesDescription RetrieveURL "
    "SeriesInstanceUID SeriesNumber NumberOfSeriesRelatedInstances "
    "PerformedProcedureStepStartDate PerformedProcedureStepStartTime RequestAttributesSequence",
    "instances": "SpecificCharacterSet SOPClassUID SOPInstanceUID InstanceAvailability "
    "TimezoneOffsetFromUTC RetrieveURL InstanceNumber Rows Columns BitsAllocated NumberOfFrames",
}
_TOKEN = re.compile(r"((?:%[0-9A-Fa-f]{2})+)|([*?])|([^%*?]+)|(%)")


class DICOMwebServer:
    """A running DICOMweb server (see :func:`start_dicomweb`); ``stop()`` ends it.

    Attributes
    ----------
    url : str
        The DICOMweb root, ``http://127.0.0.1:<port>/dicom-web``.
    port : int
    folder : pathlib.Path
        The DICOM files it serves (every file in it, not its sub-folders).
    """

    def __init__(self, folder, port=0, forward=None, log_file=None):
        self.folder, self.forward, self.log_file = Path(folder), forward, log_file
        self._headers: dict[Path, tuple[tuple[int, int], Dataset]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((HOST, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.app = self
        self.port = self._httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}{ROOT}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"dicomweb-{self.port}", daemon=True
        )
        self._thread.start()
        _RUNNING.add(self)

    @property
    def running(self) -> bool:
        """True until :meth:`stop`."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop serving and close the port; again does nothing."""
        _RUNNING.discard(self)
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def __enter__(self) -> DICOMwebServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def instances(self, study=None, series=None, sop=None) -> list[tuple[Path, Dataset]]:
        """(path, header) of each stored instance under the given UIDs (headers cached)."""
        found = []
        with self._lock:
            for path in sorted(self.folder.iterdir()) if self.folder.is_dir() else []:
                stat = path.stat()
                key = (stat.st_mtime_ns, stat.st_size)
                if path not in self._headers or self._headers[path][0] != key:
                    try:
                        header = dcmread(path, stop_before_pixels=True)
                        header.SOPInstanceUID  # noqa: B018 - not a DICOM instance otherwise
                    except Exception:  # noqa: BLE001 - not DICOM (qrscp's database), or half-written
                        continue
                    self._headers[path] = (key, header)
                found.append((path, self._headers[path][1]))
        wanted = {"StudyInstanceUID": study, "SeriesInstanceUID": series, "SOPInstanceUID": sop}
        return [
            (path, ds)
            for path, ds in found
            if all(uid is None or ds.get(key) == uid for key, uid in wanted.items())
        ]

    def store(self, ds: Dataset) -> int:
        """Store one instance: C-STORE to ``forward`` (host, port, AE title) or a file."""
        if self.forward is None:
            uid = str(ds.SOPInstanceUID)
            if not re.fullmatch(r"[0-9.]{1,64}", uid):
                return 0xC000  # Error: cannot understand (not a UID, not a file name)
            ds.save_as(self.folder / uid, enforce_file_format=True)
            return 0x0000
        from pynetdicom import AE

        host, port, ae_title = self.forward
        ae = AE("DICOMWEB")
        ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
        assoc = ae.associate(host, port, ae_title=ae_title)
        if not assoc.is_established:
            return 0xA700  # Refused: out of resources (the archive did not answer)
        try:
            status = assoc.send_c_store(ds)
        except ValueError:  # the archive rejected the SOP class or transfer syntax
            return 0x0122  # SOP class not supported
        finally:
            assoc.release()
        return int(status.Status) if "Status" in status else 0x0110


def start_dicomweb(
    folder: str | os.PathLike,
    *,
    port: int = 0,
    forward: tuple[str, int, str] | None = None,
    log_file: str | os.PathLike | None = None,
) -> DICOMwebServer:
    """Serve the DICOM files of ``folder`` with DICOMweb on 127.0.0.1, in a thread.

    Parameters
    ----------
    folder : str or os.PathLike
        The instances to serve (each file directly in it; non-DICOM files are ignored).
        STOW-RS writes there, as ``<SOPInstanceUID>``, unless ``forward`` is given.
    port : int
        0: a free port, chosen by the system.
    forward : tuple of (str, int, str), optional
        (host, port, AE title) of a Storage SCP: STOW-RS sends each instance there with
        C-STORE (PS3.4 Annex B), which stores it in ``folder``.
    log_file : str or os.PathLike, optional
        One line per request (nothing is printed).

    Returns
    -------
    DICOMwebServer
        Running until its ``stop()``, or the end of this Python process.

    Examples
    --------
    >>> import tempfile, urllib.request, urllib.error
    >>> from bootcamp_utils.dicomweb import start_dicomweb
    >>> with start_dicomweb(tempfile.mkdtemp()) as server:
    ...     urllib.request.urlopen(server.url + "/studies").status  # empty archive
    204
    >>> server.running
    False
    """
    return DICOMwebServer(folder, port, forward, log_file)


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


# --- the request handler -----------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server_version = "bootcamp-dicomweb"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        if self.server.app.log_file:
            with open(self.server.app.log_file, "a") as log:
                log.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self):  # noqa: N802 - http.server's name
        self._answer(self._get)

    def do_POST(self):  # noqa: N802
        self._answer(self._post)

    def _answer(self, method):
        try:
            status, content_type, body, extra = method()
        except _Refusal as refusal:
            status, content_type, extra = refusal.status, "text/plain; charset=utf-8", {}
            body = (refusal.reason + "\n").encode()
        except Exception as exc:  # noqa: BLE001 - answered, not raised in the server thread
            status, content_type, extra = 500, "text/plain; charset=utf-8", {}
            body = f"Internal error: {type(exc).__name__}: {exc}\n".encode()
        self.send_response(status)
        for name, value in {"Content-Type": content_type, **extra}.items():
            if value:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self):
        """(uids by level, the level searched or None, the rest of the path, the query)."""
        path, _, query = self.path.partition("?")
        if not (path == ROOT or path.startswith(ROOT + "/")):
            raise _Refusal(404, f"Not a DICOMweb resource: the root is {ROOT}")
        parts, uids, search = [p for p in path[len(ROOT) :].split("/") if p], {}, None
        for level in _LEVELS:
            if parts[:1] == [level]:
                if len(parts) == 1:
                    search = level
                uids[level], parts = (parts[1] if len(parts) > 1 else None), parts[2:]
        if search:
            uids.pop(search)
        if any(uids.get(up) is None for up in _LEVELS[: len(uids)]) or (
            search is None and not uids
        ):
            raise _Refusal(404, f"No such resource: {path} (see PS3.18 Table 10.4.1-1, 10.6.1-1)")
        return uids, search, parts, query

    def _get(self):
        uids, search, rest, query = self._route()
        app = self.server.app
        if search:
            return _search(app, search, uids, query, self.headers.get("Accept"))
        found = app.instances(*(uids.get(level) for level in _LEVELS))
        if not found:
            raise _Refusal(404, f"No instance under {self.path.partition('?')[0]}")
        accept = _accept(self.headers.get("Accept"))
        if rest == []:
            return _retrieve(found, accept)
        if rest == ["metadata"]:
            _want(accept, ("application/dicom+json", "application/json"))
            return 200, "application/dicom+json", _json([_metadata(app, p) for p, _ in found]), {}
        if "instances" not in uids:
            raise _Refusal(404, f"{rest[0]} is a resource of an instance, not of a study or series")
        path, header = found[0]
        instance_url = _url(app, header, "instances")
        if rest == ["rendered"] or (rest[:1] == ["frames"] and rest[2:] == ["rendered"]):
            frame = _frame_numbers(rest[1], header)[0] if len(rest) == 3 else None
            return _rendered(path, header, frame, accept, query)
        if rest[:1] == ["frames"] and len(rest) == 2:
            return _frames(path, header, _frame_numbers(rest[1], header), accept)
        if rest[:1] == ["bulkdata"] and len(rest) % 2 == 0:
            return _bulkdata(path, rest[1:], instance_url)
        raise _Refusal(404, f"No such resource: {'/'.join(rest)} (see PS3.18 Table 10.4.1-1)")

    def _post(self):
        uids, search, rest, _ = self._route()
        if search != "studies" or rest:
            raise _Refusal(404, "STOW-RS here is POST /studies (PS3.18 10.5)")
        media, params = (_accept(self.headers.get("Content-Type")) or [("", {})])[0]
        if media != "multipart/related" or params.get("type") != "application/dicom":
            raise _Refusal(415, 'STOW-RS takes multipart/related; type="application/dicom" here')
        if "boundary" not in params or "Content-Length" not in self.headers:
            raise _Refusal(400, "A multipart body needs a boundary and a Content-Length")
        body = self.rfile.read(int(self.headers["Content-Length"]))
        return _stow(self.server.app, _parts(body, params["boundary"]))


# --- negotiation, URLs, queries ------------------------------------------------------------------


def _accept(header: str | None) -> list[tuple[str, dict[str, str]]]:
    """An Accept (or Content-Type) header as [(media type, parameters)], in order."""
    found = []
    for item in re.findall(r'(?:[^,"]|"[^"]*")+', header or ""):
        media, *params = [p.strip() for p in re.findall(r'(?:[^;"]|"[^"]*")+', item)]
        pairs = (p.partition("=") for p in params)
        found.append((media.lower(), {k.strip().lower(): v.strip('"') for k, _, v in pairs}))
    return found


def _want(accept, offered) -> None:
    if accept and not any(m in (*offered, "*/*") for m, _ in accept):
        raise _Refusal(406, f"This resource is offered as {', '.join(offered)}")


def _pieces(raw: str) -> list[tuple[bool, str]]:
    """A raw query value as (is a wildcard, text) pieces: only a literal * or ? is one."""
    pieces = []
    for encoded, wild, plain, bad in _TOKEN.findall(raw):
        if bad:
            raise _Refusal(400, f"Bad percent-encoding in {raw!r} (RFC 3986 2.1)")
        if encoded:
            pieces.append((False, bytes.fromhex(encoded.replace("%", "")).decode("utf-8")))
        else:
            pieces.append((bool(wild), wild or plain.replace("+", " ")))
    return pieces


def _query(query: str) -> tuple[dict[str, str], dict[int, list]]:
    """(includefield/limit/offset/fuzzymatching as text, {tag: value pieces})."""
    options, keys = {"includefield": ""}, {}
    for pair in filter(None, query.split("&")):
        name, _, raw = pair.partition("=")
        name, pieces = urllib.parse.unquote_plus(name), _pieces(raw)
        text = "".join(t for _, t in pieces)
        if name in ("limit", "offset", "fuzzymatching"):
            options[name] = text
        elif name == "includefield":
            options[name] += "," + text
        elif "." in name:
            raise _Refusal(400, f"{name}: sequence matching is not supported here")
        else:
            keys[_tag(name)] = pieces
    return options, keys


def _tag(name: str) -> int:
    if re.fullmatch(r"[0-9A-Fa-f]{8}", name):
        return int(name, 16)
    tag = tag_for_keyword(name)
    if tag is None:
        raise _Refusal(400, f"{name!r} is neither a DICOM keyword nor a tag such as 00100020")
    return tag


def _matches(ds: Dataset, tag: int, pieces: list[tuple[bool, str]]) -> bool:
    """PS3.4 C.2.2.2: universal, UID list, date range, wildcard or single value matching."""
    text = "".join(t for _, t in pieces)
    if text == "" or pieces == [(True, "*")]:
        return True
    if tag not in ds or ds[tag].VR == "SQ":
        return False
    value, vr = ds[tag].value, ds[tag].VR
    values = [str(v) for v in (value if isinstance(value, MultiValue) else [value or ""])]
    if vr == "UI":
        return bool(set(values) & set(text.split(",")))
    if vr == "DA" and "-" in text and not any(w for w, _ in pieces):
        low, high = text.split("-", 1)
        return any((not low or v >= low) and (not high or v <= high) for v in values)
    pattern = "".join((".*" if t == "*" else ".") if w else re.escape(t) for w, t in pieces)
    flags = re.IGNORECASE if vr == "PN" else 0
    return any(re.fullmatch(pattern, v, flags) for v in values)


# --- the transactions ----------------------------------------------------------------------------


def _search(app, level: str, uids: dict, query: str, accept_header):
    """QIDO-RS (PS3.18 10.6): one record per study, series or instance; match; select."""
    _want(_accept(accept_header), ("application/dicom+json", "application/json"))
    options, keys = _query(query)
    found = app.instances(uids.get("studies"), uids.get("series"))
    groups: dict[str, list[Dataset]] = {}
    for _, ds in found:
        groups.setdefault(str(ds.get(_UID_KEYS[level], "")), []).append(ds)
    records = [_record(app, level, members) for members in groups.values()]
    records = [r for r in records if all(_matches(r, tag, p) for tag, p in keys.items())]
    try:
        offset, limit = int(options.get("offset") or 0), options.get("limit")
        chosen = records[offset : None if limit is None else offset + int(limit)]
    except ValueError as exc:
        raise _Refusal(400, f"limit and offset are whole numbers: {exc}") from None
    if not chosen:
        return 204, "", b"", {}
    shown = {tag_for_keyword(k) for k in _DEFAULTS[level].split()} | set(keys)
    for above in _LEVELS[: _LEVELS.index(level)]:
        shown.add(tag_for_keyword(_UID_KEYS[above]))
        if above not in uids:  # a search across studies also shows each study's attributes
            shown |= {tag_for_keyword(k) for k in _DEFAULTS[above].split()}
    fields = {f for f in options["includefield"].split(",") if f}
    answer = []
    for record in chosen:
        tags = set(record.keys()) if "all" in fields else shown | {_tag(f) for f in fields}
        answer.append({k: v for k, v in _to_json(record, tags).items()})
    extra = {}
    if len(records) > offset + len(chosen):
        extra["Warning"] = '299 bootcamp-dicomweb "There are additional results to request"'
    if options.get("fuzzymatching") == "true":
        extra["Warning"] = '299 bootcamp-dicomweb "fuzzymatching is not supported"'
    return 200, "application/dicom+json", _json(answer), extra


def _record(app, level: str, members: list[Dataset]) -> Dataset:
    """The first member's attributes plus the computed ones of the level (PS3.4 C.3.4)."""
    record = Dataset()
    record.update(members[0])
    record.InstanceAvailability = "ONLINE"
    record.RetrieveURL = _url(app, members[0], level)
    if level == "studies":
        study = app.instances(str(members[0].StudyInstanceUID))
        record.ModalitiesInStudy = sorted({str(ds.get("Modality", "")) for _, ds in study} - {""})
        record.SOPClassesInStudy = sorted({str(ds.SOPClassUID) for _, ds in study})
        record.NumberOfStudyRelatedSeries = len({ds.SeriesInstanceUID for _, ds in study})
        record.NumberOfStudyRelatedInstances = len(study)
    elif level == "series":
        record.NumberOfSeriesRelatedInstances = len(members)
    return record


def _to_json(ds: Dataset, tags: set[int]) -> dict:
    chosen = Dataset()
    for tag in sorted(t for t in tags if t in ds and t >> 16 not in (0x0002, 0x7FE0)):
        chosen.add(ds[tag])
    return chosen.to_json_dict()


def _json(value) -> bytes:
    import json

    return json.dumps(value).encode()


def _stow(app, parts: list[tuple[str, bytes]]):
    """STOW-RS (PS3.18 10.5): store each part, answer the Store Instances Response."""
    from pydicom.sequence import Sequence
    from pynetdicom.status import code_to_category

    if any(kind != "application/dicom" for kind, _ in parts) or not parts:
        raise _Refusal(415, "Each part must be application/dicom (a DICOM file)")
    stored, failed, studies = Sequence(), Sequence(), set()
    for _, data in parts:
        item = Dataset()
        try:
            ds = dcmread(io.BytesIO(data))
            item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = (
                ds.SOPClassUID, ds.SOPInstanceUID,
            )  # fmt: skip
            status = app.store(ds)
        except Exception:  # noqa: BLE001 - not a DICOM file: Error, cannot understand
            status = 0xC000
        if code_to_category(status) in ("Success", "Warning"):
            item.RetrieveURL = _url(app, ds, "instances")
            if status:
                item.WarningReason = status
            stored.append(item)
            studies.add(_url(app, ds, "studies"))
        else:
            item.FailureReason = status
            failed.append(item)
    answer = Dataset()
    if len(studies) == 1:
        answer.RetrieveURL = studies.pop()
    if failed:
        answer.FailedSOPSequence = failed
    answer.ReferencedSOPSequence = stored
    status = 200 if not failed else (202 if stored else 409)
    return status, "application/dicom+json", _json(answer.to_json_dict()), {}


def main(argv: list[str] | None = None) -> None:
    """``python -m bootcamp_utils.dicomweb FOLDER [--port N]``: serve until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = start_dicomweb(args.folder, port=args.port)
    print(f"DICOMweb on {server.url} serving {server.folder} (Ctrl-C stops it)", flush=True)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
