"""The checks of notebook 05, DICOM on the network: one function per exercise.

No check needs a running PACS. The levels are those of the Patient Root information model
(PS3.4 C.6.1.1, Tables C.6-1 to C.6-4); the series and their sizes are read from the course's
sample files, which are what the lesson stores in its PACS; the SOP classes and transfer
syntaxes a C-GET must be ready to receive are read from the MR files (PS3.4 C.4.3: the PACS
sends them with C-STORE on the caller's association, so the caller proposes their contexts
and the SCP role, PS3.7 D.3.3.4); the status categories come from pynetdicom's table of
PS3.7 Annex C. The usual mistakes are named: Study Root levels for Patient Root, INSTANCE for
IMAGE, one total or the number of responses instead of a count per series, series named by
description or number, the MOVE or FIND model for GET, the storage context or the SCP role
forgotten or put on CT, a pending code read as a warning.
"""

from __future__ import annotations

import numbers
from functools import cache
from typing import Any

from pydicom import dcmread

from ..data import sample_path
from ._registry import Refused, exercise, integer, mapping, pair, right, wrong

#: Exercise 05-levels: the attributes asked for, and the information model.
LEVEL_KEYWORDS = (
    "PatientName",
    "StudyDescription",
    "ModalitiesInStudy",
    "SeriesDescription",
    "NumberOfSeriesRelatedInstances",
    "InstanceNumber",
)
#: PS3.4 C.6.1.1.2-C.6.1.1.5 (Patient Root), Tables C.6-1 (patient), C.6-2 (study), C.6-3
#: (series) and C.6-4 (composite object instance, level IMAGE) for the keywords above.
#: Study Root (C.6.2.1) moves the patient attributes to STUDY level.
PATIENT_ROOT_LEVELS = {
    "PatientName": "PATIENT",
    "StudyDescription": "STUDY",
    "ModalitiesInStudy": "STUDY",
    "SeriesDescription": "SERIES",
    "NumberOfSeriesRelatedInstances": "SERIES",
    "InstanceNumber": "IMAGE",
}
_LEVELS = ("PATIENT", "STUDY", "SERIES", "IMAGE")
#: Exercise 05-count: the samples the lesson stores, all of patient BOOTCAMP-0001.
COUNT_SAMPLES = ("head_ct", "head_mr")
#: Exercise 05-get-contexts: the series to C-GET.
GET_SAMPLE = "head_mr"
#: Exercise 05-status: the logged codes.
STATUS_CODES = (0x0000, 0xFF00, 0xFF01, 0xFE00, 0xB000, 0x0107, 0xA702, 0xA801, 0xC000, 0x0122)
_CATEGORIES = ("Success", "Pending", "Cancel", "Warning", "Failure")


# --- 05-levels -------------------------------------------------------------------------------


def _keyword_of(key: Any) -> str | None:
    """The keyword a student may have meant by ``key`` (tag number or name), else None."""
    from pydicom.datadict import dictionary_keyword, keyword_for_tag

    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        try:
            return keyword_for_tag(int(key)) or None
        except (ValueError, OverflowError):
            return None
    if isinstance(key, str):
        squeezed = key.replace(" ", "").replace("'", "")
        for keyword in LEVEL_KEYWORDS:
            if squeezed.lower() == keyword.lower():
                return keyword
        try:
            return dictionary_keyword(key)
        except (KeyError, ValueError, TypeError):
            return None
    return None


