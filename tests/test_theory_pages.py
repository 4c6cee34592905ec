"""The book's theory pages: the cheat sheet agrees with pydicom; the prose is spelled right."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from pydicom import dcmread
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.uid import UID

from bootcamp_utils.data import read_example, sample_path

from .conftest import IN_CI, REPO

THEORY = REPO / "book" / "theory"
CHEATSHEET = (THEORY / "cheatsheet.md").read_text()


def _rows(pattern: str) -> list[tuple[str, ...]]:
    return re.findall(pattern, CHEATSHEET, re.M)


TAG_ROWS = _rows(r"^\| \(([0-9A-F]{4}),([0-9A-F]{4})\) \| (\w+) \| ([A-Z]{2}) \|")
VR_ROWS = [row for row in _rows(r"^\| ([A-Z]{2}) \| [^|]+ \| (\w+)") if row[0] != "VR"]
SYNTAX_ROWS = _rows(r"^\| (1\.2\.840\.10008\.[0-9.]+) \| (.+?) \| (.+?) \|$")


def test_the_tables_were_found():
    assert len(TAG_ROWS) >= 25 and len(VR_ROWS) >= 12 and len(SYNTAX_ROWS) >= 8


@pytest.mark.parametrize(
    ("group", "element", "keyword", "vr"), TAG_ROWS, ids=[row[2] for row in TAG_ROWS]
)
def test_tag_rows_match_the_data_dictionary(group, element, keyword, vr):
    tag = int(group + element, 16)
    assert keyword_for_tag(tag) == keyword
    assert vr in dictionary_VR(tag).split(" or ")


def _elements_by_vr() -> dict[str, object]:
    """One real element of each VR, from pydicom's files and the course's samples."""
    found: dict[str, object] = {}
    datasets = [read_example("ct"), dcmread(sample_path("identified_study") / "CT0001.dcm")]
    for ds in datasets:
        for elem in [*ds.file_meta, *ds.iterall()]:
            found.setdefault(elem.VR, elem)
    return found


@pytest.mark.parametrize(("vr", "python_type"), VR_ROWS, ids=[row[0] for row in VR_ROWS])
def test_vr_rows_name_the_type_pydicom_returns(vr, python_type):
    elem = _elements_by_vr().get(vr)
    assert elem is not None, f"no example element with VR {vr}"
    assert type(elem.value).__name__ == python_type, (elem, type(elem.value))


@pytest.mark.parametrize(
    ("uid", "name", "status"), SYNTAX_ROWS, ids=[row[0] for row in SYNTAX_ROWS]
)
def test_transfer_syntax_rows_match_the_registry(uid, name, status):
    syntax = UID(uid)
    assert syntax.is_transfer_syntax and syntax.name == name
    assert ("retired" in status) == syntax.is_retired
    assert ("uncompressed" in status) == (not syntax.is_compressed)
    assert ("default transfer syntax" in status) == (
        syntax.info == "Default Transfer Syntax for DICOM"
    )
    # Only lossless syntaxes carry "Lossless" in their name; JPEG Baseline is 8-bit (Process 1)
    assert ("lossy" in status) == (syntax.is_compressed and "Lossless" not in name)


def test_book_pages_are_spelled_right():
    if shutil.which("codespell") is None:
        if IN_CI:
            pytest.fail("codespell not installed")
        pytest.skip("codespell not installed: pip install -r requirements-dev.txt")
    pages = sorted(THEORY.glob("*.md")) + sorted(THEORY.parent.glob("*.md"))  # + landing page
    assert len(pages) >= 6
    run = subprocess.run(
        ["codespell", "--ignore-words", str(REPO / "tests" / "words.txt"), *map(str, pages)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout


def test_reader_pages_do_not_talk_to_developers():
    """The book is for students: no test files, source paths or developer notes in its prose."""
    pages = sorted(THEORY.glob("*.md")) + sorted(THEORY.parent.glob("*.md"))
    pages = [p for p in pages if p.name != "README.md"]  # book/README.md is for developers
    for page in pages:
        text = page.read_text()
        assert not re.search(r"\btests?/|\w+\.py\b|pytest", text), page.name
