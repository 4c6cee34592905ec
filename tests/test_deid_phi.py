"""bootcamp_utils.deid.phi.phi_findings on the identified sample study and by-hand cases."""

from __future__ import annotations

import copy
import warnings

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from bootcamp_utils.deid import Finding, deidentify, phi_findings
from bootcamp_utils.deid.phi import looks_replaced
from bootcamp_utils.deid.profile import new_uid


@pytest.fixture(scope="module")
def study(samples_root):
    """The identified study, written for this session (never the checkout's data/)."""
    folder = samples_root / "identified_study"
    return {path.name: pydicom.dcmread(path) for path in sorted(folder.glob("*.dcm"))}


def _deid(ds, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the localizer's burned-in text
        return deidentify(ds, **kwargs)


def _paths(findings):
    return {f.path for f in findings}


def test_the_original_files_show_their_identity(study):
    findings = phi_findings(study["CT0001.dcm"])
    assert all(isinstance(f, Finding) for f in findings)
    by_path = {f.path: f for f in findings}
    assert by_path["PatientName"].value == "Rivera^Elena^Maria^^"
    assert by_path["PatientName"].why.startswith("Z: empty it")
    assert by_path["PatientName"].keyword == "PatientName"
    assert by_path["PatientName"].tag == 0x00100010
    assert by_path["PatientBirthDate"].why.startswith("Z:")
    assert by_path["InstitutionName"].why.startswith("X/Z/D:")
    assert by_path["InstitutionAddress"].why.startswith("X: remove it")
    # the private block, creator and values
    for path in ("(0029,0010)", "(0029,1010)", "(0029,1011)", "(0029,1012)"):
        assert "private data may identify" in by_path[path].why
    # the Other Patient IDs Sequence and its item
    assert by_path["OtherPatientIDsSequence"].value == "1 item(s)"
    assert by_path["OtherPatientIDsSequence[0].PatientID"].value == "NHS 943 476 5919"
    # a name nested two sequences deep, in an element the table does not list
    nested = "OperatorIdentificationSequence[0].PersonIdentificationCodeSequence[0].CodeMeaning"
    assert by_path[nested].value == "Thi Nguyen"
    assert by_path[nested].why.startswith("D:")
    # the sample's UIDs are 2.25. UUIDs of version 5: not the form new_uid writes
    assert by_path["SOPInstanceUID"].why.startswith("U: replace the UID consistently")
    assert by_path["file_meta.MediaStorageSOPInstanceUID"].why.startswith("U:")
    assert by_path["ReferencedImageSequence[0].ReferencedSOPInstanceUID"].why.startswith("U:")
    assert by_path["PatientIdentityRemoved"].value == "NO"
    # kept attributes are not findings
    assert not _paths(findings) & {"Modality", "Rows", "SOPClassUID", "Manufacturer"}
    # a long value is shortened
    assert by_path["PatientComments"].value.endswith("...")
    assert len(by_path["PatientComments"].value) <= 48


def test_the_localizer_says_its_pixels_show_text(study):
    by_path = {f.path: f for f in phi_findings(study["SCOUT0001.dcm"])}
    assert by_path["BurnedInAnnotation"].value == "YES"
    assert "BurnedInAnnotation" not in _paths(phi_findings(study["CT0001.dcm"]))


def test_a_naive_deidentifier_leaves_much(study):
    for ds in study.values():
        naive = copy.deepcopy(ds)
        naive.PatientName = ""
        naive.PatientID = ""
        paths = _paths(phi_findings(naive))
        assert not paths & {"PatientName", "PatientID"}
        assert {
            "PatientBirthDate",
            "InstitutionName",
            "OtherPatientNames",
            "StudyInstanceUID",
            "(0029,1010)",
            "PatientIdentityRemoved",
        } <= paths
        assert len(paths) > 50


def test_deidentify_output_leaves_only_the_burned_in_text(study):
    """Documented: the localizer's pixels carry text; deidentify says so (identity not
    removed) and so does the checker. Nothing else, in any file, written and read back."""
    for name, ds in study.items():
        findings = phi_findings(_deid(ds))
        if name.startswith("SCOUT"):
            assert [(f.path, f.value) for f in findings] == [
                ("PatientIdentityRemoved", "NO"),
                ("BurnedInAnnotation", "YES"),
            ]
        else:
            assert findings == [], [str(f) for f in findings]


def test_deidentify_output_read_back(study, tmp_path):
    path = tmp_path / "ct.dcm"
    _deid(study["CT0002.dcm"], key="course").save_as(path)
    assert phi_findings(pydicom.dcmread(path)) == []


def test_what_deidentify_options_leave_is_reported(study):
    ds = study["CT0001.dcm"]
    kept = phi_findings(_deid(ds, keep_private=["SEGH PACS 1.0"]))
    assert {"(0029,0010)", "(0029,1010)"} <= _paths(kept)
    shifted = _paths(phi_findings(_deid(ds, shift_dates=-100)))
    assert "StudyDate" in shifted  # a shifted date cannot be told from a real one


def test_free_text_holding_a_name_or_id_found_elsewhere():
    ds = Dataset()
    ds.PatientName = "Rivera^Elena^Maria"
    ds.PatientID = "MRN-4821"
    ds.IssuerOfPatientID = "SEGH"
    ds.PatientIdentityRemoved = "YES"
    ds.ManufacturerModelName = "Phantom built for ELENA"  # case ignored
    ds.SoftwareVersions = "export MRN-4821 v2"  # an ID, whole
    ds.RescaleType = "Riverside"  # not the word Rivera
    ds.ContentDescription = "SEGH scanner"  # an issuer is an organisation, not a person
    item = Dataset()
    item.CodeValue = "X1"
    item.CodingSchemeDesignator = "LOCAL"
    item.CodeMeaning = "Head, for Maria"  # inside a sequence the profile keeps
    ds.ProcedureCodeSequence = Sequence([item])
    by_path = {f.path: f for f in phi_findings(ds)}
    assert set(by_path) == {
        "PatientName",
        "PatientID",
        "IssuerOfPatientID",
        "ManufacturerModelName",
        "SoftwareVersions",
        "ProcedureCodeSequence[0].CodeMeaning",
    }
    assert "'Elena', as PatientName" in by_path["ManufacturerModelName"].why
    assert "'MRN-4821', as PatientID" in by_path["SoftwareVersions"].why
    assert "'Maria'" in by_path["ProcedureCodeSequence[0].CodeMeaning"].why


def test_dummies_and_empty_values_are_not_findings():
    ds = Dataset()
    ds.PatientName = ""
    ds.PatientID = ""
    ds.InstitutionName = "ANONYMOUS"
    ds.PatientBirthDate = "19000101"
    ds.OperatorsName = "ANONYMOUS^"
    ds.PatientIdentityRemoved = "YES"
    ds.OtherPatientIDsSequence = Sequence()
    assert phi_findings(ds) == []
    ds.InstitutionName = "REMOVED"  # another tool's dummy: not what deidentify writes
    assert _paths(phi_findings(ds)) == {"InstitutionName"}


def test_identity_removed_missing():
    (finding,) = phi_findings(Dataset())
    assert (finding.path, finding.value) == ("PatientIdentityRemoved", "(missing)")


def test_uid_heuristic():
    assert looks_replaced(new_uid("1.2.3.4"))
    assert not looks_replaced("1.2.840.113619.2.55.3.604688119.1")
    assert not looks_replaced(generate_uid(prefix=None))  # 2.25., version 4
    assert not looks_replaced("2.25." + str(1 << 130))
    assert not looks_replaced("2.25.0123")
    ds = Dataset()
    ds.PatientIdentityRemoved = "YES"
    ds.SOPInstanceUID = new_uid("1.2.3.4")
    ds.StudyInstanceUID = generate_uid(prefix=None)
    (finding,) = phi_findings(ds)
    assert finding.path == "StudyInstanceUID"
    assert "may be the original" in finding.why


def test_not_a_dataset():
    with pytest.raises(TypeError, match="dcmread"):
        phi_findings("CT0001.dcm")
