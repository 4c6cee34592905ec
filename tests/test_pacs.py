"""bootcamp_utils.pacs: a local PACS (Orthanc, or pynetdicom's qrscp) and what its answers mean.

Every service of lesson 05 against both servers: C-ECHO, C-STORE of the course's 40-slice
CT, C-FIND at three levels, C-MOVE to a Storage SCP run here, C-GET and WADO-RS (Orthanc's
plugin, or the course's DICOMweb server next to qrscp) giving back byte-identical pixel data;
STOW-RS then C-FIND; the bad inputs the lesson shows, each with its message;
no process or port left behind, even when the Python that started the server is killed; other
machines kept out. The Orthanc variants are skipped when Orthanc is missing, failed under CI.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pydicom
import pytest
from pydicom import Dataset
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from bootcamp_utils import _pacs_process, sample_path
from bootcamp_utils import pacs as pacs_module
from bootcamp_utils.dimse import explain_association, status_message
from bootcamp_utils.pacs import PACSError, free_port, local_pacs, pacs_status, start_pacs

from .conftest import IN_CI, REPO, require_tool

CLIENT = "LESSON05"
MOVE_AE = "MOVESCP"
#: A SOP class UID no PACS stores (a UID under pydicom's root, made up for this test).
UNKNOWN_SOP_CLASS = "1.2.826.0.1.3680043.8.498.99999"
BACKENDS = [pytest.param("orthanc", marks=pytest.mark.external), "qrscp"]


def _require(kind: str) -> None:
    if kind == "orthanc":
        require_tool("Orthanc", "orthanc orthanc-dicomweb")


@pytest.fixture(scope="module")
def ct_files() -> list[Path]:
    files = sorted(sample_path("head_ct").glob("*.dcm"))
    assert len(files) == 40
    return files


@pytest.fixture(scope="module")
def originals(ct_files) -> dict[str, bytes]:
    """SOP Instance UID -> Pixel Data bytes, as written."""
    return {str(ds.SOPInstanceUID): ds.PixelData for ds in map(pydicom.dcmread, ct_files)}


@pytest.fixture(scope="module")
def move_scp():
    """A Storage SCP (AE title MOVESCP) on a free port, keeping what it receives."""
    received: list[Dataset] = []

    def on_store(event):
        received.append(event.dataset)
        return 0x0000

    ae = AE(MOVE_AE)
    ae.add_supported_context(CTImageStorage)
    port = free_port()
    server = ae.start_server(
        ("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)]
    )
    yield port, received
    server.shutdown()


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, tmp_path_factory, ct_files, move_scp):
    """A running PACS of each kind, holding the 40 CT slices; and the C-STORE statuses."""
    _require(request.param)
    folder = tmp_path_factory.mktemp(f"pacs-{request.param}")
    pacs = start_pacs(
        folder, prefer=request.param, client_ae=CLIENT, move_destinations={MOVE_AE: move_scp[0]}
    )
    try:
        assert pacs.kind == request.param
        assoc = _associate(pacs, CTImageStorage)
        statuses = [assoc.send_c_store(path) for path in ct_files]
        assoc.release()
        yield pacs, statuses
    finally:
        pacs.stop()


def _associate(pacs, *contexts, calling=CLIENT, called=None, **kwargs):
    ae = AE(calling)
    ae.acse_timeout = ae.network_timeout = ae.connection_timeout = 5
    for context in contexts:
        ae.add_requested_context(context)
    return ae.associate(pacs.host, pacs.port, ae_title=called or pacs.ae_title, **kwargs)


def _refused(pacs, *contexts, **kwargs):
    """An association the PACS is expected to reject. Orthanc (DCMTK) sends A-ASSOCIATE-RJ and
    closes the connection at once; pynetdicom now and then handles the close first and reports
    an abort (measured: 2 of 150 rejections). Up to three tries, so the test checks Orthanc's
    answer, not that race."""
    for _ in range(3):
        assoc = _associate(pacs, *contexts, **kwargs)
        if not assoc.is_aborted:
            break
    return assoc


def _find(pacs, model, query: Dataset) -> list[Dataset]:
    assoc = _associate(pacs, model)
    assert assoc.is_established, explain_association(assoc)
    answers = []
    for status, identifier in assoc.send_c_find(query, model):
        assert status.Status in (0x0000, 0xFF00, 0xFF01), status_message(status, "find")
        if identifier is not None:
            answers.append(identifier)
    assoc.release()
    return answers


def _study_uid(ct_files) -> tuple[str, str]:
    ds = pydicom.dcmread(ct_files[0], stop_before_pixels=True)
    return str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)


# --- the services --------------------------------------------------------------------------


def test_echo_and_store(loaded):
    pacs, statuses = loaded
    assert pacs.running and pacs.host == "127.0.0.1"
    assert pacs.start_seconds > 0
    assoc = _associate(pacs, Verification)
    assert assoc.is_established, explain_association(assoc)
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert [s.Status for s in statuses] == [0x0000] * 40
    assert status_message(statuses[0], "store") == "Success (0x0000): C-STORE done."


def _one_or_per_instance(pacs, answers: list, expected) -> None:
    """Orthanc answers once per patient, study, series; pynetdicom's qrscp 3.0 answers once
    per stored instance at every level (40 identical answers here), a quirk of its database
    query that the lesson can show."""
    assert set(answers) == {expected}
    assert len(answers) == (1 if pacs.kind == "orthanc" else 40)


def test_find_patient_study_series(loaded, ct_files):
    pacs, _ = loaded
    study, series = _study_uid(ct_files)
    query = Dataset()
    query.QueryRetrieveLevel, query.PatientID, query.PatientName = "PATIENT", "*", ""
    patients = _find(pacs, PatientRootQueryRetrieveInformationModelFind, query)
    _one_or_per_instance(pacs, [p.PatientID for p in patients], "BOOTCAMP-0001")

    query = Dataset()
    query.QueryRetrieveLevel, query.PatientID, query.StudyInstanceUID = "STUDY", "", ""
    studies = _find(pacs, StudyRootQueryRetrieveInformationModelFind, query)
    _one_or_per_instance(pacs, [s.StudyInstanceUID for s in studies], study)

    query = Dataset()
    query.QueryRetrieveLevel, query.StudyInstanceUID = "SERIES", study
    query.SeriesInstanceUID, query.Modality = "", ""
    found = _find(pacs, StudyRootQueryRetrieveInformationModelFind, query)
    _one_or_per_instance(pacs, [(s.SeriesInstanceUID, s.Modality) for s in found], (series, "CT"))

    query = Dataset()
    query.QueryRetrieveLevel, query.StudyInstanceUID = "IMAGE", study
    query.SeriesInstanceUID, query.SOPInstanceUID = series, ""
    images = _find(pacs, StudyRootQueryRetrieveInformationModelFind, query)
    assert len({i.SOPInstanceUID for i in images}) == 40


def test_move_to_a_storage_scp(loaded, move_scp, ct_files, originals):
    pacs, _ = loaded
    _, received = move_scp
    received.clear()
    study, _ = _study_uid(ct_files)
    query = Dataset()
    query.QueryRetrieveLevel, query.StudyInstanceUID = "STUDY", study
    assoc = _associate(pacs, StudyRootQueryRetrieveInformationModelMove)
    assert assoc.is_established, explain_association(assoc)
    last = None
    for status, _identifier in assoc.send_c_move(
        query, MOVE_AE, StudyRootQueryRetrieveInformationModelMove
    ):
        last = status
    assoc.release()
    assert last.Status == 0x0000, status_message(last, "move")
    assert {str(ds.SOPInstanceUID) for ds in received} == set(originals)


def test_move_to_an_unknown_destination_is_refused(loaded, ct_files):
    pacs, _ = loaded
    query = Dataset()
    query.QueryRetrieveLevel, query.StudyInstanceUID = "STUDY", _study_uid(ct_files)[0]
    assoc = _associate(pacs, StudyRootQueryRetrieveInformationModelMove)
    statuses = list(assoc.send_c_move(query, "NOBODY", StudyRootQueryRetrieveInformationModelMove))
    assoc.release()
    final = statuses[-1][0]
    # qrscp says what the standard has for it; Orthanc 1.10 answers a generic failure
    expected = {"orthanc": 0xC000, "qrscp": 0xA801}[pacs.kind]
    assert final.Status == expected, status_message(final, "move")
    assert status_message(final, "move").startswith(f"Failure (0x{expected:04X}): C-MOVE ")
    if pacs.kind == "qrscp":
        assert "Move destination unknown" in status_message(final, "move")


def _get_series(pacs, study, series) -> tuple[list[Dataset], Dataset]:
    received: list[Dataset] = []

    def on_store(event):
        ds = event.dataset
        ds.file_meta = event.file_meta
        received.append(ds)
        return 0x0000

    assoc = _associate(
        pacs,
        StudyRootQueryRetrieveInformationModelGet,
        CTImageStorage,
        ext_neg=[build_role(CTImageStorage, scp_role=True)],  # the PACS sends, we store
        evt_handlers=[(evt.EVT_C_STORE, on_store)],
    )
    assert assoc.is_established, explain_association(assoc)
    query = Dataset()
    query.QueryRetrieveLevel = "SERIES"
    query.StudyInstanceUID, query.SeriesInstanceUID = study, series
    last = None
    for status, _identifier in assoc.send_c_get(query, StudyRootQueryRetrieveInformationModelGet):
        last = status
    assoc.release()
    return received, last


def test_get_returns_byte_identical_pixel_data(loaded, ct_files, originals):
    pacs, _ = loaded
    received, last = _get_series(pacs, *_study_uid(ct_files))
    assert last.Status == 0x0000, status_message(last, "get")
    back = {str(ds.SOPInstanceUID): ds.PixelData for ds in received}
    assert back.keys() == originals.keys()
    assert all(back[uid] == originals[uid] for uid in originals)


def test_get_without_the_scp_role_gets_nothing(loaded, ct_files):
    """C-GET sends over the same association: without a storage context and the SCP role the
    PACS cannot send a single instance (PS3.4 C.4.3), and the final status says so."""
    pacs, _ = loaded
    assoc = _associate(pacs, StudyRootQueryRetrieveInformationModelGet)
    query = Dataset()
    query.QueryRetrieveLevel = "SERIES"
    query.StudyInstanceUID, query.SeriesInstanceUID = _study_uid(ct_files)
    statuses = [s for s, _ in assoc.send_c_get(query, StudyRootQueryRetrieveInformationModelGet)]
    assoc.release()
    final = statuses[-1]
    # qrscp: 0xA702 with all 40 sub-operations failed; Orthanc 1.10: 0xC000 after the first
    expected, failed = {"orthanc": (0xC000, 1), "qrscp": (0xA702, 40)}[pacs.kind]
    assert final.Status == expected, status_message(final, "get")
    assert final.NumberOfCompletedSuboperations == 0
    assert final.NumberOfFailedSuboperations == failed
    assert f"Sub-operations: 0 completed, {failed} failed" in status_message(final, "get")


def _web_or_skip(pacs) -> str:
    if pacs.dicomweb_url is None:
        message = "Orthanc's DICOMweb plugin is missing: apt-get install orthanc-dicomweb"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    return pacs.dicomweb_url


def test_wado_rs_returns_byte_identical_pixel_data(loaded, ct_files, originals):
    pacs, _ = loaded
    from dicomweb_client.api import DICOMwebClient

    client = DICOMwebClient(url=_web_or_skip(pacs))
    study, series = _study_uid(ct_files)
    assert [s["0020000E"]["Value"][0] for s in client.search_for_series(study)] == [series]
    found = client.search_for_instances(study, series)
    assert {i["00080018"]["Value"][0] for i in found} == originals.keys()  # what was C-STOREd
    back = {str(ds.SOPInstanceUID): ds.PixelData for ds in client.retrieve_series(study, series)}
    assert back.keys() == originals.keys()
    assert all(back[uid] == originals[uid] for uid in originals)


def test_bulk_data_uri_names_the_port(loaded, ct_files):
    """dicomweb-client 0.61 sends ``Host: 127.0.0.1`` without the port, and Orthanc's plugin
    builds its links from that header unless its configuration names the "Host" (issue 25.9):
    the BulkDataURI of Pixel Data pointed to port 80. It must be a URL that answers."""
    pacs, _ = loaded
    import requests
    from dicomweb_client.api import DICOMwebClient

    client = DICOMwebClient(url=_web_or_skip(pacs))
    ds = pydicom.dcmread(ct_files[0], stop_before_pixels=True)
    uids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    uri = client.retrieve_instance_metadata(*uids)["7FE00010"]["BulkDataURI"]
    assert uri.startswith(f"{pacs.dicomweb_url}/studies/{uids[0]}/"), uri
    reply = requests.get(uri, timeout=10)
    assert reply.status_code == 200, (uri, reply.status_code)
    assert len(reply.content) >= ds.Rows * ds.Columns * 2


def test_stow_rs_stores_and_c_find_then_finds_it(loaded, ct_files):
    """STOW-RS of a new instance (a copy of a slice with new UIDs): C-FIND finds it (with
    qrscp: the course's server sent it on by C-STORE), QIDO-RS and WADO-RS too."""
    pacs, _ = loaded
    from dicomweb_client.api import DICOMwebClient
    from pydicom.uid import generate_uid

    client = DICOMwebClient(url=_web_or_skip(pacs))
    ds = pydicom.dcmread(ct_files[0])
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.PatientID = "STOW-TEST"
    answer = client.store_instances([ds])
    assert not answer.get("FailedSOPSequence"), answer
    query = Dataset()
    query.QueryRetrieveLevel, query.PatientID = "IMAGE", "STOW-TEST"
    query.StudyInstanceUID, query.SeriesInstanceUID = ds.StudyInstanceUID, ds.SeriesInstanceUID
    query.SOPInstanceUID = ""
    assoc = _associate(pacs, StudyRootQueryRetrieveInformationModelFind)
    found = [
        str(i.SOPInstanceUID)
        for s, i in assoc.send_c_find(query, StudyRootQueryRetrieveInformationModelFind)
        if i is not None and s.Status in (0xFF00, 0xFF01)
    ]
    assoc.release()
    assert set(found) == {ds.SOPInstanceUID}
    (back,) = client.retrieve_series(ds.StudyInstanceUID, ds.SeriesInstanceUID)
    assert back.PixelData == ds.PixelData


@pytest.mark.external
def test_the_course_server_answers_as_orthanc_does(tmp_path, ct_files):
    """The same QIDO-RS and WADO-RS requests to Orthanc's plugin and to the course's server
    next to qrscp, each holding the same slices: the same matches, the default attributes of
    PS3.18 Table 10.6.3-5, the same frame bytes (the known differences are left out)."""
    _require("orthanc")
    import requests

    files = ct_files[:3]
    study, series = _study_uid(ct_files)
    answers = {}
    for kind in ("orthanc", "qrscp"):
        with local_pacs(tmp_path / kind, prefer=kind, client_ae=CLIENT, quiet=True) as pacs:
            web = _web_or_skip(pacs)
            assoc = _associate(pacs, CTImageStorage)
            assert all(assoc.send_c_store(path).Status == 0 for path in files)
            assoc.release()
            json_accept = {"Accept": "application/dicom+json"}
            got = {}
            for query in ("PatientID=BOOTCAMP-0001", "PatientID=BOOTCAMP-*", "Modality=CT"):
                reply = requests.get(f"{web}/series?{query}", headers=json_accept, timeout=10)
                got[query] = sorted(r["0020000E"]["Value"][0] for r in reply.json())
            reply = requests.get(
                f"{web}/studies/{study}/instances", headers=json_accept, timeout=10
            )
            got["instances"] = sorted(r["00080018"]["Value"][0] for r in reply.json())
            got["keys"] = set.intersection(*(set(r) for r in reply.json()))
            sop = pydicom.dcmread(files[0], stop_before_pixels=True).SOPInstanceUID
            url = f"{web}/studies/{study}/series/{series}/instances/{sop}/frames/1"
            accept = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
            reply = requests.get(url, headers={"Accept": accept}, timeout=10)
            assert reply.status_code == 200, (kind, reply.status_code, reply.text[:200])
            boundary = reply.headers["Content-Type"].split("boundary=")[1].strip('"')
            part = reply.content.split(f"--{boundary}".encode())[1]
            got["frame"] = part.split(b"\r\n\r\n", 1)[1][:-2]
            answers[kind] = got
    orthanc, ours = answers["orthanc"], answers["qrscp"]
    assert orthanc["PatientID=BOOTCAMP-0001"] == ours["PatientID=BOOTCAMP-0001"] == [series]
    assert orthanc["PatientID=BOOTCAMP-*"] == ours["PatientID=BOOTCAMP-*"] == [series]
    assert orthanc["Modality=CT"] == ours["Modality=CT"]
    uids = sorted(str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in files)
    assert orthanc["instances"] == ours["instances"] == uids
    defaults = {"00080016", "00080018", "00200013", "00280010", "00280011", "00280100"}
    assert defaults <= orthanc["keys"] and defaults <= ours["keys"], (orthanc["keys"], ours["keys"])
    assert orthanc["frame"] == ours["frame"] == pydicom.dcmread(files[0]).PixelData


# --- bad input -------------------------------------------------------------------------------


def test_wrong_called_ae_title(loaded):
    pacs, _ = loaded
    assoc = _refused(pacs, Verification, called="NOT-THE-PACS")
    if pacs.kind == "orthanc":  # DicomCheckCalledAet: true
        assert assoc.is_rejected
        message = explain_association(assoc)
        assert "called AE title not recognised (PS3.8 Table 9-21)" in message
        assert "LocalPACS.ae_title" in message
    else:  # documented: pynetdicom's qrscp answers to any called AE title
        assert assoc.is_established
        assoc.release()


def test_unknown_calling_ae_title(loaded):
    pacs, _ = loaded
    assoc = _refused(pacs, Verification, calling="STRANGER")
    if pacs.kind == "orthanc":  # DicomAlwaysAllow*: false, only registered AE titles
        assert assoc.is_rejected, (
            assoc.is_established,
            assoc.is_aborted,
            explain_association(assoc),
        )
        message = explain_association(assoc)
        assert "calling AE title not recognised" in message
        assert "client_ae" in message
    else:  # documented: qrscp accepts any caller (it is bound to 127.0.0.1 instead)
        assert assoc.is_established
        assoc.release()


def test_closed_port():
    ae = AE(CLIENT)
    ae.add_requested_context(Verification)
    port = free_port()
    assoc = ae.associate("127.0.0.1", port)
    assert not assoc.is_established
    message = explain_association(assoc)
    assert message.startswith(f"Could not connect to 127.0.0.1:{port}: nothing is listening")


def test_sop_class_the_pacs_refuses(loaded):
    pacs, _ = loaded
    only = _associate(pacs, UNKNOWN_SOP_CLASS)
    assert not only.is_established
    message = explain_association(only)
    assert "accepted none of the presentation contexts requested: " in message
    assert f"{UNKNOWN_SOP_CLASS} (abstract syntax not supported)" in message

    mixed = _associate(pacs, CTImageStorage, UNKNOWN_SOP_CLASS)
    assert mixed.is_established
    message = explain_association(mixed)
    assert "1 presentation context accepted" in message
    assert f"refused: {UNKNOWN_SOP_CLASS} (abstract syntax not supported)" in message
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = UNKNOWN_SOP_CLASS, pydicom.uid.generate_uid()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    with pytest.raises(ValueError, match="No presentation context"):
        mixed.send_c_store(ds)
    mixed.release()


def test_orthanc_storage_full(tmp_path, ct_files):
    _require("orthanc")
    with local_pacs(tmp_path / "pacs", max_storage_mb=1, quiet=True) as pacs:
        assoc = _associate(pacs, CTImageStorage)
        statuses = [assoc.send_c_store(path).Status for path in ct_files[:12]]
        assoc.release()
    assert 0xA700 in statuses
    assert statuses[0] == 0x0000  # 1 MB holds a few 130 KB slices, then refuses
    assert status_message(0xA700, "store") == (
        "Failure (0xA700): C-STORE Refused: Out of Resources (PS3.4 B.2.3)."
    )
    assert "The file storage is full" in (tmp_path / "pacs" / "orthanc.log").read_text()


def test_qrscp_has_no_storage_limit(tmp_path):
    with pytest.raises(PACSError, match="qrscp has no storage limit"):
        start_pacs(tmp_path, prefer="qrscp", max_storage_mb=1)


def test_folder_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(PACSError, match="Cannot write the PACS folder .*a-file/pacs.*folder you"):
        start_pacs(blocker / "pacs", prefer="qrscp")


@pytest.mark.parametrize("kind", BACKENDS)
def test_server_that_does_not_answer_in_time(tmp_path, kind):
    _require(kind)
    before = set(_pacs_process.RUNNING)
    with pytest.raises(PACSError, match=r"did not answer a C-ECHO .* within 0 s: read its log"):
        start_pacs(tmp_path, prefer=kind, timeout=0)
    assert set(_pacs_process.RUNNING) == before  # the late server was stopped, not left running


def test_orthanc_that_exits_names_its_log(tmp_path, monkeypatch):
    _require("orthanc")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    other = free_port()
    monkeypatch.setattr(pacs_module, "_free_ports", lambda n: [port, other][:n])
    with taken, pytest.raises(PACSError) as error:
        start_pacs(tmp_path, quiet=True)
    message = str(error.value)
    assert "Orthanc exited with code" in message
    assert f"its log {tmp_path / 'orthanc.log'} ends with" in message
    assert "already in use" in message


def test_unknown_backend(tmp_path):
    with pytest.raises(PACSError, match="use 'orthanc' or 'qrscp'"):
        start_pacs(tmp_path, prefer="dcm4chee")


def test_status_messages():
    assert status_message(0xB000, "move") == (
        "Warning (0xB000): C-MOVE Sub-operations completed, one or more failures (PS3.4 C.4.2.1.5)."
    )
    assert status_message(0x0122) == (
        "Failure (0x0122): DIMSE Refused: SOP Class Not Supported (PS3.7 Annex C)."
    )
    ds = Dataset()
    ds.Status, ds.ErrorComment = 0xA702, "disk on fire"
    ds.NumberOfCompletedSuboperations, ds.NumberOfFailedSuboperations = 3, 37
    assert status_message(ds, "get") == (
        "Failure (0xA702): C-GET Refused: Out of resources, unable to perform sub-operations "
        '(PS3.4 C.4.3.1.4). The PACS says: "disk on fire". Sub-operations: 3 completed, '
        "37 failed."
    )
    assert "not define" in status_message(0x0999, "store")
    with pytest.raises(ValueError, match="use one of echo, store"):
        status_message(0, "fetch")


# --- fallback, status, teardown, who can connect ---------------------------------------------


def test_fallback_when_orthanc_is_not_on_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv(pacs_module.ORTHANC, "none")  # not in /usr/sbin either
    assert "orthanc: not found on PATH: sudo apt-get install orthanc" in pacs_status()
    with local_pacs(tmp_path / "pacs") as pacs:
        assert pacs.kind == "qrscp" and pacs.ae_title == "QRSCP"
        assert pacs.dicomweb_url.startswith("http://127.0.0.1:")  # the course's server
        with urllib.request.urlopen(pacs.dicomweb_url + "/studies", timeout=5) as reply:
            assert reply.status == 204  # an empty archive
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "Orthanc not found (sudo apt-get install orthanc orthanc-dicomweb): "
        "using pynetdicom's qrscp instead"
    )


