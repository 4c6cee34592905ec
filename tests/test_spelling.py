"""Spell check of every notebook's markdown and code comments (codespell + tests/words.txt)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tokenize
from pathlib import Path

import nbformat
import pytest

from .conftest import IN_CI, REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# DICOM words codespell would "correct": OT (Modality: other), TE (echo time). One a line.
WORDS = REPO / "tests" / "words.txt"


def prose(path: Path) -> list[tuple[str, str]]:
    """(where, text) for every markdown cell and every comment in a code cell."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found.append((f"cell {i}", cell.source))
        elif cell.cell_type == "code":
            source = "\n".join(
                line
                for line in cell.source.splitlines()
                if not line.lstrip().startswith(("%", "!"))
            )  # magics
            try:
                tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
            except (tokenize.TokenError, SyntaxError):
                tokens = []
            comments = [t.string for t in tokens if t.type == tokenize.COMMENT]
            if comments:
                found.append((f"cell {i} comments", "\n".join(comments)))
    return found


def misspellings(path: Path, tmp_path: Path) -> list[str]:
    """codespell's findings in the prose of ``path``, as 'cell N: word ==> fix'."""
    if shutil.which("codespell") is None:
        message = "codespell not installed: pip install -r requirements-dev.txt"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    chunks = {}  # one file per cell, checked by a single codespell run (one per cell: ~1 min)
    for n, (where, text) in enumerate(prose(path)):
        chunk = tmp_path / f"{path.stem}-{n}.txt"
        chunk.write_text(text)
        chunks[str(chunk)] = where
    if not chunks:
        return []
    run = subprocess.run(
        ["codespell", "--ignore-words", str(WORDS), *chunks], capture_output=True, text=True
    )
    findings = []
    for line in run.stdout.splitlines():  # "<file>:<line>: word ==> fix"
        if not line.strip():
            continue
        name, _, rest = line.partition(":")
        findings.append(f"{chunks.get(name, name)}: {rest.split(': ', 1)[-1]}")
    return findings


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_prose_is_spelled_right(path, tmp_path):
    found = misspellings(path, tmp_path)
    assert not found, f"{path.name}:\n- " + "\n- ".join(found)


def test_spell_check_finds_mistakes_in_markdown_and_comments(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\nWe recieve the file."),
        nbformat.v4.new_code_cell("x = 'teh string is code, not prose'  # seperate comment"),
        nbformat.v4.new_code_cell("%pip install teh\ny = 1"),
    ]
    path = tmp_path / "typos.ipynb"
    nbformat.write(nb, path)
    found = misspellings(path, tmp_path)
    assert any("recieve" in f and f.startswith("cell 0") for f in found), found
    assert any("seperate" in f and f.startswith("cell 1") for f in found), found
    assert not any("teh" in f for f in found)  # strings and magics are not prose
