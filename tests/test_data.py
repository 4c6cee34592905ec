"""bootcamp_utils.data: bundled examples, generated samples, cache, downloads, CLI."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom import dcmread

from bootcamp_utils import data
from bootcamp_utils.data import _phantom
from bootcamp_utils.data._samples import GENERATOR_VERSION

from .conftest import dciodvfy_errors, require_tool

# --- bundled examples -------------------------------------------------------------------


_SYNTAX_PHRASES = {
    "RLE Lossless": pydicom.uid.RLELossless,
    "JPEG-LS Lossless": pydicom.uid.JPEGLSLossless,
    "JPEG 2000 Lossless": pydicom.uid.JPEG2000Lossless,
    "JPEG Baseline": pydicom.uid.JPEGBaseline8Bit,
    "explicit VR big endian": pydicom.uid.ExplicitVRBigEndian,
    "explicit VR little endian": pydicom.uid.ExplicitVRLittleEndian,
    "implicit VR little endian": pydicom.uid.ImplicitVRLittleEndian,
    "Deflated Explicit VR Little Endian": pydicom.uid.DeflatedExplicitVRLittleEndian,
}


@pytest.mark.parametrize("name", sorted(data.EXAMPLES))
def test_every_example_reads_and_matches_its_description(name):
    ds = data.read_example(name)
    assert data.example_path(name).is_file()
    description = data.EXAMPLES[name].description
    size = re.search(r"(\d+) x (\d+)", description)
    if size:  # "R x C" in a description must be the real Rows x Columns
        assert (ds.Rows, ds.Columns) == (int(size[1]), int(size[2])), description
    frames = re.search(r"(\d+) frames?", description)
    if frames:
        assert int(ds.get("NumberOfFrames", 1)) == int(frames[1]), description
    if "no pixel data" in description:
        assert "PixelData" not in ds
    for phrase, syntax in _SYNTAX_PHRASES.items():
        if phrase in description:
            assert ds.file_meta.TransferSyntaxUID == syntax, description


def test_unknown_example_names_a_close_match():
    with pytest.raises(data.DataError, match=r"Did you mean 'rt_dose'\?"):
        data.example_path("rt_dos")
    with pytest.raises(data.DataError, match="Known names"):
        data.sample_path("lung_ct")


def test_describe_lists_every_name(capsys):
    text = data.describe()
    assert text in capsys.readouterr().out
    for name in [*data.EXAMPLES, *data.SAMPLES, *data.DOWNLOADS]:
        assert f"  {name} " in text


def test_describe_fits_a_narrow_column():
    """No line is wider than DESCRIBE_WIDTH (80): the book's column at 1280 px shows about 81
    characters of output; longer lines were cut off there (issue 12). Wrapping loses no word
    of any description, and continuation lines are indented under the descriptions."""
    lines = data.describe().splitlines()
    widest = max(lines, key=len)
    assert len(widest) <= 80, widest
    assert data.DESCRIBE_WIDTH <= 80 and len(widest) <= data.DESCRIBE_WIDTH
    descriptions = [
        *data.SAMPLES.values(),
        *(ex.description for ex in data.EXAMPLES.values()),
        *(ex.description for ex in data.DOWNLOADS.values()),
    ]
    column = lines[1].index(lines[1].split()[1])  # where the first description starts
    words = " ".join(line[column:] for line in lines if line.startswith(" "))
    assert words.split() == " ".join(descriptions).split()
    assert any(len(d) + column > data.DESCRIBE_WIDTH for d in descriptions)  # some did wrap


# --- generated samples: content --------------------------------------------------------


def _series(folder: Path) -> list[pydicom.Dataset]:
    return [dcmread(p) for p in sorted(folder.glob("*.dcm"))]


def _hu_at(volume_ds: list[pydicom.Dataset], point_lps) -> float:
    """HU of the voxel nearest ``point_lps`` in an axial series (nearest slice, pixel)."""
    z = np.array([float(ds.ImagePositionPatient[2]) for ds in volume_ds])
    ds = volume_ds[int(np.argmin(np.abs(z - point_lps[2])))]
    x0, y0 = float(ds.ImagePositionPatient[0]), float(ds.ImagePositionPatient[1])
    row_spacing, col_spacing = map(float, ds.PixelSpacing)
    col = round((point_lps[0] - x0) / col_spacing)
    row = round((point_lps[1] - y0) / row_spacing)
    patch = ds.pixel_array[row - 1 : row + 2, col - 1 : col + 2].astype(float)
    return float(patch.mean() * float(ds.RescaleSlope) + float(ds.RescaleIntercept))


def test_head_ct_is_a_realistic_stored_integer_ct(samples_root):
    slices = _series(samples_root / "head_ct")
    assert len(slices) >= 40
    first = slices[0]
    assert (first.Rows, first.Columns) >= (256, 256)
    assert first.Modality == "CT" and first.SOPClassUID == pydicom.uid.CTImageStorage
    assert first.PixelRepresentation == 0 and first.BitsStored == 12
    assert first.pixel_array.dtype == np.uint16
    assert float(first.RescaleIntercept) == -1024 and float(first.RescaleSlope) == 1
    assert list(first.WindowCenterWidthExplanation) == ["BRAIN", "BONE"]
    assert len({ds.SeriesInstanceUID for ds in slices}) == 1
    assert len({ds.SOPInstanceUID for ds in slices}) == len(slices)
    assert "FICTITIOUS" in first.PatientComments


@pytest.mark.parametrize(
    ("where", "low", "high"),
    [
        ((100, 8, 25), -1010, -985),  # air beside the head
        ((-9, 5, 30), 0, 18),  # right lateral ventricle: CSF
        ((30, 30, 30), 20, 34),  # white matter
        ((0, 8, 25 + 78.5 - 0.5), 30, 50),  # cortex at the vertex... grey matter
        (_phantom.BLEED.center, 60, 78),  # the haemorrhage
        ((0, 8 + 87.7, 25), 800, 1400),  # posterior skull
        ((0, -95, -26), 25, 65),  # nose: soft tissue
    ],
)
def test_head_ct_tissue_values_are_realistic(samples_root, where, low, high):
    hu = _hu_at(_series(samples_root / "head_ct"), where)
    assert low <= hu <= high, f"HU {hu:.1f} at {where}"


def _window(hu, center, width):
    return np.clip((hu - (center - width / 2)) / width, 0, 1)


def test_bleed_shows_in_brain_window_and_hides_in_bone_window(samples_root):
    slices = _series(samples_root / "head_ct")
    bleed = _hu_at(slices, _phantom.BLEED.center)
    cx, cy, cz = _phantom.BLEED.center
    brain = _hu_at(slices, (cx, cy + 20, cz))  # white matter next to the bleed
    noise = np.std([_hu_at(slices, (cx + dx, cy + 20, cz)) for dx in range(-6, 7, 3)])
    assert bleed - brain > 25 and noise < 5
    brain_contrast = _window(bleed, 40, 80) - _window(brain, 40, 80)
    bone_contrast = _window(bleed, 600, 2800) - _window(brain, 600, 2800)
    assert brain_contrast > 0.3  # a third of the grey scale: obvious
    assert bone_contrast < 0.02  # about 4 of 256 grey levels: invisible


def test_ct_noise_is_realistic(samples_root):
    ds = _series(samples_root / "head_ct")[25]
    hu = ds.pixel_array[110:140, 150:180].astype(float) - 1024  # inside the brain
    assert 3.0 < hu.std() < 10.0


def test_head_mr_is_sagittal_and_same_patient(samples_root):
    mr = _series(samples_root / "head_mr")
    ct = _series(samples_root / "head_ct")
    orientation = np.array(mr[0].ImageOrientationPatient, float)
    normal = np.cross(orientation[:3], orientation[3:])
    assert abs(normal[0]) > 0.99  # slices stacked left-right: sagittal
    assert mr[0].Modality == "MR" and mr[0].SOPClassUID == pydicom.uid.MRImageStorage
    assert mr[0].PatientID == ct[0].PatientID
    assert mr[0].StudyInstanceUID != ct[0].StudyInstanceUID
    assert mr[0].FrameOfReferenceUID != ct[0].FrameOfReferenceUID


# PS3.15 Annex E attributes the identified study must carry (a representative set).
_IDENTIFYING = [
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBirthName",
    "PatientMotherBirthName",
    "Occupation",
    "AdditionalPatientHistory",
    "MedicalRecordLocator",
    "StudyDate",
    "StudyTime",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "AccessionNumber",
    "StudyID",
    "ReferringPhysicianName",
    "PhysiciansOfRecord",
    "NameOfPhysiciansReadingStudy",
    "RequestingPhysician",
    "PerformingPhysicianName",
    "OperatorsName",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "StationName",
    "DeviceSerialNumber",
    "RequestAttributesSequence",
    "OperatorIdentificationSequence",
    "ProtocolName",
    "ImageComments",
    "AdmissionID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "FrameOfReferenceUID",
    "InstanceCreationDate",
]


def test_identified_study_carries_identifying_data_everywhere(samples_root):
    files = _series(samples_root / "identified_study") + [
        dcmread(samples_root / "identified_study" / "SCOUT0001.dcm")
    ]
    for ds in files:
        missing = [k for k in _IDENTIFYING if not ds.get(k)]
        assert not missing, f"{ds.SOPInstanceUID}: {missing}"
        assert "FICTITIOUS" in ds.PatientComments
        block = ds.private_block(0x0029, "SEGH PACS 1.0")
        assert block[0x11].value == ds.PatientID  # private copy of the MRN
        # identifying data nested in sequences
        assert ds.OtherPatientIDsSequence[0].PatientID
        assert ds.RequestAttributesSequence[0].AccessionNumber == ds.AccessionNumber
        assert "Rivera" in ds.ProtocolName or "Rivera" in ds.SeriesDescription
    scout = files[-1]
    assert scout.BurnedInAnnotation == "YES"
    axial = [ds for ds in files if ds.ImageType[2] == "AXIAL"]
    assert len(axial) == 4
    # every axial slice points at the localizer by UID: de-identification must remap both
    assert {ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID for ds in axial} == {
        scout.SOPInstanceUID
    }


def test_burned_in_text_is_in_the_pixels(samples_root):
    scout = dcmread(samples_root / "identified_study" / "SCOUT0001.dcm")
    corner = scout.pixel_array[:40, :120]
    assert (corner == 4095).sum() > 200  # white text pixels
    assert (scout.pixel_array[-40:, -120:] == 4095).sum() == 0


def test_chest_dx_is_a_monochrome1_radiograph_with_voi_lut(samples_root):
    from bootcamp_utils import windowing as wl

    ds = dcmread(samples_root / "chest_dx" / "DX0001.dcm")
    assert ds.SOPClassUID == pydicom.uid.DigitalXRayImageStorageForPresentation
    assert ds.Modality == "DX" and ds.PresentationIntentType == "FOR PRESENTATION"
    assert ds.PhotometricInterpretation == "MONOCHROME1" and ds.PresentationLUTShape == "INVERSE"
    assert (ds.Rows, ds.Columns) == (512, 512) and ds.BitsStored == 12
    assert ds.pixel_array.dtype == np.uint16 and ds.pixel_array.max() < 4096
    assert ds.VOILUTFunction == "SIGMOID" and len(wl.header_windows(ds)) == 2
    assert list(ds.VOILUTSequence[0].LUTDescriptor) == [4096, 0, 16]
    shown = wl.display_values(ds)  # the VOI LUT Sequence, then inverted
    np.testing.assert_array_equal(shown, 1 - wl.apply_voi_lut_sequence(ds.pixel_array, ds))
    spine, air = shown[256, 250:262].mean(), shown[5:15, 5:15].mean()
    lung_right, lung_left = shown[220, 140:160].mean(), shown[220, 352:372].mean()
    assert spine > 0.8 and air < 0.05  # bone white, air black: a film's polarity
    assert air < lung_right < spine and air < lung_left < spine
    assert "chest_dx" in data.describe()


def test_uids_are_valid(samples_root):
    for path in samples_root.rglob("*.dcm"):
        ds = dcmread(path)
        for uid in (ds.SOPInstanceUID, ds.SeriesInstanceUID, ds.StudyInstanceUID):
            assert uid.startswith("2.25.") and uid.is_valid, uid


# --- determinism, cache and manifest ----------------------------------------------------


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_cli_writes_the_same_bytes_in_another_process(samples_root, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bootcamp_utils.data", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(tmp_path) in result.stdout
    for name in data.SAMPLES:
        assert name in result.stdout
    assert _digests(tmp_path) == _digests(samples_root)


def test_manifest_lists_every_file_with_its_hash(samples_root):
    for name in data.SAMPLES:
        manifest = json.loads((samples_root / f"{name}.manifest.json").read_text())
        assert manifest["generator_version"] == GENERATOR_VERSION
        files = {
            p.relative_to(samples_root).as_posix()
            for p in (samples_root / name).rglob("*")
            if p.is_file()
        }
        assert set(manifest["files"]) == files
        for rel, digest in manifest["files"].items():
            assert hashlib.sha256((samples_root / rel).read_bytes()).hexdigest() == digest


def test_sample_path_generates_once_then_never_modifies(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOTCAMP_DATA_DIR", str(tmp_path))
    folder = data.sample_path("identified_study")
    assert folder == tmp_path / "identified_study"
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert data.sample_path("identified_study") == folder
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == stamps


@pytest.mark.parametrize("damage", ["change", "delete", "extra", "manifest", "version"])
def test_damaged_cache_is_regenerated_and_old_copy_kept(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("BOOTCAMP_DATA_DIR", str(tmp_path))
    folder = data.sample_path("identified_study")
    good = _digests(folder)
    victim = folder / "CT0002.dcm"
    manifest = tmp_path / "identified_study.manifest.json"
    if damage == "change":
        victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    elif damage == "delete":
        victim.unlink()
    elif damage == "extra":
        (folder / "my_notes.txt").write_text("student work")
    elif damage == "manifest":
        manifest.write_text("{not json")
    else:
        record = json.loads(manifest.read_text())
        record["generator_version"] = -1
        manifest.write_text(json.dumps(record))
    with pytest.warns(UserWarning, match="identified_study"):
        assert data.sample_path("identified_study") == folder
    assert _digests(folder) == good
    kept = list(tmp_path.glob("identified_study.replaced-*"))
    assert len(kept) == 1  # nothing is lost: the old folder is moved aside
    if damage == "extra":
        assert (kept[0] / "my_notes.txt").read_text() == "student work"


def test_data_dir_prefers_environment_then_checkout(monkeypatch, tmp_path):
    monkeypatch.setenv("BOOTCAMP_DATA_DIR", str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv("BOOTCAMP_DATA_DIR")
    repo = Path(__file__).resolve().parents[1]
    assert data.data_dir() == repo / "data" / "generated"


def test_unwritable_data_dir_gives_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BOOTCAMP_DATA_DIR", str(blocker / "sub"))
    with pytest.raises(data.DataError, match="BOOTCAMP_DATA_DIR"):
        data.sample_path("head_mr")


# --- dciodvfy -------------------------------------------------------------------------------


def test_every_generated_file_passes_dciodvfy(samples_root):
    dciodvfy = require_tool("dciodvfy", "dicom3tools")
    files = sorted(samples_root.rglob("*.dcm"))
    # 40 CT + 36 MR + 60 perfusion MR (6 volumes x 10) + 5 identified study + 1 radiograph
    assert len(files) == 142
    failures = {}
    for path in files:
        if errors := dciodvfy_errors(dciodvfy, path):
            failures[path.relative_to(samples_root).as_posix()] = errors
    assert not failures, json.dumps(failures, indent=1)


# --- optional downloads, against a server on localhost -----------------------------------


@pytest.fixture
def pydicom_cache(tmp_path, monkeypatch):
    """pydicom's download cache in a temporary folder (instead of ~/.pydicom).

    pydicom looks in installed data packages (pydicom-data) before it downloads: they are
    hidden here, so that these tests see the download path whether or not one is installed.
    """
    import pydicom.data.data_manager as manager
    import pydicom.data.download as download

    monkeypatch.setattr(download, "get_config_dir", lambda: tmp_path)
    monkeypatch.setattr(manager, "external_data_sources", lambda: {})
    return tmp_path / "data"


@pytest.fixture
def local_server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www."""
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(www), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _point_pydicom_at(monkeypatch, base_url: str, filename: str):
    import pydicom.data.data_manager as manager
    import pydicom.data.download as download

    urls = {filename: f"{base_url}/{filename}"}
    monkeypatch.setattr(download, "get_url_map", lambda: urls)
    monkeypatch.setattr(manager, "get_url_map", lambda: urls)


