"""Exercise self-checks: right answers pass, plausible wrong answers never do.

For every exercise, ``_wrong_answers`` lists answers a student may plausibly give (constants
typed without opening the file, off by one, bools, truncated floats, the wrong file's value,
swapped pairs...), each with words its feedback must contain; ``_right_answers`` lists the
defensible variants of the right answer. A test fails if an exercise has no such lists.
The answers of lesson 02 are mostly files a student wrote: tests/checks_lesson02_cases.py
builds them in a temporary folder; tests/checks_lesson03_cases.py holds lesson 03's (affines,
file orders, positions, planes), its truths worked out from the loaded series;
tests/checks_lesson04_cases.py lesson 04's (exported PNGs, compressed files, frame, dose, ECG);
tests/checks_lesson05_cases.py lesson 05's (query levels, series sizes, C-GET contexts, statuses);
tests/checks_lesson06_cases.py lesson 06's (series chosen, a split, a lesion volume, statistics).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.pixels import apply_modality_lut

from bootcamp_utils import Feedback as TopLevelFeedback
from bootcamp_utils import check as top_level_check
from bootcamp_utils.checks import EXERCISES, Feedback
from bootcamp_utils.checks import check as _check
from bootcamp_utils.data import example_path, read_example, sample_path

from . import checks_lesson02_cases as lesson02
from . import checks_lesson03_cases as lesson03
from . import checks_lesson04_cases as lesson04
from . import checks_lesson05_cases as lesson05
from . import checks_lesson06_cases as lesson06

#: The later lessons' tables (tests/checks_lessonNN_cases.py): each answers for its own
#: exercises and returns None for the others'.
CASE_MODULES = (lesson02, lesson03, lesson04, lesson05, lesson06)

_ASKED_TAGS = [0x00100010, 0x00091001, 0x00291010, 0x7FE00010, 0x00190010, 0x00080060]
_SYNTAX_NAMES = ["ct", "rt_dose", "waveform", "mr_big_endian"]
# what the writer put in sample_path("unlabelled") (tests/test_data.py reads them back)
_RIGHT_FORMATS = {"file_1": "Analyze", "file_2": "DICOM", "file_3": "NIfTI-2", "file_4": "NIfTI-1"}


def check(name: str, answer) -> Feedback:
    """The course's ``check``, failing the test where the check raised instead of judging."""
    feedback = _check(name, answer)
    assert not feedback.crashed, f"{name} raised on {answer!r}: {feedback.message}"
    return feedback


def _vr_truth() -> dict[str, str]:
    """The VRs the 01-vr exercise asks for, read from CT_small itself."""
    ds = read_example("ct")
    keywords = ("PatientName", "StudyDate", "PixelSpacing", "Rows", "SOPInstanceUID")
    return {k: ds[k].VR for k in (*keywords, "SliceThickness")}


def _says(feedback: Feedback, *words: str) -> bool:
    text = f"{feedback.message} {feedback.hint}".lower()
    return not feedback.correct and all(w.lower() in text for w in words)


# --- the truths, worked out here independently of the checks ---------------------------------


def _data_set_offset(name: str) -> int:
    """Offset of the data set: walk the File Meta elements (explicit VR little endian)."""
    raw = example_path(name).read_bytes()
    assert raw[128:132] == b"DICM"
    offset = 132
    while int.from_bytes(raw[offset : offset + 2], "little") == 0x0002:
        vr = raw[offset + 4 : offset + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):  # 4-byte length (PS3.5 7.1.2)
            length, header = int.from_bytes(raw[offset + 8 : offset + 12], "little"), 12
        else:
            length, header = int.from_bytes(raw[offset + 6 : offset + 8], "little"), 8
        offset += header + length
    return offset


def _hounsfield_facts():
    ds = dcmread(sample_path("head_ct") / "CT0008.dcm")
    return (
        int(ds.pixel_array[44, 176]),
        float(apply_modality_lut(ds.pixel_array, ds)[44, 176]),
        float(apply_modality_lut(ds.pixel_array, ds)[176, 44]),
    )


