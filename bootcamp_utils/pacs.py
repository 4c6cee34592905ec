"""A local PACS for lesson 05: start one, talk DICOM to it, read what its answers mean.

A PACS (Picture Archiving and Communication System) answers the DICOM network services of
PS3.4: Verification (C-ECHO, Annex A), Storage (C-STORE, Annex B) and Query/Retrieve (C-FIND,
C-MOVE, C-GET, Annex C). Before any of them, the two sides negotiate an *association*
(PS3.8 Section 7.1): who calls whom (the calling and called AE titles) and which *presentation
contexts* (a SOP class + transfer syntaxes, PS3.8 Section 7.1.1.13) both accept.

:func:`start_pacs` (or the context manager :func:`local_pacs`) starts one of two servers on
this machine, in a folder of yours, and returns a :class:`LocalPACS` saying where it listens:

* ``"orthanc"``: Orthanc (Debian: ``apt-get install orthanc orthanc-dicomweb``), a real PACS
  with a REST API and, with its plugin, DICOMweb (PS3.18: QIDO-RS, WADO-RS, STOW-RS);
* ``"qrscp"``: pynetdicom's Query/Retrieve SCP application (``python -m pynetdicom qrscp``),
  pure Python, used when Orthanc is not installed. It has no HTTP side, so the course's own
  DICOMweb server (:func:`bootcamp_utils.dicomweb.start_dicomweb`, a thread of this Python)
  runs next to it on the files qrscp stores; its STOW-RS sends each instance to qrscp by
  C-STORE, so C-FIND finds what was stored over HTTP.

Which one runs is never a secret: :attr:`LocalPACS.kind` says it and falling back prints one
line. What its answers mean (a DIMSE status, a failed association) is
:mod:`bootcamp_utils.dimse`'s part: :func:`~bootcamp_utils.dimse.status_message` and
:func:`~bootcamp_utils.dimse.explain_association`.

Who can reach it: :mod:`bootcamp_utils._pacs_config`, which writes each server's configuration.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ._pacs_config import AE_TITLES as _AE_TITLES
from ._pacs_config import orthanc_config, qrscp_ini
from ._pacs_process import (
    HOST,
    WEB,
    spawn,
    stop_servers_in,
    terminate,
    wait_until_ready,
)
from ._pacs_process import free_ports as _free_ports

__all__ = [
    "FALLBACK_LOSSES",
    "ORTHANC",
    "REQUIRE_FULL_PACS",
    "LocalPACS",
    "PACSError",
    "free_port",
    "local_pacs",
    "pacs_plan",
    "pacs_status",
    "require_full_pacs",
    "skipped",
    "start_pacs",
]

#: Where Debian's orthanc-dicomweb puts the DICOMweb plugin (and where others do).
DICOMWEB_PLUGINS = (
    "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
    "/usr/lib/orthanc/plugins/libOrthancDicomWeb.so",
    "/usr/local/share/orthanc/plugins/libOrthancDicomWeb.so",
)
INSTALL_ORTHANC = "sudo apt-get install orthanc orthanc-dicomweb"
INSTALL_DICOMWEB = "sudo apt-get install orthanc-dicomweb"
INSTALL_QRSCP = 'pip install "pynetdicom>=3.0" sqlalchemy'
#: Set to 1, the variable makes :func:`start_pacs` refuse to fall back: the book and the decks
#: are built with Orthanc and its DICOMweb plugin, or not at all (slides/build.py and
#: book/_ext/course_book.py set it unless it is set already; 0 lets them build with qrscp).
REQUIRE_FULL_PACS = "BOOTCAMP_REQUIRE_FULL_PACS"
#: The Orthanc executable to use: a path, or empty / "none" for no Orthanc (the fallback).
#: Unset, Orthanc is looked up on PATH, then in /usr/sbin and /usr/local/sbin, where Debian's
#: package puts it and where a normal user's PATH does not reach.
ORTHANC = "BOOTCAMP_ORTHANC"
#: What lesson 05 cannot show with pynetdicom's qrscp (and the course's DICOMweb server)
#: instead of Orthanc with DICOMweb.
FALLBACK_LOSSES = {
    "refusals": "section 9's refused associations (wrong called AE title, unknown caller): "
    "qrscp accepts any AE title",
    "optional keys": "C-FIND's optional keys (Study Description, Modalities in Study, the "
    "NumberOf... counts): qrscp returns none of them",
}
#: What an Orthanc without its DICOMweb plugin loses (no course server runs next to Orthanc).
_NO_PLUGIN_LOSS = (
    "section 10, DICOMweb (QIDO-RS, WADO-RS, STOW-RS), one of the four objectives: "
    "the DICOMweb plugin is not installed"
)


class PACSError(RuntimeError):
    """The local PACS cannot start or be used; the message says what failed and what to do.

    Examples
    --------
    >>> from bootcamp_utils import PACSError
    >>> issubclass(PACSError, RuntimeError)
    True
    """


@dataclass(frozen=True)
class LocalPACS:
    """A PACS running on this machine, started by :func:`start_pacs`.

    Use it as a context manager (``with start_pacs(folder) as pacs:``), or call
    :meth:`stop` when done; it is stopped anyway when Python exits or is killed.

    Attributes
    ----------
    kind : str
        ``"orthanc"`` or ``"qrscp"`` (pynetdicom's Query/Retrieve SCP application).
    ae_title : str
        The PACS's AE title, the *called* AE title of every association to it.
    host : str
        Always ``"127.0.0.1"``.
    port : int
        Its DICOM port.
    dicomweb_url : str or None
        The DICOMweb root (``http://127.0.0.1:<port>/dicom-web``): Orthanc's plugin, or with
        qrscp the course's own server (:mod:`bootcamp_utils.dicomweb`); None for an Orthanc
        without the DICOMweb plugin.
    folder : pathlib.Path
        Its configuration, storage and log file.
    http_url : str or None
        Orthanc's REST API and web interface (``http://127.0.0.1:<port>``); None for qrscp.
    log_file : pathlib.Path or None
        What the server printed.
    start_seconds : float
        Time from launching the server to its first successful C-ECHO.
    pid : int or None
        The server's process id.
    """

    kind: str
    ae_title: str
    host: str
    port: int
    dicomweb_url: str | None
    folder: Path
    http_url: str | None = None
    log_file: Path | None = None
    start_seconds: float = 0.0
    pid: int | None = None
    _process: Any = field(default=None, repr=False, compare=False)

    def stop(self) -> None:
        """Stop the server and wait until its process is gone; again does nothing.

        The server runs in its own process group; the whole group gets SIGTERM, then SIGKILL
        after 10 s.
        """
        if self._process is not None:
            terminate(self._process)

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> LocalPACS:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the system picks it).

    Another program may take it before you use it; :func:`start_pacs` fails clearly then.

    Returns
    -------
    int

    Examples
    --------
    >>> from bootcamp_utils.pacs import free_port
    >>> 1024 <= free_port() <= 65535
    True
    """
    return _free_ports(1)[0]


def _orthanc() -> str | None:
    chosen = os.environ.get(ORTHANC)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "none") else shutil.which(chosen)
    return shutil.which("Orthanc") or shutil.which("Orthanc", path="/usr/sbin:/usr/local/sbin")


def _dicomweb_plugin(orthanc: str | None) -> str | None:
    candidates = list(DICOMWEB_PLUGINS)
    if orthanc:  # next to a locally built Orthanc: <prefix>/share/orthanc/plugins
        prefix = Path(orthanc).resolve().parents[1]
        candidates.append(str(prefix / "share" / "orthanc" / "plugins" / "libOrthancDicomWeb.so"))
    return next((path for path in candidates if os.path.isfile(path)), None)


def _qrscp_missing() -> str | None:
    """What the qrscp application lacks (None when it can run)."""
    import importlib.util

    for module in ("pynetdicom", "sqlalchemy"):
        if importlib.util.find_spec(module) is None:
            return module
    return None


def pacs_status() -> str:
    """One line per server :func:`start_pacs` can run: available, or what to install.

    Returns
    -------
    str

    Examples
    --------
    >>> from bootcamp_utils import pacs_status
    >>> print(pacs_status())  # doctest: +SKIP
    orthanc: available (/usr/sbin/Orthanc, Orthanc 1.10.1), DICOMweb plugin ...
    qrscp: available (pynetdicom 3.0.4, python -m pynetdicom qrscp)
    >>> pacs_status().splitlines()[1].startswith("qrscp: ")
    True
    """
    orthanc = _orthanc()
    if orthanc is None:
        lines = [f"orthanc: not found on PATH: {INSTALL_ORTHANC}"]
    else:
        line = f"orthanc: available ({orthanc}, {_orthanc_version(orthanc)})"
        plugin = _dicomweb_plugin(orthanc)
        if plugin:
            line += f", DICOMweb plugin {plugin}"
        else:
            line += f", no DICOMweb plugin (dicomweb_url will be None): {INSTALL_DICOMWEB}"
        lines = [line]
    missing = _qrscp_missing()
    if missing:
        lines.append(f"qrscp: cannot run, {missing} is not installed: {INSTALL_QRSCP}")
    else:
        from pynetdicom import __version__

        lines.append(f"qrscp: available (pynetdicom {__version__}, python -m pynetdicom qrscp)")
    return "\n".join(lines)


def _orthanc_version(orthanc: str) -> str:
    try:
        out = subprocess.run([orthanc, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "version unknown"
    first = (out.stdout or out.stderr).strip().splitlines()  # "/usr/sbin/Orthanc 1.10.1"
    return f"Orthanc {first[0].split()[-1]}" if first else "version unknown"


def _full_pacs_required() -> bool:
    return os.environ.get(REQUIRE_FULL_PACS, "").strip() not in ("", "0")


def _missing_for_full_pacs() -> tuple[str, str] | None:
    """Why Orthanc with DICOMweb cannot run here, and the install command (None: it can)."""
    orthanc = _orthanc()
    if orthanc is None:
        return "Orthanc is not on PATH", INSTALL_ORTHANC
    if _dicomweb_plugin(orthanc) is None:
        return "Orthanc's DICOMweb plugin is not installed", INSTALL_DICOMWEB
    return None


def require_full_pacs() -> None:
    """Raise :class:`PACSError` unless Orthanc and its DICOMweb plugin can run here.

    The book and the decks call it before they execute lesson 05: what they publish must be
    the whole lesson, not the fallback's skipped sections.

    Raises
    ------
    PACSError
        Names what is missing and the command that installs it, and the way to build anyway.
    """
    missing = _missing_for_full_pacs()
    if missing:
        raise PACSError(
            f"Lesson 05 needs the full PACS here ({REQUIRE_FULL_PACS}=1): {missing[0]}. "
            f"Install it ({missing[1]}), or set {REQUIRE_FULL_PACS}=0 to run the lesson with "
            "pynetdicom's qrscp and the course's DICOMweb server, without "
            f"{' and '.join(loss.split(':')[0] for loss in FALLBACK_LOSSES.values())}."
        )


def pacs_plan(prefer: str = "orthanc") -> str:
    """What :func:`start_pacs` will run here and, with the fallback, what lesson 05 loses.

    Parameters
    ----------
    prefer : {"orthanc", "qrscp"}
        As for :func:`start_pacs`.

    Returns
    -------
    str
        One line when Orthanc with DICOMweb will run; with the fallback, a block starting
        with ``"FALLBACK"`` that lists each loss and how to get everything.

    Examples
    --------
    >>> from bootcamp_utils.pacs import pacs_plan
    >>> print(pacs_plan(prefer="qrscp"))  # doctest: +ELLIPSIS
    FALLBACK: this lesson runs pynetdicom's qrscp (asked for), not Orthanc; section 10 ...
      - section 9's refused associations ...
    ...
    """
    missing = None if prefer == "qrscp" else _missing_for_full_pacs()
    if prefer != "qrscp" and missing is None:
        return (
            f"PACS: Orthanc ({_orthanc_version(_orthanc() or 'Orthanc')}) with its DICOMweb "
            "plugin: every section of this lesson runs."
        )
    losses = dict(FALLBACK_LOSSES)
    if missing and missing[1] == INSTALL_DICOMWEB:  # Orthanc without the plugin
        server, losses, web = "Orthanc without DICOMweb", {"dicomweb": _NO_PLUGIN_LOSS}, ""
    else:
        server = "pynetdicom's qrscp"
        web = "; section 10 uses the course's own DICOMweb server (bootcamp_utils.dicomweb)"
    why = missing[0] if missing else "asked for"
    install = missing[1] if missing else INSTALL_ORTHANC
    lines = [f"FALLBACK: this lesson runs {server} ({why}), not Orthanc{web}. Not shown here:"]
    lines += [f"  - {loss}" for loss in losses.values()]
    lines.append(
        f"Everything runs with Orthanc and its DICOMweb plugin: {install} (Debian, Ubuntu), "
        "then restart the kernel; elsewhere see the README's set-up for lesson 05."
    )
    return "\n".join(lines)


def skipped(pacs: LocalPACS, feature: str) -> str:
    """A loud line saying what this PACS cannot show, and how to see it.

    Parameters
    ----------
    pacs : LocalPACS
    feature : {"refusals", "optional keys", "dicomweb"}
        A key of :data:`FALLBACK_LOSSES`, or ``"dicomweb"`` (lost by an Orthanc without its
        DICOMweb plugin only: with qrscp the course's own DICOMweb server runs).

    Returns
    -------
    str

    Examples
    --------
    >>> from pathlib import Path
    >>> from bootcamp_utils.pacs import LocalPACS, skipped
    >>> qrscp = LocalPACS("qrscp", "QRSCP", "127.0.0.1", 11112, None, Path("."))
    >>> print(skipped(qrscp, "refusals"))  # doctest: +ELLIPSIS
    SKIPPED with pynetdicom's qrscp: section 9's refused associations ... AE title. To see it: ...
    """
    if feature not in (*FALLBACK_LOSSES, "dicomweb"):
        raise ValueError(
            f"feature={feature!r}: use one of {', '.join(FALLBACK_LOSSES)} or 'dicomweb'"
        )
    if pacs.kind == "qrscp" and feature == "dicomweb":
        raise ValueError("qrscp loses no DICOMweb: pacs.dicomweb_url is the course's server")
    name = "pynetdicom's qrscp" if pacs.kind == "qrscp" else "this Orthanc (no DICOMweb plugin)"
    loss = FALLBACK_LOSSES[feature] if pacs.kind == "qrscp" else _NO_PLUGIN_LOSS
    fix = INSTALL_ORTHANC if pacs.kind == "qrscp" else INSTALL_DICOMWEB
    return f"SKIPPED with {name}: {loss}. To see it: {fix}, then restart the kernel."


def start_pacs(
    folder: str | os.PathLike,
    *,
    prefer: str = "orthanc",
    client_ae: str = "LESSON05",
    move_destinations: Mapping[str, int] | None = None,
    timeout: float = 20.0,
    max_storage_mb: int = 0,
    quiet: bool = False,
    fresh: bool = False,
) -> LocalPACS:
    """Start a PACS on 127.0.0.1 with its files in ``folder``; return where it listens.

    The server runs until :meth:`LocalPACS.stop`, the end of a ``with`` block, the end of this
    Python process, or this process being killed (Linux: the server gets SIGTERM when its
    parent dies, ``PR_SET_PDEATHSIG``). Ports are picked free at each start. A server this
    Python started earlier in the same ``folder`` is stopped first (saying so): running a
    notebook cell again replaces its PACS instead of leaving a second one on the same files.

    With the environment variable ``BOOTCAMP_REQUIRE_FULL_PACS=1`` (:data:`REQUIRE_FULL_PACS`),
    there is no fallback: anything but Orthanc with its DICOMweb plugin raises
    :class:`PACSError` (the book and the decks are built so).

    Parameters
    ----------
    folder : str or os.PathLike
        Created if needed; gets the configuration, ``storage/`` and the log file.
    prefer : {"orthanc", "qrscp"}
        ``"orthanc"`` runs Orthanc when it is on PATH, else qrscp (saying so);
        ``"qrscp"`` always runs pynetdicom's qrscp.
    client_ae : str
        The AE title you will call the PACS with. Orthanc rejects any other calling AE title.
    move_destinations : mapping of str to int, optional
        AE title -> port on 127.0.0.1 of each Storage SCP that C-MOVE may send to (PS3.4
        C.4.2: the PACS opens its own association to the destination, so it must know where
        that AE title listens). Include ``client_ae`` to move to yourself.
    timeout : float
        Seconds to wait for the server's first C-ECHO (and, Orthanc, its REST API).
    max_storage_mb : int
        Orthanc's ``MaximumStorageSize`` (0: no limit). A C-STORE that would exceed it is
        refused with status 0xA700 (Refused: Out of Resources); careful: Orthanc 1.10 first
        deletes the oldest *other* patients to make room. qrscp has no limit: a non-zero value
        with qrscp raises :class:`PACSError`.
    quiet : bool
        Do not print the line saying which server started (the fallback line is always
        printed).
    fresh : bool
        Start from an empty archive: delete what ``folder`` holds first.

    Returns
    -------
    LocalPACS

    Raises
    ------
    PACSError
        ``folder`` cannot be written; neither server can run; the server exits or does not
        answer within ``timeout`` (the message names its log file); an unknown ``prefer``;
        ``max_storage_mb`` with qrscp; anything but Orthanc with DICOMweb while
        ``BOOTCAMP_REQUIRE_FULL_PACS=1``.

    Examples
    --------
    >>> import tempfile
    >>> from bootcamp_utils import start_pacs
    >>> pacs = start_pacs(tempfile.mkdtemp(), prefer="qrscp", quiet=True)
    >>> pacs.kind, pacs.ae_title, pacs.host, pacs.dicomweb_url.endswith("/dicom-web")
    ('qrscp', 'QRSCP', '127.0.0.1', True)
    >>> pacs.stop()
    >>> pacs.running
    False
    """
    if prefer not in _AE_TITLES:
        raise PACSError(
            f"prefer={prefer!r} is not a PACS this course runs: use 'orthanc' or 'qrscp'"
        )
    destinations = {client_ae: 104} | dict(move_destinations or {})
    for ae_title in destinations:
        if not ae_title or len(ae_title) > 16 or ae_title.strip() != ae_title:
            raise PACSError(
                f"AE title {ae_title!r} is not valid: 1 to 16 characters, no leading or trailing "
                "spaces (PS3.5 Table 6.2-1, VR AE)"
            )
    folder = Path(folder).absolute()
    if _full_pacs_required():
        require_full_pacs()
        prefer = "orthanc"
    stop_servers_in(folder)
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        (folder / "storage").mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise PACSError(
            f"Cannot write the PACS folder {folder}: {exc.strerror or exc}. Give start_pacs a "
            'folder you can write, such as Path("output") / "05" / "pacs".'
        ) from exc

    kind = prefer
    if kind == "orthanc" and _orthanc() is None:
        kind = "qrscp"
        print(f"Orthanc not found ({INSTALL_ORTHANC}): using pynetdicom's qrscp instead")
    if kind == "qrscp":
        missing = _qrscp_missing()
        if missing:
            raise PACSError(
                f"pynetdicom's qrscp cannot run: {missing} is not installed. {INSTALL_QRSCP} "
                f"(or, for Orthanc, {INSTALL_ORTHANC})"
            )
        if max_storage_mb:
            raise PACSError(
                "pynetdicom's qrscp has no storage limit (max_storage_mb needs Orthanc: "
                f"{INSTALL_ORTHANC}); leave max_storage_mb=0 with qrscp"
            )
        pacs = _start_qrscp(folder, destinations, timeout, client_ae)
    else:
        pacs = _start_orthanc(folder, destinations, timeout, client_ae, max_storage_mb)
    if not quiet:
        web = f", DICOMweb {pacs.dicomweb_url}" if pacs.dicomweb_url else ""
        print(
            f"{pacs.kind} ready in {pacs.start_seconds:.2f} s: {pacs.ae_title} at "
            f"{pacs.host}:{pacs.port}{web}; files in {pacs.folder}"
        )
    return pacs


@contextlib.contextmanager
def local_pacs(
    folder: str | os.PathLike,
    *,
    prefer: str = "orthanc",
    client_ae: str = "LESSON05",
    move_destinations: Mapping[str, int] | None = None,
    timeout: float = 20.0,
    max_storage_mb: int = 0,
    quiet: bool = False,
    fresh: bool = False,
) -> Iterator[LocalPACS]:
    """:func:`start_pacs` as a ``with`` block: the server stops when the block ends.

    Parameters
    ----------
    folder, prefer, client_ae, move_destinations, timeout, max_storage_mb, quiet, fresh
        As for :func:`start_pacs`.

    Yields
    ------
    LocalPACS

    Examples
    --------
    >>> import tempfile
    >>> from bootcamp_utils import local_pacs
    >>> with local_pacs(tempfile.mkdtemp(), prefer="qrscp", quiet=True) as pacs:
    ...     pacs.running
    True
    >>> pacs.running
    False
    """
    pacs = start_pacs(
        folder,
        prefer=prefer,
        client_ae=client_ae,
        move_destinations=move_destinations,
        timeout=timeout,
        max_storage_mb=max_storage_mb,
        quiet=quiet,
        fresh=fresh,
    )
    try:
        yield pacs
    finally:
        pacs.stop()


def _start_orthanc(
    folder: Path,
    destinations: Mapping[str, int],
    timeout: float,
    client_ae: str,
    max_storage_mb: int,
) -> LocalPACS:
    orthanc = _orthanc()
    assert orthanc is not None
    plugin = _dicomweb_plugin(orthanc)
    dicom_port, http_port = _free_ports(2)
    config = folder / "orthanc.json"
    config.write_text(
        json.dumps(
            orthanc_config(folder, dicom_port, http_port, destinations, plugin, max_storage_mb),
            indent=2,
        )
    )
    log_file = folder / "orthanc.log"
    http_url = f"http://{HOST}:{http_port}"
    pacs = _launch(
        [orthanc, str(config)],
        kind="orthanc",
        port=dicom_port,
        folder=folder,
        log_file=log_file,
        timeout=timeout,
        client_ae=client_ae,
        http_url=http_url,
        dicomweb_url=f"{http_url}/dicom-web" if plugin else None,
    )
    if plugin is None:
        print(f"Orthanc has no DICOMweb plugin ({INSTALL_DICOMWEB}): dicomweb_url is None")
    return pacs


def _start_qrscp(
    folder: Path, destinations: Mapping[str, int], timeout: float, client_ae: str
) -> LocalPACS:
    """qrscp, then the course's DICOMweb server on its storage, forwarding STOW-RS to it."""
    from .dicomweb import start_dicomweb

    (port,) = _free_ports(1)
    config = folder / "qrscp.ini"
    config.write_text(qrscp_ini(folder, port, destinations))
    pacs = _launch(
        [sys.executable, "-m", "pynetdicom", "qrscp", "--config", str(config)],
        kind="qrscp",
        port=port,
        folder=folder,
        log_file=folder / "qrscp.log",
        timeout=timeout,
        client_ae=client_ae,
        http_url=None,
        dicomweb_url=None,
    )
    try:  # qrscp writes each instance as storage/<SOPInstanceUID>: the server reads them there
        web = start_dicomweb(
            folder / "storage",
            forward=(HOST, port, _AE_TITLES["qrscp"]),
            log_file=folder / "dicomweb.log",
        )
    except OSError as exc:
        terminate(pacs._process)
        raise PACSError(
            f"The DICOMweb server next to qrscp in {folder} cannot start: {exc}; "
            "restart the kernel and run the cell again"
        ) from exc
    WEB[pacs.pid] = web
    return replace(pacs, dicomweb_url=web.url)


def _launch(
    command: list[str],
    *,
    kind: str,
    port: int,
    folder: Path,
    log_file: Path,
    timeout: float,
    client_ae: str,
    http_url: str | None,
    dicomweb_url: str | None,
) -> LocalPACS:
    start = time.perf_counter()
    process = spawn(command, folder, log_file)
    ae_title = _AE_TITLES[kind]
    try:
        name = "Orthanc" if kind == "orthanc" else "pynetdicom's qrscp"
        failure = wait_until_ready(
            process, name, port, ae_title, client_ae, http_url, log_file, timeout
        )
        if failure:
            raise PACSError(failure)
    except BaseException:
        terminate(process)
        raise
    return LocalPACS(
        kind=kind,
        ae_title=ae_title,
        host=HOST,
        port=port,
        dicomweb_url=dicomweb_url,
        folder=folder,
        http_url=http_url,
        log_file=log_file,
        start_seconds=time.perf_counter() - start,
        pid=process.pid,
        _process=process,
    )