def test_download_goes_through_pydicoms_hash_check(local_server, pydicom_cache, monkeypatch):
    import pydicom.data.download as download

    www, base = local_server
    payload = data.example_path("mr").read_bytes()
    (www / "emri_small.dcm").write_bytes(payload)
    _point_pydicom_at(monkeypatch, base, "emri_small.dcm")
    monkeypatch.setattr(
        download, "get_cached_filehash", lambda name: hashlib.sha256(payload).hexdigest()
    )
    path = data.download_example("emri_small")
    assert path.parent == pydicom_cache and path.read_bytes() == payload


def test_download_with_wrong_hash_is_refused(local_server, pydicom_cache, monkeypatch):
    www, base = local_server
    (www / "emri_small.dcm").write_bytes(b"not the real file")
    _point_pydicom_at(monkeypatch, base, "emri_small.dcm")  # real hash from pydicom
    with pytest.raises(data.DataError, match="SHA-256"):
        data.download_example("emri_small")
    assert not (pydicom_cache / "emri_small.dcm").exists()


def test_download_offline_fails_clearly(pydicom_cache, monkeypatch):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _point_pydicom_at(monkeypatch, f"http://127.0.0.1:{port}", "emri_small.dcm")
    with pytest.raises(data.DataError, match="no network"):
        data.download_example("emri_small")