def _series_facts():
    headers = [
        dcmread(p, stop_before_pixels=True) for p in sample_path("identified_study").glob("*.dcm")
    ]
    counts = Counter(h.SeriesInstanceUID for h in headers)
    assert sorted(counts.values()) == [1, 4]  # a localizer and four axial slices
    assert len({h.SOPInstanceUID for h in headers}) == len(headers)
    return headers, dict(counts)


def _slice_z() -> dict[int, float]:
    """Instance Number -> Image Position (Patient) z, for head_ct."""
    headers = [dcmread(p, stop_before_pixels=True) for p in sample_path("head_ct").glob("*.dcm")]
    return {int(h.InstanceNumber): float(h.ImagePositionPatient[2]) for h in headers}


def _syntaxes():
    return {
        n: (
            read_example(n).file_meta.TransferSyntaxUID.is_little_endian,
            read_example(n).file_meta.TransferSyntaxUID.is_implicit_VR,
        )
        for n in _SYNTAX_NAMES
    }


# --- answers ---------------------------------------------------------------------------------


def _right_answers(name: str, tmp: Path) -> list:
    for module in CASE_MODULES:
        if (cases := module.right_answers(name, tmp)) is not None:
            return cases
    if name == "01-formats":
        return [
            _RIGHT_FORMATS,
            {"file_1": "analyse 7.5", "file_2": "dicom", "file_3": "NIfTI", "file_4": "nifti"},
            {" file_1 ": "Analyze", "file_2": "DICOM", "file_3": "nifti_2", "file_4": "NIfTI 1"},
        ]
    if name == "01-pixel-bytes":
        ds = read_example("rgb_color")
        truth = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
        assert truth == len(ds.PixelData) == 240 * 320 * 3
        return [truth, np.int64(truth), float(truth), np.array(truth)]
    if name == "01-preamble":
        offset = _data_set_offset("ct")
        return [offset, np.uint16(offset), float(offset)]
    if name == "01-tag-number":
        return [0x00100010, 1048592, np.uint32(1048592), 1048592.0]
    if name == "01-private-tags":
        return [
            {0x00091001, 0x00291010, 0x00190010},
            [(0x0009, 0x1001), (0x0029, 0x1010), (0x0019, 0x0010)],
            (np.uint32(0x00091001), 0x00291010, 0x00190010),
            frozenset({0x00091001, 0x00291010, (0x0019, 0x0010)}),
        ]
    if name == "01-vr":
        truth = _vr_truth()
        return [
            truth,
            {k: v.lower() for k, v in truth.items()},
            {k: f" {v} " for k, v in truth.items()},
        ]
    if name == "01-series-uids":
        _, counts = _series_facts()
        return [
            counts,
            {f" {k} ": np.int64(v) for k, v in counts.items()},
            {k: float(v) for k, v in counts.items()},
        ]
    if name == "01-transfer-syntax":
        truth = _syntaxes()
        return [
            truth,
            {k: list(v) for k, v in truth.items()},
            {k: tuple(np.bool_(b) for b in v) for k, v in truth.items()},
        ]
    if name == "01-hounsfield":
        _, hu, _ = _hounsfield_facts()
        return [hu, int(hu), np.float32(hu), np.int16(hu)]
    if name == "01-window-edges":
        return [(0.0, 79.0), (0, 79), [0, 79], np.array([0.0, 79.0]), (np.int64(0), 79.0)]
    if name == "01-bleed-slice":
        from bootcamp_utils.data._phantom import BLEED

        z = _slice_z()
        nearest = sorted(z.values(), key=lambda v: abs(v - BLEED.center[2]))[:2]
        assert abs(nearest[0] - BLEED.center[2]) == abs(nearest[1] - BLEED.center[2])
        return [nearest[0], nearest[1], int(nearest[0]), np.float64(nearest[1])]
    raise AssertionError(f"no right answers listed for {name}")


