"""Self-checks for the exercises: ``check("exercise-id", answer)``.

Every check works out the right answer from the data itself (never from a stored value)
and, when the answer is wrong, says which part is wrong and gives a hint: the common
mistakes (a tuple where one integer was asked for, the intercept forgotten, the clip
approximation instead of the DICOM window...) are recognised and named.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.tag import Tag

__all__ = ["EXERCISES", "Feedback", "check"]


@dataclass
class Feedback:
    """The result of a check: shown as a coloured box in a notebook, truthy when correct."""

    exercise: str
    correct: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        mark = "Correct" if self.correct else "Not yet"
        hint = f"\nHint: {self.hint}" if self.hint and not self.correct else ""
        return f"[{self.exercise}] {mark}: {self.message}{hint}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1b7f3b", "✔ Correct") if self.correct else ("#b3261e", "✘ Not yet")
        hint = (f"<br><b>Hint:</b> {html.escape(self.hint)}"
                if self.hint and not self.correct else "")
        return (f'<div role="status" style="border-left:4px solid {colour};padding:4px 8px;'
                f'margin:4px 0"><b style="color:{colour}">{mark}</b> '
                f"({html.escape(self.exercise)}): {html.escape(self.message)}{hint}</div>")


_Check = Callable[[Any], Feedback]
#: exercise id -> (what it asks, the function that checks an answer)
EXERCISES: dict[str, tuple[str, _Check]] = {}


def _exercise(name: str, question: str):
    def register(func: Callable[[Any], tuple[bool, str, str]]) -> _Check:
        def run(answer: Any) -> Feedback:
            correct, message, hint = func(answer)
            return Feedback(name, correct, message, hint)

        run.__doc__ = question
        EXERCISES[name] = (question, run)
        return run

    return register


def check(exercise: str, answer: Any) -> Feedback:
    """Check ``answer`` to ``exercise``; returns (and in a notebook shows) the feedback."""
    if exercise not in EXERCISES:
        close = difflib.get_close_matches(exercise, list(EXERCISES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"No exercise {exercise!r}.{hint} Known: {', '.join(EXERCISES)}")
    return EXERCISES[exercise][1](answer)


def _ok(message: str) -> tuple[bool, str, str]:
    return True, message, ""


def _wrong(message: str, hint: str = "") -> tuple[bool, str, str]:
    return False, message, hint


def _number(answer: Any) -> float | None:
    try:
        return float(np.asarray(answer).item())
    except (TypeError, ValueError):
        return None


# --- notebook 01 ----------------------------------------------------------------------------


_FORMATS = {".dcm": "DICOM", ".nii": "NIfTI", ".hdr": "Analyze", ".mnc": "MINC"}


@_exercise("01-formats", "Which format does each extension belong to? A dict extension -> "
                         "format name, for .dcm, .nii, .hdr and .mnc.")
def _formats(answer):
    if not isinstance(answer, dict):
        return _wrong("expected a dict such as {'.dcm': 'DICOM', ...}.")
    given = {str(k).lower().lstrip("*"): str(v).strip().lower() for k, v in answer.items()}
    wrong = [ext for ext, name in _FORMATS.items() if name.lower() not in given.get(ext, "")]
    if not wrong:
        return _ok("DICOM in hospitals; NIfTI, Analyze (.hdr + .img) and MINC in research.")
    return _wrong(f"not right yet: {', '.join(wrong)}.",
                  "Analyze keeps its header in .hdr and its voxels in .img; MINC comes from "
                  "Montreal; NIfTI is the Neuroimaging Informatics Technology Initiative's.")


@_exercise("01-pixel-bytes", "How many bytes does one frame of Pixel Data take in the "
                             "'rgb_color' example (uncompressed)?")
def _pixel_bytes(answer):
    from .data import read_example

    ds = read_example("rgb_color")
    rows, cols, samples, bits = ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated
    truth = rows * cols * samples * bits // 8
    value = _number(answer)
    if value is None:
        return _wrong("expected one number of bytes.")
    if value == truth:
        return _ok(f"{rows} x {cols} pixels x {samples} samples x {bits} bits / 8 = {truth} "
                   f"bytes; the file's Pixel Data holds {len(ds.PixelData)}.")
    if value == rows * cols * bits // 8:
        return _wrong("the samples per pixel are missing: a colour pixel has 3 values.",
                      "Multiply by Samples per Pixel (0028,0002).")
    if value == rows * cols * samples * bits:
        return _wrong("that is the number of bits.", "Divide by 8 for bytes.")
    if value == rows * cols * samples * ds.BitsStored // 8 and ds.BitsStored != bits:
        return _wrong("memory holds Bits Allocated per sample, not Bits Stored.")
    return _wrong(f"{value:g} bytes is off.",
                  "Rows x Columns x Samples per Pixel x Bits Allocated / 8.")


@_exercise("01-preamble", "The 4 bytes at offsets 128-131 of CT_small.dcm, as bytes.")
def _preamble(answer):
    from .data import example_path

    raw = example_path("ct").read_bytes()
    truth = raw[128:132]
    if isinstance(answer, str):
        return _wrong(f"{answer!r} is a str; the file holds bytes.",
                      "Read the file in binary mode ('rb') and slice the bytes.")
    if not isinstance(answer, (bytes, bytearray)):
        return _wrong(f"expected bytes, got {type(answer).__name__}.",
                      "data = open(path, 'rb').read(); data[128:132]")
    if bytes(answer) == truth:
        extra = ("" if not any(raw[:128]) else f" (This file's preamble is not zeros: it "
                 f"starts with {raw[:4]!r}, a TIFF header, so it also opens as a TIFF.)")
        return _ok(f"{truth!r}: after the 128-byte preamble comes the DICOM prefix.{extra}")
    if len(answer) != 4:
        return _wrong(f"you gave {len(answer)} bytes; the marker is 4 bytes long.",
                      "A slice [128:132] has 132 - 128 = 4 bytes.")
    where = raw.find(bytes(answer))
    if bytes(answer) == raw[:4]:
        return _wrong("those are the first 4 bytes: the start of the preamble.",
                      "The preamble is 128 bytes long; the marker follows it.")
    if not any(answer):
        return _wrong("four zero bytes: what a preamble usually holds, not the marker.",
                      "The preamble is 128 bytes long; the marker follows it.")
    return _wrong(f"{bytes(answer)!r} is not what the file holds at bytes 128-131"
                  + (f" (it is at offset {where})." if where > 0 else "."),
                  "Count from 0: the preamble fills bytes 0-127.")


@_exercise("01-tag-number", "Patient's Name's tag as one 32-bit integer.")
def _tag_number(answer):
    truth = int(Tag("PatientName"))
    if isinstance(answer, tuple):
        return _wrong("a (group, element) pair is two numbers; one integer was asked for.",
                      "Shift the group 16 bits up and add the element: group << 16 | element.")
    if isinstance(answer, str):
        return _wrong(f"{answer!r} is text.", "Write the number in Python: 0x00100010.")
    value = _number(answer)
    if value == truth:
        return _ok(f"{truth} == 0x{truth:08X}: group 0x0010, element 0x0010.")
    if value == 100010 or value == 10010:
        return _wrong("that is the hexadecimal digits read as a decimal number.",
                      "Tags are hexadecimal: write 0x00100010.")
    if value == 0x0010 + 0x0010:
        return _wrong("you added group and element.", "The group is the upper 16 bits.")
    return _wrong(f"{answer!r} is not the tag of Patient's Name.",
                  "Look it up: pydicom.datadict.tag_for_keyword('PatientName').")


@_exercise("01-private-tags", "Which of the tags in the exercise are private? A set of tags.")
def _private_tags(answer):
    asked = [0x00100010, 0x00091001, 0x00291010, 0x7FE00010, 0x00190010, 0x00080060]
    truth = {t for t in asked if Tag(t).is_private}
    try:
        given = {int(Tag(t)) for t in answer}
    except (TypeError, ValueError, OverflowError):
        return _wrong("expected a set (or list) of tags.", "e.g. {0x00091001, ...}")
    if given == truth:
        return _ok("private tags have an odd group number: 0x0009, 0x0019, 0x0029.")
    missing, extra = truth - given, given - truth
    parts = []
    if missing:
        parts.append("missing " + ", ".join(f"({t >> 16:04X},{t & 0xFFFF:04X})"
                                            for t in sorted(missing)))
    if extra:
        parts.append("not private: " + ", ".join(f"({t >> 16:04X},{t & 0xFFFF:04X})"
                                                 for t in sorted(extra)))
    return _wrong("; ".join(parts) + ".", "Private means an odd group number (tag >> 16).")


_VR_KEYWORDS = ("PatientName", "StudyDate", "PixelSpacing", "Rows", "SOPInstanceUID",
                "SliceThickness")


@_exercise("01-vr", "The VR of each of these elements of CT_small: a dict keyword -> VR.")
def _vr(answer):
    from .data import read_example

    ds = read_example("ct")
    truth = {k: ds[k].VR for k in _VR_KEYWORDS}
    if not isinstance(answer, dict):
        return _wrong("expected a dict such as {'PatientName': 'PN', ...}.")
    wrong = {k: answer.get(k) for k in truth if str(answer.get(k, "")).upper() != truth[k]}
    if not wrong:
        return _ok("each element's VR is in the data dictionary and in the file: "
                   + ", ".join(f"{k} {v}" for k, v in truth.items()) + ".")
    names = ", ".join(f"{k} (you: {v!r})" for k, v in wrong.items())
    return _wrong(f"{len(wrong)} of {len(truth)} are off: {names}.",
                  "ds['Rows'].VR shows it; DS is a decimal string, IS an integer string, "
                  "US an unsigned short, DA a date, UI a UID.")


@_exercise("01-series-uids", "In the head_ct sample: (number of distinct Series Instance "
                             "UIDs, number of distinct SOP Instance UIDs).")
def _series_uids(answer):
    from .data import sample_path

    files = sorted(sample_path("head_ct").glob("*.dcm"))
    headers = [dcmread(f, stop_before_pixels=True) for f in files]
    truth = (len({h.SeriesInstanceUID for h in headers}),
             len({h.SOPInstanceUID for h in headers}))
    try:
        series, instances = (int(v) for v in answer)
    except (TypeError, ValueError):
        return _wrong("expected two numbers: (series, instances).")
    if (series, instances) == truth:
        return _ok(f"one series, {truth[1]} instances: every slice is its own object with "
                   "its own SOP Instance UID, all sharing the series' UID.")
    if series != truth[0]:
        return _wrong(f"{series} series is off.",
                      "All slices of one acquisition share one Series Instance UID.")
    return _wrong(f"{instances} instances is off.",
                  "Each file (slice) has its own SOP Instance UID: count the files.")


@_exercise("01-transfer-syntax", "For the 'mr_big_endian' example: (is it little endian?, "
                                 "is its VR implicit?) as two booleans.")
def _transfer_syntax(answer):
    from .data import read_example

    uid = read_example("mr_big_endian").file_meta.TransferSyntaxUID
    truth = (uid.is_little_endian, uid.is_implicit_VR)
    try:
        little, implicit = answer
    except (TypeError, ValueError):
        return _wrong("expected two booleans: (little_endian, implicit_VR).")
    if not all(isinstance(v, (bool, np.bool_)) for v in (little, implicit)):
        return _wrong("expected two booleans (True/False): (little_endian, implicit_VR).")
    if (little, implicit) == truth:
        return _ok(f"{uid.name}: big endian, explicit VR (the VR is written in the file).")
    parts = []
    if little != truth[0]:
        parts.append("byte order is off")
    if implicit != truth[1]:
        parts.append("implicit/explicit is off")
    return _wrong(" and ".join(parts) + ".",
                  "ds.file_meta.TransferSyntaxUID has .is_little_endian and .is_implicit_VR.")


# A pixel of orbital fat: negative HU, where unsigned arithmetic overflows.
_HU_FILE, _HU_ROW, _HU_COL = "CT0008.dcm", 44, 176


@_exercise("01-hounsfield", f"The value in HU of pixel (row {_HU_ROW}, column {_HU_COL}) of "
                            f"head_ct/{_HU_FILE}.")
def _hounsfield(answer):
    from .data import sample_path

    ds = dcmread(sample_path("head_ct") / _HU_FILE)
    stored = int(ds.pixel_array[_HU_ROW, _HU_COL])
    slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
    truth = stored * slope + intercept
    value = _number(answer)
    if value is None:
        return _wrong("expected one number.")
    if abs(value - truth) < 0.5:
        return _ok(f"{stored} x {slope:g} + {intercept:g} = {truth:g} HU.")
    if value == stored:
        return _wrong("that is the stored value, not yet Hounsfield units.",
                      "Apply Rescale Slope and Rescale Intercept.")
    if value == stored * slope:
        return _wrong("the intercept is missing.", "HU = stored x slope + intercept.")
    if value == (stored + int(intercept)) % 65536 or value > 30000:
        return _wrong("the arithmetic overflowed: the stored values are unsigned 16-bit.",
                      "Convert first: ds.pixel_array.astype(float) (or use "
                      "pydicom.pixels.apply_modality_lut).")
    return _wrong(f"{value:g} HU is not that pixel's value.",
                  f"Index the array as [row, column]: pixel_array[{_HU_ROW}, {_HU_COL}].")


@_exercise("01-window-edges", "For Window Center 40 and Width 80 (DICOM's linear function): "
                              "(value at or below which the display is black, value above "
                              "which it is white).")
def _window_edges(answer):
    c, w = 40.0, 80.0
    truth = (c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2)
    try:
        low, high = (float(v) for v in answer)
    except (TypeError, ValueError):
        return _wrong("expected two numbers: (black at or below, white above).")
    if abs(low - truth[0]) < 1e-9 and abs(high - truth[1]) < 1e-9:
        return _ok(f"black at or below {truth[0]:g}, white above {truth[1]:g}: "
                   "PS3.3 C.11.2.1.2.1 uses c - 0.5 and w - 1.")
    if (low, high) == (c - w / 2, c + w / 2):
        return _wrong("that is the common approximation c +- w/2, not DICOM's function.",
                      "The standard's edges are c - 0.5 -+ (w - 1)/2.")
    return _wrong(f"({low:g}, {high:g}) are not the edges.",
                  "Solve ((x - (c - 0.5)) / (w - 1) + 0.5) = 0 and = 1 for x.")


@_exercise("01-bleed-slice", "The Instance Number of the head_ct slice where the "
                             "haemorrhage is largest.")
def _bleed_slice(answer):
    from .data import sample_path
    from .data._phantom import BLEED

    # Cross-section of the bleed (an ellipsoid of the phantom) in each slice's plane,
    # placed by the slice's own Image Position (Patient).
    a, b, c = BLEED.semi_axes
    areas = {}
    for path in sorted(sample_path("head_ct").glob("*.dcm")):
        ds = dcmread(path, stop_before_pixels=True)
        dz = float(ds.ImagePositionPatient[2]) - BLEED.center[2]
        areas[int(ds.InstanceNumber)] = np.pi * a * b * max(0.0, 1 - (dz / c) ** 2)
    best = max(areas, key=areas.get)
    value = _number(answer)
    if value is None:
        return _wrong("expected one Instance Number.")
    number = int(value)
    if number not in areas:
        return _wrong(f"there is no slice {number}: Instance Numbers run from "
                      f"{min(areas)} to {max(areas)}.")
    if areas[number] >= 0.8 * areas[best]:
        return _ok(f"slice {number}: the bleed is the bright area on the patient's right "
                   "(left of the screen), clear in the brain window, lost in the bone window.")
    if areas[number] == 0:
        return _wrong(f"slice {number} shows no haemorrhage.",
                      "Use the brain window (40/80) and scroll; look at the patient's right.")
    return _wrong(f"slice {number} cuts the edge of the bleed; it is larger nearby.",
                  "Scroll one or two slices up or down.")