@exercise("05-levels", "At which Patient Root level is each of the six attributes returned?")
def _levels(answer: Any) -> tuple[bool, str, str]:
    given = mapping(answer, "{'PatientName': 'PATIENT', ...}")
    for key in given:
        if key not in PATIENT_ROOT_LEVELS:
            meant = _keyword_of(key)
            if meant in PATIENT_ROOT_LEVELS:
                return wrong(
                    f"key {key!r}: use the keyword {meant!r}.",
                    "The keys are pydicom keywords, as in Dataset attributes: 'PatientName'.",
                )
            return wrong(
                f"{key!r} is not one of the six attributes asked for.",
                f"Answer for exactly: {', '.join(LEVEL_KEYWORDS)}.",
            )
    missing = [k for k in LEVEL_KEYWORDS if k not in given]
    if missing:
        return wrong(f"no level for {', '.join(missing)}.", "Give all six attributes.")
    for keyword in LEVEL_KEYWORDS:
        level, truth = given[keyword], PATIENT_ROOT_LEVELS[keyword]
        if not isinstance(level, str):
            raise Refused(
                f"{keyword}: {level!r} is not a level name.",
                f"Use one of the Query/Retrieve Level values: {', '.join(_LEVELS)}.",
            )
        if level != level.strip():
            return wrong(
                f"{keyword}: {level!r} has spaces around it.",
                "The value of Query/Retrieve Level (CS) is exactly PATIENT, STUDY, SERIES or "
                "IMAGE.",
            )
        if level.upper() in _LEVELS and level != level.upper():
            return wrong(
                f"{keyword}: {level!r} is not written as the standard writes it.",
                "Level names are upper case code strings: PATIENT, STUDY, SERIES, IMAGE.",
            )
        if level == "INSTANCE":
            return wrong(
                f"{keyword}: there is no level INSTANCE.",
                "The instance level of Query/Retrieve is called IMAGE (PS3.4 C.6.1.1.5), "
                "even for objects that are not images.",
            )
        if level not in _LEVELS:
            return wrong(
                f"{keyword}: {level!r} is not a Query/Retrieve Level.",
                f"Use one of {', '.join(_LEVELS)}.",
            )
        if level != truth:
            hint = (
                "This exercise asks for Patient Root (PS3.4 C.6.1.1), not Study Root "
                "(C.6.2.1): the two models place the patient attributes differently."
                if keyword == "PatientName"
                else "Ask which entity the attribute describes, and look it up in the key "
                "tables of PS3.4 C.6.1.1 (Tables C.6-1 to C.6-4, one per level); section 6's "
                "C-FIND queries ask for it at one level."
            )
            return wrong(f"{keyword} is not returned at level {level}.", hint)
    return right(
        "Patient's Name at PATIENT, Study Description and Modalities in Study at STUDY, Series "
        "Description and Number of Series Related Instances at SERIES, Instance Number at "
        "IMAGE (PS3.4 C.6.1.1)."
    )


# --- 05-count --------------------------------------------------------------------------------


@cache
def _series_counts() -> dict[str, int]:
    """Series Instance UID -> number of distinct SOP instances, in the stored samples."""
    instances: dict[str, set[str]] = {}
    for name in COUNT_SAMPLES:
        for path in sorted(sample_path(name).glob("*.dcm")):
            ds = dcmread(path, stop_before_pixels=True)
            instances.setdefault(ds.SeriesInstanceUID, set()).add(ds.SOPInstanceUID)
    return {uid: len(sops) for uid, sops in instances.items()}


@cache
def _series_names() -> dict[str, tuple[str, str]]:
    """Other names of the samples' series -> (what they are, the series UID they stand for)."""
    names: dict[str, tuple[str, str]] = {}
    for name in COUNT_SAMPLES:
        ds = dcmread(next(iter(sorted(sample_path(name).glob("*.dcm")))), stop_before_pixels=True)
        uid = ds.SeriesInstanceUID
        names[str(ds.StudyInstanceUID)] = ("a Study Instance UID", uid)
        for keyword in ("SeriesDescription", "SeriesNumber"):
            if ds.get(keyword) not in (None, ""):
                names[str(ds.get(keyword))] = (f"a {keyword}", uid)
    return names