def _wrong_answers(name: str, tmp: Path) -> list[tuple]:
    """(answer, words its feedback must contain), for each exercise; files go into ``tmp``."""
    for module in CASE_MODULES:
        if (cases := module.wrong_answers(name, tmp)) is not None:
            return cases
    if name == "01-formats":
        f = _RIGHT_FORMATS
        return [
            (dict(f, file_1="NIfTI-1"), "file_1", "bytes 344-347"),  # the classic confusion
            (dict(f, file_1="NIfTI"), "file_1", "bytes 344-347"),
            (dict(f, file_3="NIfTI-1"), "file_3", "which version"),
            (dict(f, file_4="NIfTI-2"), "file_4", "which version"),
            (dict(f, file_2="TIFF"), "file_2", "byte 128"),
            (dict(f, file_2="MINC"), "file_2"),
            (dict(f, file_1="DICOMweb"), "file_1"),
            ({k: v for k, v in f.items() if k != "file_4"}, "no answer for file_4"),
            (dict(f, file_5="PNG"), "file_5 is not in the folder"),
            (dict(f, file_2=None), "name (text)"),
            (dict(f, file_2=True), "name (text)"),
            (["Analyze", "DICOM", "NIfTI-2", "NIfTI-1"], "expected a dict"),
        ]
    if name == "01-pixel-bytes":
        truth = 240 * 320 * 3
        return [
            (240 * 320, "samples per pixel"),
            (truth * 8, "bits"),
            (240 * 320 * 3 * 2, "bits allocated is 8"),
            (128 * 128 * 2, "ct_small", "rgb_color"),  # the wrong file
            (truth + 1, "off"),
            (truth - 1, "off"),
            (truth + 0.5, "whole number"),
            (True, "bool"),
            (str(truth), "text"),
            (f"{truth} bytes", "text"),
            ((240, 320, 3), "one number of bytes"),
        ]
    if name == "01-preamble":
        offset = _data_set_offset("ct")
        mr_offset = _data_set_offset("mr")
        assert offset != mr_offset
        return [
            (b"DICM", "bytes", "offset"),
            (b"II*\x00", "bytes"),
            ("DICM", "text"),
            (128, "where 'dicm' begins"),
            (132, "file meta information begins"),
            (144, "after the group length"),
            (offset - 12, "12 bytes"),
            (offset - 4, "'dicm' are missing"),
            (offset - 144, "length, not an offset"),
            (offset + 1, "off by one"),
            (offset - 1, "off by one"),
            (offset + 0.5, "whole number"),
            (offset - 0.1, "whole number"),
            (mr_offset, "ct_small"),  # MR_small.dcm's offset: the wrong file
            (True, "bool"),
            (str(offset), "text"),
            ((128, offset), "one byte offset"),
        ]
    if name == "01-tag-number":
        return [
            ((0x0010, 0x0010), "one integer", "<< 16"),
            (100010, "hexadecimal"),
            (10010, "hexadecimal"),
            ("(0010,0010)", "text"),
            ("0x00100010", "text"),
            (0x0020, "added"),
            (0x1010, "8 bits"),
            (0x00100020, "not the tag"),
            (0x00100010 + 1, "not the tag"),
            (0x00100010 - 1, "not the tag"),
            (1048592.5, "whole number"),
            (1048592.9, "whole number"),
            (True, "bool"),
            ([0x0010, 0x0010], "one integer"),
        ]
    if name == "01-private-tags":
        right = {0x00091001, 0x00291010, 0x00190010}
        return [
            (right | {0x7FE00010}, "not private: (7FE0,0010)"),
            ({0x00091001}, "missing", "(0019,0010)", "odd group"),
            (set(_ASKED_TAGS), "not private"),  # every tag
            ({0x00091001}, "element number does not matter"),  # odd element, not group
            ({0x0009, 0x0019, 0x0029}, "group numbers"),
            (right | {0x00110010}, "(0011,0010)", "not one of the six"),
            ({0x00100010, 0x7FE00010, 0x00080060}, "missing", "not private"),  # swapped
            (right - {0x00190010}, "missing (0019,0010)"),
            ({True, 0x00291010}, "bool"),
            ({1.5}, "whole number"),
            ({"(0009,1001)"}, "text"),
            ("0x00091001", "expected a set"),
            ({0x00091001: True}, "expected a set"),
            (0x00091001, "expected a set"),
        ]
    if name == "01-vr":
        truth = _vr_truth()
        return [
            (dict(truth, PixelSpacing="FD"), "1 of 6", "PixelSpacing", "decimal string"),
            (dict(truth, Rows="IS"), "Rows", "unsigned short"),
            (dict(truth, SliceThickness="FL"), "SliceThickness"),
            (dict(truth, StudyDate="DT"), "StudyDate", "a date"),
            (dict(truth, SOPInstanceUID="UID"), "SOPInstanceUID", "two-letter"),
            (dict(truth, PatientName="LO"), "PatientName", "person name"),
            (dict(truth, PixelSpacing="decimal string"), "two-letter"),
            # the element itself instead of its VR
            (dict(truth, Rows=read_example("ct")["Rows"]), "Rows", "two-letter"),
            (
                dict(
                    truth,
                    PixelSpacing=truth["SliceThickness"],
                    SliceThickness=truth["PixelSpacing"],
                )
                if truth["PixelSpacing"] != truth["SliceThickness"]
                else dict(truth, Rows="DS"),
                "off",
            ),
            ({k: v for k, v in truth.items() if k != "Rows"}, "missing: rows"),
            (dict(truth, Columns="US"), "not asked: columns"),
            (list(truth.values()), "expected a dict"),
        ]
    if name == "01-series-uids":
        headers, counts = _series_facts()
        uids = list(counts)
        swapped = dict(zip(uids, reversed(list(counts.values())), strict=True))
        return [
            ((2, 5), "expected a dict"),
            ((1, 5), "expected a dict"),
            ({headers[0].StudyInstanceUID: 5}, "study instance uid"),
            ({1: 1, 2: 4}, "series number"),
            ({"1": 1, "2": 4}, "series number"),
            ({headers[0].SOPClassUID: 5}, "not a series instance uid"),
            ({headers[0].SOPInstanceUID: 1}, "not a series instance uid"),
            ({uids[0]: counts[uids[0]]}, "missing series"),
            (swapped, "count is off"),
            ({u: 5 for u in uids}, "every file of the study"),
            ({u: c + 2 for u, c in counts.items()}, "count is off"),
            ({u: c + 0.5 for u, c in counts.items()}, "whole number"),
            ({u: True for u in uids}, "bool"),
            ({u: str(c) for u, c in counts.items()}, "text"),
            ({u: None for u in uids}, "count"),
        ]
    if name == "01-transfer-syntax":
        truth = _syntaxes()
        assert len(set(truth.values())) == 3  # three different syntaxes among the four
        everything_explicit_le = {n: (True, False) for n in truth}
        return [
            ((False, False), "expected a dict"),  # the old exercise's answer, typed in
            (everything_explicit_le, "rt_dose", "implicit/explicit"),
            (dict(truth, mr_big_endian=(True, False)), "mr_big_endian", "byte order"),
            (dict(truth, ct=truth["ct"][::-1]), "ct", "wrong order"),
            (dict(truth, rt_dose=(False, False)), "rt_dose", "byte order", "implicit/explicit"),
            (dict(truth, ct=(1, 0)), "boolean"),
            (dict(truth, ct=(None, None)), "boolean"),
            (dict(truth, ct=("True", "False")), "boolean"),
            (dict(truth, ct=(True,)), "2 values"),
            (dict(truth, ct=True), "two booleans"),
            ({n: v for n, v in truth.items() if n != "waveform"}, "missing: waveform"),
            (dict(truth, mr=(True, False)), "not asked: mr"),
        ]
    if name == "01-hounsfield":
        stored, hu, swapped = _hounsfield_facts()
        assert -130 < hu < -80 and stored < 1024 and swapped != hu  # fat, below the intercept
        return [
            (stored, "stored value"),
            ((stored - 1024) % 65536, "overflow"),
            (stored + 1024, "subtracted"),
            (swapped, "row and column swapped"),
            (hu + 100, "[row, column]"),
            (hu + 1, "not that pixel"),
            (hu - 1, "not that pixel"),
            (hu + 0.5, "not that pixel"),
            (-hu, "not that pixel"),
            (
                float(dcmread(sample_path("head_ct") / "CT0020.dcm").pixel_array[44, 176]) - 1024,
                "CT0008",
            ),  # the same pixel in the section's other slice
            (True, "bool"),
            (str(hu), "text"),
            ((44, 176), "one number"),
        ]
    if name == "01-window-edges":
        return [
            ((0, 80), "linear_exact", "c.11.2.1.3.2", "default"),
            ((None, None), "number for the black edge"),
            ((0, None), "number for the white edge"),
            ((79, 0), "swapped"),
            ((80, 0), "not the edges"),
            ((40, 80), "center"),
            ((-40, 120), "not the edges"),
            ((-0.5, 78.5), "not the edges"),
            ((0.5, 79.5), "not the edges"),
            ((1, 79), "not the edges"),
            ((0, 78), "not the edges"),
            ((True, 79), "bool"),
            (("0", "79"), "text"),
            ((0, 79, 80), "2 values"),
            (79, "two numbers"),
            ({0, 79}, "two numbers"),
        ]
    if name == "01-bleed-slice":
        from bootcamp_utils.data._phantom import BLEED

        z = _slice_z()
        best = min(z, key=lambda n: abs(z[n] - BLEED.center[2]))  # an Instance Number
        edge = min(
            (n for n in z if 4.5 < abs(z[n] - BLEED.center[2]) < BLEED.semi_axes[2]),
            key=lambda n: abs(z[n] - BLEED.center[2]),
        )
        ordered = sorted(z, key=z.get)
        return [
            (best, "slice number", "not a position"),  # Instance Number, the old answer
            (ordered.index(best), "slice number"),  # the viewer's 0-based slider index
            (ordered.index(best) + 1, "slice number"),  # the slider as displayed
            (z[1], "no haemorrhage", "brain window"),
            (z[edge], "edge of the bleed"),
            (BLEED.center[2], "no slice lies at"),  # between two slices
            (z[best] + 1, "no slice lies at"),
            (z[best] + 0.5, "no slice lies at"),
            (-z[best], "no haemorrhage"),
            (999, "no slice lies at"),
            (-119.53125, "x or y"),
            ([-119.53125, -111.53125, z[best]], "whole image position", "third value"),
            (True, "bool"),
            (str(z[best]), "text"),
        ]
    raise AssertionError(f"no wrong answers listed for {name}")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_right_answers_and_their_variants_pass(name, tmp_path):
    answers = _right_answers(name, tmp_path)
    refused = [f"{a!r}: {check(name, a)}" for a in answers if not check(name, a)]
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_plausible_wrong_answers_are_refused_with_a_specific_message(name, tmp_path):
    cases = _wrong_answers(name, tmp_path)
    assert len(cases) >= 10, f"{name}: only {len(cases)} wrong answers tested"
    bad = []
    for answer, *words in cases:
        feedback = check(name, answer)
        if not _says(feedback, *words):
            bad.append(f"{answer!r} should be refused saying {words}: {feedback}")
    assert not bad, "\n".join(bad)


