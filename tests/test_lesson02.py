"""Lesson 02's claims that a test can see in its text (issue 23.5, 23.13, 23.14, 23.15)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "02_metadata_editing.ipynb"


def _markdown() -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return re.sub(r"\s+", " ", text)


def test_generate_uid_is_at_most_64_characters_not_always_64():
    lengths = Counter(len(generate_uid()) for _ in range(2000))
    assert max(lengths) == 64 and min(lengths) < 64  # ~10 % are shorter
    text = _markdown()
    assert "filled up to 64" not in text
    assert "*at most* 64 characters" in text


def test_derivation_is_cited_in_the_general_reference_module():
    text = _markdown()
    assert "General Reference module, PS3.3 C.12.4" in text
    assert "C.7.6.1: Image Type `DERIVED`, Derivation Description" not in text


def test_the_option_codes_the_lesson_names_are_pydicom_s():
    text = _markdown()
    for keyword in (
        "RetainLongitudinalTemporalInformationFullDatesOption",
        "RetainLongitudinalTemporalInformationModifiedDatesOption",
        "RetainPatientCharacteristicsOption",
        "RetainDeviceIdentityOption",
        "RetainInstitutionIdentityOption",
        "RetainUidsOption",
        "RetainSafePrivateOption",
        "CleanPixelDataOption",
        "CleanRecognizableVisualFeaturesOption",
        "CleanGraphicsOption",
        "CleanStructuredContentOption",
        "CleanDescriptorsOption",
    ):
        code = getattr(codes.DCM, keyword)
        assert f"({code.value}" in text, (keyword, code.value)
    assert "Recognizable Visual Features (0028,0302)" in text


def _solution(exercise: str) -> str:
    """The code of the solution cell that follows the starter calling ``check(exercise, ...)``."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code" and f"check('{exercise}'" in "".join(cell["source"]):
            return "".join(cells[i + 1]["source"])
    raise AssertionError(f"no starter cell for {exercise}")


def test_the_repair_keeps_the_series_frame_of_reference():
    """The faithful repair of the ".01" UID is the UID the other slices share (issue 23)."""
    solution = _solution("02-validate")
    assert '[: -len(".01")] + ".1"' not in solution
    assert "FrameOfReferenceUID = neighbour.FrameOfReferenceUID" in solution
    assert "the frame of reference the other slices of `head_ct` share" in _markdown()


def test_the_validator_is_described_as_the_package_it_is():
    text = _markdown()
    assert "bootcamp_utils/validation.py" not in text
    assert "only the CT, MR and Secondary Capture modules and the VR rules" not in text
    assert "the package `bootcamp_utils/validation/`" in text
