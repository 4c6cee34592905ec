"""bootcamp_utils.dicomweb: the course's DICOMweb server, with dicomweb-client (the lesson's
client) as the client: QIDO-RS, WADO-RS (metadata, instance, frames, rendered), STOW-RS; the
wildcard rule of RFC 3986; loopback only; nothing left listening after stop()."""

from __future__ import annotations

import io
import shutil
import socket

import numpy as np
import pytest
import requests
from pydicom import dcmread

import bootcamp_utils as bc
from bootcamp_utils.dicomweb import start_dicomweb


@pytest.fixture(scope="module")
def ct_files():
    return sorted(bc.sample_path("head_ct").glob("*.dcm"))


@pytest.fixture
def server(tmp_path, ct_files):
    for path in ct_files[18:22]:
        shutil.copy(path, tmp_path / path.name)
    with start_dicomweb(tmp_path) as running:
        yield running


def _client(server):
    from dicomweb_client.api import DICOMwebClient

    return DICOMwebClient(server.url)


def test_search_levels_and_counts(server, ct_files):
    web, first = _client(server), dcmread(ct_files[20])
    studies = web.search_for_studies(search_filters={"PatientID": "BOOTCAMP-0001"})
    assert len(studies) == 1
    assert studies[0]["00201208"]["Value"] == [4]  # NumberOfStudyRelatedInstances
    assert studies[0]["00080061"]["Value"] == ["CT"]  # ModalitiesInStudy
    assert "00081030" not in studies[0]  # Study Description only with includefield
    asked = web.search_for_studies(fields=["StudyDescription"])
    assert asked[0]["00081030"]["Value"] == [first.StudyDescription]
    series = web.search_for_series(first.StudyInstanceUID)
    assert [s["0020000E"]["Value"][0] for s in series] == [first.SeriesInstanceUID]
    page = web.search_for_instances(first.StudyInstanceUID, limit=2, offset=1)
    assert len(page) == 2
    assert web.search_for_studies(search_filters={"PatientID": "NOBODY"}) == []


def test_an_encoded_star_is_data(server):
    def found(query):
        reply = requests.get(f"{server.url}/studies?PatientID={query}", timeout=10)
        return 0 if reply.status_code == 204 else len(reply.json())

    assert found("BOOTCAMP-*") == 1 and found("BOOTCAMP-000?") == 1
    assert found("BOOTCAMP-%2A") == 0  # RFC 3986 2.2: an encoded reserved character is data
    assert found("BOOTCAMP%2D0001") == 1  # an encoded unreserved character is decoded


def test_metadata_instance_frames(server, ct_files):
    web, original = _client(server), dcmread(ct_files[20])
    ids = (original.StudyInstanceUID, original.SeriesInstanceUID, original.SOPInstanceUID)
    metadata = web.retrieve_instance_metadata(*ids)
    uri = metadata["7FE00010"]["BulkDataURI"]
    assert uri.startswith(f"{server.url}/studies/")  # host and port
    assert original.PixelData in requests.get(uri, timeout=10).content
    assert web.retrieve_instance(*ids).PixelData == original.PixelData
    for media in (None, [("application/octet-stream", "*")], [("application/octet-stream",)]):
        frames = web.retrieve_instance_frames(*ids, frame_numbers=[1], media_types=media)
        assert frames[0] == original.PixelData
    with pytest.raises(requests.HTTPError, match="406"):
        web.retrieve_instance_frames(*ids, frame_numbers=[1], media_types=[("image/jpeg",)])
    reply = requests.get(f"{server.url}/studies/{ids[0]}/series/{ids[1]}/instances/1.2/metadata")
    assert reply.status_code == 404 and "No instance" in reply.text


def test_rendered_window_equals_apply_window(server, ct_files):
    from PIL import Image

    original = dcmread(ct_files[20])
    ids = (original.StudyInstanceUID, original.SeriesInstanceUID, original.SOPInstanceUID)
    url = f"{server.url}/studies/{ids[0]}/series/{ids[1]}/instances/{ids[2]}/rendered"
    ours = np.round(bc.apply_window(bc.real_world_values(original), 40, 80) * 255)
    for query in ("?window=40,80,linear", "?window=40%2C80%2Clinear", ""):  # "": the file's 40/80
        reply = requests.get(url + query, headers={"Accept": "image/png"}, timeout=10)
        assert reply.headers["Content-Type"] == "image/png"
        png = np.asarray(Image.open(io.BytesIO(reply.content))).astype(int)
        assert np.abs(png - ours).max() == 0, query
    assert requests.get(url + "?window=40", timeout=10).status_code == 400


def test_stow_then_qido(server, tmp_path):
    ds = dcmread(bc.sample_path("head_mr").glob("*.dcm").__next__())
    ds.PatientID = "TRIAL-0017"
    web = _client(server)
    response = web.store_instances([ds])
    assert len(response.ReferencedSOPSequence) == 1 and "FailedSOPSequence" not in response
    assert (tmp_path / ds.SOPInstanceUID).exists()
    found = web.search_for_studies(search_filters={"PatientID": "TRIAL-0017"})
    assert len(found) == 1


def test_loopback_only_and_stop_closes_the_port(tmp_path):
    server = start_dicomweb(tmp_path)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("192.0.2.1", 9))  # no packet sent: picks the outgoing address
                address = probe.getsockname()[0]
            except OSError:
                address = "127.0.0.1"
        if not address.startswith("127."):
            with socket.socket() as sock:
                assert sock.connect_ex((address, server.port)) != 0
    finally:
        server.stop()
    assert not server.running
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", server.port)) != 0
