"""load_series on series with several volumes at the same positions (4-D), and its refusals.

The generated ``head_perfusion`` sample (6 volumes x 10 slices) is copied with random file
names in random order, and its volume-numbering fields (Temporal Position Identifier,
Acquisition Number, Instance Number) varied the ways scanners write them; the result must
equal dcm2niix's and every file must be the volume its header says.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from pydicom import dcmread

from bootcamp_utils import sample_path
from bootcamp_utils.series import SeriesError, load_series

from .conftest import require_tool
from .series_cases import canonical, run_dcm2niix, snapshot
from .test_series_errors import expect_error

N_VOLUMES, N_SLICES = 6, 10


def _no_tpi(ds, t, k):
    for keyword in ("TemporalPositionIdentifier", "NumberOfTemporalPositions"):
        delattr(ds, keyword)


def _slice_major(ds, t, k):
    """Instance Numbers run through the volumes at one position, then the next position."""
    ds.InstanceNumber = k * N_VOLUMES + t + 1


def _instance_only(ds, t, k):
    _no_tpi(ds, t, k)
    ds.AcquisitionNumber = 1  # as GE writes it: one acquisition
    _slice_major(ds, t, k)


def _acquisition_only(ds, t, k):
    _no_tpi(ds, t, k)
    del ds.InstanceNumber


#: variant -> change of each file (given its volume t and slice k, from 0).
VARIANTS = {
    "as_written": lambda ds, t, k: None,
    "instance_slice_major": _slice_major,
    "no_temporal_position": _no_tpi,
    "instance_number_only": _instance_only,
    "acquisition_number_only": _acquisition_only,
}
#: dcm2niix sorts by Instance Number (measured with v1.0.20220720): without one, its volumes
#: come in file order, so that variant is checked against the headers only.
DCM2NIIX_VARIANTS = [v for v in VARIANTS if v != "acquisition_number_only"]


def _copy(folder: Path, change=lambda ds, t, k: None, seed: int = 5) -> Path:
    """The perfusion sample with random names, written in random order, each file changed."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    files = sorted(sample_path("head_perfusion").glob("*.dcm"))
    for i in rng.permutation(len(files)):
        ds = dcmread(files[i])
        t, k = divmod(int(ds.InstanceNumber) - 1, N_SLICES)
        change(ds, t, k)
        ds.save_as(folder / f"{rng.integers(1 << 48):012x}", enforce_file_format=True)
    return folder


@functools.cache
def _sample_places() -> dict[str, tuple[int, int]]:
    """SOP Instance UID -> (volume, slice) of every file of the sample as written."""
    places = {}
    for path in sample_path("head_perfusion").glob("*.dcm"):
        ds = dcmread(path, stop_before_pixels=True)
        places[str(ds.SOPInstanceUID)] = divmod(int(ds.InstanceNumber) - 1, N_SLICES)
    return places


def _volume_of(ds) -> tuple[int, int]:
    """(volume, slice) of a copied sample file, whatever its header now says."""
    return _sample_places()[str(ds.SOPInstanceUID)]


def test_sample_loads_as_4d():
    image = load_series(sample_path("head_perfusion"))
    assert image.shape == (64, 64, N_SLICES, N_VOLUMES)
    assert image.get_data_dtype() == np.float32
    assert image.header.get_xyzt_units() == ("mm", "sec")
    assert [float(z) for z in image.header.get_zooms()] == [3.75, 3.75, 5.0, 1.5]
    assert int(image.header["sform_code"]) == 1 and int(image.header["qform_code"]) == 1
    # The bolus: grey matter darkens most at volume 4, CSF in the ventricles does not.
    data = image.get_fdata()
    brain = data[20:44, 20:44, 4].mean(axis=(0, 1))
    assert brain[3] < 0.85 * brain[0] and brain[5] > brain[3]
    assert abs(brain[1] - brain[0]) < 0.02 * brain[0]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_file_is_the_volume_its_header_says(variant, tmp_path):
    folder = _copy(tmp_path / variant, VARIANTS[variant])
    before = snapshot(folder)
    image = load_series(folder)
    assert snapshot(folder) == before
    data = np.asarray(image.dataobj)
    assert data.shape == (64, 64, N_SLICES, N_VOLUMES)
    inverse = np.linalg.inv(image.affine)
    lps_to_ras = np.diag([-1.0, -1.0, 1.0, 1.0])
    for path in folder.iterdir():
        ds = dcmread(path)
        t, k = _volume_of(ds)
        index = inverse @ (lps_to_ras @ [*map(float, ds.ImagePositionPatient), 1.0])
        assert np.allclose(index[:3], [0, 0, k], atol=1e-3), (path.name, index)
        np.testing.assert_array_equal(data[:, :, k, t], ds.pixel_array.T.astype(np.float32))


