"""Lesson 02's claims that a test can see in its text (issue 23.5, 23.13, 23.14, 23.15)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pydicom
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


# --- issue 25: the whole-study exercise, run again and again -------------------------------


def _cells():
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _exercise_code(exercise: str) -> tuple[str, str]:
    """(starter code, solution code) of ``exercise``."""
    cells = _cells()
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code" and f"check('{exercise}'" in "".join(cell["source"]):
            solution = "".join(cells[i + 1]["source"])
            return "".join(cell["source"]), solution.split("```python\n")[1].split("```")[0]
    raise AssertionError(f"no starter cell for {exercise}")


def _run_cell(code: str, namespace: dict):
    """Run a cell's code as Jupyter does: the last line's value is what it shows."""
    *body, last = code.strip().splitlines()
    exec("\n".join(body), namespace)
    return eval(last, namespace)


def test_the_whole_study_exercise_runs_again_and_shows_the_report(tmp_path, capsys):
    """Issue 25.3 and 25.5: the starter prints what needs attention first; a second run of
    the starter (after a wrong answer) or of the solution is no FileExistsError."""
    import warnings

    import bootcamp_utils as bc
    from bootcamp_utils import check

    localizer = pydicom.dcmread(bc.sample_path("identified_study") / "SCOUT0001.dcm")
    text = localizer.pixel_array == 2**localizer.BitsStored - 1
    rows, cols = text.nonzero()
    box = (int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1)
    namespace = {
        "bc": bc,
        "check": check,
        "OUT": tmp_path,
        "STUDY": bc.sample_path("identified_study"),
        "box": box,
        "warnings": warnings,  # the lesson's imports cell gives the starter warnings too
    }
    starter, solution = _exercise_code("02-deid-study")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for _ in range(2):
            assert not _run_cell(starter, namespace)  # Not yet, every time
            shown = capsys.readouterr().out.splitlines()
            assert shown[0] == "1 file(s) NEED ATTENTION:"
            assert shown[1].startswith(
                "  ! SCOUT0001.dcm: written with Patient Identity Removed NO"
            )
        for _ in range(2):
            assert _run_cell(solution, namespace)  # Correct, every time
            shown = capsys.readouterr().out
            assert (
                shown.startswith("5 DICOM file(s) de-identified into") and "ATTENTION" not in shown
            )
    assert "rmtree" not in solution


def test_the_exercise_text_says_how_to_read_the_report_and_run_again():
    text = _markdown()
    assert "What still needs attention comes first" in text
    assert "`report.needs_attention`" in text and "`strict=True` refuses" in text
    assert "`overwrite=True` replaces the folder the last run wrote" in text


def test_exercise_cells_of_lessons_01_to_04_can_run_again():
    """Starters and solutions write into folders they may run into next time: the folder
    helper is called with overwrite=True, mkdir with exist_ok=True (issue 25.5)."""
    notebooks = sorted(NOTEBOOK.parent.glob("0[1-4]_*.ipynb"))
    assert len(notebooks) == 4
    looked_at = 0
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            source = "".join(cell["source"])
            tags = cell.get("metadata", {}).get("tags", [])
            starter = cell["cell_type"] == "code" and "check(" in source
            if not (starter or "solution" in tags):
                continue
            looked_at += 1
            for call in re.findall(r"deidentify_folder\((?:[^()]|\([^()]*\))*\)", source):
                assert "overwrite=True" in call, (path.name, call)
            for call in re.findall(r"\.mkdir\([^)]*\)", source):
                assert "exist_ok=True" in call, (path.name, call)
            assert "rmtree" not in source, path.name
    assert looked_at > 40


# --- issue 25.9: pydicom's warnings are part of the lesson, printed, not a pink box ---------

#: The cells to run: the imports, OUT and STUDY, the whole-study starter, and section 5's
#: broken files, their validation and the 02-validate starter.
_WARNING_CELLS = ("030c606b", "414eb101", "bc7d129f", "da4d1038", "c8e6f1c5", "235b9462")


def _stderr_and_stdout(nb) -> dict[str, tuple[str, str]]:
    """``{cell id: (what it wrote to stderr, what it wrote to stdout)}``."""
    return {
        cell.id: tuple(
            "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == name)
            for name in ("stderr", "stdout")
        )
        for cell in nb.cells
    }


def test_the_validation_cells_print_pydicom_s_warnings_without_a_pink_box(tmp_path):
    """In Jupyter stderr is a pink box (with a site-packages path): the lesson's warnings are
    what to read, so they are printed as one line each; the whole-study starter, whose report
    prints what its warning says, shows no warning at all."""
    import os

    import nbformat

    from .notebook_harness import run_notebook

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells = [next(c for c in nb.cells if c.id == i) for i in _WARNING_CELLS]
    path = tmp_path / "02_part.ipynb"
    nbformat.write(nb, path)
    pythonpath = os.pathsep.join(
        filter(None, [str(NOTEBOOK.parents[1]), os.environ.get("PYTHONPATH")])
    )
    run = run_notebook(
        path, tmp_path, env={"PYTHONPATH": pythonpath, "PYTHONDONTWRITEBYTECODE": "1"}
    )
    assert run.ok, run.failures
    shown = _stderr_and_stdout(run.notebook)
    pink = {i: err for i, (err, _) in shown.items() if err}
    assert not pink, f"cells writing to stderr (a pink box in Jupyter): {pink}"
    assert "UserWarning: Invalid value for VR UI: '2.25." in shown["c8e6f1c5"][1]
    assert "UserWarning: Invalid value for VR DA: '2024-01-15'." in shown["235b9462"][1]
    assert "site-packages" not in "".join(out for _, out in shown.values())
    starter = shown["bc7d129f"][1]
    assert starter.startswith("1 file(s) NEED ATTENTION:") and "Warning" not in starter