def test_a_second_start_in_the_same_folder_replaces_the_first(tmp_path, capsys):
    """Running the lesson's PACS cell again must not leave the first server on the same files
    (issue 25.1); ``fresh=True`` starts from an empty archive."""
    first = start_pacs(tmp_path, prefer="qrscp", quiet=True)
    (tmp_path / "storage" / "kept.txt").write_text("x")
    second = start_pacs(tmp_path, prefer="qrscp", quiet=True)
    try:
        assert not first.running and second.running
        assert f"Stopping the PACS already running in {tmp_path} (pid {first.pid})" in (
            capsys.readouterr().out
        )
        assert (tmp_path / "storage" / "kept.txt").exists()  # not fresh: the archive stays
        third = start_pacs(tmp_path, prefer="qrscp", quiet=True, fresh=True)
        assert not second.running and third.running
        assert not (tmp_path / "storage" / "kept.txt").exists()
        third.stop()
    finally:
        first.stop(), second.stop()


def test_full_pacs_required_refuses_the_fallback(tmp_path, monkeypatch):
    """The book and the decks set BOOTCAMP_REQUIRE_FULL_PACS=1: no silent qrscp (issue 25.2)."""
    monkeypatch.setenv(pacs_module.REQUIRE_FULL_PACS, "1")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv(pacs_module.ORTHANC, "none")  # not in /usr/sbin either
    with pytest.raises(
        PACSError,
        match=r"Orthanc is not on PATH\. Install it \(sudo apt-get "
        r"install orthanc orthanc-dicomweb\), or set BOOTCAMP_REQUIRE_FULL_PACS=0",
    ):
        start_pacs(tmp_path / "pacs", quiet=True)
    with pytest.raises(PACSError, match="Orthanc is not on PATH"):
        start_pacs(tmp_path / "pacs", prefer="qrscp", quiet=True)  # not even when asked for
    assert not (tmp_path / "pacs").exists()  # refused before anything was written
    monkeypatch.setenv(pacs_module.REQUIRE_FULL_PACS, "0")
    with local_pacs(tmp_path / "pacs", quiet=True) as pacs:
        assert pacs.kind == "qrscp"