@exercise("05-count", "How many instances does each series of BOOTCAMP-0001 hold in the PACS?")
def _count(answer: Any) -> tuple[bool, str, str]:
    truth = _series_counts()
    if isinstance(answer, numbers.Number) and not isinstance(answer, bool):
        return wrong(
            f"{answer!r} is one number; expected one count per series.",
            "Make a dict {Series Instance UID: count}, one entry per series.",
        )
    given = mapping(answer, "{'1.2.3...': 40, ...}")
    if not given:
        return wrong(
            "the dict is empty: no series was counted.",
            "Did the PACS answer any match? A PACS started again (section 2) holds nothing "
            "until the files are stored again (section 5).",
        )
    for key in given:
        if isinstance(key, str) and key.strip() in truth:
            continue
        other = _series_names().get(str(key).strip())
        if other is not None:
            return wrong(
                f"key {key!r} is {other[0]}, not a Series Instance UID.",
                "Key the dict by the SeriesInstanceUID of each C-FIND SERIES match.",
            )
        return wrong(
            f"{str(key)[:50]!r} is not a Series Instance UID of BOOTCAMP-0001.",
            "Find the studies of BOOTCAMP-0001, then their series (SeriesInstanceUID).",
        )
    keys = {k.strip() for k in given}
    missing = [uid for uid in truth if uid not in keys]
    if missing:
        return wrong(
            f"{len(missing)} series missing: the patient has {len(truth)} series.",
            "Search every study of the patient (C-FIND at STUDY level), not only the CT's.",
        )
    for key, value in given.items():
        uid = key.strip()
        count = integer(value, "the number of instances (a whole number)")
        if count == truth[uid]:
            continue
        if count == 1:
            return wrong(
                f"{uid}: 1 counts the series, not its instances.",
                "Search at IMAGE level within each series and count the matches.",
            )
        if count in truth.values():
            return wrong(
                f"{uid}: {count} is not the number of instances of this series.",
                "Check that each count is keyed by the series whose IMAGE matches it counts.",
            )
        if count == truth[uid] ** 2 or count == sum(truth.values()):
            return wrong(
                f"{uid}: {count} counts responses, not distinct instances.",
                "A simple PACS may answer the same match many times: count distinct "
                "SOPInstanceUIDs (c_find keeps distinct matches).",
            )
        if count == truth[uid] + 1:
            return wrong(
                f"{uid}: {count} instances is not what the PACS holds.",
                "Was any file stored twice (sections 4 and 5)? The same SOP Instance UID is "
                "one instance: count distinct SOPInstanceUIDs of the IMAGE matches.",
            )
        return wrong(f"{uid}: {count} instances is not what the PACS holds.")
    return right(
        "; ".join(f"{uid}: {n}" for uid, n in truth.items())
        + f" ({len(truth)} series, {sum(truth.values())} instances): counted from C-FIND "
        "IMAGE matches, without moving a file."
    )


# --- 05-get-contexts -------------------------------------------------------------------------


@cache
def _get_needs() -> dict[str, set[str]]:
    """SOP Class UID -> transfer syntaxes of the MR series' files."""
    needs: dict[str, set[str]] = {}
    for path in sorted(sample_path(GET_SAMPLE).glob("*.dcm")):
        ds = dcmread(path, stop_before_pixels=True)
        needs.setdefault(ds.SOPClassUID, set()).add(ds.file_meta.TransferSyntaxUID)
    return needs


def _uid_name(uid: str) -> str:
    from pydicom.uid import UID

    return UID(uid).name