def test_preamble_truth_is_where_the_data_set_begins():
    raw = example_path("ct").read_bytes()
    offset = _data_set_offset("ct")
    assert int.from_bytes(raw[offset : offset + 2], "little") == 0x0008  # the data set's group
    assert offset == 128 + 4 + 12 + int.from_bytes(raw[140:144], "little")
    assert "(0008,0005)" in check("01-preamble", offset).message


def test_window_edges_are_where_pydicom_turns_black_and_white():
    from pydicom.dataset import Dataset
    from pydicom.pixels import apply_windowing

    ds = Dataset()
    ds.PhotometricInterpretation, ds.BitsStored = "MONOCHROME2", 16
    ds.WindowCenter, ds.WindowWidth, ds.PixelRepresentation = 40, 80, 1
    ds.RescaleSlope, ds.RescaleIntercept = 1, 0  # shown as a real-world values range
    out = apply_windowing(np.array([-1.0, 0.0, 0.001, 78.999, 79.001, 200.0]), ds)
    low, high = out.min(), out.max()
    assert out[0] == out[1] == low < out[2] and out[3] < out[4] == out[5] == high
    assert check("01-window-edges", (0, 79))


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("starter", [..., None, (None, None), set(), {}, ()])
def test_notebook_starter_values_never_pass(name, starter):
    assert not check(name, starter)