def test_full_pacs_required_refuses_orthanc_without_dicomweb(monkeypatch):
    _require("orthanc")
    pacs_module.require_full_pacs()  # Orthanc and its plugin are here
    monkeypatch.setattr(pacs_module, "_dicomweb_plugin", lambda orthanc: None)
    with pytest.raises(
        PACSError,
        match=r"DICOMweb plugin is not installed\. Install it \(sudo "
        r"apt-get install orthanc-dicomweb\)",
    ):
        pacs_module.require_full_pacs()


def test_the_plan_says_what_the_fallback_loses(tmp_path, monkeypatch):
    plan = pacs_module.pacs_plan(prefer="qrscp")
    assert plan.startswith("FALLBACK: this lesson runs pynetdicom's qrscp (asked for)")
    assert all(loss in plan for loss in pacs_module.FALLBACK_LOSSES.values())
    assert "section 10 uses the course's own DICOMweb server" in plan
    assert set(pacs_module.FALLBACK_LOSSES) == {"refusals", "optional keys"}
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv(pacs_module.ORTHANC, "none")  # not in /usr/sbin either
    plan = pacs_module.pacs_plan()
    assert plan.startswith("FALLBACK: this lesson runs pynetdicom's qrscp (Orthanc is not on PATH)")
    assert "sudo apt-get install orthanc orthanc-dicomweb (Debian, Ubuntu)" in plan
    monkeypatch.undo()
    if shutil.which("Orthanc"):
        assert pacs_module.pacs_plan().startswith("PACS: Orthanc (Orthanc 1.")
        monkeypatch.setattr(pacs_module, "_dicomweb_plugin", lambda orthanc: None)
        plan = pacs_module.pacs_plan()
        assert plan.startswith("FALLBACK: this lesson runs Orthanc without DICOMweb")
        assert "refused" not in plan and "apt-get install orthanc-dicomweb" in plan