@exercise("05-get-contexts", "Which contexts and roles does a C-GET of the MR series need?")
def _get_contexts(answer: Any) -> tuple[bool, str, str]:
    from pynetdicom import AE
    from pynetdicom.pdu_primitives import SCP_SCU_RoleSelectionNegotiation
    from pynetdicom.sop_class import (
        PatientRootQueryRetrieveInformationModelGet,
        StudyRootQueryRetrieveInformationModelFind,
        StudyRootQueryRetrieveInformationModelGet,
        StudyRootQueryRetrieveInformationModelMove,
    )

    if isinstance(answer, AE):
        return wrong("that is the AE alone.", "Answer the pair (ae, roles).")
    ae, roles = pair(answer, "the pair (ae, roles)")
    if not isinstance(ae, AE):
        raise Refused(f"the first item is a {type(ae).__name__}, not a pynetdicom AE.")
    if not isinstance(roles, (list, tuple)) or not all(
        isinstance(r, SCP_SCU_RoleSelectionNegotiation) for r in roles
    ):
        raise Refused(
            "the second item must be a list of role selection items.",
            "Make each with pynetdicom's build_role, as in section 8.",
        )
    if ae.ae_title != "LESSON05":
        return wrong(
            f"AE title {ae.ae_title!r}: the lesson's PACS accepts only the caller LESSON05.",
            "AE(ae_title='LESSON05'): Orthanc refuses an unknown calling AE title.",
        )
    contexts = {cx.abstract_syntax: cx for cx in ae.requested_contexts}
    get_model = StudyRootQueryRetrieveInformationModelGet
    if get_model not in contexts:
        if PatientRootQueryRetrieveInformationModelGet in contexts:
            hint = "The query (study and series UIDs) is a Study Root query: request that model."
        elif StudyRootQueryRetrieveInformationModelMove in contexts:
            hint = "That is the MOVE model: C-GET has its own SOP class."
        elif StudyRootQueryRetrieveInformationModelFind in contexts:
            hint = "That is the FIND model: C-GET has its own SOP class."
        else:
            hint = (
                "C-GET has its own SOP class for each information model (section 8): request "
                "a context for the one of this Study Root query."
            )
        return wrong("no presentation context for Study Root C-GET.", hint)
    needs = _get_needs()
    for sop_class, syntaxes in needs.items():
        name = _uid_name(sop_class)
        if sop_class not in contexts:
            return wrong(
                f"no presentation context for {name}: the PACS cannot send the MR slices.",
                "The PACS C-STOREs them on your association: request their storage SOP class "
                "too (read SOPClassUID from the files).",
            )
        offered = set(contexts[sop_class].transfer_syntax)
        if not syntaxes <= offered:
            return wrong(
                f"the {name} context lacks the files' transfer syntax "
                f"({', '.join(_uid_name(s) for s in syntaxes - offered)}).",
                "Keep pynetdicom's default transfer syntaxes, or add the files' one.",
            )
    by_class = {r.sop_class_uid: r for r in roles}
    for sop_class in needs:
        name = _uid_name(sop_class)
        role = by_class.get(sop_class)
        if role is None:
            other = ", ".join(_uid_name(r.sop_class_uid) for r in roles)
            return wrong(
                f"no role selection for {name}" + (f" (only for {other})." if other else "."),
                "The PACS sends the series with C-STORE on this association: propose the role "
                "you play for that SOP class with build_role (section 8, PS3.7 D.3.3.4).",
            )
        if not role.scp_role:
            return wrong(
                f"the role for {name} does not propose the SCP role.",
                "Which side of a C-STORE is its SCP: the one that sends or the one that "
                "receives (section 1)?",
            )
    if len(ae.requested_contexts) > 128:
        return wrong("more than 128 presentation contexts: the association cannot hold them.")
    return right(
        "Study Root GET plus "
        + ", ".join(_uid_name(s) for s in needs)
        + " with the SCP role: the PACS can C-STORE the series back on this association."
    )


# --- 05-status -------------------------------------------------------------------------------


@exercise("05-status", "What category is each logged DIMSE status code?")
def _status(answer: Any) -> tuple[bool, str, str]:
    from pynetdicom.status import code_to_category

    if isinstance(answer, (list, tuple)):
        return wrong(
            "a list loses which code is which.", "Make a dict {code: category}, keyed by the int."
        )
    given = mapping(answer, "{0x0000: 'Success', ...}")
    for key in given:
        if isinstance(key, str):
            return wrong(f"key {key!r} is text.", "Key by the code itself, an int such as 0xA801.")
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            return wrong(f"key {key!r} is not a status code (an int).")
        if int(key) not in STATUS_CODES:
            return wrong(f"0x{int(key):04X} is not in codes.", "Answer for exactly the ten codes.")
    missing = [c for c in STATUS_CODES if c not in {int(k) for k in given}]
    if missing:
        return wrong(
            f"no category for {', '.join(f'0x{c:04X}' for c in missing)}.",
            "Give all ten codes.",
        )
    for key, category in given.items():
        code, truth = int(key), code_to_category(int(key))
        if not isinstance(category, str):
            return wrong(
                f"0x{code:04X}: {category!r} is not a category name.",
                f"Use one of {', '.join(_CATEGORIES)}.",
            )
        if category != category.strip() or (
            category.capitalize() in _CATEGORIES and category != category.capitalize()
        ):
            return wrong(
                f"0x{code:04X}: write {category.strip().capitalize()!r} exactly.",
                f"The categories are {', '.join(_CATEGORIES)}.",
            )
        if category not in _CATEGORIES:
            return wrong(
                f"0x{code:04X}: {category!r} is not one of the five categories.",
                f"PS3.7 Annex C uses {', '.join(_CATEGORIES)}.",
            )
        if category != truth:
            hint = (
                "The 0x01xx and 0x02xx codes are general statuses (PS3.7 C.4): their first "
                "digits do not give the category; look each one up "
                "(pynetdicom.status.code_to_category, or PS3.7 Annex C)."
                if 0x0100 <= code < 0x0300
                else "Read section 1's list of status ranges again (PS3.7 C.1.2), or look the "
                "code up with pynetdicom.status.code_to_category."
            )
            return wrong(f"0x{code:04X} is not a {category} code.", hint)
    return right("all ten right: read the category first, the exact code second.")
