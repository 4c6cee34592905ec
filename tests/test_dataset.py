"""bootcamp_utils.dataset: de-identified, atomic, resumable conversion; executors; the dataset.

The written images are checked against load_series + grid (and dcm2niix for a CT), the
manifest against lesson 02's deidentify under the same key, and the files' bytes for the
original names, IDs and UIDs. Tests named ``..._processes`` start worker processes.
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from pydicom import dcmread

import bootcamp_utils.dataset as dataset
from bootcamp_utils import load_series, sample_path
from bootcamp_utils.dataset import SeriesDataset, convert_series, write_dataset
from bootcamp_utils.deid.profile import date_offset, deidentify, new_uid
from bootcamp_utils.grid import resample, to_canonical

from .conftest import require_tool
from .series_cases import canonical, run_dcm2niix, write_case

#: (folder name, Patient Name, Patient ID): two series of one patient, one of another.
PATIENTS = [
    ("s1", "Rivera^Elena", "MRN-4821"),
    ("s2", "Rivera^Elena", "MRN-4821"),
    ("s3", "Kim^Joon", "MRN-7730"),
    ("s4", "Okafor^Ada", "MRN-1102"),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> dict[str, list[Path]]:
    """Four small CT series (64 x 64, 6-10 slices) with identifying headers."""
    root = tmp_path_factory.mktemp("archive")
    series = {}
    for k, (folder, name, patient_id) in enumerate(PATIENTS):
        write_case(root / folder, name=folder, n_slices=6 + k, slice_step=3.0 + k)
        files = sorted((root / folder).iterdir())
        for path in files:
            ds = dcmread(path)
            ds.PatientName, ds.PatientID = name, patient_id
            ds.StudyDate = "20240315"
            ds.save_as(path)
        series[folder] = files
    return series


def _jobs(archive, **extra) -> pd.DataFrame:
    rows = []
    for files in archive.values():
        uid = str(dcmread(files[0], stop_before_pixels=True).SeriesInstanceUID)
        rows.append({"series_uid": uid, "files": [str(f) for f in files[::-1]], **extra})
    return pd.DataFrame(rows)


def _identifying(files: list[Path]) -> set[bytes]:
    """Every name, ID and UID of the source files that must not reach the output."""
    found = set()
    for path in files:
        ds = dcmread(path, stop_before_pixels=True)
        found |= {str(ds.PatientName).encode(), str(ds.PatientID).encode()}
        found |= {ds.StudyInstanceUID.encode(), ds.SeriesInstanceUID.encode()}
        found |= {ds.SOPInstanceUID.encode(), b"Rivera", b"Elena"}
    return found


def test_convert_series_writes_the_canonical_image_and_a_clean_row(archive, tmp_path):
    files = archive["s1"]
    row = convert_series(files[::-1], tmp_path, name="ct1")
    written = nib.load(tmp_path / "ct1.nii.gz")
    expected = to_canonical(load_series(files))
    assert written.get_data_dtype() == np.float32
    np.testing.assert_array_equal(written.affine, expected.affine)
    np.testing.assert_array_equal(written.get_fdata(), expected.get_fdata())
    assert (int(written.header["sform_code"]), int(written.header["qform_code"])) == (1, 1)
    assert row["image"] == "ct1.nii.gz" and row["mask"] == ""
    assert row["shape"] == "x".join(map(str, expected.shape)) and row["axcodes"] == "RAS"
    assert row["hu_min"] == float(expected.get_fdata().min()) and row["n_files"] == len(files)

    ds = dcmread(files[0], stop_before_pixels=True)  # the manifest is lesson 02's profile
    clean = deidentify(ds, key="lesson06", shift_dates="per-patient")
    assert row["series"] == clean.SeriesInstanceUID == new_uid(ds.SeriesInstanceUID, "lesson06")
    assert row["study"] == new_uid(ds.StudyInstanceUID, "lesson06")
    shifted = pd.Timestamp("2024-03-15") + pd.Timedelta(days=date_offset("MRN-4821", "lesson06"))
    assert row["study_date"] == shifted.strftime("%Y%m%d") != "20240315"
    assert row["patient"].startswith("P") and "MRN" not in row["patient"]
    assert [p.name for p in tmp_path.iterdir()] == ["ct1.nii.gz"]  # no temporary file left


def test_nothing_identifying_in_the_files_or_the_manifest(archive, tmp_path):
    report = write_dataset(_jobs(archive, split="train"), tmp_path, spacing=3.0, progress=False)
    assert len(report.converted) == 4 and not report.failed
    secrets = set().union(*(_identifying(f) for f in archive.values()))
    outputs = sorted(tmp_path.iterdir())
    assert len(outputs) == 5
    for path in outputs:
        raw = path.read_bytes()
        blobs = [raw, gzip.decompress(raw)] if path.suffix == ".gz" else [raw]
        for blob in blobs:
            leaked = [s for s in secrets if s in blob]
            assert not leaked, f"{path.name} holds {leaked[:3]}"
    header = nib.load(outputs[0]).header
    assert header["descrip"].item() == b"" and header["aux_file"].item() == b""


def test_pseudonyms_follow_the_patient_and_the_key(archive, tmp_path):
    rows = [convert_series(archive[f], tmp_path / f, name=f) for f in ("s1", "s2", "s3")]
    assert rows[0]["patient"] == rows[1]["patient"] != rows[2]["patient"]
    assert rows[0]["study_date"] == rows[1]["study_date"]  # one offset per patient
    other = convert_series(archive["s1"], tmp_path / "k", name="s1", key="another secret")
    assert other["patient"] != rows[0]["patient"] and other["series"] != rows[0]["series"]
    source = dcmread(archive["s1"][0]).SeriesInstanceUID
    assert rows[0]["source_series_sha256"] == hashlib.sha256(source.encode()).hexdigest()


def test_resampled_output_equals_grid_resample(archive, tmp_path):
    row = convert_series(archive["s3"], tmp_path, name="r", spacing=(2.0, 2.5, 4.0))
    expected = resample(to_canonical(load_series(archive["s3"])), (2.0, 2.5, 4.0), order=1)
    written = nib.load(tmp_path / "r.nii.gz")
    np.testing.assert_allclose(written.affine, expected.affine)
    np.testing.assert_array_equal(written.get_fdata(), expected.get_fdata())
    assert row["spacing"] == "2x2.5x4"


def test_a_failed_replace_leaves_the_old_file_and_no_temporary(archive, tmp_path, monkeypatch):
    convert_series(archive["s1"], tmp_path, name="a")
    before = (tmp_path / "a.nii.gz").read_bytes()

    def broken(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(dataset.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        convert_series(archive["s3"], tmp_path, name="a")
    assert (tmp_path / "a.nii.gz").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.nii.gz"]


def _counting(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = dataset.convert_series

    def counted(files, out, *, name, **kwargs):
        calls.append(name)
        return real(files, out, name=name, **kwargs)

    monkeypatch.setattr(dataset, "convert_series", counted)
    return calls


def test_resumes_failures_are_reported_and_the_run_goes_on(archive, tmp_path, monkeypatch):
    jobs = _jobs(archive, split="train")
    jobs.loc[2, "files"] = [*jobs.loc[2, "files"], str(tmp_path / "gone.dcm")]
    calls = _counting(monkeypatch)
    out = tmp_path / "ds"
    first = write_dataset(jobs, out, progress=False)
    assert len(calls) == 4 and len(first.converted) == 3 and len(first.skipped) == 0
    (failed,) = first.failed.values()
    assert "FileNotFoundError" in failed and "gone.dcm" in failed
    text = str(first)
    assert text.startswith("1 series FAILED") and text.index("gone.dcm") < text.index("3 conv")
    assert len(pd.read_csv(out / "manifest.csv")) == 3

    jobs.loc[2, "files"] = jobs.loc[2, "files"][:-1]  # the file list mended
    jobs["split"] = ["train", "train", "test", "val"]
    second = write_dataset(jobs, out, progress=False)
    assert len(calls) == 5  # only the failed series converted again
    assert len(second.converted) == 1 and len(second.skipped) == 3 and not second.failed
    manifest = pd.read_csv(out / "manifest.csv")
    assert len(manifest) == 4 and sorted(manifest["split"]) == ["test", "train", "train", "val"]

    (out / manifest.loc[0, "image"]).unlink()  # an output lost: converted again
    third = write_dataset(jobs, out, progress=False)
    assert len(calls) == 6 and third.converted == [manifest.loc[0, "name"]]


def test_jobs_are_checked(archive, tmp_path):
    jobs = _jobs(archive)
    with pytest.raises(ValueError, match=r"identifying column\(s\) \['patient_id'\]"):
        write_dataset(jobs.assign(patient_id="MRN-4821"), tmp_path)
    with pytest.raises(ValueError, match="twice"):
        write_dataset(pd.concat([jobs, jobs.iloc[:1]]), tmp_path)
    with pytest.raises(ValueError, match="files"):
        write_dataset(jobs.drop(columns="files"), tmp_path)
    assert not list(tmp_path.iterdir())


def _manifest(out: Path) -> pd.DataFrame:
    table = pd.read_csv(out / "manifest.csv", keep_default_na=False)
    return table.sort_values("name").reset_index(drop=True)


def test_threads_and_two_worker_processes_equal_serial_processes(archive, tmp_path):
    """Starts two worker processes (ProcessPoolExecutor(2))."""
    jobs = _jobs(archive, split="train")
    serial = write_dataset(jobs, tmp_path / "serial", spacing=3.0, progress=False)
    with ThreadPoolExecutor(2) as pool:
        threads = write_dataset(jobs, tmp_path / "threads", spacing=3.0, executor=pool)
    with ProcessPoolExecutor(2) as pool:
        procs = write_dataset(jobs, tmp_path / "procs", spacing=3.0, executor=pool)
    for report in (serial, threads, procs):
        assert sorted(report.converted) == sorted(serial.converted) and not report.failed
    for other in ("threads", "procs"):
        pd.testing.assert_frame_equal(_manifest(tmp_path / other), _manifest(tmp_path / "serial"))
        for name in serial.converted:
            a = (tmp_path / other / f"{name}.nii.gz").read_bytes()
            assert a == (tmp_path / "serial" / f"{name}.nii.gz").read_bytes()


def test_a_dying_worker_is_reported_and_a_rerun_finishes_processes(archive, tmp_path, monkeypatch):
    """A worker process killed mid-run (os._exit): BrokenProcessPool, finished rows kept."""
    jobs = _jobs(archive)
    names = [dataset._series_name(uid, "lesson06") for uid in jobs["series_uid"]]
    victim = names[2]
    real = dataset.convert_series

    def dies(files, out, *, name, **kwargs):
        if name == victim:
            os._exit(3)
        return real(files, out, name=name, **kwargs)

    monkeypatch.setattr(dataset, "convert_series", dies)  # forked workers inherit it
    out = tmp_path / "ds"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        report = write_dataset(jobs, out, executor=pool, progress=False)
    assert "BrokenProcessPool" in report.failed[victim]
    assert len(report.converted) + len(report.failed) == 4
    assert names[0] in report.converted and names[1] in report.converted  # ran before it
    assert set(_manifest(out)["name"]) == set(report.converted)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]

    monkeypatch.setattr(dataset, "convert_series", real)
    calls = _counting(monkeypatch)
    again = write_dataset(jobs, out, progress=False)
    assert sorted(calls) == sorted(report.failed) and not again.failed
    assert sorted(_manifest(out)["name"]) == sorted(names)


def test_dask_local_cluster_equals_serial_processes(archive, tmp_path):
    """Starts a Dask LocalCluster of two worker processes (as the lesson does), then closes it."""
    distributed = pytest.importorskip("distributed")
    jobs = _jobs(archive, split="train")
    jobs.loc[1, "files"] = jobs.loc[1, "files"][:2] + jobs.loc[1, "files"][3:]  # a gap
    serial = write_dataset(jobs, tmp_path / "serial", progress=False)
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )
    try:
        with distributed.Client(cluster) as client:
            report = write_dataset(jobs, tmp_path / "dask", executor=client, progress=False)
    finally:
        cluster.close()
    assert sorted(report.converted) == sorted(serial.converted) and len(report.converted) == 3
    assert report.failed.keys() == serial.failed.keys()
    assert "SeriesError" in next(iter(report.failed.values()))
    pd.testing.assert_frame_equal(_manifest(tmp_path / "dask"), _manifest(tmp_path / "serial"))


def test_series_dataset_is_a_map_style_dataset(archive, tmp_path):
    jobs = _jobs(archive)
    jobs["split"] = ["train", "test", "train", "train"]
    write_dataset(jobs, tmp_path, spacing=3.0, progress=False)
    everything = SeriesDataset(tmp_path)
    train = SeriesDataset(tmp_path / "manifest.csv", split="train")
    assert len(everything) == 4 and len(train) == 3 and len(SeriesDataset(tmp_path, "x")) == 0
    for k in range(len(train)):
        image, mask = train[k]
        row = train.rows.iloc[k]
        assert image.dtype == np.float32 and mask is None
        assert "x".join(map(str, image.shape)) == row["shape"]
        np.testing.assert_array_equal(image, nib.load(tmp_path / row["image"]).get_fdata())
    np.testing.assert_array_equal(train[-1][0], train[2][0])
    assert train[np.int64(1)][0].shape == train[1][0].shape
    with pytest.raises(IndexError):
        train[3]
    with pytest.raises(TypeError):
        train[0.5]
    assert len(list(iter(train))) == 3  # iteration by __getitem__ stops at IndexError
    copy = pickle.loads(pickle.dumps(train))  # what DataLoader workers receive
    np.testing.assert_array_equal(copy[0][0], train[0][0])
    with pytest.raises(ValueError, match="split"):
        SeriesDataset(_no_split(tmp_path), split="train")
    with pytest.raises(FileNotFoundError, match="write the dataset"):
        SeriesDataset(tmp_path / "nowhere")


def _no_split(folder: Path) -> Path:
    path = folder / "plain.csv"
    pd.read_csv(folder / "manifest.csv").drop(columns="split").to_csv(path, index=False)
    return path


def _seg_of(files: list[Path], path: Path) -> np.ndarray:
    """A highdicom SEG of a ball in the series; returns the ball in load_series' grid."""
    import highdicom as hd

    image = load_series(files)
    centre = np.array(image.shape) * (0.35, 0.6, 0.4)  # off-centre: a flip would show
    ball = (((np.indices(image.shape).T - centre) / (12, 10, 2)) ** 2).sum(-1).T <= 1
    sources = [dcmread(f) for f in files]
    normal = np.cross(*np.reshape(sources[0].ImageOrientationPatient, (2, 3)))
    sources.sort(key=lambda ds: float(np.dot(normal, ds.ImagePositionPatient)))
    frames = ball.transpose(2, 1, 0).astype(np.uint8)  # (slice, row, column)
    segment = hd.seg.SegmentDescription(
        segment_number=1,
        segment_label="ball",
        segmented_property_category=hd.sr.CodedConcept("91723000", "SCT", "Anatomical Structure"),
        segmented_property_type=hd.sr.CodedConcept("12738006", "SCT", "Brain"),
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=frames,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[segment],
        series_instance_uid=hd.UID(),
        series_number=99,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="bootcamp",
        manufacturer_model_name="test",
        software_versions="1",
        device_serial_number="1",
    )
    seg.save_as(path)
    return ball