def test_skipped_names_the_loss_and_the_fix(tmp_path):
    qrscp = pacs_module.LocalPACS("qrscp", "QRSCP", "127.0.0.1", 104, None, tmp_path)
    line = pacs_module.skipped(qrscp, "refusals")
    assert line.startswith("SKIPPED with pynetdicom's qrscp: section 9's refused associations")
    assert line.endswith("sudo apt-get install orthanc orthanc-dicomweb, then restart the kernel.")
    with pytest.raises(ValueError, match="qrscp loses no DICOMweb"):
        pacs_module.skipped(qrscp, "dicomweb")  # the course's server runs next to qrscp
    bare = pacs_module.LocalPACS("orthanc", "ORTHANC", "127.0.0.1", 104, None, tmp_path)
    line = pacs_module.skipped(bare, "dicomweb")
    assert "this Orthanc (no DICOMweb plugin)" in line and "HTTP side" not in line
    assert "DICOMweb plugin is not installed" in line
    assert "apt-get install orthanc-dicomweb," in line
    with pytest.raises(ValueError, match="use one of refusals, optional keys or 'dicomweb'"):
        pacs_module.skipped(qrscp, "printing")


def test_status_names_the_missing_dicomweb_plugin(monkeypatch):
    _require("orthanc")
    assert "DICOMweb plugin /" in pacs_status()
    monkeypatch.setattr(pacs_module, "_dicomweb_plugin", lambda orthanc: None)
    assert (
        "no DICOMweb plugin (dicomweb_url will be None): sudo apt-get install orthanc-dicomweb"
        in (pacs_status())
    )


