"""What lesson 05 says about statuses, URLs and encryption is what PS3.7, RFC 3986 and the
servers do (issue 23.8, 23.9, 23.10).

* Every status code the lesson's markdown calls a warning or a failure is one in
  pynetdicom's tables of PS3.7 Annex C, and 0x0107 / 0x0116 are never listed as failures.
* The wildcard paragraph: dicomweb-client sends ``*`` as ``%2A`` and Orthanc reads an encoded
  ``*`` as a literal character (no match) but decodes an encoded unreserved ``-`` (match),
  as the lesson says; measured against Orthanc.
* DICOMweb is not called encrypted by itself: the lesson's own server is ``http://``.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
from pydicom import dcmread
from pynetdicom.status import code_to_category

import bootcamp_utils as bc

from .conftest import REPO, require_tool

NOTEBOOK = REPO / "notebooks" / "05_networking.ipynb"


def _markdown() -> dict[str, str]:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return {c["id"]: "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"}


def _codes_after(text: str, word: str) -> list[int]:
    """The exact codes (0x1234) listed after ``word`` up to the next ``;`` or sentence end."""
    found = []
    for part in re.findall(rf"{word}:?([^;]*?)(?:;|\.\s|\Z)", text, flags=re.S):
        found += [int(c, 16) for c in re.findall(r"`0x([0-9A-F]{4})`", part)]
    return found


def test_status_lists_agree_with_ps3_7():
    md = _markdown()
    for cell in ("cell-008", "cell-087"):
        text = md[cell]
        warnings, failures = _codes_after(text, "warning"), _codes_after(text, "failure")
        assert 0x0107 in warnings and 0x0116 in warnings, text
        assert all(code_to_category(c) == "Warning" for c in warnings), warnings
        assert all(code_to_category(c) == "Failure" for c in failures), failures
    everything = "\n".join(md.values())
    assert "`0xAxxx`/`0xCxxx`/`0x01xx`" not in everything  # the old summary (0x0107 is a warning)


def test_no_claim_that_percent_encoding_is_the_same_character():
    text = _markdown()["cell-081"]
    assert "same character" not in text
    assert "reserved" in text and "§2.2" in text and "%2A" in text


def test_dicomweb_is_not_called_encrypted():
    everything = "\n".join(_markdown().values())
    assert "DICOMweb uses HTTPS" not in everything
    assert "http://" in _markdown()["cell-082"]


@pytest.mark.parametrize("kind", [pytest.param("orthanc", marks=pytest.mark.external), "qrscp"])
def test_an_encoded_star_is_a_literal(tmp_path, kind):
    """Cell 81: Orthanc 1.10 and the course's DICOMweb server (next to qrscp) alike."""
    if kind == "orthanc":
        require_tool("Orthanc", "orthanc orthanc-dicomweb")
    from dicomweb_client.api import DICOMwebClient

    pacs = bc.start_pacs(tmp_path / "pacs", prefer=kind, move_destinations={}, quiet=True)
    try:
        assert pacs.kind == kind and pacs.dicomweb_url
        web = DICOMwebClient(pacs.dicomweb_url)
        first = dcmread(sorted(bc.sample_path("head_ct").glob("*.dcm"))[0])
        web.store_instances([first])
        assert first.PatientID == "BOOTCAMP-0001"

        def found(query: str) -> int:
            reply = requests.get(
                f"{pacs.dicomweb_url}/studies?PatientID={query}",
                headers={"Accept": "application/dicom+json"},
                timeout=10,
            )
            reply.raise_for_status()
            return len(reply.json()) if reply.content else 0

        assert found("BOOTCAMP-*") == 1  # a literal * is the wildcard
        assert found("BOOTCAMP-%2A") == 0  # an encoded * is an asterisk
        assert found("BOOTCAMP%2D0001") == 1  # an encoded unreserved - is decoded
        sent = []
        get = web._session.get

        def spy(url, *args, **kwargs):
            sent.append(url)
            return get(url, *args, **kwargs)

        web._session.get = spy
        assert web.search_for_studies(search_filters={"PatientID": "BOOTCAMP-*"}) == []
        assert any("PatientID=BOOTCAMP-%2A" in url for url in sent), sent
    finally:
        pacs.stop()
