"""The real-file sweep's checks of ``deidentify``'s output: leaks and new dciodvfy errors.

A leak is an identifying value of the original (:func:`identifying_values`) found in the
written output's text (:func:`_check_leaks`); dciodvfy's error lines on the output minus
those on the original must be none (:func:`_check_dciodvfy`).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

from tests.sweep_files import TIMEOUT, Problem, _Context, _first_line, _saved_and_read

#: Attributes whose values identify a person, a place or a device (PS3.15 E.1-1 lists
#: them all), searched for in a de-identified file; any PN value counts as well, and so do
#: the UIDs phi_findings says must be replaced (action U).
IDENTIFYING = {
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientBirthName",
    "PatientMotherBirthName",
    "OtherPatientIDs",
    "OtherPatientNames",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "MedicalRecordLocator",
    "AccessionNumber",
    "StudyID",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "StationName",
    "DeviceSerialNumber",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "RequestingService",
    "ResponsibleOrganization",
}


def _resolve(ds, path: str):
    """The element a Finding's path names (``A[0].B``, ``file_meta.X``), or None."""
    if path.startswith("file_meta."):
        ds, path = ds.file_meta, path[len("file_meta.") :]
    parts = path.split(".")
    for part in parts[:-1]:
        name, _, index = part.partition("[")
        if name not in ds:
            return None
        ds = ds[name].value[int(index.rstrip("]"))]
    last = parts[-1]
    return ds[last] if not last.startswith("(") and last in ds else None


def _encoded(value, ds) -> list[bytes]:
    from pydicom.charset import convert_encodings, encode_string
    from pydicom.valuerep import PersonName

    encodings = convert_encodings(ds.get("SpecificCharacterSet", "ISO_IR 6"))
    if isinstance(value, PersonName):
        texts = [str(value)] + [g for g in str(value).split("=") if g]
    else:
        texts = [str(value)]
    out = []
    for text in texts:
        text = text.strip().rstrip("^").strip()
        if len(text) < 4:
            continue
        try:
            out.append(encode_string(text, encodings))
        except Exception:
            out.append(text.encode("utf-8", "replace"))
    return out


def identifying_values(ds) -> dict[bytes, str]:
    """The original's identifying values (as bytes) -> the path phi_findings gives them."""
    from pydicom.multival import MultiValue

    from bootcamp_utils import phi_findings
    from bootcamp_utils.deid.profile import DUMMIES

    dummies = {str(v) for v in DUMMIES.values()}
    kept = kept_values(ds)
    needles: dict[bytes, str] = {}
    for finding in phi_findings(ds):
        if finding.tag.is_private or not finding.keyword:
            continue
        elem = _resolve(ds, finding.path)
        if elem is None or elem.VR == "SQ":
            continue
        wanted = (
            elem.keyword in IDENTIFYING
            or elem.VR == "PN"
            or (elem.VR == "UI" and finding.why.startswith("U"))
        )
        if not wanted or elem.value is None:
            continue
        values = elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value]
        for value in values:
            if str(value) in dummies:
                continue
            for needle in _encoded(value, ds):
                if not any(needle in value for value in kept):
                    needles.setdefault(needle, finding.path)
    return needles


#: Attributes naming the device and its software, kept by the Basic Profile (K, or file meta
#: the table does not list): an identifying value found inside one of them in the original
#: is not searched for (Institution Name "TOSHIBA" inside Manufacturer "TOSHIBA_MEC",
#: test-SR's Instance Creator UID, DCMTK's, as its Implementation Class UID).
DEVICE = (
    "Manufacturer",
    "ManufacturerModelName",
    "SoftwareVersions",
    "ImplementationClassUID",
    "ImplementationVersionName",
)


def kept_values(ds) -> list[bytes]:
    """The original's values of :data:`DEVICE` attributes (file meta and sequences too)."""
    kept: list[bytes] = []
    meta = getattr(ds, "file_meta", None)
    for elem in [*(meta.iterall() if meta is not None else []), *ds.iterall()]:
        if elem.keyword not in DEVICE or elem.value is None:
            continue
        for value in elem.value if elem.VM > 1 else [elem.value]:
            kept.append(str(value).encode("latin-1", "replace"))
    return kept


#: VRs of binary values: left out of the leak search with Pixel Data (a name's bytes can
#: occur in them by chance: "0010" in a LUT, "00000" in Overlay Data).
BINARY_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW"}