def test_transfer_syntax_starter_is_refused():
    starter = {n: (None, None) for n in _SYNTAX_NAMES}
    assert _says(check("01-transfer-syntax", starter), "boolean")


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize(
    "junk",
    [
        None,
        "x",
        b"x",
        [1, 2, 3],
        {},
        {"a": 1},
        np.array([1, 2]),
        np.array(3.5),
        np.array([[1, 2], [3, 4]]),
        3.5,
        float("nan"),
        -1,
        2**70,
        True,
        object(),
        [1, [2, 3]],
        {1: {2: 3}},
        [None, None, None],
        set(range(3)),
    ],
)
def test_junk_answers_get_feedback_not_a_traceback(name, junk):
    feedback = check(name, junk)
    assert isinstance(feedback, Feedback) and not feedback.correct and feedback.message


def _dicom_junk(tmp: Path) -> dict[str, object]:
    """Answers of DICOM's own types where a number, a pair, a path or a file was asked for."""
    from pydicom.dataset import Dataset
    from pydicom.multival import MultiValue
    from pydicom.sequence import Sequence
    from pydicom.valuerep import DA, DSfloat, PersonName

    ct = read_example("ct")
    no_pixels = ct.copy()
    del no_pixels.PixelData
    no_pixels.save_as(tmp / "no_pixels.dcm")
    (tmp / "notes.txt").write_text("not DICOM")
    return {
        "MultiValue": MultiValue(DSfloat, ["0.5", "0.5"]),
        "MultiValue of one": MultiValue(DSfloat, ["0.5"]),
        "DSfloat": DSfloat("1.5"),
        "PersonName": PersonName("Doe^Jane"),
        "DA": DA("20240115"),
        "empty Dataset": Dataset(),
        "CT Dataset": ct,
        "Dataset without Pixel Data": no_pixels,
        "Sequence": Sequence([Dataset()]),
        "file without Pixel Data": tmp / "no_pixels.dcm",
        "text file": tmp / "notes.txt",
        "text file as str": str(tmp / "notes.txt"),
        "missing file": tmp / "nowhere.dcm",
        "folder": tmp,
        "empty array": np.array([]),
        "infinity": float("inf"),
        "complex": 1j,
    }


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_dicom_typed_junk_gets_a_specific_not_yet(name, tmp_path):
    failures = []
    for kind, junk in _dicom_junk(tmp_path).items():
        feedback = _check(name, junk)
        if feedback.crashed or feedback.correct or not feedback.message:
            failures.append(f"{kind}: {feedback}")
    assert not failures, "\n".join(failures)


