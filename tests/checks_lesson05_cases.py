"""Right and plausible wrong answers to the exercises of notebook 05 (used by test_checks.py).

No PACS is needed: the series and their sizes are read here from the sample files with
pydicom, the C-GET answers are pynetdicom AEs and role items built as a student would, the
status categories are written out from PS3.7 Annex C (not taken from pynetdicom, which the
check uses). ``right_answers(name, tmp)`` and ``wrong_answers(name, tmp)`` mirror
``_right_answers`` and ``_wrong_answers`` of test_checks.py; every wrong answer comes with
words its feedback must contain.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import ImplicitVRLittleEndian
from pydicom.valuerep import IS
from pynetdicom import AE, build_role
from pynetdicom.sop_class import (
    CTImageStorage,
    MRImageStorage,
    PatientRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)

from bootcamp_utils.data import sample_path

_LEVELS = {
    "PatientName": "PATIENT",
    "StudyDescription": "STUDY",
    "ModalitiesInStudy": "STUDY",
    "SeriesDescription": "SERIES",
    "NumberOfSeriesRelatedInstances": "SERIES",
    "InstanceNumber": "IMAGE",
}
_CODES = [0x0000, 0xFF00, 0xFF01, 0xFE00, 0xB000, 0x0107, 0xA702, 0xA801, 0xC000, 0x0122]
# PS3.7 C.1.2 (success, pending, cancel), C.4 (failure: Axxx, Cxxx, 0x0122 SOP class not
# supported), C.5 (warning: Bxxx, 0x0107 attribute list error); 0xFF01 is pending (C.4.1.1)
_STATUS = {
    0x0000: "Success",
    0xFF00: "Pending",
    0xFF01: "Pending",
    0xFE00: "Cancel",
    0xB000: "Warning",
    0x0107: "Warning",
    0xA702: "Failure",
    0xA801: "Failure",
    0xC000: "Failure",
    0x0122: "Failure",
}


def _first(name: str):
    return dcmread(sorted(sample_path(name).glob("*.dcm"))[0], stop_before_pixels=True)


def _counts() -> dict[str, int]:
    counts = {}
    for name in ("head_ct", "head_mr"):
        files = sorted(sample_path(name).glob("*.dcm"))
        counts[dcmread(files[0], stop_before_pixels=True).SeriesInstanceUID] = len(files)
    assert sorted(counts.values()) == [36, 40]
    return counts


def _ae(*contexts, title="LESSON05", syntaxes=None):
    ae = AE(ae_title=title)
    for context in contexts:
        if syntaxes is None:
            ae.add_requested_context(context)
        else:
            ae.add_requested_context(context, syntaxes)
    return ae


def _get(*contexts, roles=None, **kwargs):
    contexts = contexts or (StudyRootQueryRetrieveInformationModelGet, MRImageStorage)
    if roles is None:
        roles = [build_role(MRImageStorage, scp_role=True)]
    return (_ae(*contexts, **kwargs), roles)


def _levels_right(tmp: Path) -> list:
    return [
        dict(_LEVELS),
        dict(reversed(list(_LEVELS.items()))),
        {k: np.str_(v) for k, v in _LEVELS.items()},
    ]


def _levels_wrong(tmp: Path) -> list[tuple]:
    t = _LEVELS
    return [
        (None, "expected a dict"),
        (..., "expected a dict"),
        ("SERIES", "expected a dict"),
        (["PATIENT", "STUDY", "STUDY", "SERIES", "SERIES", "IMAGE"], "expected a dict"),
        ({**t, "SeriesDescription": "series"}, "upper case"),
        ({**t, "InstanceNumber": "INSTANCE"}, "no level INSTANCE", "IMAGE"),
        ({**t, "StudyDescription": "SERIES"}, "StudyDescription", "Tables C.6-1 to C.6-4"),
        ({**t, "ModalitiesInStudy": "SERIES"}, "ModalitiesInStudy", "which entity"),
        ({**t, "PatientName": "STUDY"}, "PatientName", "Study Root"),
        ({**t, "NumberOfSeriesRelatedInstances": "IMAGE"}, "not returned at level IMAGE"),
        ({**t, "InstanceNumber": "SERIES"}, "InstanceNumber is not returned at level SERIES"),
        ({**t, "PatientName": None}, "not a level name"),
        ({**t, "PatientName": MultiValue(str, ["PATIENT"])}, "not a level name"),
        (_status_dataset(), "expected a dict", "Dataset"),
        ({**t, "SeriesDescription": "SERIES "}, "spaces"),
        ({k: v for k, v in t.items() if k != "InstanceNumber"}, "no level for InstanceNumber"),
        ({**t, "SliceLocation": "IMAGE"}, "not one of the six"),
        ({(0x0008103E if k == "SeriesDescription" else k): v for k, v in t.items()}, "keyword"),
        (
            {("Series Description" if k == "SeriesDescription" else k): v for k, v in t.items()},
            "'SeriesDescription'",
        ),
        ({**t, "InstanceNumber": 4}, "not a level name"),
        ({**t, "SeriesDescription": "ACQUISITION"}, "not a Query/Retrieve Level"),
    ]


def _count_right(tmp: Path) -> list:
    c = _counts()
    return [
        c,
        {k: np.int64(v) for k, v in c.items()},
        {k: float(v) for k, v in c.items()},
        {f" {k} ": v for k, v in c.items()},
        {k: IS(str(v)) for k, v in c.items()},  # a count read from an IS attribute
    ]


def _count_wrong(tmp: Path) -> list[tuple]:
    c = _counts()
    ct, mr = _first("head_ct"), _first("head_mr")
    ct_uid, mr_uid = ct.SeriesInstanceUID, mr.SeriesInstanceUID
    return [
        (None, "expected a dict"),
        (..., "expected a dict"),
        (76, "one number"),
        ({}, "empty", "stored again"),  # what a PACS started again, before section 5, answers
        ({ct_uid: 40}, "1 series missing"),
        ({ct_uid: 36, mr_uid: 40}, "not the number of instances of this series", "keyed"),
        ({ct_uid: None, mr_uid: 36}, "whole number", "None"),
        ({ct_uid: MultiValue(int, [40]), mr_uid: 36}, "whole number"),
        (_status_dataset(), "expected a dict", "Dataset"),
        ({ct_uid: "40", mr_uid: "36"}, "text"),
        ({ct_uid: 41, mr_uid: 36}, "not what the PACS holds", "distinct SOPInstanceUIDs"),
        ({ct_uid: 1, mr_uid: 1}, "counts the series"),
        ({ct.SeriesDescription: 40, mr.SeriesDescription: 36}, "SeriesDescription"),
        ({int(ct.SeriesNumber): 40, int(mr.SeriesNumber): 36}, "SeriesNumber"),
        ({ct.StudyInstanceUID: 40, mr.StudyInstanceUID: 36}, "Study Instance UID"),
        ({ct_uid: True, mr_uid: 36}, "bool"),
        ({ct_uid: 1600, mr_uid: 1296}, "counts responses"),
        ({ct_uid: 76, mr_uid: 76}, "counts responses"),
        ({ct_uid: 40.5, mr_uid: 36}, "not a whole number"),
        ({**c, "1.2.3": 5}, "not a Series Instance UID"),
        ({ct_uid: 39, mr_uid: 36}, "not what the PACS holds"),
        ([40, 36], "expected a dict"),
    ]


def _get_right(tmp: Path) -> list:
    mr = _first("head_mr")
    return [
        _get(),
        _get(roles=(build_role(MRImageStorage, scp_role=True),)),
        _get(roles=[build_role(mr.SOPClassUID, scp_role=True, scu_role=True)]),
        _get(StudyRootQueryRetrieveInformationModelGet, MRImageStorage, CTImageStorage),
        [_get()[0], [build_role(MRImageStorage, scp_role=True)]],
    ]


def _get_wrong(tmp: Path) -> list[tuple]:
    mr_role = [build_role(MRImageStorage, scp_role=True)]
    get, find = (
        StudyRootQueryRetrieveInformationModelGet,
        StudyRootQueryRetrieveInformationModelFind,
    )
    return [
        (None, "the pair (ae, roles)"),
        (..., "the pair (ae, roles)"),
        (_get()[0], "the AE alone"),
        (_get(get), "no presentation context for MR Image Storage"),
        (_get(StudyRootQueryRetrieveInformationModelMove, MRImageStorage), "MOVE model"),
        (_get(find, MRImageStorage), "FIND model"),
        (_get(PatientRootQueryRetrieveInformationModelGet, MRImageStorage), "Study Root"),
        (_get(MRImageStorage), "no presentation context for Study Root C-GET"),
        (_get(roles=[]), "no role selection for MR Image Storage", "build_role"),
        ((_get()[0], None), "list of role selection items"),
        ((_get()[0], [None]), "list of role selection items"),
        ((None, [build_role(MRImageStorage, scp_role=True)]), "not a pynetdicom AE"),
        (_status_dataset(), "the pair (ae, roles)"),
        (_get(roles=[build_role(MRImageStorage, scu_role=True)]), "does not propose the SCP"),
        (_get(roles=[build_role(CTImageStorage, scp_role=True)]), "only for CT Image Storage"),
        (_get(get, CTImageStorage, roles=[build_role(CTImageStorage, scp_role=True)]), "MR"),
        (_get(title="STUDENT"), "LESSON05"),
        ((_get()[0], {"MR": "scp"}), "list of role selection items"),
        (("LESSON05", mr_role), "not a pynetdicom AE"),
        (
            (_ae(get, MRImageStorage, syntaxes=[ImplicitVRLittleEndian]), mr_role),
            "transfer syntax",
            "Explicit VR Little Endian",
        ),
        ((_get()[0], mr_role, []), "2 values"),
    ]


def _status_dataset() -> Dataset:
    """What send_c_echo returns: a pynetdicom status (a pydicom Dataset), not an answer."""
    status = Dataset()
    status.Status = 0x0000
    return status


def _status_right(tmp: Path) -> list:
    return [
        dict(_STATUS),
        {np.uint16(k): v for k, v in _STATUS.items()},
        dict(reversed(list(_STATUS.items()))),
        {IS(str(k)): v for k, v in _STATUS.items()},  # an int subclass, as pydicom reads IS
        {int(k): np.str_(v) for k, v in _STATUS.items()},
    ]


def _status_wrong(tmp: Path) -> list[tuple]:
    s = _STATUS
    return [
        (None, "expected a dict"),
        (..., "expected a dict"),
        ([s[c] for c in _CODES], "a list loses"),
        ({f"0x{c:04X}": v for c, v in s.items()}, "is text", "int"),
        ({c: v.lower() for c, v in s.items()}, "exactly"),
        ({c: v.upper() for c, v in s.items()}, "exactly"),
        ({**s, 0xFF01: "Warning"}, "0xFF01 is not a Warning code", "C.1.2"),
        ({**s, 0x0107: "Success"}, "0x0107 is not a Success code", "general statuses"),
        ({**s, 0x0107: "Failure"}, "0x0107 is not a Failure code", "look each one up"),
        ({**s, 0x0122: "Warning"}, "0x0122 is not a Warning code", "general statuses"),
        ({**s, 0xB000: "Failure"}, "0xB000 is not a Failure code"),
        ({**s, 0xA702: "Warning"}, "0xA702 is not a Warning code"),
        ({**s, 0x0000: None}, "not a category name"),
        ({**s, 0x0000: MultiValue(str, ["Success"])}, "not a category name"),
        ({float(k): v for k, v in s.items()}, "not a status code"),
        (_status_dataset(), "expected a dict", "Dataset"),
        ([_status_dataset()], "a list loses"),
        ({**s, 0xC000: "Error"}, "not one of the five"),
        ({**s, 0xFE00: "Failure"}, "0xFE00 is not a Failure code"),
        ({**s, 0x0000: "OK"}, "not one of the five"),
        ({**s, 0x0000: True}, "not a category name"),
        ({k: v for k, v in s.items() if k != 0xA801}, "no category for 0xA801"),
        ({**s, 0xA900: "Failure"}, "0xA900 is not in codes"),
        ({**s, 0x0000: " Success"}, "exactly"),
    ]


_CASES = {
    "05-levels": (_levels_right, _levels_wrong),
    "05-count": (_count_right, _count_wrong),
    "05-get-contexts": (_get_right, _get_wrong),
    "05-status": (_status_right, _status_wrong),
}


def right_answers(name: str, tmp: Path) -> list | None:
    """The right answers to ``name``, or None if it is not an exercise of lesson 05."""
    return _CASES[name][0](tmp) if name in _CASES else None


def wrong_answers(name: str, tmp: Path) -> list[tuple]:
    """(answer, words its feedback must contain) for ``name``, or None if not of lesson 05."""
    return _CASES[name][1](tmp) if name in _CASES else None
