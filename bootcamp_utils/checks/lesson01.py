"""The checks of notebook 01, DICOM basics: one function per exercise.

Each check works the right answer out from the data, then compares exactly: variants of a
right answer that are just as right (``"analyse"`` for Analyze, a key written ``"dcm"``)
are accepted by explicit normalisation, never by "contains". Wrong answers that students
commonly give are recognised and named; anything else gets the general hint.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence

import numpy as np
from pydicom import dcmread
from pydicom.tag import Tag

from ..data import example_path, read_example, sample_path
from ._registry import boolean, exercise, integer, mapping, number, pair, right, wrong

# --- 1. formats -------------------------------------------------------------------------

# Every accepted spelling, after _plain(): lower case, no spaces, hyphens or underscores.
_NAMES = {
    "DICOM": {"dicom", "dicom3", "dicom3.0"},
    "NIfTI-1": {"nifti1", "nifti"},
    "NIfTI-2": {"nifti2", "nifti"},
    "Analyze": {"analyze", "analyse", "analyze7.5", "analyse7.5"},
    "MINC": {"minc", "minc1", "minc2"},
}


def _plain(name: str) -> str:
    return re.sub(r"[\s_-]", "", name.casefold())


def _true_format(path) -> str:
    """What the libraries make of a file's first bytes, most specific first (as nibabel's
    own loader sniffs): pydicom reads it, or a NIfTI-2, NIfTI-1 or Analyze header."""
    import nibabel as nib
    from pydicom.errors import InvalidDicomError

    try:
        dcmread(path, stop_before_pixels=True)
        return "DICOM"
    except InvalidDicomError:
        pass
    head = path.read_bytes()[:540]
    for fmt, header in (
        ("NIfTI-2", nib.Nifti2Header),
        ("NIfTI-1", nib.Nifti1Header),
        ("Analyze", nib.AnalyzeHeader),
    ):
        if header.may_contain_header(head[: header.sizeof_hdr]):
            return fmt
    return "unknown"


@exercise(
    "01-formats",
    "Four files without extensions in sample_path('unlabelled'): which format is each? "
    "A dict file name -> format name.",
)
def _formats(answer):
    folder = sample_path("unlabelled")
    truth = {p.name: _true_format(p) for p in sorted(folder.iterdir())}
    given = {}
    for key, name in mapping(answer, "{'file_1': 'DICOM', ...}").items():
        if not isinstance(name, str):
            return wrong(f"the format of {key!r} should be a name (text), not {name!r}.")
        given[str(key).strip()] = name
    if missing := [name for name in truth if name not in given]:
        return wrong(f"no answer for {', '.join(missing)}.")
    if unasked := [name for name in given if name not in truth]:
        return wrong(f"{', '.join(unasked)} is not in the folder: only {', '.join(truth)}.")
    off = {name: given[name] for name in truth if _plain(given[name]) not in _NAMES[truth[name]]}
    if not off:
        return right(
            "the extension can lie or be missing; the first bytes cannot. "
            "DICOM: DICM at byte 128; NIfTI-2: header size 540; NIfTI-1 and Analyze: 348, "
            "and only NIfTI-1 has n+1 (or ni1) at byte 344."
        )
    hints = []
    for name, said in off.items():
        if truth[name] == "Analyze" and "nifti" in _plain(said):
            hints.append(f"{name} starts with 348 like NIfTI-1, but look at bytes 344-347")
        elif truth[name].startswith("NIfTI") and "nifti" in _plain(said):
            hints.append(f"{name} is NIfTI, but which version? Its header size says")
        elif truth[name] == "DICOM":
            hints.append(f"{name}: whatever its first bytes look like, look at byte 128")
    return wrong(
        "not right yet: " + ", ".join(f"{n}: {s!r}" for n, s in off.items()) + ".",
        "; ".join(hints) + "."
        if hints
        else "Compare the bytes of each file with the list of signatures above the exercise.",
    )


# --- 2. the file: where the data set begins ---------------------------------------------


@exercise(
    "01-preamble",
    "At which byte offset of CT_small.dcm does the data set begin, "
    "after the preamble, 'DICM' and the File Meta Information?",
)
def _preamble(answer):
    raw = example_path("ct").read_bytes()
    group_length = int(read_example("ct").file_meta.FileMetaInformationGroupLength)
    truth = 128 + 4 + 12 + group_length
    if isinstance(answer, (bytes, bytearray)):
        return wrong(
            f"{bytes(answer[:8])!r} are bytes; the exercise asks for an offset, a "
            "number of bytes from the start of the file.",
            "128 (preamble) + 4 ('DICM') + 12 ((0002,0000) itself) + its value.",
        )
    value = integer(answer, "one byte offset (a whole number)")
    if value == truth:
        group, element = struct.unpack("<HH", raw[truth : truth + 4])
        return right(
            f"{truth} = 128 (preamble) + 4 ('DICM') + 12 (the group length element) "
            f"+ {group_length} (its value: the rest of group 0002). The data set's "
            f"first element, ({group:04X},{element:04X}), starts there."
        )
    if value in (128, 132, 144):
        part = {
            128: "'DICM'",
            132: "the File Meta Information",
            144: "the element after the group length",
        }[value]
        return wrong(
            f"{value} is where {part} begins, not the data set.",
            "Add the group length's value: the bytes of group 0002 after it.",
        )
    if value == truth - 12:
        return wrong(
            "the 12 bytes of the group length element itself are missing.",
            "Its value counts the bytes AFTER it: tag 4 + VR 2 + length 2 + value 4.",
        )
    if value == truth - 4:
        return wrong("the 4 bytes of 'DICM' are missing.", "'DICM' fills bytes 128-131.")
    if value == group_length:
        return wrong(
            f"{value} is the group length's value alone: a length, not an offset.",
            "It counts from the end of the element (byte 144), not from byte 0.",
        )
    if abs(value - truth) == 1:
        return wrong(
            f"{value} is off by one.",
            "Offsets count from 0: the preamble fills bytes 0-127, 'DICM' 128-131.",
        )
    return wrong(
        f"{value} is not where CT_small.dcm's data set begins.",
        "Read the value of (0002,0000) from bytes 140-143 (little endian: "
        "int.from_bytes(raw[140:144], 'little')), then add 128 + 4 + 12.",
    )


# --- 3. tags ----------------------------------------------------------------------------


@exercise("01-tag-number", "Patient's Name's tag as one 32-bit integer.")
def _tag_number(answer):
    truth = int(Tag("PatientName"))
    if isinstance(answer, tuple):
        return wrong(
            "a (group, element) pair is two numbers; one integer was asked for.",
            "Shift the group 16 bits up and add the element: group << 16 | element.",
        )
    if isinstance(answer, str):
        return wrong(f"{answer!r} is text.", "Write the number in Python: 0x00100010.")
    value = integer(answer, "one integer")
    if value == truth:
        return right(f"{truth} == 0x{truth:08X}: group 0x0010, element 0x0010.")
    if value in (100010, 10010):
        return wrong(
            "that is the hexadecimal digits read as a decimal number.",
            "Tags are hexadecimal: write 0x00100010.",
        )
    if value == 0x0010 + 0x0010:
        return wrong("you added group and element.", "The group is the upper 16 bits.")
    if value == 0x0010 << 8 | 0x0010:
        return wrong(
            "the group is shifted by 8 bits; group and element are 16 bits each.",
            "group << 16 | element.",
        )
    return wrong(
        f"{value} (0x{value:X}) is not the tag of Patient's Name.",
        "Look it up: pydicom.datadict.tag_for_keyword('PatientName').",
    )


_ASKED_TAGS = [0x00100010, 0x00091001, 0x00291010, 0x7FE00010, 0x00190010, 0x00080060]


def _as_tag(item) -> int:
    if isinstance(item, tuple) and len(item) == 2:  # (group, element)
        return integer(item[0], "a group number") << 16 | integer(item[1], "an element number")
    return integer(item, "a tag such as 0x00091001 or (0x0009, 0x1001)")


def _named(tags) -> str:
    return ", ".join(f"({t >> 16:04X},{t & 0xFFFF:04X})" for t in sorted(tags))


@exercise("01-private-tags", "Which of the tags in the exercise are private? A set of tags.")
def _private_tags(answer):
    truth = {t for t in _ASKED_TAGS if Tag(t).is_private}
    try:
        items = [] if isinstance(answer, (str, bytes, dict)) else list(answer)
    except TypeError:  # not a collection
        items = []
    if not items:
        return wrong("expected a set (or list) of tags.", "e.g. {0x00091001, ...}")
    given = {_as_tag(item) for item in items}
    if given == truth:
        return right("private tags have an odd group number: 0x0009, 0x0019, 0x0029.")
    if given == {t >> 16 for t in truth}:
        return wrong(
            "those are the group numbers; give the whole tags.",
            "e.g. 0x00091001, or the pair (0x0009, 0x1001).",
        )
    if unasked := given - set(_ASKED_TAGS):
        return wrong(f"{_named(unasked)} is not one of the six tags in the exercise.")
    parts = [f"missing {_named(truth - given)}"] if truth - given else []
    parts += [f"not private: {_named(given - truth)}"] if given - truth else []
    return wrong(
        "; ".join(parts) + ".",
        "Private means an odd GROUP number (the first four "
        "hex digits, tag >> 16); the element number does not matter.",
    )


# --- 4. value representations ------------------------------------------------------------

_VR_KEYWORDS = (
    "PatientName",
    "StudyDate",
    "PixelSpacing",
    "Rows",
    "SOPInstanceUID",
    "SliceThickness",
)


@exercise("01-vr", "The VR of each of these elements of CT_small: a dict keyword -> VR.")
def _vr(answer):
    ds = read_example("ct")
    truth = {k: ds[k].VR for k in _VR_KEYWORDS}
    given = mapping(answer, "{'PatientName': 'PN', ...}")
    if missing := [k for k in truth if k not in given]:
        return wrong(f"missing: {', '.join(missing)}.")
    if unasked := [k for k in given if k not in truth]:
        return wrong(f"not asked: {', '.join(map(str, unasked))}.")
    off = {
        k: v for k, v in given.items() if not isinstance(v, str) or v.strip().upper() != truth[k]
    }
    if not off:
        return right(
            "each element's VR is in the data dictionary and in the file: "
            + ", ".join(f"{k} {v}" for k, v in truth.items())
            + "."
        )
    names = ", ".join(f"{k} (you: {v!r})" for k, v in off.items())
    codes = all(isinstance(v, str) and len(v.strip()) == 2 for v in off.values())
    return wrong(
        f"{len(off)} of {len(truth)} are off: {names}.",
        ("" if codes else "A VR is a two-letter code, such as ds['Rows'].VR. ")
        + "DS is a decimal string, IS an integer string, US an unsigned short, "
        "DA a date, UI a UID, PN a person name.",
    )


# --- 5. the information model -------------------------------------------------------------


@exercise(
    "01-series-uids",
    "In the identified_study sample: a dict Series Instance UID -> "
    "number of distinct SOP Instance UIDs in that series.",
)
def _series_uids(answer):
    headers = [
        dcmread(f, stop_before_pixels=True)
        for f in sorted(sample_path("identified_study").glob("*.dcm"))
    ]
    series = {h.SeriesInstanceUID: h for h in headers}  # one header of each series
    truth = {
        uid: len({h.SOPInstanceUID for h in headers if h.SeriesInstanceUID == uid})
        for uid in series
    }
    given = {str(k).strip(): v for k, v in mapping(answer, "{'1.2.3': 4, ...}").items()}
    if headers[0].StudyInstanceUID in given:
        return wrong(
            "that key is the Study Instance UID: both series share it.",
            "Group the files by h.SeriesInstanceUID.",
        )
    if {str(int(h.SeriesNumber)) for h in headers} & set(given):
        return wrong(
            "Series Number only counts series within one study; the keys asked for "
            "are Series Instance UIDs, unique worldwide."
        )
    if unknown := [k for k in given if k not in truth]:
        return wrong(
            f"{unknown[0][:40]!r} is not a Series Instance UID of this study.",
            "Read h.SeriesInstanceUID (0020,000E) of each file.",
        )
    if missing := [series[uid].SeriesDescription for uid in truth if uid not in given]:
        return wrong(
            f"missing series: {', '.join(missing)}.", f"The study has {len(truth)} series."
        )
    counts = {uid: integer(given[uid], "a count of instances") for uid in truth}
    if counts == truth:
        return right(
            " and ".join(f"{series[u].SeriesDescription!r}: {n}" for u, n in truth.items())
            + ". Every file has its own SOP Instance UID; the files of one series "
            "share its Series Instance UID."
        )
    if len(headers) in counts.values():
        return wrong(
            f"{len(headers)} is every file of the study, not of one series.",
            "Count only the files whose Series Instance UID is the key.",
        )
    off = [f"{series[u].SeriesDescription!r} ({counts[u]})" for u in truth if counts[u] != truth[u]]
    return wrong(
        f"the count is off for {', '.join(off)}.",
        "Count the distinct SOP Instance UIDs among the files of each series.",
    )


# --- 6. transfer syntax --------------------------------------------------------------------

_SYNTAX_EXAMPLES = ("ct", "rt_dose", "waveform", "mr_big_endian")


@exercise(
    "01-transfer-syntax",
    "For the examples ct, rt_dose, waveform and mr_big_endian: "
    "a dict name -> (is it little endian?, is its VR implicit?).",
)
def _transfer_syntax(answer):
    syntaxes = {n: read_example(n).file_meta.TransferSyntaxUID for n in _SYNTAX_EXAMPLES}
    given = mapping(answer, "{'ct': (True, False), ...}")
    if missing := [n for n in syntaxes if n not in given]:
        return wrong(f"missing: {', '.join(missing)}.")
    if unasked := [n for n in given if n not in syntaxes]:
        return wrong(f"not asked: {', '.join(map(str, unasked))}.")
    off = []
    for name, uid in syntaxes.items():
        little, implicit = pair(given[name], f"two booleans for {name!r}: (little, implicit)")
        yours, truth = (
            (boolean(little), boolean(implicit)),
            (uid.is_little_endian, uid.is_implicit_VR),
        )
        if yours == truth:
            continue
        if yours == truth[::-1]:
            off.append(f"{name}: the pair is in the wrong order")
        else:
            off += [f"{name}: byte order is off"] if yours[0] != truth[0] else []
            off += [f"{name}: implicit/explicit is off"] if yours[1] != truth[1] else []
    if not off:
        return right(
            "; ".join(
                f"{n}: {uid.name}" + (" (retired: only in old files)" if uid.is_retired else "")
                for n, uid in syntaxes.items()
            )
            + "."
        )
    return wrong(
        "; ".join(off) + ".",
        "(little_endian, implicit_VR): ds.file_meta.TransferSyntaxUID has "
        ".is_little_endian and .is_implicit_VR.",
    )


# --- 7. pixel data ---------------------------------------------------------------------------


@exercise(
    "01-pixel-bytes",
    "How many bytes does one frame of Pixel Data take in the 'rgb_color' example (uncompressed)?",
)
def _pixel_bytes(answer):
    ds = read_example("rgb_color")
    rows, cols, samples, bits = ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated
    truth = rows * cols * samples * bits // 8
    value = integer(answer, "one number of bytes")
    if value == truth:
        return right(
            f"{rows} x {cols} pixels x {samples} samples x {bits} bits / 8 = {truth} "
            f"bytes; the file's Pixel Data holds {len(ds.PixelData)}."
        )
    if value == rows * cols * bits // 8:
        return wrong(
            "the samples per pixel are missing: a colour pixel has 3 values.",
            "Multiply by Samples per Pixel (0028,0002).",
        )
    if value == rows * cols * samples * bits:
        return wrong("that is the number of bits.", "Divide by 8 for bytes.")
    if value == rows * cols * samples * 2:
        return wrong(
            f"that is 2 bytes a sample; Bits Allocated is {bits} here.",
            "Read Bits Allocated (0028,0100) from the file.",
        )
    ct = read_example("ct")
    if value == ct.Rows * ct.Columns * ct.SamplesPerPixel * ct.BitsAllocated // 8:
        return wrong(
            "that is the size of CT_small's frame; the exercise asks about rgb_color.",
            "bc.read_example('rgb_color').",
        )
    return wrong(
        f"{value} bytes is off.", "Rows x Columns x Samples per Pixel x Bits Allocated / 8."
    )


# --- 8. Hounsfield units ---------------------------------------------------------------------

# A pixel of orbital fat: negative HU, where unsigned arithmetic overflows.
_HU_FILE, _HU_ROW, _HU_COL = "CT0008.dcm", 44, 176


@exercise(
    "01-hounsfield",
    f"The value in HU of pixel (row {_HU_ROW}, column {_HU_COL}) of head_ct/{_HU_FILE}.",
)
def _hounsfield(answer):
    ds = dcmread(sample_path("head_ct") / _HU_FILE)
    slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
    stored = int(ds.pixel_array[_HU_ROW, _HU_COL])
    truth = stored * slope + intercept
    value = number(answer, "one number of HU")
    if abs(value - truth) < 1e-6:
        return right(f"{stored} x {slope:g} + {intercept:g} = {truth:g} HU.")
    if value == stored:
        return wrong(
            "that is the stored value, not yet Hounsfield units.",
            "Apply Rescale Slope and Rescale Intercept.",
        )
    if value == stored * slope - intercept:
        return wrong(
            "the intercept was subtracted; it is added (and it is negative here).",
            "HU = stored x slope + intercept.",
        )
    if value == (stored + int(intercept)) % 65536 or value > 30000:
        return wrong(
            "the arithmetic overflowed: the stored values are unsigned 16-bit.",
            "Convert first: ds.pixel_array.astype(float) (or use "
            "pydicom.pixels.apply_modality_lut).",
        )
    if value == int(ds.pixel_array[_HU_COL, _HU_ROW]) * slope + intercept:
        return wrong(
            f"that is pixel (row {_HU_COL}, column {_HU_ROW}): row and column swapped.",
            f"Index the array as [row, column]: pixel_array[{_HU_ROW}, {_HU_COL}].",
        )
    return wrong(
        f"{value:g} HU is not that pixel's value in {_HU_FILE}.",
        f"Read head_ct/{_HU_FILE} and index the array as [row, column]: "
        f"pixel_array[{_HU_ROW}, {_HU_COL}].",
    )


# --- 9. the window ---------------------------------------------------------------------------


@exercise(
    "01-window-edges",
    "For Window Center 40 and Width 80 with DICOM's default LINEAR "
    "function: (value at or below which the display is black, value "
    "above which it is white).",
)
def _window_edges(answer):
    c, w = 40.0, 80.0
    truth = (c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2)  # PS3.3 C.11.2.1.2.1
    low, high = pair(answer, "two numbers: (black at or below, white above)")
    low, high = (
        number(low, "a number for the black edge"),
        number(high, "a number for the white edge"),
    )
    if (low, high) == truth:
        return right(
            f"black at or below {truth[0]:g}, white above {truth[1]:g}: the LINEAR "
            "function of PS3.3 C.11.2.1.2.1 uses c - 0.5 and w - 1."
        )
    if (low, high) == (c - w / 2, c + w / 2):
        return wrong(
            "c -+ w/2 are the edges of LINEAR_EXACT (PS3.3 C.11.2.1.3.2), the other "
            "linear VOI LUT Function; the exercise asks for LINEAR, the default.",
            "LINEAR's edges are c - 0.5 -+ (w - 1)/2.",
        )
    if (high, low) == truth:
        return wrong("the two are swapped: the black edge comes first.")
    if (low, high) == (c, w):
        return wrong(
            "those are the center and the width themselves.",
            "The window spans about w/2 on each side of c.",
        )
    return wrong(
        f"({low:g}, {high:g}) are not the edges.",
        "Solve (x - (c - 0.5)) / (w - 1) + 0.5 = 0 and = 1 for x.",
    )


# --- 9. find the bleed -----------------------------------------------------------------------


@exercise(
    "01-bleed-slice",
    "The z coordinate (mm, the third value of Image Position (Patient)) "
    "of the head_ct slice where the haemorrhage is largest.",
)
def _bleed_slice(answer):
    from ..data._phantom import BLEED

    # Cross-section of the bleed (an ellipsoid of the phantom) in each slice's plane,
    # placed by the slice's own Image Position (Patient): z -> (area, Instance Number).
    a, b, c = BLEED.semi_axes
    slices = {}
    for path in sorted(sample_path("head_ct").glob("*.dcm")):
        ds = dcmread(path, stop_before_pixels=True)
        z = float(ds.ImagePositionPatient[2])
        area = np.pi * a * b * max(0.0, 1 - ((z - BLEED.center[2]) / c) ** 2)
        slices[z] = (area, int(ds.InstanceNumber), [float(v) for v in ds.ImagePositionPatient])
    largest = max(area for area, _, _ in slices.values())
    triple = (
        answer.shape == (3,)
        if isinstance(answer, np.ndarray)
        else isinstance(answer, Sequence)
        and not isinstance(answer, str | bytes)
        and len(answer) == 3
    )
    if triple:
        return wrong(
            "that is the whole Image Position (Patient), x, y and z.",
            "Give only z, its third value: ds.ImagePositionPatient[2].",
        )
    value = number(answer, "one z coordinate in mm")
    best = sorted(z for z, (area, _, _) in slices.items() if area >= 0.8 * largest)
    if value in best:
        return right(
            f"z = {value:g} mm: the bleed is the bright area on the patient's right "
            "(left of the screen), clear in the brain window, lost in the bone window."
        )
    numbers = {
        n
        for z in best
        for n in (slices[z][1], sorted(slices).index(z), sorted(slices).index(z) + 1)
    }
    if value in numbers:
        return wrong(
            f"{value:g} looks like a slice number (Instance Number or slider "
            "position), not a position in mm.",
            "Read z from the file of that slice: ds.ImagePositionPatient[2].",
        )
    if value in {v for _, _, position in slices.values() for v in position[:2]}:
        return wrong(f"{value:g} is the x or y of Image Position (Patient); z is its third value.")
    if value not in slices:
        z = sorted(slices)
        return wrong(
            f"no slice lies at z = {value:g} mm; they lie at {z[0]:g}, {z[1]:g}, ... {z[-1]:g} mm.",
            "Give the z of one slice, read from its file.",
        )
    if slices[value][0] == 0:
        return wrong(
            f"the slice at z = {value:g} mm shows no haemorrhage.",
            "Use the brain window (40/80) and scroll; look at the patient's right.",
        )
    return wrong(
        f"the slice at z = {value:g} mm cuts the edge of the bleed; it is larger nearby.",
        "Look at the neighbouring slices, one or two up or down.",
    )