def test_the_mask_is_written_on_the_image_grid(archive, tmp_path):
    files = archive["s4"]
    ball = _seg_of(files, tmp_path / "seg.dcm")
    row = convert_series(files, tmp_path / "out", name="m", seg=tmp_path / "seg.dcm")
    mask = nib.load(tmp_path / "out" / row["mask"])
    image = nib.load(tmp_path / "out" / row["image"])
    np.testing.assert_array_equal(mask.affine, image.affine)
    expected = to_canonical(nib.Nifti1Image(ball.astype(np.uint8), load_series(files).affine))
    np.testing.assert_array_equal(np.asarray(mask.dataobj), np.asarray(expected.dataobj))
    assert mask.get_data_dtype() == np.uint8
    resampled = convert_series(
        files, tmp_path / "r", name="m", spacing=2.0, seg=tmp_path / "seg.dcm"
    )
    image, mask = SeriesDataset(_one_row(tmp_path / "r", resampled))[0]
    assert mask.shape == image.shape and set(np.unique(mask)) == {0, 1}


def _one_row(folder: Path, row: dict) -> Path:
    pd.DataFrame([row]).to_csv(folder / "manifest.csv", index=False)
    return folder


@pytest.mark.external
def test_written_ct_equals_dcm2niix(tmp_path):
    dcm2niix = require_tool("dcm2niix", "dcm2niix")
    folder = sample_path("head_ct")
    row = convert_series(sorted(folder.glob("*.dcm")), tmp_path / "ds", name="ct")
    niftis, log = run_dcm2niix(dcm2niix, folder, tmp_path / "dcm2niix")
    assert len(niftis) == 1, log
    reference = nib.load(niftis[0])
    # dcm2niix stores integers and Rescale Intercept as scl_inter; nibabel applies it.
    assert reference.get_data_dtype().kind == "i" and float(reference.header["scl_inter"]) != 0
    data, affine = canonical(nib.load(tmp_path / "ds" / row["image"]))
    ref_data, ref_affine = canonical(reference)  # get_fdata applies scl_slope/inter
    assert data.shape == ref_data.shape, log
    np.testing.assert_allclose(affine, ref_affine, atol=1e-3, err_msg=log)
    np.testing.assert_allclose(data, ref_data, rtol=1e-5, atol=1e-3, err_msg=log)