def test_an_installed_data_package_is_used_without_download(pydicom_cache, monkeypatch, tmp_path):
    """With pydicom-data installed, pydicom hands over its hash-checked file: no network."""
    import pydicom.data.data_manager as manager

    payload = data.example_path("mr").read_bytes()
    store = tmp_path / "store"
    store.mkdir()
    (store / "emri_small.dcm").write_bytes(payload)

    class Store:  # the interface of pydicom's external data sources
        def get_path(self, name, dtype):
            return str(store / name)

    monkeypatch.setattr(manager, "external_data_sources", lambda: {"my-data": Store()})
    _point_pydicom_at(monkeypatch, "http://127.0.0.1:9", "emri_small.dcm")  # never contacted
    path = data.download_example("emri_small")
    assert path == store / "emri_small.dcm" and not pydicom_cache.exists()


def test_download_unknown_name(pydicom_cache):
    with pytest.raises(data.DataError, match="Unknown name"):
        data.download_example("not_a_pydicom_file.dcm")


def test_unlabelled_files_are_the_formats_the_exercise_says():
    """Read back with each format's own reader, not by the signatures lesson 01 teaches."""
    import nibabel as nib
    from pydicom.data import get_testdata_file

    folder = data.sample_path("unlabelled")
    assert sorted(p.name for p in folder.iterdir()) == ["file_1", "file_2", "file_3", "file_4"]
    analyze = nib.AnalyzeHeader.from_fileobj(io.BytesIO((folder / "file_1").read_bytes()))
    assert analyze.get_data_shape() == (8, 8, 4)
    assert (folder / "file_2").read_bytes() == Path(get_testdata_file("CT_small.dcm")).read_bytes()
    two = nib.Nifti2Image.from_bytes((folder / "file_3").read_bytes())
    one = nib.Nifti1Image.from_bytes((folder / "file_4").read_bytes())
    assert type(two) is nib.Nifti2Image and type(one) is nib.Nifti1Image
    assert np.array_equal(two.get_fdata(), one.get_fdata()) and one.shape == (8, 8, 4)
    with pytest.raises(Exception, match="magic"):  # an Analyze header is no NIfTI-1 header
        nib.Nifti1Header.from_fileobj(io.BytesIO((folder / "file_1").read_bytes()), check=True)