def test_a_check_that_raises_shows_a_not_yet_and_is_marked_crashed():
    from bootcamp_utils.checks._registry import exercise

    @exercise("99-broken", "a check with a bug")
    def _broken(answer):
        return answer.no_such_attribute

    try:
        feedback = _check("99-broken", 1)
        assert feedback.crashed and not feedback.correct
        assert "AttributeError" in feedback.message and "report" in feedback.hint
        assert "Traceback" not in str(feedback)
    finally:
        EXERCISES.pop("99-broken")


def test_feedback_renders_and_unknown_names_are_helpful():
    good, bad = check("01-tag-number", 0x00100010), check("01-tag-number", 1)
    assert "Correct" in good._repr_html_() and "Not yet" in bad._repr_html_()
    assert "Hint" in bad._repr_html_() and "Hint" in str(bad) and bool(good) is True
    with pytest.raises(ValueError, match="Did you mean '01-tag-number'"):
        check("01-tag-numbr", 1)


def test_package_layout_keeps_the_public_names():
    from bootcamp_utils.checks import lesson01

    assert top_level_check is _check and TopLevelFeedback is Feedback
    ids = {n for n in EXERCISES if n.startswith("01-")}
    assert len(ids) == 11
    assert all(EXERCISES[n][1].__module__ == "bootcamp_utils.checks._registry" for n in ids)
    assert lesson01.__doc__