def _gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie nobody reaps has exited too)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _port_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _ports(pacs) -> list[int]:
    ports = [pacs.port]
    for url in {pacs.http_url, pacs.dicomweb_url} - {None}:  # (qrscp: the course's server)
        ports.append(int(url.split("/")[2].rsplit(":", 1)[1]))
    return ports


@pytest.mark.parametrize("kind", BACKENDS)
def test_stop_leaves_no_process_and_no_port(tmp_path, kind):
    _require(kind)
    pacs = start_pacs(tmp_path, prefer=kind, quiet=True)
    assert not _gone(pacs.pid) and not any(_port_closed(p) for p in _ports(pacs))
    pacs.stop()
    pacs.stop()  # idempotent
    assert _gone(pacs.pid)
    assert all(_port_closed(p) for p in _ports(pacs))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("kind", BACKENDS)
def test_server_dies_with_a_killed_parent(tmp_path, kind):
    _require(kind)
    code = textwrap.dedent(f"""
        import time
        from bootcamp_utils.pacs import start_pacs
        pacs = start_pacs({str(tmp_path)!r}, prefer={kind!r}, quiet=True)
        print(pacs.pid, pacs.port, pacs.http_url, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        pid, port, http_url = parent.stdout.readline().split()
    finally:
        parent.kill()  # SIGKILL: no atexit, no finally in the parent
        parent.wait()
    ports = [int(port)] + ([int(http_url.rsplit(":", 1)[1])] if http_url != "None" else [])
    deadline = time.monotonic() + 15
    while not (_gone(int(pid)) and all(_port_closed(p) for p in ports)):
        if time.monotonic() > deadline:
            os.kill(int(pid), signal.SIGKILL)
            pytest.fail(f"{kind} (pid {pid}) outlived its killed parent by 15 s")
        time.sleep(0.05)


def _non_loopback_ipv4() -> str | None:
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout
    except OSError:
        return None
    return next((a for a in out.split() if "." in a and not a.startswith("127.")), None)


def test_other_machines_are_kept_out(loaded):
    """Calls from this machine's network address (as another machine's would arrive): Orthanc
    rejects the association (DicomCheckModalityHost) and answers HTTP 401 (RemoteAccessAllowed
    false), though its sockets listen on every interface; qrscp is not even reachable."""
    pacs, _ = loaded
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address (hostname -I)")
    for _ in range(3):  # (the abort race of _refused)
        ae = AE(CLIENT)
        ae.add_requested_context(Verification)
        ae.acse_timeout = ae.network_timeout = ae.connection_timeout = 5
        assoc = ae.associate(address, pacs.port, ae_title=pacs.ae_title, bind_address=(address, 0))
        if not assoc.is_aborted:
            break
    assert not assoc.is_established
    if pacs.kind == "orthanc":
        assert assoc.is_rejected
        assert "calling AE title not recognised" in explain_association(assoc)
        port = int(pacs.http_url.rsplit(":", 1)[1])
        for path in ("/system", "/dicom-web/studies"):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(f"http://{address}:{port}{path}", timeout=5)
            assert error.value.code in (401, 403)
        with urllib.request.urlopen(f"{pacs.http_url}/system", timeout=5) as response:
            assert response.status == 200  # the same request from 127.0.0.1 gets in
    else:
        with socket.socket() as sock:
            assert sock.connect_ex((address, pacs.port)) != 0  # bound to 127.0.0.1 only
        assert explain_association(assoc).startswith("Could not connect")
    # the same call from 127.0.0.1 is accepted: the refusal above is about the address
    control = _associate(pacs, Verification)
    assert control.is_established
    control.release()


def test_orthanc_is_found_in_sbin_and_can_be_named_or_refused(monkeypatch):
    """Debian puts Orthanc in /usr/sbin, which a normal user's PATH lacks (/usr/bin:/bin)."""
    found = require_tool("Orthanc", "orthanc orthanc-dicomweb")
    monkeypatch.delenv(pacs_module.ORTHANC, raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    if Path(found).parent.name == "sbin":
        assert pacs_module._orthanc() == found
    monkeypatch.setenv(pacs_module.ORTHANC, found)
    assert pacs_module._orthanc() == found
    for off in ("none", "", "NONE"):
        monkeypatch.setenv(pacs_module.ORTHANC, off)
        assert pacs_module._orthanc() is None
