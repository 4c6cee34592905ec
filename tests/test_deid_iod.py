"""deidentify keeps the file's IOD valid (issue 24, items 4, 5 and 6): one test per cause.

Each cause is shown on a real file, where de-identifying used to add dciodvfy errors the
original did not have: a Type 1 Content Date emptied (an enhanced image, an SR, an ECG), a
Type 2 sequence removed (SR), an overlay left without its data, Type 2C attributes of an
animal removed. Then the DICOMDIR refusal and the file meta AE titles. The sweep over every
file is ``benchmarks/bench_deid_dciodvfy.py`` (and ``tests/test_real_files_sweep.py``).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from bootcamp_utils.deid import DeidError, deidentify, phi_findings
from bootcamp_utils.deid.iod import META_REMOVED, REQUIREMENTS, required_types
from bootcamp_utils.validation.presence import IODS, MODULES
from tests.conftest import dciodvfy_errors, require_tool


def _testdata(name: str) -> Path:
    """A file of pydicom's test data (or of pydicom-data), or skip."""
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"{name} not found: pip install pydicom-data")
    return Path(path)


def _deid_data(name: str) -> Path:
    deid_data = pytest.importorskip("deid_data", reason="pip install deid-data")
    return Path(deid_data.__path__[0], "data", name)


def _clean(path: Path, **kwargs) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # burned-in annotation and reading warnings
        return deidentify(pydicom.dcmread(path), key="iod", **kwargs)


def _new_errors(path: Path, clean: pydicom.Dataset, tmp_path: Path) -> list[str]:
    """dciodvfy's error lines on the de-identified copy that the original did not have."""
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    out = tmp_path / "clean.dcm"
    clean.save_as(out, enforce_file_format=True)
    before = dciodvfy_errors(dciodvfy, path)
    after = dciodvfy_errors(dciodvfy, out)
    assert len(after) <= len(before), f"new dciodvfy errors: {sorted(set(after) - set(before))}"
    return [line for line in after if line not in before]


# --- Item 5: Type 1 Content Date and Time get a dummy, not an empty value ------------------


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("liver_1frame.dcm", "MultiFrameFunctionalGroupsCommon"),  # Segmentation
        ("test-SR.dcm", "SRDocumentGeneral"),  # Comprehensive SR
        ("waveform_ecg.dcm", "WaveformIdentification"),  # 12-lead ECG
    ],
)
def test_type_1_content_date_gets_a_dummy(name, module, tmp_path):
    path = _testdata(name)
    original = pydicom.dcmread(path)
    assert original.ContentDate and original.ContentTime  # Z/D in E.1-1
    clean = _clean(path)
    assert clean.ContentDate == "19000101" and clean.ContentTime == "000000"
    assert clean.ContentDate != original.ContentDate
    new = _new_errors(path, clean, tmp_path)
    assert not [line for line in new if "ContentDate" in line or "ContentTime" in line]


def test_enhanced_ct_without_functional_groups_is_judged_by_its_sop_class(tmp_path):
    # pydicom-data's eCT_Supplemental.dcm is an Enhanced CT Image (SOP Class 2.1)
    path = _testdata("eCT_Supplemental.dcm")
    assert pydicom.dcmread(path).SOPClassUID == pydicom.uid.EnhancedCTImageStorage
    clean = _clean(path)
    assert clean.ContentDate == "19000101" and clean.ContentTime == "000000"
    _new_errors(path, clean, tmp_path)


def test_a_ct_image_keeps_the_default_empty_content_date():
    # Content Date is Type 2C in a CT Image's General Image module: Z (empty) is enough
    path = _testdata("CT_small.dcm")
    assert pydicom.dcmread(path).ContentDate
    assert _clean(path).ContentDate == ""


def test_shifted_dates_stay_shifted_where_type_1():
    path = _testdata("test-SR.dcm")
    original = pydicom.dcmread(path)
    clean = _clean(path, shift_dates=-10)
    assert clean.ContentDate not in ("", "19000101", original.ContentDate)


# --- Item 5: a Type 2 sequence is emptied, not removed ----------------------------------


def test_sr_referenced_performed_procedure_step_sequence_is_emptied(tmp_path):
    path = _testdata("test-SR.dcm")
    assert "ReferencedPerformedProcedureStepSequence" in pydicom.dcmread(path)  # X/Z/D
    clean = _clean(path)
    assert "ReferencedPerformedProcedureStepSequence" in clean
    assert len(clean.ReferencedPerformedProcedureStepSequence) == 0
    new = _new_errors(path, clean, tmp_path)
    assert not [line for line in new if "ReferencedPerformedProcedureStepSequence" in line]


def test_outside_an_sr_the_same_sequence_is_removed():
    # Type 3 in the General Series module: an empty sequence there would be an error
    path = _testdata("MR_small.dcm")
    ds = pydicom.dcmread(path)
    item = pydicom.Dataset()
    item.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.3"
    item.ReferencedSOPInstanceUID = "1.2.3.4"
    ds.ReferencedPerformedProcedureStepSequence = [item]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert "ReferencedPerformedProcedureStepSequence" not in deidentify(ds)


# --- Item 5: an overlay goes whole, with its Overlay Data -------------------------------


def test_an_overlay_is_removed_whole(tmp_path):
    path = _testdata("examples_overlay.dcm")
    original = pydicom.dcmread(path)
    assert 0x60003000 in original and 0x60000010 in original  # Overlay Data, Overlay Rows
    clean = _clean(path)
    assert [tag for tag in clean.keys() if tag >> 16 == 0x6000] == []  # noqa: SIM118
    assert clean.pixel_array.shape == original.pixel_array.shape
    new = _new_errors(path, clean, tmp_path)
    assert not [line for line in new if "Overlay" in line]


