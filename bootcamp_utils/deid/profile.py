"""De-identify a data set by the Basic Application Level Confidentiality Profile.

:func:`deidentify` returns a de-identified **copy** of a data set (the input is never
changed). It applies PS3.15 Annex E, Table E.1-1, Basic Profile column (read by
:func:`bootcamp_utils.deid.table.action_for`), to every attribute, at every level of
every sequence, and to the file meta information:

====== ===================================================================================
``X``  removed
``Z``  emptied (a sequence: no items)
``D``  a dummy value valid for the VR (:data:`DUMMIES`): ``ANONYMOUS``, ``19000101``, ...
       A sequence marked ``D`` (Person Identification Code Sequence, Content Sequence...)
       keeps its items, and every text value inside that the table does not list (a Code
       Value, a Code Meaning) becomes a dummy as well: the whole item identifies someone.
``U``  a UID replaced by a new one derived from the old one (see below)
``K``  kept; ``C`` (clean) is treated as ``D``
====== ===================================================================================

The combined codes let the IOD decide: "``X/Z``: X unless Z is needed to keep the IOD
valid". :mod:`bootcamp_utils.deid.iod` decides: a Type 1 attribute of the file's IOD gets a
dummy (Content Date of an SR, an ECG, an enhanced image), a Type 2 one is emptied
(Referenced Performed Procedure Step Sequence of an SR); elsewhere the action valid for
any Type. An overlay loses its whole group with its Overlay Data. A DICOMDIR is refused
(:class:`~bootcamp_utils.deid.iod.DeidError`).

**File meta**: Media Storage SOP Instance UID follows the SOP Instance UID; the Source,
Sending and Receiving AE Titles and Presentation Addresses (the machines the file came
from: not in E.1-1) are removed, and :data:`METHOD_NOTE` says so; the Implementation
Class UID and Version Name (the software) are kept.

**UIDs** (PS3.15 E.1.1, action ``U``): the new UID is ``2.25.`` followed by a number made
from an HMAC-SHA-256 of the old UID under a key (PS3.5 B.2: a UUID as a decimal integer;
the bits are set as for a version-8 UUID). The same old UID always gives the same new
one, so files de-identified one by one keep their series together and their references
(Referenced SOP Instance UID) still point at the right object, and the file meta's Media
Storage SOP Instance UID stays equal to the SOP Instance UID. Without ``key`` the key is
random, drawn once per Python process: the mapping cannot be reversed or repeated later.
With a key the result is reproducible (keep the key secret: with it and a guessed old
UID, anyone can check the guess). SOP Class UIDs, the Transfer Syntax UID and other
UIDs the table does not list are kept: they name kinds of objects, not people.

**Private attributes** (odd groups) are removed, unless their private creator is named in
``keep_private``: then the whole block is kept as it is, and you are responsible for it.

**Dates**: removed or emptied by the table, unless ``shift_dates`` is given: then every
DA and DT value the table does not keep is moved by a number of days instead (a DT keeps
its time of day, TM values are unchanged), so intervals between a patient's examinations
survive. ``shift_dates="per-patient"`` draws that number from the patient: an HMAC-SHA-256
of the original Patient ID under ``key`` gives an offset between ``-DATE_SHIFT_RANGE`` and
-1 days (:func:`date_offset`; dates move back by one day to ten years). Every file of one
patient gets the same offset within a process (or with the same key), and two patients
almost always get different ones (one chance in 3650 to share it).

**Pixel data** are not touched unless ``burned_in_boxes`` is given. Text burned into the
pixels (Burned In Annotation ``YES``) is otherwise still there: then Patient Identity
Removed is set to ``NO`` and a warning tells you to black the text out first. With
``burned_in_boxes`` the boxes are blacked out first
(:func:`~bootcamp_utils.deid.pixels.black_out`, PS3.15 E.3.1 Clean Pixel Data Option),
Burned In Annotation becomes ``NO`` and the Clean Pixel Data Option code (113101) joins
the method codes.

**Faces** (PS3.15 E.3.2, Clean Recognizable Visual Features Option, 113102): a head CT or
MR keeps the patient's face in its pixels; a surface rendering of the series can be
recognised, whatever the header says. ``deidentify`` does no defacing, so it never
records option 113102. Recognizable Visual Features (0028,0302) is not in Table E.1-1:
a value the source has is kept. When the source has none, ``deidentify`` writes ``YES``
for an image of the head (Modality CT, MR, PT or NM, Body Part Examined one of
:data:`HEAD_PARTS`), because that is what can be known; for other images it writes
nothing (Type 3: absent means not stated), never ``NO``. Patient Identity Removed
``YES`` means the header and the blacked-out text, not the face.

Options of PS3.15 E.3 this module implements: the Basic Profile (113100), Clean Pixel Data
(113101, with ``burned_in_boxes``), Retain Longitudinal Temporal Information with Modified
Dates (113107, with ``shift_dates``), and, in part, Retain Safe Private (``keep_private``:
the blocks you name are kept, but their safety is yours to judge, so 113111 is not
recorded). Not implemented: Retain Longitudinal Temporal Information with Full Dates,
Retain Patient Characteristics, Retain Device Identity, Retain Institution Identity,
Retain UIDs, Clean Descriptors, Clean Structured Content, Clean Graphics, Clean
Recognizable Visual Features.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import hmac
import secrets
import warnings
from collections.abc import Callable, Iterable
from collections.abc import Sequence as SequenceABC
from functools import lru_cache

from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.tag import BaseTag

from .iod import clean_file_meta, drop_overlays, refuse_dicomdir, required_types, resolve
from .pixels import black_out
from .table import EDITION, action_for

__all__ = [
    "DATE_SHIFT_RANGE",
    "DUMMIES",
    "HEAD_PARTS",
    "METHOD",
    "METHOD_NOTE",
    "date_offset",
    "deidentify",
    "new_uid",
]

#: Body Part Examined values (PS3.16 Annex L) for which a missing Recognizable Visual
#: Features is written ``YES``: the face may be in the pixels.
HEAD_PARTS = frozenset({"HEAD", "BRAIN", "SKULL", "FACE", "HEADNECK", "NECK", "EYE", "EAR"})

#: Modalities whose series can be rendered as a surface.
_VOLUME_MODALITIES = frozenset({"CT", "MR", "PT", "NM"})

#: ``shift_dates="per-patient"`` moves dates back by 1 to this many days (about 10 years).
DATE_SHIFT_RANGE = 3650

#: The dummy value ``D`` puts in, per VR (PS3.5 6.2: each is valid for its VR).
DUMMIES: dict[str, object] = {
    "AE": "ANONYMOUS",
    "AS": "000Y",
    "CS": "ANONYMOUS",
    "DA": "19000101",
    "DS": "0",
    "DT": "19000101000000",
    "IS": "0",
    "LO": "ANONYMOUS",
    "LT": "ANONYMOUS",
    "PN": "ANONYMOUS^",  # family name only; a bare word is the retired PN form
    "SH": "ANONYMOUS",
    "ST": "ANONYMOUS",
    "TM": "000000",
    "UC": "ANONYMOUS",
    "UR": "ANONYMOUS",
    "UT": "ANONYMOUS",
    "FL": 0.0,
    "FD": 0.0,
    "SL": 0,
    "SS": 0,
    "SV": 0,
    "UL": 0,
    "US": 0,
    "UV": 0,
    "OB": b"\x00\x00",
    "OD": b"\x00" * 8,
    "OF": b"\x00" * 4,
    "OL": b"\x00" * 4,
    "OV": b"\x00" * 8,
    "OW": b"\x00\x00",
    "UN": b"\x00\x00",
}

#: Text VRs: inside a sequence marked ``D`` their values become dummies too.
_TEXT_VRS = {"AE", "AS", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UR", "UT"}

#: What replaces a Coding Scheme Designator that repeats a removed value (a local scheme).
LOCAL_SCHEME = "99ANON"

#: Text VRs in which a value the profile removed elsewhere is looked for again (see
#: :func:`_scrub_leftovers`): free text and codes, not dates, numbers or code strings.
_LEFTOVER_VRS = frozenset({"LO", "LT", "PN", "SH", "ST", "UC", "UT"})

#: What Deidentification Method (0012,0063) says (LO: at most 64 characters).
METHOD = f"PS3.15 Basic Application Confidentiality Profile, E.1-1 {EDITION}"

#: Its second value (LO, VM 1-n): what was done beyond E.1-1, in the file meta.
METHOD_NOTE = "file meta: source/sending/receiving AE titles, addresses removed"

_PROCESS_KEY = secrets.token_bytes(32)


def new_uid(uid: str, key: bytes | str | None = None) -> str:
    """The UID that replaces ``uid``: ``2.25.`` and a number made from an HMAC of it.

    Parameters
    ----------
    uid : str
        The old UID.
    key : bytes or str, optional
        The HMAC key. Without one, a random key drawn once per Python process.

    Returns
    -------
    str
        A UID of at most 44 characters under the ``2.25`` root (PS3.5 B.2).

    Examples
    --------
    >>> a = new_uid("1.2.3.4", key="course")
    >>> a.startswith("2.25."), a == new_uid("1.2.3.4", key="course"), len(a) <= 64
    (True, True, True)
    >>> a == new_uid("1.2.3.5", key="course"), a == new_uid("1.2.3.4", key="other")
    (False, False)
    """
    key = _key_bytes(key)
    digest = bytearray(hmac.new(key, uid.strip().encode("ascii"), hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # UUID version 8 (RFC 9562): custom
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC variant
    return f"2.25.{int.from_bytes(digest, 'big')}"


def _key_bytes(key: bytes | str | None) -> bytes:
    if key is None:
        return _PROCESS_KEY
    if isinstance(key, str):
        return key.encode("utf-8")
    if not isinstance(key, bytes):
        raise TypeError(f"key must be bytes or str, not {type(key).__name__}")
    return key


def date_offset(patient_id: str, key: bytes | str | None = None) -> int:
    """The days ``shift_dates="per-patient"`` moves the dates of one patient by.

    Parameters
    ----------
    patient_id : str
        The original Patient ID (0010,0020), before de-identification.
    key : bytes or str, optional
        The HMAC key (the same ``key`` as :func:`deidentify`'s). Without one, a random key
        drawn once per Python process.

    Returns
    -------
    int
        An offset from ``-DATE_SHIFT_RANGE`` to -1 (never 0): an HMAC-SHA-256 of the
        Patient ID (prefixed ``date-offset:``, so it is not a UID's HMAC) modulo
        :data:`DATE_SHIFT_RANGE`.

    Raises
    ------
    ValueError
        If ``patient_id`` is empty: there is no patient to derive an offset from.

    Examples
    --------
    >>> date_offset("MRN-4821", key="course") == date_offset("MRN-4821", key="course")
    True
    >>> -DATE_SHIFT_RANGE <= date_offset("MRN-4821", key="course") <= -1
    True
    """
    text = str(patient_id).strip()
    if not text:
        raise ValueError(
            "shift_dates='per-patient' needs a Patient ID to derive the offset from; this "
            "data set has none: give a number of days instead (shift_dates=-100)"
        )
    digest = hmac.new(_key_bytes(key), b"date-offset:" + text.encode("utf-8"), hashlib.sha256)
    return -1 - int.from_bytes(digest.digest()[:8], "big") % DATE_SHIFT_RANGE


@lru_cache(maxsize=4096)
def _action(tag: int) -> str | None:
    """:func:`~bootcamp_utils.deid.table.action_for`, remembered per tag (a file has ~100)."""
    return action_for(tag)


def _vr(ds: Dataset, tag: BaseTag) -> str:
    """The VR of ``ds[tag]``, without decoding the element when the file states it.

    An element read from an explicit VR file carries its VR, and decoding keeps it, except
    ``UN`` (pydicom then looks the tag up). Implicit VR files give none: then decode.
    """
    vr = ds.get_item(tag).VR
    return ds[tag].VR if vr in (None, "UN") else vr


def _copy(ds: Dataset) -> Dataset:
    """A deep copy of ``ds`` that shares its raw elements with it.

    pydicom decodes an element only when you first access it; until then the data set
    holds a ``RawDataElement``, an immutable tuple of the file's bytes. Nothing can change
    one, so the copy may hold the same tuples: accessing an element of the copy decodes it
    into a new element of the copy, and ``ds`` keeps its own, undecoded. Only decoded
    elements are copied, which makes the copy of a freshly read file cheap.
    """
    # deepcopy's memo maps id(object) -> its copy; an object listed as its own copy is shared
    shared: dict[int, object] = {}
    todo = [ds]
    while todo:
        for tag, elem in todo.pop().items():
            shared[id(tag)] = tag  # a tag is an int: immutable too
            if isinstance(elem, RawDataElement):
                shared[id(elem)] = elem
            elif elem.VR == "SQ":
                todo.extend(elem.value)
    return copy.deepcopy(ds, shared)


def _private_creator(ds: Dataset, tag: BaseTag) -> str | None:
    """The private creator that reserved the block of a private element, if any."""
    group, number = tag.group, tag.element
    if 0x0010 <= number <= 0x00FF:  # the creator element itself
        value = ds[tag].value
        return str(value) if value else None
    if number < 0x1000:
        return None
    creator = ds.get((group, number >> 8))
    return str(creator.value) if creator is not None and creator.value else None


def _dummy(elem: DataElement) -> object:
    try:
        return DUMMIES[elem.VR]
    except KeyError:
        raise ValueError(
            f"no dummy value for {elem.tag} {elem.keyword or ''} (VR {elem.VR}): add one to "
            "bootcamp_utils.deid.profile.DUMMIES"
        ) from None


def _empty(elem: DataElement) -> object:
    """The zero-length value: ``""`` for text VRs (pydicom reads them back as ``""``)."""
    return "" if elem.VR in _TEXT_VRS | {"CS", "DS", "IS", "UI"} else None


def _replace_uids(elem: DataElement, key: bytes | str | None) -> None:
    if elem.VM > 1:
        elem.value = [new_uid(str(v), key) for v in elem.value]
    elif elem.value:
        elem.value = new_uid(str(elem.value), key)


def _shift(elem: DataElement, days: int) -> None:
    """Move every date of a DA or DT element ``days`` days (DT keeps its time part)."""
    values = list(elem.value) if elem.VM > 1 else [elem.value]
    shifted = []
    for value in values:
        text = str(value)
        if len(text) < 8:  # a year or a month only: nothing precise enough to move
            shifted.append("")
            continue
        day = datetime.datetime.strptime(text[:8], "%Y%m%d").date()
        shifted.append((day + datetime.timedelta(days=days)).strftime("%Y%m%d") + text[8:])
    elem.value = shifted if elem.VM > 1 else shifted[0]


def _clean(
    ds: Dataset,
    key: bytes | str | None,
    keep_private: frozenset[str],
    shift_dates: int | None,
    inside_d: bool = False,
    required: dict[str, str] | None = None,
) -> None:
    """Apply the profile to ``ds`` in place, recursing into sequences.

    ``required`` gives the Types of the top-level attributes in the file's IOD
    (:func:`~bootcamp_utils.deid.iod.required_types`). An element is decoded (``ds[tag]``)
    only when it stays: the tag and the VR the file gives are enough to decide, and most
    of the time goes into decoding.
    """
    required = required or {}
    for tag in list(ds.keys()):
        if tag.is_private:
            if _private_creator(ds, tag) in keep_private and tag.element >= 0x0010:
                continue
            del ds[tag]
            continue
        vr = _vr(ds, tag)
        keyword = keyword_for_tag(tag)
        is_sequence = vr == "SQ"
        action = _action(tag)
        if action is None or action == "K":
            action = "D" if inside_d and vr in _TEXT_VRS else "K"
        else:
            action = resolve(action, is_sequence, required.get(keyword))
        if (
            shift_dates is not None
            and vr in ("DA", "DT", "TM")
            and action != "K"
            and keyword not in ("PatientBirthDate", "PatientBirthTime")
        ):
            elem = ds[tag]
            if elem.value and vr != "TM":  # times stay as they are
                _shift(elem, shift_dates)
            continue
        if action == "X":
            del ds[tag]
            continue
        elem = ds[tag]
        if action == "Z":
            elem.value = Sequence() if is_sequence else _empty(elem)
        elif is_sequence:  # K, D or U on a sequence: clean its items
            for item in elem.value:
                _clean(item, key, keep_private, shift_dates, inside_d or action == "D")
        elif action == "U" or (action == "D" and elem.VR == "UI"):
            _replace_uids(elem, key)
        elif action == "D":
            elem.value = _dummy(elem)


def _identifying_texts(ds: Dataset) -> set[str]:
    """Text values (4 characters or more) of every element the profile does not keep.

    At any depth, inside private sequences too. Only those elements and the sequences are
    decoded: the tag and the VR tell which they are.
    """
    found = set()
    for tag in list(ds.keys()):
        vr = _vr(ds, tag)
        if vr == "SQ":
            for item in ds[tag].value:
                found |= _identifying_texts(item)
            continue
        if tag.is_private or vr not in _LEFTOVER_VRS or _action(tag) in (None, "K"):
            continue
        elem = ds[tag]
        if elem.value:
            values = elem.value if elem.VM > 1 else [elem.value]
            found |= {str(v).strip().casefold() for v in values if len(str(v).strip()) >= 4}
    return found


def _scrub_leftovers(ds: Dataset, texts: set[str]) -> None:
    """Replace by a dummy any kept text equal to a value the profile removed elsewhere.

    Code sequences the table does not list are kept, but their values can repeat what was
    removed: the hospital's Issuer of Patient ID as a Coding Scheme Designator, the
    Requested Procedure Description as a Code Meaning. Exact (case-blind) matches only.
    """
    for elem in ds.iterall():
        plain = elem.VR in _LEFTOVER_VRS and elem.VM == 1 and elem.value
        if plain and str(elem.value).strip().casefold() in texts:
            # a local coding scheme's designator starts with "99" (PS3.16 8.2)
            local = elem.keyword == "CodingSchemeDesignator"
            elem.value = LOCAL_SCHEME if local else _dummy(elem)


def deidentify(
    ds: Dataset,
    *,
    key: bytes | str | None = None,
    keep_private: Iterable[str] = (),
    shift_dates: int | str | None = None,
    burned_in_boxes: SequenceABC[SequenceABC[int]]
    | Callable[[Dataset], SequenceABC[SequenceABC[int]] | None]
    | None = None,
) -> Dataset:
    """A de-identified copy of ``ds``, by the Basic Profile of PS3.15 Annex E.

    Every attribute listed in Table E.1-1 gets its action, in the data set, in every
    sequence item at any depth and in the file meta information; private attributes are
    removed; UIDs are replaced consistently (the module docstring says how). A combined
    action such as ``Z/D`` follows the attribute's Type in the file's IOD where
    :mod:`~bootcamp_utils.deid.iod` knows it (a dummy Content Date in an SR), so the copy
    stays valid. The file meta loses its Source, Sending and Receiving AE Titles and
    Presentation Addresses, which E.1-1 does not list but which name the machines the
    file came from (often the Station Name again); Implementation Class UID and Version
    Name are kept. Pixel data are not changed unless ``burned_in_boxes`` is given.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set; it is not modified.
    key : bytes or str, optional
        Key of the UID mapping. Without one, a random key drawn once per Python process:
        the files of one study de-identified in one run still agree with each other. Give
        one (and keep it secret) to get the same new UIDs in another run.
    keep_private : iterable of str, optional
        Private creators (``"SEGH PACS 1.0"``) whose blocks are kept unchanged. Keep a
        block only when you know it holds nothing identifying.
    shift_dates : int or "per-patient", optional
        Instead of removing dates, move every DA and DT value by this many days (times
        kept); Patient's Birth Date is still emptied. Use one offset for all the files of
        a patient: ``"per-patient"`` derives it from the original Patient ID and ``key``
        (:func:`date_offset`: -3650 to -1 days), the same for every file of one patient.
        Longitudinal Temporal Information Modified becomes ``MODIFIED``.
    burned_in_boxes : list of (int, int, int, int), or callable, optional
        Boxes ``(row0, row1, col0, col1)`` (half-open pixel indices) to black out before
        anything else (:func:`bootcamp_utils.deid.pixels.black_out`), or a function
        ``ds -> boxes`` (for a folder: boxes for the localizer, ``None`` or ``[]`` for the
        others). When boxes are blacked out, Burned In Annotation becomes ``NO``, so
        Patient Identity Removed can be ``YES``, and code 113101 is added.

    Returns
    -------
    pydicom.dataset.Dataset
        The de-identified copy, with Patient Identity Removed (``YES``, or ``NO`` when
        the pixels carry burned-in text), Deidentification Method (:data:`METHOD`, then
        :data:`METHOD_NOTE` for the file meta) and
        the Deidentification Method Code Sequence (113100; 113101 when boxes were blacked
        out; 113107 with ``shift_dates``; never 113102, no defacing is done).
        Recognizable Visual Features is kept, or ``YES`` for a head image that had none
        (module docstring, "Faces").

    Raises
    ------
    TypeError
        If ``ds`` is not a pydicom Dataset, ``keep_private`` is a single string, or
        ``shift_dates`` is neither an int nor ``"per-patient"``.
    bootcamp_utils.deid.iod.DeidError
        For a DICOMDIR: its records and file paths hold identifying values; de-identify
        the image files and build a new DICOMDIR (pydicom.fileset.FileSet). A ValueError.
    ValueError
        With ``shift_dates="per-patient"`` and no Patient ID; from
        :func:`~bootcamp_utils.deid.pixels.black_out` for undecodable or unsupported pixels.

    Warns
    -----
    UserWarning
        When Burned In Annotation is ``YES``: the pixels still show identifying text.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.PatientName, ds.PatientID, ds.Modality = "Rivera^Elena", "MRN-4821", "CT"
    >>> ds.InstitutionName, ds.ImageComments = "Saint Example", "Elena fell"
    >>> ds.SOPInstanceUID = "1.2.3.4"
    >>> clean = deidentify(ds, key="course")
    >>> clean.PatientName, clean.PatientID, clean.Modality, clean.InstitutionName
    ('', '', 'CT', 'ANONYMOUS')
    >>> "ImageComments" in clean, clean.SOPInstanceUID == new_uid("1.2.3.4", key="course")
    (False, True)
    >>> clean.PatientIdentityRemoved, ds.PatientName  # the input is unchanged
    ('YES', 'Rivera^Elena')
    """
    if not isinstance(ds, Dataset):
        raise TypeError(
            f"deidentify needs a pydicom Dataset, not {type(ds).__name__}: "
            "read the file first with pydicom.dcmread(path)"
        )
    if isinstance(keep_private, str):
        raise TypeError(
            f"keep_private must be a list of private creators, not one string: "
            f"write keep_private=[{keep_private!r}]"
        )
    refuse_dicomdir(ds)
    if shift_dates == "per-patient":
        shift_dates = date_offset(str(ds.get("PatientID", "") or ""), key)
    elif shift_dates is not None and (
        isinstance(shift_dates, bool) or not isinstance(shift_dates, int)
    ):
        raise TypeError(
            f"shift_dates is a number of days (an int) or 'per-patient', not {shift_dates!r}"
        )
    keep = frozenset(keep_private)
    boxes = burned_in_boxes(ds) if callable(burned_in_boxes) else burned_in_boxes
    boxes = [] if boxes is None else list(boxes)
    out = black_out(ds, boxes) if boxes else _copy(ds)  # black_out copies too
    texts = _identifying_texts(out)  # the values of ds, read before _clean removes them
    required = required_types(out)  # read on the copy: the input stays undecoded
    drop_overlays(out)
    _clean(out, key, keep, shift_dates, required=required)
    _scrub_leftovers(out, texts)
    meta = getattr(out, "file_meta", None)
    if isinstance(meta, FileMetaDataset):
        _clean(meta, key, keep, shift_dates)
        clean_file_meta(meta)

    burned_in = str(out.get("BurnedInAnnotation", "")).upper() == "YES"
    if burned_in:
        warnings.warn(
            "Burned In Annotation is YES: the pixels may still show a name or an ID. Black "
            "out the text in the pixel data, then set BurnedInAnnotation = 'NO' and "
            "PatientIdentityRemoved = 'YES'; until then PatientIdentityRemoved is 'NO'",
            UserWarning,
            stacklevel=2,
        )
    out.PatientIdentityRemoved = "NO" if burned_in else "YES"
    if (
        "RecognizableVisualFeatures" not in out
        and "PixelData" in out
        and str(out.get("Modality", "")).upper() in _VOLUME_MODALITIES
        and str(out.get("BodyPartExamined", "")).upper() in HEAD_PARTS
    ):
        out.RecognizableVisualFeatures = "YES"  # no defacing was done: the face is there
    out.DeidentificationMethod = [METHOD, METHOD_NOTE]
    methods = [codes.DCM.BasicApplicationConfidentialityProfile]
    if boxes:
        methods.append(codes.DCM.CleanPixelDataOption)
    if shift_dates is not None:
        methods.append(codes.DCM.RetainLongitudinalTemporalInformationModifiedDatesOption)
        out.LongitudinalTemporalInformationModified = "MODIFIED"
    items = []
    for code in methods:
        item = Dataset()
        item.CodeValue = code.value
        item.CodingSchemeDesignator = code.scheme_designator
        item.CodeMeaning = code.meaning
        items.append(item)
    out.DeidentificationMethodCodeSequence = Sequence(items)
    return out