def _text_only(ds) -> None:
    """Delete every binary element of ``ds``, in sequence items too (in place)."""
    for elem in list(ds):
        if elem.VR in BINARY_VRS:
            del ds[elem.tag]
        elif elem.VR == "SQ":
            for item in elem.value:
                _text_only(item)


def _found(needle: bytes, written: bytes) -> bool:
    """``needle`` in ``written`` as a whole value or word, not inside a longer word or number
    (Patient ID "0010" is not found in "1.0010"; "Rivera" is found in "Rivera^Elena")."""
    edge = rb"0-9A-Za-z." if needle.replace(b".", b"").isdigit() else rb"0-9A-Za-z"
    pattern = rb"(?<![" + edge + rb"])" + re.escape(needle) + rb"(?![" + edge + rb"])"
    return re.search(pattern, written) is not None


def _check_leaks(ctx: _Context, out) -> None:
    """No identifying value of the original in the written output's text.

    The output is saved, read back, and written again without its binary elements (Pixel
    Data, Overlay Data, LUTs...: :data:`BINARY_VRS`); every value of
    :func:`identifying_values` is searched for in those bytes, file meta included.
    """
    import pydicom

    target, _ = _saved_and_read(out, ctx.tmp, "deid.dcm")
    needles = identifying_values(ctx.ds)
    stripped = pydicom.dcmread(target, force=True)
    _text_only(stripped)
    buffer = io.BytesIO()
    stripped.save_as(buffer)
    written = buffer.getvalue()
    leaks = [f"{path} {needle!r}" for needle, path in needles.items() if _found(needle, written)]
    if leaks:
        raise Problem("leak", f"{len(leaks)} original value(s) in the output: {'; '.join(leaks)}")


#: dciodvfy lines saying it could not read a file through: errors after such a line are
#: not comparable (a de-identified copy, written whole by pydicom, is read further).
UNREADABLE = ("read failed", "Tags out of order", "Seek failed")


def _unreadable(lines: list[str]) -> bool:
    return any(word in line for line in lines for word in UNREADABLE)


def _check_dciodvfy(ctx: _Context, out) -> None:
    """dciodvfy's errors on the written output minus those on the original: none.

    When dciodvfy cannot read the original through (:data:`UNREADABLE`: deid-data's
    ctbrain1.dcm, truncated files), the original as pydicom writes it back is the baseline;
    not checked when dciodvfy cannot read that either.
    """
    if not ctx.dciodvfy:
        return
    original = dciodvfy_errors(ctx.dciodvfy, Path(ctx.path), ctx.tmp)
    if _unreadable(original):  # the baseline: the original as pydicom writes it back
        try:
            rewritten, _ = _saved_and_read(ctx.ds, ctx.tmp, "original.dcm")
        except Problem:
            return
        original = dciodvfy_errors(ctx.dciodvfy, rewritten, ctx.tmp)
        if _unreadable(original):
            return
    target, _ = _saved_and_read(out, ctx.tmp, "deid.dcm")
    before = Counter(original)
    after = Counter(dciodvfy_errors(ctx.dciodvfy, target, ctx.tmp))
    new = list((after - before).elements())
    if new:
        raise Problem(
            "new dciodvfy errors",
            f"{len(new)} new: " + " | ".join(_first_line(line, 160) for line in new[:4]),
        )


def dciodvfy_errors(dciodvfy: str, path: Path, tmp: Path) -> list[str]:
    """dciodvfy's error lines for one file, as ``tests.conftest.dciodvfy_errors`` counts them,
    every UID in them written ``<UID>``; a deflated file's inflated copy is written in ``tmp``.

    Its output is decoded as Latin-1 (a file's own text may be in any character set: deid-data's
    ctbrain1.dcm makes it print bytes that are not UTF-8; Latin-1 keeps distinct bytes
    distinct), and a call longer than :data:`~tests.sweep_files.TIMEOUT` raises.
    """
    from tests.conftest import dciodvfy_error_lines, dciodvfy_output

    text = dciodvfy_output(dciodvfy, path, tmp, timeout=TIMEOUT).decode("latin-1")
    return [_UID.sub("<UID>", line) for line in dciodvfy_error_lines(text)]


#: UIDs in dciodvfy's lines ("... ReferencedSOPInstanceUID 9.8.7.6", "... UID 0"):
#: deidentify replaces them, so before and after are compared with every UID written <UID>.
_UID = re.compile(r"(?<=UID )[0-9.]+|\b\d+(?:\.\d+){2,}\b")