# --- Item 5: Type 2C attributes of an animal are emptied, not removed -------------------


def test_an_animal_keeps_its_responsible_person_and_organization_empty(tmp_path):
    path = _deid_data("animals/cat.dcm")
    original = pydicom.dcmread(path)
    assert original.PatientSpeciesDescription  # an animal: Responsible ... are Type 2C
    assert "ResponsiblePerson" in original and "ResponsibleOrganization" in original  # X
    clean = _clean(path)
    assert clean.ResponsiblePerson == "" and clean.ResponsibleOrganization == ""
    new = _new_errors(path, clean, tmp_path)
    assert not [line for line in new if "Responsible" in line]


def test_a_human_patient_loses_its_responsible_person():
    ds = pydicom.dcmread(_testdata("CT_small.dcm"))
    ds.ResponsiblePerson = "Doe^Jane"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert "ResponsiblePerson" not in deidentify(ds)  # X: Type 3 for a human


# --- What presence.py knows: the course's IODs keep every Type 1 and 2 attribute --------


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "SC_rgb.dcm"])
def test_type_1_and_2_attributes_of_the_course_iods_stay(name):
    """validation.presence lists the Type 1 and 2 attributes of CT, MR and SC images."""
    path = _testdata(name)
    original = pydicom.dcmread(path)
    clean = _clean(path)
    modules = IODS[str(original.SOPClassUID)][2]
    for module in modules:
        for keyword, kind in MODULES[module].types.items():
            if kind in ("1", "2") and keyword in original:
                assert keyword in clean, f"{keyword} (Type {kind}, {module}) was removed"
                if kind == "1" and original[keyword].value not in (None, ""):
                    assert clean[keyword].value not in (None, ""), f"{keyword} emptied"


def test_requirements_name_their_module_and_section():
    for requirement in REQUIREMENTS:
        assert requirement.section.startswith("C.") and requirement.when
        assert set(requirement.types.values()) <= {"1", "2"}
    sr = pydicom.dcmread(_testdata("test-SR.dcm"))
    assert required_types(sr)["ReferencedPerformedProcedureStepSequence"] == "2"


# --- Item 4: a DICOMDIR is refused ------------------------------------------------------


@pytest.mark.parametrize("name", ["DICOMDIR", "DICOMDIR-implicit", "DICOMDIR-bigEnd"])
def test_a_dicomdir_is_refused(name):
    path = _testdata(name)
    ds = pydicom.dcmread(path)
    # why: its Referenced File IDs are paths made of the Patient ID
    patient_ids = {
        r.PatientID for r in ds.DirectoryRecordSequence if r.DirectoryRecordType == "PATIENT"
    }
    paths = [r.ReferencedFileID for r in ds.DirectoryRecordSequence if "ReferencedFileID" in r]
    assert any(part in patient_ids for file_id in paths for part in file_id)
    with pytest.raises(DeidError, match=r"is a DICOMDIR") as caught:
        deidentify(ds)
    message = str(caught.value)
    assert str(path) in message and "FileSet" in message and "Referenced File IDs" in message
    assert isinstance(caught.value, ValueError)


def test_a_dicomdir_without_its_file_meta_is_refused_too():
    ds = pydicom.dcmread(_testdata("DICOMDIR"))
    del ds.file_meta
    with pytest.raises(DeidError, match="DICOMDIR"):
        deidentify(ds)


# --- Item 6: the file meta's AE titles and addresses go, the software's name stays ------


def _with_station_in_meta() -> pydicom.Dataset:
    ds = pydicom.dcmread(_testdata("CT_small.dcm"))  # Station Name CT01_OC0
    ds.file_meta.SourceApplicationEntityTitle = ds.StationName
    ds.file_meta.SendingApplicationEntityTitle = "CTSEND01"
    ds.file_meta.ReceivingApplicationEntityTitle = "PACSRECV"
    ds.file_meta.SourcePresentationAddress = "dicom://ct01.example-hospital.org:104"
    return ds


def test_file_meta_ae_titles_and_addresses_are_removed():
    ds = _with_station_in_meta()
    station = str(ds.StationName)
    implementation = (
        ds.file_meta.ImplementationClassUID,
        ds.file_meta.get("ImplementationVersionName"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = deidentify(ds)
    assert [k for k in META_REMOVED if k in clean.file_meta] == []
    assert (
        clean.file_meta.ImplementationClassUID,
        clean.file_meta.get("ImplementationVersionName"),
    ) == implementation
    buffer = io.BytesIO()
    clean.save_as(buffer, enforce_file_format=True)
    written = buffer.getvalue()
    for value in (station, "CTSEND01", "PACSRECV", "example-hospital"):
        assert value.encode() not in written, f"{value} survives in the written file"
    assert "file meta" in clean.DeidentificationMethod[1]


def test_phi_findings_reports_the_file_meta_ae_titles():
    ds = _with_station_in_meta()
    paths = {f.path for f in phi_findings(ds)}
    assert {
        "file_meta.SourceApplicationEntityTitle",
        "file_meta.SendingApplicationEntityTitle",
        "file_meta.ReceivingApplicationEntityTitle",
        "file_meta.SourcePresentationAddress",
    } <= paths
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = deidentify(ds)
    assert not [f for f in phi_findings(clean) if f.path.startswith("file_meta.")]