@pytest.mark.external
@pytest.mark.parametrize("variant", DCM2NIIX_VARIANTS)
def test_matches_dcm2niix(variant, tmp_path):
    dcm2niix = require_tool("dcm2niix", "dcm2niix")
    folder = _copy(tmp_path / variant, VARIANTS[variant])
    niftis, log = run_dcm2niix(dcm2niix, folder, tmp_path / "dcm2niix")
    assert len(niftis) == 1, log
    reference = nib.load(niftis[0])
    image = load_series(folder)
    data, affine = canonical(image)
    ref_data, ref_affine = canonical(reference)
    assert data.shape == ref_data.shape == (64, 64, N_SLICES, N_VOLUMES)
    np.testing.assert_allclose(affine, ref_affine, atol=1e-4, err_msg=log)
    np.testing.assert_array_equal(data, ref_data, err_msg=log)
    # pixdim[4]: both write Repetition Time in seconds, with units mm and s.
    assert image.header.get_zooms()[3] == reference.header.get_zooms()[3] == 1.5
    assert image.header.get_xyzt_units() == reference.header.get_xyzt_units()


@pytest.mark.external
def test_temporal_position_wins_over_instance_number(tmp_path):
    """Instance Numbers reversed in time: dcm2niix follows them (and warns); we follow TPI.

    PS3.3 C.7.6.1.1 gives Instance Number no meaning in time; Temporal Position Identifier
    (C.8.3.1) is the volume's place in time, and Acquisition Time agrees with it here.
    """
    dcm2niix = require_tool("dcm2niix", "dcm2niix")

    def reversed_instances(ds, t, k):
        ds.InstanceNumber = (N_VOLUMES - 1 - t) * N_SLICES + k + 1

    folder = _copy(tmp_path / "reversed", reversed_instances)
    niftis, log = run_dcm2niix(dcm2niix, folder, tmp_path / "dcm2niix")
    assert "AcquisitionTime" in log and "different order" in log, log
    data, _ = canonical(load_series(folder))
    ref_data, _ = canonical(nib.load(niftis[0]))
    np.testing.assert_array_equal(data, ref_data[..., ::-1])
    as_written, _ = canonical(load_series(sample_path("head_perfusion")))
    np.testing.assert_array_equal(data, as_written)


# --- what stays out of scope: clear errors ------------------------------------------------


@pytest.fixture(scope="module")
def perfusion(tmp_path_factory) -> Path:
    return _copy(tmp_path_factory.mktemp("perf") / "series", seed=9)


@pytest.fixture
def series(perfusion, tmp_path) -> Path:
    return Path(shutil.copytree(perfusion, tmp_path / "series"))


def _files(folder: Path, volume: int | None = None, slice_: int | None = None) -> list[Path]:
    found = []
    for path in sorted(folder.iterdir()):
        t, k = _volume_of(dcmread(path, stop_before_pixels=True))
        if (volume is None or t == volume) and (slice_ is None or k == slice_):
            found.append(path)
    return found


def test_a_missing_file_gives_unequal_volumes(series):
    (missing,) = _files(series, volume=2, slice_=4)
    missing.unlink()
    expect_error(
        lambda: load_series(series),
        words=["not the same number at every position", "9 position", "hold 6", "hold 5"],
    )


def test_two_echoes_are_not_a_time_series(series):
    for path in _files(series, volume=None):
        ds = dcmread(path)
        t, _ = _volume_of(ds)
        ds.EchoNumbers = 1 + t % 2
        ds.save_as(path, enforce_file_format=True)
    expect_error(
        lambda: load_series(series),
        words=["EchoNumbers", "several echoes", "folder of their own", "dcm2niix"],
    )


def test_magnitude_and_phase_are_not_a_time_series(series):
    for path in _files(series, volume=1):
        ds = dcmread(path)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "P"]
        ds.save_as(path, enforce_file_format=True)
    expect_error(lambda: load_series(series), words=["ImageType", "image types"])


def test_volumes_at_different_positions(series):
    for path in _files(series, volume=3):
        ds = dcmread(path)
        ds.ImagePositionPatient[2] = float(ds.ImagePositionPatient[2]) + 2.0
        ds.save_as(path, enforce_file_format=True)
    expect_error(
        lambda: load_series(series),
        words=["6 volumes of 10 slices", "TemporalPositionIdentifier", "not at the same"],
    )


def test_volume_moved_within_the_plane(series):
    for path in _files(series, volume=4):
        ds = dcmread(path)
        ds.ImagePositionPatient[0] = float(ds.ImagePositionPatient[0]) + 3.0
        ds.save_as(path, enforce_file_format=True)
    expect_error(lambda: load_series(series), words=["Volume 5", "3.000 mm", "within the plane"])


def test_no_field_tells_the_volumes_apart(series):
    for path in series.iterdir():
        ds = dcmread(path)
        for keyword in ("TemporalPositionIdentifier", "AcquisitionNumber", "InstanceNumber"):
            delattr(ds, keyword)
        ds.save_as(path, enforce_file_format=True)
    expect_error(lambda: load_series(series), words=["6 volumes", "no header field"])


def test_volume_order_does_not_need_temporal_position(series):
    """Without any of the three fields the error above; with any one the same image."""
    expected = load_series(series).get_fdata()
    for path in series.iterdir():
        ds = dcmread(path)
        _no_tpi(ds, 0, 0)
        ds.AcquisitionNumber = 1
        ds.save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(load_series(series).get_fdata(), expected)


def test_error_is_a_series_error(series):
    (missing,) = _files(series, volume=0, slice_=0)
    missing.unlink()
    with pytest.raises(SeriesError):
        load_series(series)
