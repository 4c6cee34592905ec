"""bootcamp_utils.deid.profile.deidentify on the identified sample study and small data sets."""

from __future__ import annotations

import copy
import hashlib
import hmac
import io
import re
import subprocess
import warnings

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from bootcamp_utils.deid import deidentify
from bootcamp_utils.deid.profile import (
    DATE_SHIFT_RANGE,
    LOCAL_SCHEME,
    METHOD,
    METHOD_NOTE,
    date_offset,
    new_uid,
)
from bootcamp_utils.deid.table import EDITION, action_for
from tests.conftest import require_tool

# Text of the sample that identifies no one and may stay (none: "SEGH", the hospital's
# Issuer of Patient ID, also stood in the kept Procedure Code Sequence; see below).
KEPT_ELSEWHERE: set[str] = set()


@pytest.fixture(scope="module")
def folder(samples_root):
    """The identified study, written for this session (never the checkout's data/)."""
    return samples_root / "identified_study"


@pytest.fixture(scope="module")
def study(folder):
    """The identified study read into memory: file name -> Dataset."""
    return {path.name: pydicom.dcmread(path) for path in sorted(folder.glob("*.dcm"))}


def _quiet(ds, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the localizer's burned-in text
        return deidentify(ds, **kwargs)


@pytest.fixture(scope="module")
def cleaned(study, tmp_path_factory):
    """Each file de-identified one by one (no key), written and read back."""
    out = tmp_path_factory.mktemp("deid")
    result = {}
    for name, ds in study.items():
        _quiet(ds).save_as(out / name)  # the file meta as deidentify left it
        result[name] = out / name
    return result


def _walk(ds, inside_removed=False):
    """(element, identifying?) for every element at any depth, file meta included.

    An element is identifying when the profile acts on it (any action but keep), or when it
    sits inside a sequence the profile acts on (a Code Meaning 'Thi Nguyen' in the
    Operator Identification Sequence)."""
    elems = list(ds)
    if getattr(ds, "file_meta", None) is not None:
        elems = list(ds.file_meta) + elems
    for elem in elems:
        action = action_for(elem.tag)
        acted = inside_removed or action not in (None, "K")
        yield elem, acted
        if elem.VR == "SQ":
            # X/Z/U*: a sequence of references, only its UIDs are replaced
            for item in elem.value:
                yield from _walk(item, acted and action != "X/Z/U*")


def _needles(ds, uids: bool):
    """Every identifying value of ``ds`` as text: whole values, values of multi-valued
    elements, and the name parts of person names, 3 characters or longer; the UIDs
    (``uids=True``) or the other values."""
    found = set()
    for elem, acted in _walk(ds):
        if (elem.VR == "UI") != uids:
            continue
        if not acted or elem.VR == "SQ" or elem.value in (None, "", b""):
            continue
        values = elem.value if elem.VM > 1 else [elem.value]
        for value in values:
            if isinstance(value, bytes):
                continue
            text = str(value)
            parts = [text]
            if elem.VR == "PN":
                parts += [p for p in re.split(r"[\^=]", text) if p]
            found.update(p.strip() for p in parts if len(p.strip()) >= 3)
    return found - {"Dr."}


def _without_uids_and_pixels(ds):
    """A copy without Pixel Data and without any UI element, at any depth."""
    ds = copy.deepcopy(ds)
    del ds.PixelData

    def strip(item):
        for elem in list(item):
            if elem.VR == "UI":
                del item[elem.tag]
            elif elem.VR == "SQ":
                for sub in elem.value:
                    strip(sub)

    strip(ds)
    strip(ds.file_meta)
    return ds


def test_no_identifying_value_left_in_the_bytes(study, cleaned, tmp_path):
    """Old UIDs are searched in the whole file; other values in the file saved without
    its pixels and UIDs (pixels are unchanged, and a short number such as the Study ID
    '4411' may occur by chance among the digits of a new UID)."""
    uids, texts = set(), set()
    for ds in study.values():
        uids |= _needles(ds, uids=True)
        texts |= _needles(ds, uids=False)
    # the sample carries what it should: names, IDs, dates, the private block, UIDs
    for expected in ("Rivera", "MRN-4821-7734", "20230917", "Thi Nguyen", "SEGH PACS 1.0"):
        assert expected in texts
    assert study["CT0001.dcm"].SeriesInstanceUID in uids
    assert study["SCOUT0001.dcm"].SOPInstanceUID in uids
    left = set()
    for name, path in cleaned.items():
        blob = path.read_bytes()
        left |= {(name, uid) for uid in uids if uid.encode() in blob}
        stripped = tmp_path / name
        _without_uids_and_pixels(pydicom.dcmread(path)).save_as(stripped)
        blob = stripped.read_bytes()
        left |= {(name, text) for text in texts if text.encode("latin-1") in blob}
    assert {needle for _, needle in left} <= KEPT_ELSEWHERE, sorted(left)


def test_a_removed_value_repeated_in_a_kept_code_is_replaced_too(study, cleaned):
    """ "SEGH", the Issuer of Patient ID (X), is also the Coding Scheme Designator of the
    Procedure Code Sequence, which the table does not list (kept): it goes there as well,
    for a local scheme's designator (PS3.16: "99" first)."""
    original = study["CT0001.dcm"]
    places = {e.keyword for e, _ in _walk(original) if str(e.value) == "SEGH"}
    assert places == {"IssuerOfPatientID", "CodingSchemeDesignator"}
    ds = pydicom.dcmread(cleaned["CT0001.dcm"])
    assert [e.keyword for e, _ in _walk(ds) if str(e.value) == "SEGH"] == []
    assert ds.ProcedureCodeSequence[0].CodingSchemeDesignator == LOCAL_SCHEME


def test_a_type_2_sequence_under_x_z_is_emptied_not_removed():
    ds = Dataset()
    ds.Modality = "CT"
    ds.AcquisitionContextSequence = Sequence([Dataset()])  # X/Z, Type 2 (PS3.3 C.7.6.14)
    ds.ReferencedStudySequence = Sequence([Dataset()])  # X/Z, Type 3
    out = deidentify(ds, key="k")
    assert len(out.AcquisitionContextSequence) == 0 and "ReferencedStudySequence" not in out


def test_series_and_references_stay_together(study, cleaned):
    new = {name: pydicom.dcmread(path) for name, path in cleaned.items()}
    slices = [ds for name, ds in new.items() if name.startswith("CT")]
    scout = new["SCOUT0001.dcm"]
    assert len({ds.SeriesInstanceUID for ds in slices}) == 1
    assert len({ds.StudyInstanceUID for ds in new.values()}) == 1
    assert slices[0].SeriesInstanceUID != study["CT0001.dcm"].SeriesInstanceUID
    assert scout.SeriesInstanceUID != slices[0].SeriesInstanceUID
    for ds in slices:
        assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == scout.SOPInstanceUID
    for name, ds in new.items():
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.SOPInstanceUID != study[name].SOPInstanceUID
        assert ds.SOPClassUID == study[name].SOPClassUID
        assert ds.file_meta.TransferSyntaxUID == study[name].file_meta.TransferSyntaxUID
        assert ds.PixelData == study[name].PixelData
        assert len(ds.SOPInstanceUID) <= 64


def test_the_input_is_not_modified(study):
    ds = study["CT0001.dcm"]
    before = copy.deepcopy(ds)
    out = deidentify(ds)
    assert ds == before and ds.file_meta == before.file_meta
    assert out.PatientName == "" and ds.PatientName == before.PatientName
    assert ds.OtherPatientIDsSequence[0].PatientID == before.OtherPatientIDsSequence[0].PatientID
    assert (0x0029, 0x1010) in ds


@pytest.mark.external
def test_dciodvfy_finds_no_new_error(folder, cleaned):
    tool = require_tool("dciodvfy", "dicom3tools")

    def errors(path):
        run = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
        lines = (run.stdout + run.stderr).splitlines()
        return {line for line in lines if line.startswith("Error")}

    for name, path in cleaned.items():
        assert errors(folder / name) == set(), name  # the input is clean
        assert errors(path) == set(), name
        # nor does it doubt our dummies (a bare "ANONYMOUS" is the retired PN form)
        run = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
        assert "ANONYMOUS" not in run.stdout + run.stderr, name


def test_file_meta_follows_the_data_set(study):
    ds = study["CT0001.dcm"]
    out = deidentify(ds, key="k")
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert out.SOPInstanceUID == new_uid(ds.SOPInstanceUID, "k")
    assert out.file_meta.MediaStorageSOPClassUID == ds.file_meta.MediaStorageSOPClassUID


def test_a_key_makes_it_reproducible(study):
    ds = study["CT0001.dcm"]
    one, two = deidentify(ds, key="secret"), deidentify(ds, key=b"secret")
    other = deidentify(ds, key="another")
    assert one.SOPInstanceUID == two.SOPInstanceUID == new_uid(ds.SOPInstanceUID, "secret")
    assert one.StudyInstanceUID == two.StudyInstanceUID
    assert other.SOPInstanceUID != one.SOPInstanceUID
    # without a key: one random key for the whole process, not the keyed one
    assert deidentify(ds).SOPInstanceUID == deidentify(ds).SOPInstanceUID
    assert deidentify(ds).SOPInstanceUID != one.SOPInstanceUID


def test_method_attributes(study):
    out = deidentify(study["CT0001.dcm"])
    assert out.PatientIdentityRemoved == "YES"
    assert list(out.DeidentificationMethod) == [METHOD, METHOD_NOTE]  # LO, VM 1-n
    assert EDITION in METHOD and len(METHOD) <= 64 and len(METHOD_NOTE) <= 64
    (item,) = out.DeidentificationMethodCodeSequence
    assert (item.CodeValue, item.CodingSchemeDesignator) == ("113100", "DCM")
    assert item.CodeMeaning == "Basic Application Confidentiality Profile"
    assert "LongitudinalTemporalInformationModified" not in out


def test_burned_in_text_means_identity_not_removed(study):
    with pytest.warns(UserWarning, match="Black out the text"):
        out = deidentify(study["SCOUT0001.dcm"])
    assert out.PatientIdentityRemoved == "NO"


def _small() -> Dataset:
    ds = Dataset()
    ds.PatientID = "MRN-1"  # Z/D
    ds.AcquisitionDate = "20230917"  # X/Z
    ds.SeriesDate = "20230917"  # X/D
    ds.StationName = "CT2"  # X/Z/D
    ds.StudyTime = "101500"  # Z
    ds.ImageComments = "x"  # X
    ds.ContentCreatorName = "Doe^Jane"  # Z/D
    ds.Modality = "CT"  # not listed: kept
    op = Dataset()
    op.InstitutionName = "Saint Example"
    ds.OperatorIdentificationSequence = Sequence([op])  # X/D, a sequence
    ds.ReferencedStudySequence = Sequence([Dataset()])  # X/Z, a sequence
    ds.InstitutionCodeSequence = Sequence([Dataset()])  # X/Z/D, a sequence
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ref.ReferencedSOPInstanceUID = "1.2.3"
    ds.SourceImageSequence = Sequence([ref])  # X/Z/U*
    person = Dataset()
    person.CodeValue, person.CodingSchemeDesignator, person.CodeMeaning = "T1", "L", "Jane"
    ds.PersonIdentificationCodeSequence = Sequence([person])  # D, a sequence
    return ds


def test_combined_actions():
    out = deidentify(_small(), key="k")
    assert out.PatientID == "" and out.ContentCreatorName == ""  # Z/D -> Z
    assert out.AcquisitionDate == ""  # X/Z -> Z
    assert out.SeriesDate == "19000101"  # X/D -> D
    assert out.StationName == "ANONYMOUS"  # X/Z/D -> D
    assert out.StudyTime == "" and "ImageComments" not in out and out.Modality == "CT"
    assert "OperatorIdentificationSequence" not in out  # X/D sequence -> X
    # X/Z and X/Z/D sequences: removed (Type 3; empty, they would break the IOD) ...
    assert "ReferencedStudySequence" not in out and "InstitutionCodeSequence" not in out
    (ref,) = out.SourceImageSequence  # X/Z/U*: kept, UIDs replaced
    assert ref.ReferencedSOPInstanceUID == new_uid("1.2.3", "k")
    assert ref.ReferencedSOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
    (person,) = out.PersonIdentificationCodeSequence  # D sequence: text inside replaced
    assert person.CodeValue == person.CodeMeaning == "ANONYMOUS"


def test_private_blocks(study):
    ds = study["CT0001.dcm"]
    assert not any(elem.tag.is_private for elem in deidentify(ds))
    kept = deidentify(ds, keep_private=["SEGH PACS 1.0"])
    assert kept[0x00291010].value == ds[0x00291010].value
    assert kept[0x00290010].value == "SEGH PACS 1.0"
    with pytest.raises(TypeError, match=r"keep_private=\['SEGH PACS 1.0'\]"):
        deidentify(ds, keep_private="SEGH PACS 1.0")


def test_shift_dates(study):
    ds = study["CT0001.dcm"]
    out = deidentify(ds, shift_dates=-10)
    assert out.StudyDate == "20230907" and out.SeriesDate == "20230907"
    assert out.StudyTime == ds.StudyTime  # times kept
    assert out.PatientBirthDate == ""  # still removed
    assert out.LongitudinalTemporalInformationModified == "MODIFIED"
    assert [i.CodeValue for i in out.DeidentificationMethodCodeSequence] == ["113100", "113107"]
    with pytest.raises(TypeError, match="number of days"):
        deidentify(ds, shift_dates="10")


def test_shift_dates_per_patient(study):
    one, two = study["CT0001.dcm"], study["SCOUT0001.dcm"]  # one patient, two series
    assert one.PatientID == two.PatientID == "MRN-4821-7734"
    days = date_offset(one.PatientID, key="course")
    assert days == -94  # fixed by the key: reproducible in another run
    # the documented derivation: HMAC-SHA-256 of "date-offset:" + Patient ID
    digest = hmac.new(b"course", b"date-offset:MRN-4821-7734", hashlib.sha256).digest()
    assert days == -1 - int.from_bytes(digest[:8], "big") % DATE_SHIFT_RANGE
    assert -DATE_SHIFT_RANGE <= days <= -1
    for ds in (one, two):
        out = _quiet(ds, key="course", shift_dates="per-patient")
        assert out.StudyDate == "20230615"  # 20230917 - 2297 days
        assert out.StudyTime == ds.StudyTime
        assert out.LongitudinalTemporalInformationModified == "MODIFIED"
    # without a key: one random key per process, still one offset per patient
    assert (
        _quiet(one, shift_dates="per-patient").StudyDate
        == _quiet(two, shift_dates="per-patient").StudyDate
    )
    # another patient, another offset; another key, another offset
    other = copy.deepcopy(one)
    other.PatientID = "MRN-5555-0001"
    assert date_offset("MRN-5555-0001", key="course") == -1753
    assert deidentify(other, key="course", shift_dates="per-patient").StudyDate == "20181129"
    assert date_offset(one.PatientID, key="other") != days
    # a date-time moves by the same days, its time of day kept
    one = copy.deepcopy(one)
    one.AcquisitionDateTime = "20230917143015.25+0200"
    out = deidentify(one, key="course", shift_dates="per-patient")
    assert out.AcquisitionDateTime == "20230615143015.25+0200"
    assert out.StudyDate == "20230615"
    del one.PatientID
    with pytest.raises(ValueError, match="needs a Patient ID"):
        deidentify(one, shift_dates="per-patient")
    with pytest.raises(TypeError, match="or 'per-patient'"):
        deidentify(one, shift_dates="per-study")


def test_not_a_dataset():
    with pytest.raises(TypeError, match="pydicom.dcmread"):
        deidentify("CT0001.dcm")


def _bytes(ds):
    buffer = io.BytesIO()
    ds.save_as(buffer)
    return buffer.getvalue()


def _with_un(path):
    """The file read back after writing Patient's Name and Study Description as UN."""
    ds = pydicom.dcmread(path)
    for tag in (0x00100010, 0x00081030):
        ds._dict[tag] = ds.get_item(tag)._replace(VR="UN")  # still raw: only the VR changes
    return pydicom.dcmread(io.BytesIO(_bytes(ds)))


def test_the_input_is_not_even_decoded(folder):
    # deidentify copies the raw (undecoded) elements of a freshly read file and decodes
    # only its copy's: reading the input would decode its UN elements into their real VR,
    # and saving the input afterwards would then write other bytes
    path = folder / "CT0001.dcm"
    ds = _with_un(path)
    assert ds.get_item(0x00100010).VR == "UN"
    elements = dict(ds._dict)
    out = _quiet(ds, key="k")
    replaced = [tag for tag, elem in elements.items() if ds._dict[tag] is not elem]
    assert out.PatientName == "" and out["PatientName"].VR == "PN"
    assert _bytes(ds) == _bytes(_with_un(path))
    assert replaced == []


@pytest.mark.parametrize("name", ["SCOUT0001.dcm", "CT0001.dcm"])
def test_decoded_or_not_the_output_is_the_same(folder, name):
    # deidentify decides what to do with an element from its tag and the VR in the file,
    # without decoding it: the result must not depend on whether the input was decoded
    # already, nor on the transfer syntax (implicit VR files give no VR)
    path = folder / name
    fresh, decoded = pydicom.dcmread(path), pydicom.dcmread(path)
    list(decoded.iterall())  # decodes every element, at any depth
    implicit = pydicom.dcmread(path)
    implicit.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    buffer = io.BytesIO()
    implicit.save_as(buffer, implicit_vr=True, little_endian=True)
    implicit = pydicom.dcmread(io.BytesIO(buffer.getvalue()))
    assert implicit.get_item(0x00100010).VR is None
    for options in ({}, {"shift_dates": -100}, {"keep_private": ["SEGH PACS 1.0"]}):
        outputs = [_quiet(ds, key="k", **options) for ds in (fresh, decoded, implicit)]
        assert _bytes(outputs[0]) == _bytes(outputs[1]), options
        if options.get("keep_private"):
            continue  # a kept private block read as implicit VR is UN: other bytes
        outputs[0].file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
        assert _bytes(outputs[0]) == _bytes(outputs[2]), options


def test_a_head_image_is_marked_as_showing_the_face(study):
    """Issue 23.15: no defacing is done, so a head CT says its face is there; 113102 never."""
    out = deidentify(study["CT0001.dcm"])
    assert study["CT0001.dcm"].BodyPartExamined == "HEAD"
    assert "RecognizableVisualFeatures" not in study["CT0001.dcm"]
    assert out.RecognizableVisualFeatures == "YES"
    assert out.PatientIdentityRemoved == "YES"
    assert "113102" not in [i.CodeValue for i in out.DeidentificationMethodCodeSequence]


def test_recognizable_visual_features_is_kept_or_left_unstated(study):
    ds = copy.deepcopy(study["CT0001.dcm"])
    ds.RecognizableVisualFeatures = "NO"  # what the source said is kept
    assert deidentify(ds).RecognizableVisualFeatures == "NO"
    ds = copy.deepcopy(study["CT0001.dcm"])
    ds.BodyPartExamined = "CHEST"  # no face: nothing claimed either way
    assert "RecognizableVisualFeatures" not in deidentify(ds)
    ds = copy.deepcopy(study["CT0001.dcm"])
    del ds.PixelData  # no pixels, no face
    assert "RecognizableVisualFeatures" not in deidentify(ds)