def test_a_worker_dying_mid_write_leaves_no_temporary_file(archive, tmp_path, monkeypatch):
    """A worker killed between writing a NIfTI's temporary file and renaming it (os._exit in
    the fsync of that file): the series and the others lost with the broken pool are failed
    with a message that says to run again, no ``.tmp`` file stays, and a re-run finishes."""
    jobs = _jobs(archive)
    names = [dataset._series_name(uid, "lesson06") for uid in jobs["series_uid"]]
    victim, parent, real_fsync = names[1], os.getpid(), os.fsync

    def fsync(fd):
        if os.getpid() != parent and os.readlink(f"/proc/self/fd/{fd}").count(f".{victim}."):
            os._exit(3)  # the temporary file of the victim's image exists now
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)  # forked workers inherit it
    out = tmp_path / "ds"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        report = write_dataset(jobs, out, executor=pool, progress=False)
    assert victim in report.failed and names[0] in report.converted
    for name in report.failed:  # the victim and the series queued behind it
        assert "BrokenProcessPool" in report.failed[name]
        assert "run write_dataset again" in report.failed[name]
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert set(_manifest(out)["name"]) == set(report.converted)

    monkeypatch.setattr(os, "fsync", real_fsync)
    again = write_dataset(jobs, out, progress=False)
    assert sorted(again.converted) == sorted(report.failed) and not again.failed
    assert sorted(_manifest(out)["name"]) == sorted(names)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
