"""The configuration :func:`bootcamp_utils.pacs.start_pacs` writes for each server.

Who can reach it
----------------
Orthanc 1.10 has no option to bind its sockets to an address: its DICOM and HTTP ports listen
on every interface (``0.0.0.0``). What keeps other machines out is its configuration, which
:func:`start_pacs` writes:

* HTTP (REST, DICOMweb): ``RemoteAccessAllowed: false`` answers any client that is not
  127.0.0.1 with HTTP 401 (the TCP connection itself is accepted);
* DICOM: ``DicomAlwaysAllowEcho/Store/Find/FindWorklist/Get/Move: false`` and
  ``DicomCheckModalityHost: true`` reject every association (A-ASSOCIATE-RJ, "calling AE title
  not recognised") except from the registered AE titles (``client_ae`` and the move
  destinations) calling from 127.0.0.1; ``DicomCheckCalledAet: true`` also rejects a wrong
  called AE title.

pynetdicom's qrscp *is* bound to loopback (``bind_address: 127.0.0.1``): other machines cannot
even connect. It accepts any calling and any called AE title. The DICOMweb server next to it
is bound to 127.0.0.1 too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ._pacs_process import HOST

#: The PACS's own AE title, per server: the called AE title of every association to it.
AE_TITLES = {"orthanc": "ORTHANC", "qrscp": "QRSCP"}


def orthanc_config(
    folder: Path,
    dicom_port: int,
    http_port: int,
    destinations: Mapping[str, int],
    plugin: str | None,
    max_storage_mb: int,
) -> dict:
    storage = str(folder / "storage")
    config = {
        "Name": "bootcamp-lesson05",
        "StorageDirectory": storage,
        "IndexDirectory": storage,
        "MaximumStorageSize": int(max_storage_mb),  # MB; 0: no limit
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "DicomAet": AE_TITLES["orthanc"],
        # HTTP: clients other than 127.0.0.1 get 401 (Orthanc cannot bind to an address).
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        # DICOM: only the registered AE titles, calling from their registered host, get in.
        "DicomCheckCalledAet": True,
        "DicomCheckModalityHost": True,
        "DicomAlwaysAllowEcho": False,
        "DicomAlwaysAllowStore": False,
        "DicomAlwaysAllowFind": False,
        "DicomAlwaysAllowFindWorklist": False,
        "DicomAlwaysAllowGet": False,
        "DicomAlwaysAllowMove": False,
        "DicomModalities": {ae: [ae, HOST, port] for ae, port in destinations.items()},
        "UnknownSopClassAccepted": False,
        "SaveJobs": False,
        "Plugins": [plugin] if plugin else [],
    }
    if plugin:
        config["DicomWeb"] = {
            "Enable": True,
            "Root": "/dicom-web/",
            # The base of the URLs Orthanc writes into its answers (BulkDataURI, RetrieveURL).
            # Without it the plugin copies the request's Host header, and dicomweb-client 0.61
            # sends that without the port ("Host: 127.0.0.1"): the links pointed to port 80.
            "Host": f"{HOST}:{http_port}",
            "Ssl": False,
        }
    return config


def qrscp_ini(folder: Path, port: int, destinations: Mapping[str, int]) -> str:
    """qrscp's configuration (its ``default.ini`` format; ConfigParser, so ``%`` is doubled)."""
    storage = folder / "storage"
    settings = {
        "ae_title": AE_TITLES["qrscp"],
        "port": port,
        "max_pdu": 16382,
        "acse_timeout": 30,
        "dimse_timeout": 30,
        "network_timeout": 30,
        "bind_address": HOST,  # loopback only: other machines cannot connect
        "instance_location": storage,  # absolute: qrscp joins it to its own folder
        "database_location": storage / "instances.sqlite",
        "log_identifier": False,
    }
    lines = ["[DEFAULT]"] + [f"{key}: {value}" for key, value in settings.items()]
    for ae_title, dest_port in destinations.items():  # the known move destinations
        lines += ["", f"[{ae_title}]", f"address: {HOST}", f"port: {dest_port}"]
    return "\n".join(lines).replace("%", "%%") + "\n"
