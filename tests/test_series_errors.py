"""load_series on bad input: the right exception, naming the files and the problem.

Every case starts from a copy of one good series (10 axial slices of 64 x 64, CT0001.dcm ...
CT0010.dcm, 5 mm apart) and breaks it the way real folders break. The exception must be a
SeriesError (a ValueError) or FileNotFoundError, never a bare AttributeError, KeyError,
IndexError... from inside a library, and its message must name the file(s) and say what is
wrong. Folders with a DICOMDIR, a README or a CD layout must load.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.fileset import FileSet

from bootcamp_utils.data._samples import write_ct_series
from bootcamp_utils.series import MultipleSeriesError, SeriesError, list_series, load_series

from .series_cases import snapshot, write_case

N_SLICES = 10


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good") / "series"
    write_case(folder, n_slices=N_SLICES, name="errors_base")
    return folder


@pytest.fixture
def series(good, tmp_path) -> Path:
    """A fresh copy of the good series to break."""
    return Path(shutil.copytree(good, tmp_path / "series"))


def expect_error(call, exc_type=SeriesError, words=(), names=()):
    """Run ``call``; check the exception's type, that its message has ``words`` (regular
    expressions, any case) and ``names`` (file names), and that ``files`` lists them."""
    with pytest.raises(Exception) as info:  # noqa: B017 - the type is checked below
        call()
    error = info.value
    assert isinstance(error, exc_type), (
        f"expected {exc_type.__name__}, got {type(error).__name__}: {error}"
    )
    assert isinstance(error, (SeriesError, FileNotFoundError))
    assert isinstance(error, (ValueError, FileNotFoundError))
    message = str(error)
    for word in words:
        assert re.search(word, message, re.IGNORECASE), f"{word!r} not in: {message}"
    for name in names:
        assert name in message, f"{name!r} not in: {message}"
    if isinstance(error, SeriesError) and names:
        listed = {p.name for p in error.files}
        assert set(names) <= listed, f"{names} not all in error.files {sorted(listed)}"
    return error


def _edit(path: Path, change) -> None:
    ds = dcmread(path)
    change(ds)
    ds.save_as(path, enforce_file_format=True)


def _element_offsets(path: Path, keyword: str) -> tuple[int, int]:
    """(start of the element's tag, start of its value) in the file."""
    ds = dcmread(path, defer_size=16)
    raw = ds.get_item(keyword, keep_deferred=True)
    header = 12 if raw.VR in ("OB", "OW", "OF", "SQ", "UT", "UN") else 8
    start = raw.value_tell - header
    with open(path, "rb") as f:  # explicit VR little endian: the tag starts the header
        f.seek(start)
        assert f.read(4) == struct.pack("<HH", raw.tag.group, raw.tag.element)
    return start, raw.value_tell


def _corrupt_value(path: Path, keyword: str, fill: bytes = b"x") -> None:
    """Overwrite an element's value bytes in place (pydicom would refuse to write them)."""
    _, start = _element_offsets(path, keyword)
    length = dcmread(path).get_item(keyword).length
    data = bytearray(path.read_bytes())
    data[start : start + length] = fill * length
    path.write_bytes(bytes(data))


# --- the folder itself ----------------------------------------------------------------------


def test_folder_does_not_exist(tmp_path):
    missing = tmp_path / "no_such_series"
    expect_error(
        lambda: load_series(missing), FileNotFoundError, words=["no such folder", "no_such_series"]
    )


def test_path_is_a_file(series):
    expect_error(
        lambda: load_series(series / "CT0001.dcm"),
        words=["is a file", "folder"],
        names=["CT0001.dcm"],
    )


def test_empty_folder(tmp_path):
    empty = tmp_path / "empty_series"
    empty.mkdir()
    expect_error(lambda: load_series(empty), words=["empty", "empty_series"])


def test_folder_with_only_empty_sub_folders(tmp_path):
    folder = tmp_path / "nested"
    (folder / "a" / "b").mkdir(parents=True)
    expect_error(lambda: load_series(folder), words=["empty", "no files"])


def test_no_dicom_files(tmp_path):
    folder = tmp_path / "not_dicom"
    folder.mkdir()
    (folder / "notes.txt").write_text("Head CT, see PACS.\n" * 20)
    (folder / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (folder / "blob").write_bytes(np.random.default_rng(0).bytes(300))
    error = expect_error(
        lambda: load_series(folder),
        words=["no DICOM files", "not_dicom"],
        names=["notes.txt", "scan.png", "blob"],
    )
    assert "without the DICOM marker" in str(error)


# --- damaged files --------------------------------------------------------------------------


def _cut(path: Path, where: str) -> int:
    """Where to cut ``path`` to truncate it ``where``."""
    size = path.stat().st_size
    if where == "preamble":
        return 100
    if where == "middle_of_a_value":
        _, value = _element_offsets(path, "PatientName")
        return value + 3
    if where == "inside_an_element_header":
        tag, _ = _element_offsets(path, "SeriesDescription")
        return tag + 5
    if where == "before_series_uid":  # a clean element boundary: pydicom sees no damage
        tag, _ = _element_offsets(path, "SeriesInstanceUID")
        return tag
    if where == "before_pixel_data":  # the header is complete, the image is not there
        tag, _ = _element_offsets(path, "PixelData")
        return tag
    if where == "inside_pixel_data":
        return size - 3000
    raise AssertionError(where)


@pytest.mark.parametrize("which", ["CT0001.dcm", "CT0005.dcm", "CT0010.dcm"])
@pytest.mark.parametrize(
    "where",
    [
        "preamble",
        "middle_of_a_value",
        "inside_an_element_header",
        "before_series_uid",
        "before_pixel_data",
        "inside_pixel_data",
    ],
)
def test_truncated_file(series, where, which):
    """A cut file, first, middle or last slice: never a silently shorter volume."""
    path = series / which
    data = path.read_bytes()
    path.write_bytes(data[: _cut(path, where)])
    expect_error(lambda: load_series(series), words=["truncated"], names=[which])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_bytes_after_the_dicom_marker(series, seed):
    junk = series / "CT0011.dcm"
    junk.write_bytes(bytes(128) + b"DICM" + np.random.default_rng(seed).bytes(4000))
    expect_error(
        lambda: load_series(series),
        words=["(damaged|truncated|could not be read)"],
        names=["CT0011.dcm"],
    )


def test_dangling_link_is_unreadable(series):
    (series / "CT0011.dcm").symlink_to(series / "gone.dcm")
    expect_error(lambda: load_series(series), words=["could not be read"], names=["CT0011.dcm"])


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads files whatever their permissions",
)
def test_unreadable_file(series):
    path = series / "CT0004.dcm"
    path.chmod(0)
    try:
        expect_error(lambda: load_series(series), words=["could not be read"], names=["CT0004.dcm"])
    finally:
        path.chmod(0o644)


# --- several series -------------------------------------------------------------------------


@pytest.fixture
def two_series(series) -> tuple[Path, str, str]:
    """The good series (10 files) and a second one (6 files, names B*.dcm) in one folder."""
    write_case(
        series / "other",
        n_slices=6,
        name="errors_second",
        file_name=lambda k: f"B{k:04d}.dcm",
        centre=(0.0, 8.0, 0.0),
    )
    uid_a = str(dcmread(series / "CT0001.dcm").SeriesInstanceUID)
    uid_b = str(dcmread(series / "other" / "B0000.dcm").SeriesInstanceUID)
    assert uid_a != uid_b
    return series, uid_a, uid_b


def test_two_series_need_a_choice(two_series):
    folder, uid_a, uid_b = two_series
    error = expect_error(
        lambda: load_series(folder),
        MultipleSeriesError,
        words=[
            "2 image series",
            rf"\b10 files.*{re.escape(uid_a)}",
            rf"\b6 files.*{re.escape(uid_b)}",
            "series_uid",
        ],
        names=["CT0001.dcm", "B0000.dcm"],
    )
    assert isinstance(error, ValueError)
    assert sorted(len(s.files) for s in error.series) == [6, 10]
    assert {s.uid for s in error.series} == {uid_a, uid_b}
    assert len(error.files) == 16


def test_series_uid_selects_each_series(two_series, good, tmp_path):
    folder, uid_a, uid_b = two_series
    before = snapshot(folder)
    a = load_series(folder, series_uid=uid_a)
    b = load_series(folder, series_uid=uid_b)
    assert snapshot(folder) == before
    assert a.shape == (64, 64, 10) and b.shape == (64, 64, 6)
    alone = load_series(good)
    assert np.array_equal(a.get_fdata(), alone.get_fdata())
    assert np.allclose(a.affine, alone.affine)
    other_alone = load_series(folder / "other")
    assert np.array_equal(b.get_fdata(), other_alone.get_fdata())
    assert np.allclose(b.affine, other_alone.affine)
    assert {s.uid: len(s.files) for s in list_series(folder)} == {uid_a: 10, uid_b: 6}


def test_unknown_series_uid_lists_what_is_there(two_series):
    folder, uid_a, uid_b = two_series
    expect_error(
        lambda: load_series(folder, series_uid="1.2.3.4"),
        words=[
            r"No series with SeriesInstanceUID 1\.2\.3\.4",
            rf"\b10 files.*{re.escape(uid_a)}",
            rf"\b6 files.*{re.escape(uid_b)}",
        ],
        names=["CT0001.dcm", "B0000.dcm"],
    )


# --- slices that do not stack ---------------------------------------------------------------


def test_same_file_twice(series):
    shutil.copy(series / "CT0005.dcm", series / "CT0005 copy.dcm")
    expect_error(
        lambda: load_series(series),
        words=["duplicate", "same image"],
        names=["CT0005.dcm", "CT0005 copy.dcm"],
    )


def test_two_images_at_one_position(series):
    position = dcmread(series / "CT0005.dcm").ImagePositionPatient
    _edit(series / "CT0006.dcm", lambda ds: setattr(ds, "ImagePositionPatient", position))
    expect_error(
        lambda: load_series(series),
        words=["duplicate", "different images"],
        names=["CT0005.dcm", "CT0006.dcm"],
    )


def test_missing_slice(series):
    (series / "CT0005.dcm").unlink()
    expect_error(
        lambda: load_series(series),
        words=["1 slice.{0,3} missing", "between"],
        names=["CT0004.dcm", "CT0006.dcm"],
    )


def test_two_missing_slices(series):
    (series / "CT0005.dcm").unlink()
    (series / "CT0006.dcm").unlink()
    expect_error(
        lambda: load_series(series),
        words=["2 slice.{0,3} missing", "between"],
        names=["CT0004.dcm", "CT0007.dcm"],
    )


def test_uneven_spacing(series):
    for k in range(6, N_SLICES + 1):  # slices 6..10 move 2 mm further up: one 7 mm gap

        def shift(ds):
            x, y, z = (float(v) for v in ds.ImagePositionPatient)
            ds.ImagePositionPatient = [x, y, z + 2.0]

        _edit(series / f"CT{k:04d}.dcm", shift)
    expect_error(
        lambda: load_series(series),
        words=["uneven", "7.000 mm", "5.000 mm"],
        names=["CT0005.dcm", "CT0006.dcm"],
    )


def test_slice_shifted_within_its_plane(series):
    """Right spacing along the normal, but the origin moved 10 mm sideways."""

    def shift(ds):
        x, y, z = (float(v) for v in ds.ImagePositionPatient)
        ds.ImagePositionPatient = [x + 10.0, y, z]

    _edit(series / "CT0005.dcm", shift)
    expect_error(lambda: load_series(series), words=["shifted", "10.000 mm"], names=["CT0005.dcm"])


def test_different_image_size(series):
    def shrink(ds):
        ds.Rows = ds.Columns = 32
        ds.PixelData = np.zeros((32, 32), "<u2").tobytes()

    _edit(series / "CT0005.dcm", shrink)
    expect_error(
        lambda: load_series(series),
        words=["image size", r"\(32, 32\)", r"\(64, 64\)"],
        names=["CT0005.dcm"],
    )


def test_different_orientation(series):
    c, s = np.cos(np.radians(10)), np.sin(np.radians(10))
    _edit(
        series / "CT0005.dcm",
        lambda ds: setattr(ds, "ImageOrientationPatient", [c, s, 0, -s, c, 0]),
    )
    expect_error(lambda: load_series(series), words=["Image Orientation"], names=["CT0005.dcm"])


def test_different_pixel_spacing(series):
    _edit(series / "CT0005.dcm", lambda ds: setattr(ds, "PixelSpacing", [3.0, 3.0]))
    expect_error(lambda: load_series(series), words=["Pixel Spacing"], names=["CT0005.dcm"])


def test_no_file_has_pixel_data(series):
    for path in series.iterdir():
        _edit(path, lambda ds: delattr(ds, "PixelData"))
    expect_error(
        lambda: load_series(series), words=["pixel data", "10 DICOM files"], names=["CT0001.dcm"]
    )


def test_one_file_without_pixel_data(series):
    _edit(series / "CT0005.dcm", lambda ds: delattr(ds, "PixelData"))
    expect_error(lambda: load_series(series), words=["no pixel data"], names=["CT0005.dcm"])


@pytest.mark.parametrize(
    "keyword", ["ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"]
)
def test_file_without_position(series, keyword):
    _edit(series / "CT0005.dcm", lambda ds: delattr(ds, keyword))
    expect_error(lambda: load_series(series), words=["no position"], names=["CT0005.dcm"])


def test_pixel_data_without_image_size(series):
    _edit(series / "CT0005.dcm", lambda ds: delattr(ds, "Rows"))
    expect_error(lambda: load_series(series), words=["Rows"], names=["CT0005.dcm"])


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns about the bad value
@pytest.mark.parametrize(
    "keyword", ["RescaleSlope", "RescaleIntercept", "ImagePositionPatient", "PixelSpacing"]
)
def test_number_that_is_not_a_number(series, keyword):
    _corrupt_value(series / "CT0005.dcm", keyword)
    expect_error(
        lambda: load_series(series), words=[keyword, "not (a )?numb|numeric"], names=["CT0005.dcm"]
    )


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns about the bad value
def test_series_number_that_is_not_a_number(two_series):
    folder, _, _ = two_series
    _corrupt_value(folder / "other" / "B0000.dcm", "SeriesNumber")
    expect_error(lambda: load_series(folder), words=["SeriesNumber"], names=["B0000.dcm"])


# --- things that must not get in the way ----------------------------------------------------


def test_readme_dicomdir_and_hidden_files_are_ignored(series, good):
    fileset = FileSet()
    for path in sorted(good.iterdir()):
        fileset.add(path)
    fileset.write(series.parent / "cd")
    shutil.copy(series.parent / "cd" / "DICOMDIR", series / "DICOMDIR")
    (series / "README.txt").write_text("Exported from PACS. Not for diagnosis.\n")
    (series / ".DS_Store").write_bytes(b"\0\0\0\1Bud1" + bytes(100))
    image = load_series(series)
    assert image.shape == (64, 64, N_SLICES)
    assert np.array_equal(image.get_fdata(), load_series(good).get_fdata())


def test_trailing_zero_padding_is_not_truncation(series, good):
    path = series / "CT0005.dcm"
    path.write_bytes(path.read_bytes() + bytes(2))
    assert np.array_equal(load_series(series).get_fdata(), load_series(good).get_fdata())


def test_cd_layout_with_dicomdir(good, tmp_path):
    """A DICOMDIR at the top, the slices in sub-folders under names without extension."""
    fileset = FileSet()
    for path in sorted(good.iterdir()):
        fileset.add(path)
    fileset.write(tmp_path / "cd")
    assert (tmp_path / "cd" / "DICOMDIR").is_file()
    image = load_series(tmp_path / "cd")
    reference = load_series(good)
    assert np.array_equal(image.get_fdata(), reference.get_fdata())
    assert np.allclose(image.affine, reference.affine)


def test_empty_file_is_named_not_ignored(tmp_path):
    """A 0-byte file (failed copy) must not silently drop an end slice."""
    folder = tmp_path / "series"
    write_ct_series(
        folder,
        shape=(6, 64, 64),
        pixel_spacing=(3.75, 3.75),
        first_position=(-118.125, -110.125, 0.0),
        name="empty-file",
    )
    (folder / "CT0007.dcm").write_bytes(b"")
    with pytest.raises(SeriesError, match=r"CT0007\.dcm is empty \(0 bytes\)") as info:
        load_series(folder)
    assert info.value.files == [folder / "CT0007.dcm"]


# --- issue 25.9: the rule deidentify_folder follows too ------------------------------------


def test_data_set_without_preamble_is_named_with_the_fix(series):
    """A slice written without the Part 10 header was set aside: a silently shorter volume."""
    path = series / "CT0010.dcm"  # the last slice: no gap would show
    path.write_bytes(path.read_bytes()[132:])  # the data set from its file meta on
    error = expect_error(
        lambda: load_series(series),
        words=["without the 128-byte preamble", r"PS3\.10 7\.1", r"force=True"],
        names=["CT0010.dcm"],
    )
    assert "enforce_file_format=True" in str(error)
    expect_error(lambda: list_series(series), words=["force=True"], names=["CT0010.dcm"])


def test_text_that_starts_like_a_tag_is_still_not_dicom(series, good):
    """Only a data set pydicom reads (with a SOP Class UID) is refused; other files stay aside."""
    (series / "notes.bin").write_bytes(b"\x08\x00" + b"not a data set at all" * 20)
    assert load_series(series).shape == load_series(good).shape


def test_series_error_is_short_in_ipython(series):
    """In Jupyter the message and the caller's line, not the package's frames."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    (series / "CT0007.dcm").write_bytes(b"")
    shell = InteractiveShell.instance()
    shell.user_ns.update(load_series=load_series, folder=series)
    with capture_output() as shown:
        result = shell.run_cell("image = load_series(folder)")
    assert isinstance(result.error_in_exec, SeriesError)
    assert shown.stdout.strip().splitlines() == [
        "SeriesError: CT0007.dcm is empty (0 bytes): a failed copy? Replace it with a good "
        "copy, or move it out of the folder.",
        "  (line 1: image = load_series(folder))",
    ]
