"""bootcamp_utils.deid.folder.deidentify_folder on a copy of the identified sample study."""

from __future__ import annotations

import shutil
import warnings

import pydicom
import pytest

from bootcamp_utils.deid import DeidFolderError, FolderReport, deidentify_folder
from bootcamp_utils.deid.profile import new_uid


@pytest.fixture
def src(samples_root, tmp_path):
    """The identified study copied into tmp_path, with a README.txt, a .DS_Store and a
    sub-folder holding two of the slices (the checkout's data/ is never used)."""
    folder = tmp_path / "study"
    shutil.copytree(samples_root / "identified_study", folder)
    (folder / "README.txt").write_text("Exported by the scanner for Elena Rivera\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + b"\x00" * 200)
    (folder / "more").mkdir()
    for name in ("CT0003.dcm", "CT0004.dcm"):
        (folder / name).rename(folder / "more" / name)
    return folder


def _run(src, dst, **kwargs):
    kwargs.setdefault("progress", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the localizer's burned-in text
        return deidentify_folder(src, dst, **kwargs)


def _snapshot(folder):
    """Every path under ``folder`` with its size, mtime and bytes."""
    return {
        p.relative_to(folder): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    } | {p.relative_to(folder): "dir" for p in folder.rglob("*") if p.is_dir()}


def _leftovers(parent, name):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(name))


def test_report_lists_written_and_skipped_files(src, tmp_path):
    dst = tmp_path / "out"
    report = _run(src, dst, key="course")
    assert isinstance(report, FolderReport)
    sources = sorted(src.rglob("*.dcm"))
    assert sorted(report.written) == sources
    outputs = sorted(dst.rglob("*"))
    assert sorted(p for p in outputs if p.is_file()) == sorted(report.written.values())
    assert all(p.suffix == ".dcm" for p in report.written.values())
    skipped = {p.name: why for p, why in report.skipped}
    assert set(skipped) == {"README.txt", ".DS_Store"}
    assert "DICM" in skipped["README.txt"]
    assert not (dst / "README.txt").exists()
    assert "2 file(s) skipped" in str(report) and "README.txt" in str(report)
    assert _leftovers(tmp_path, "out") == ["out"]  # no partial folder left


def test_names_and_contents_are_de_identified(src, tmp_path):
    report = _run(src, tmp_path / "out", key="course")
    for source, output in report.written.items():
        ds = pydicom.dcmread(output)
        assert ds.PatientIdentityRemoved in ("YES", "NO")
        assert output.name == f"{ds.SOPInstanceUID}.dcm"
        assert output.parent.name == ds.SeriesInstanceUID
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        original = pydicom.dcmread(source, stop_before_pixels=True)
        assert ds.SOPInstanceUID == new_uid(original.SOPInstanceUID, key="course")
        assert ds.PatientName == ""
        assert source.stem not in str(output)


def test_series_grouping_and_references_kept(src, tmp_path):
    report = _run(src, tmp_path / "out")  # no key: the process key, one for the whole call
    before = {p: pydicom.dcmread(p) for p in report.written}
    after = {p: pydicom.dcmread(out) for p, out in report.written.items()}
    groups: dict[str, set[str]] = {}
    for path, ds in before.items():
        groups.setdefault(ds.SeriesInstanceUID, set()).add(after[path].SeriesInstanceUID)
    assert len(groups) == 2
    assert all(len(new) == 1 for new in groups.values())  # one input series -> one output
    assert len(set.union(*groups.values())) == 2  # and the two stay apart
    assert len({ds.StudyInstanceUID for ds in after.values()}) == 1
    scout = next(ds for ds in after.values() if "LOCALIZER" in ds.ImageType)
    slices = [ds for ds in after.values() if "AXIAL" in ds.ImageType]
    assert len(slices) == 4
    for ds in slices:  # the slices still point at the localizer, across sub-folders
        assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == scout.SOPInstanceUID
    by_series = {p.parent.name for p in report.written.values()}
    assert by_series == {ds.SeriesInstanceUID for ds in after.values()}


def test_source_is_not_changed(src, tmp_path):
    before = _snapshot(src)
    _run(src, tmp_path / "out", key="course")
    assert _snapshot(src) == before


def test_key_reproducible_across_calls(src, tmp_path):
    first = _run(src, tmp_path / "a", key="course")
    second = _run(src, tmp_path / "b", key="course")
    other = _run(src, tmp_path / "c", key="another")
    rel = {p: out.relative_to(tmp_path / "a") for p, out in first.written.items()}
    assert {p: out.relative_to(tmp_path / "b") for p, out in second.written.items()} == rel
    assert not set(rel.values()) & {
        out.relative_to(tmp_path / "c") for out in other.written.values()
    }
    for path, out in first.written.items():
        assert out.read_bytes() == second.written[path].read_bytes()


@pytest.mark.parametrize("where", ["inside", "same", "sub-sub"])
def test_dst_inside_src_refused(src, where):
    dst = {"inside": src / "clean", "same": src, "sub-sub": src / "more" / "clean"}[where]
    before = _snapshot(src)
    with pytest.raises(ValueError, match="inside the source folder"):
        _run(src, dst)
    assert _snapshot(src) == before


def test_src_inside_dst_refused(src, tmp_path):
    with pytest.raises(ValueError, match="inside the output folder"):
        _run(src, tmp_path)


def test_existing_dst_refused(src, tmp_path):
    """Issue 25.5: one line naming the folder and the fix, not a FileExistsError."""
    dst = tmp_path / "out"
    dst.mkdir()
    (dst / "keep.txt").write_text("mine")
    (src / "CT0002.dcm").write_bytes(b"\x00" * 128 + b"DICM" + b"garbage")
    with pytest.raises(DeidFolderError) as caught:
        _run(src, dst)  # refused before any file is read
    assert str(caught.value) == (
        f"The output folder {dst} already exists: pass overwrite=True to replace it, "
        "or choose a new folder."
    )
    assert caught.value.path == dst
    assert [p.name for p in dst.iterdir()] == ["keep.txt"]
    assert _leftovers(tmp_path, "out") == ["out"]


def test_src_must_be_a_folder(src, tmp_path):
    with pytest.raises(NotADirectoryError, match="deidentify\\(pydicom.dcmread"):
        _run(src / "SCOUT0001.dcm", tmp_path / "out")
    with pytest.raises(FileNotFoundError):
        _run(tmp_path / "nowhere", tmp_path / "out")


@pytest.mark.parametrize(
    "garbage",
    [b"garbage" * 50, bytes(range(256)) * 8],
    ids=["text", "bytes"],
)
def test_corrupt_file_stops_and_leaves_nothing(src, tmp_path, garbage):
    bad = src / "more" / "CT0005.dcm"  # sorted after the good files: some are written first
    bad.write_bytes(b"\x00" * 128 + b"DICM" + garbage)
    before = _snapshot(src)
    with pytest.raises(DeidFolderError, match="CT0005.dcm") as caught:
        _run(src, tmp_path / "out")
    assert caught.value.path == bad
    message = str(caught.value)
    assert "Replace it with a good copy" in message and "Nothing was written" in message
    assert _leftovers(tmp_path, "out") == []  # neither out nor out.partial-*
    assert _snapshot(src) == before


def test_truncated_file_stops_and_leaves_nothing(src, tmp_path):
    """A copy cut short in its pixel data still reads with pydicom: it must not pass."""
    bad = src / "more" / "CT0004.dcm"
    bad.write_bytes(bad.read_bytes()[:-10])
    with pytest.raises(
        DeidFolderError, match=r"CT0004.dcm is truncated: the file ends after .* PixelData"
    ) as caught:
        _run(src, tmp_path / "out")
    assert caught.value.path == bad
    assert _leftovers(tmp_path, "out") == []


def test_damaged_header_named(src, tmp_path):
    bad = src / "CT0002.dcm"
    bad.write_bytes(bad.read_bytes()[:700])  # the file meta and the start of the data set
    with pytest.raises(
        DeidFolderError, match=r"CT0002.dcm is truncated: the file ends after 700 bytes, inside"
    ):
        _run(src, tmp_path / "out")
    assert _leftovers(tmp_path, "out") == []


def test_unknown_option_refused_before_writing(src, tmp_path):
    with pytest.raises(TypeError, match="shift_date"):
        _run(src, tmp_path / "out", shift_date=10)
    assert _leftovers(tmp_path, "out") == []


def test_options_reach_deidentify(src, tmp_path):
    report = _run(src, tmp_path / "out", key="course", shift_dates=-30)
    for out in report.written.values():
        ds = pydicom.dcmread(out, stop_before_pixels=True)
        assert ds.LongitudinalTemporalInformationModified == "MODIFIED"


def test_progress_bar_shown_and_silenced(src, tmp_path, capsys):
    _run(src, tmp_path / "a", progress=True)
    assert "De-identifying" in capsys.readouterr().err
    _run(src, tmp_path / "b", progress=False)
    assert "De-identifying" not in capsys.readouterr().err


def test_second_copy_of_an_instance_skipped(src, tmp_path):
    shutil.copy(src / "CT0001.dcm", src / "more" / "CT0001 copy.dcm")
    report = _run(src, tmp_path / "out")
    assert len(report.written) == 5 and len(list((tmp_path / "out").rglob("*.dcm"))) == 5
    skipped = {p.name: why for p, why in report.skipped}
    assert skipped["CT0001 copy.dcm"].startswith("another copy of the instance in CT0001.dcm")


def test_dicomdir_skipped_and_named(src, tmp_path):
    from pydicom.fileset import FileSet

    fs = FileSet()
    for path in sorted(src.rglob("*.dcm")):
        fs.add(pydicom.dcmread(path))
    fs.write(tmp_path / "media")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = deidentify_folder(tmp_path / "media", tmp_path / "out", progress=False)
    (message,) = [str(w.message) for w in caught if "DICOMDIR" in str(w.message)]
    assert message.startswith("1 DICOMDIR(s) not copied") and "FileSet" in message
    assert len(report.written) == 5
    assert [(p.name, why.split(":")[0]) for p, why in report.skipped] == [
        ("DICOMDIR", "a DICOMDIR, not copied")
    ]
    assert "FileSet" in report.skipped[0][1] and "DICOMDIR" in str(report)


def test_pydicom_dicomdir_tests_every_dicomdir_named_none_copied(tmp_path):
    """pydicom's dicomdirtests: 8 DICOMDIRs whose Referenced File IDs start with Patient IDs."""
    from pathlib import Path

    from pydicom.data import get_testdata_file

    media = tmp_path / "media"
    shutil.copytree(Path(get_testdata_file("DICOMDIR")).parent, media)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = deidentify_folder(media, tmp_path / "out", progress=False)
    dicomdirs = sorted(
        p.relative_to(media).as_posix() for p, why in report.skipped if "DICOMDIR" in why
    )
    assert dicomdirs == sorted(
        p.relative_to(media).as_posix()
        for p in media.rglob("*")
        if p.is_file()
        and p.read_bytes()[128:132] == b"DICM"
        and pydicom.dcmread(p, stop_before_pixels=True).file_meta.MediaStorageSOPClassUID
        == pydicom.uid.MediaStorageDirectoryStorage
    )
    assert len(dicomdirs) == 8
    (message,) = [str(w.message) for w in caught if "DICOMDIR(s) not copied" in str(w.message)]
    assert message.startswith("8 DICOMDIR(s) not copied") and "DICOMDIR-bigEnd" in message
    written = list((tmp_path / "out").rglob("*"))
    assert len([p for p in written if p.is_file()]) == len(report.written) > 0
    for path in written:  # the patients' IDs (and so the old paths) are gone
        assert "77654033" not in path.as_posix() and "98890234" not in path.as_posix()


def test_folder_without_dicom_warns(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.txt").write_text("nothing here")
    with pytest.warns(UserWarning, match="No DICOM file"):
        report = deidentify_folder(tmp_path / "notes", tmp_path / "out", progress=False)
    assert report.written == {} and len(report.skipped) == 1
    assert list((tmp_path / "out").iterdir()) == []


def test_dst_has_the_permissions_of_a_new_folder(src, tmp_path):
    report = _run(src, tmp_path / "out")
    (tmp_path / "plain").mkdir()
    assert (tmp_path / "out").stat().st_mode == (tmp_path / "plain").stat().st_mode
    assert len(report.written) == 5


def test_a_list_of_boxes_warns_about_the_files_without_text(src, tmp_path):
    """Issue 23.25: a list is blacked out in every file; the four slices have no text."""
    box = [(0, 10, 0, 10)]
    with pytest.warns(UserWarning, match=r"4 of them without Burned In Annotation YES"):
        deidentify_folder(src, tmp_path / "list", burned_in_boxes=box, progress=False)

    def only_text(ds):
        return box if ds.get("BurnedInAnnotation") == "YES" else None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        deidentify_folder(src, tmp_path / "function", burned_in_boxes=only_text, progress=False)
    assert not [w for w in caught if "burned_in_boxes is a list" in str(w.message)]


# --- issue 25.3: what still needs attention comes first ------------------------------------


def _scout_box(ds):
    """The box of the localizer's burned-in text (its 4095 pixels), None for the others."""
    if ds.get("BurnedInAnnotation") != "YES":
        return None
    rows, cols = (ds.pixel_array == 2**ds.BitsStored - 1).nonzero()
    return [(int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1)]


def test_identity_not_removed_needs_attention_first(src, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = deidentify_folder(src, tmp_path / "out", progress=False)
    assert [(p.name, why) for p, why in report.needs_attention] == [
        ("SCOUT0001.dcm", pytest.approx(report.needs_attention[0][1]))
    ]
    why = report.needs_attention[0][1]
    assert "Patient Identity Removed NO" in why and "Burned In Annotation is YES" in why
    scout = pydicom.dcmread(report.written[src / "SCOUT0001.dcm"])
    assert scout.PatientIdentityRemoved == "NO"  # written, and flagged
    lines = str(report).splitlines()
    assert lines[0] == "1 file(s) NEED ATTENTION:"
    assert lines[1].startswith("  ! SCOUT0001.dcm: written with Patient Identity Removed NO")
    assert lines[2].startswith("5 DICOM file(s) de-identified into") and "1 of them" in lines[2]
    # one warning for the folder, after the progress bar; not one per file from deidentify
    messages = [str(w.message) for w in caught]
    assert [m for m in messages if "need attention" in m] == [
        next(m for m in messages if m.startswith("1 of the 5 file(s) written"))
    ]
    assert not [m for m in messages if m.startswith("Burned In Annotation is YES")]


def test_nothing_needs_attention_when_the_text_is_blacked_out(src, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = deidentify_folder(
            src, tmp_path / "out", burned_in_boxes=_scout_box, progress=False
        )
    assert report.needs_attention == []
    assert "ATTENTION" not in str(report)
    assert str(report).startswith("5 DICOM file(s) de-identified into")
    assert not [w for w in caught if "need attention" in str(w.message)]
    for out in report.written.values():
        assert pydicom.dcmread(out, stop_before_pixels=True).PatientIdentityRemoved == "YES"


def test_strict_refuses_and_writes_nothing(src, tmp_path):
    with pytest.raises(DeidFolderError) as caught:
        _run(src, tmp_path / "out", strict=True)
    assert caught.value.path == src / "SCOUT0001.dcm"
    message = str(caught.value)
    assert message.startswith("strict=True: SCOUT0001.dcm written with Patient Identity")
    assert message.endswith(f"Nothing was written to {tmp_path / 'out'}.")
    assert _leftovers(tmp_path, "out") == []
    report = _run(src, tmp_path / "out", strict=True, burned_in_boxes=_scout_box)
    assert len(report.written) == 5 and report.needs_attention == []


def test_dicomdir_needs_attention(src, tmp_path):
    from pydicom.fileset import FileSet

    fs = FileSet()
    for path in sorted(src.rglob("*.dcm")):
        fs.add(pydicom.dcmread(path))
    fs.write(tmp_path / "media")
    report = _run(tmp_path / "media", tmp_path / "out", burned_in_boxes=_scout_box)
    assert [(p.name, why) for p, why in report.needs_attention] == [
        ("DICOMDIR", report.skipped[0][1])
    ]
    printed = str(report)
    assert printed.startswith("1 file(s) NEED ATTENTION:\n  ! DICOMDIR: a DICOMDIR, not copied")
    assert printed.count("DICOMDIR:") == 1  # not listed a second time under "skipped"
    with pytest.raises(DeidFolderError, match="strict=True: DICOMDIR a DICOMDIR, not copied"):
        _run(tmp_path / "media", tmp_path / "strict", strict=True, burned_in_boxes=_scout_box)


# --- issue 25.5: an existing output folder --------------------------------------------------


def test_overwrite_replaces_an_earlier_output(src, tmp_path):
    dst = tmp_path / "out"
    first = _run(src, dst, key="one")
    second = _run(src, dst, key="two", overwrite=True)
    files = sorted(p for p in dst.rglob("*") if p.is_file())
    assert files == sorted(second.written.values())
    assert not set(files) & set(first.written.values())
    assert _leftovers(tmp_path, "out") == ["out"]  # no .old-* nor .partial-* left


@pytest.mark.parametrize("stranger", ["keep.txt", "series/notes.txt", "series/deeper/a.dcm"])
def test_overwrite_refuses_a_folder_it_did_not_write(src, tmp_path, stranger):
    dst = tmp_path / "out"
    _run(src, dst)
    (dst / stranger).parent.mkdir(parents=True, exist_ok=True)
    (dst / stranger).write_text("mine")
    before = _snapshot(dst)
    with pytest.raises(DeidFolderError, match="overwrite=True replaces only the output") as caught:
        _run(src, dst, overwrite=True)
    assert str(dst) in str(caught.value) and "Choose a new folder" in str(caught.value)
    assert _snapshot(dst) == before  # nothing deleted
    assert _leftovers(tmp_path, "out") == ["out"]


def test_overwrite_refuses_a_file(src, tmp_path):
    dst = tmp_path / "out"
    dst.write_text("a file")
    with pytest.raises(DeidFolderError, match=r"out is not a folder: overwrite=True"):
        _run(src, dst, overwrite=True)
    assert dst.read_text() == "a file"


def test_refusal_traceback_is_short_in_ipython(src, tmp_path):
    """In Jupyter a refusal shows the message and the student's line, not 30 lines."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.user_ns.update(deidentify_folder=deidentify_folder, src=src, dst=tmp_path / "out")
    cell = "x = 1\nreport = deidentify_folder(src, dst, progress=False)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        shell.run_cell(cell)
        with capture_output() as shown:
            result = shell.run_cell(cell)  # run again: the folder exists
    assert isinstance(result.error_in_exec, DeidFolderError)
    assert shown.stdout.strip().splitlines() == [
        f"DeidFolderError: The output folder {tmp_path / 'out'} already exists: pass "
        "overwrite=True to replace it, or choose a new folder.",
        "  (line 2: report = deidentify_folder(src, dst, progress=False))",
    ]


def test_a_bug_keeps_its_whole_traceback_in_ipython(src, tmp_path, monkeypatch):
    """An error raised from another one (not a refusal) shows both, as usual."""
    from bootcamp_utils.deid import folder

    def bug(ds, **options):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(folder, "deidentify", bug)
    try:
        _run(src, tmp_path / "out")
    except DeidFolderError as exc:
        rendered = "\n".join(exc._render_traceback_())
    else:
        raise AssertionError("no DeidFolderError")
    assert "direct cause" in rendered and "ZeroDivisionError: division by zero" in rendered
    assert "could not be de-identified (ZeroDivisionError" in rendered


# --- issue 25.9: damaged files, the rule load_series follows --------------------------------


def _damage(path, how):
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "cut_preamble":
        path.write_bytes(data[:100])
    elif how == "cut_header":
        path.write_bytes(data[:700])
    elif how == "cut_pixels":
        path.write_bytes(data[:-10])
    elif how == "no_preamble":
        path.write_bytes(data[132:])
    elif how == "broken_link":
        path.unlink()
        path.symlink_to(path.parent / "gone.dcm")


@pytest.mark.parametrize(
    ("how", "words"),
    [
        ("empty", "is empty (0 bytes): a failed copy?"),
        ("cut_preamble", "is truncated: it ends after 100 bytes, before the 'DICM' marker"),
        ("cut_header", "is truncated: the file ends after 700 bytes, inside the value of"),
        ("cut_pixels", "is truncated: the file ends after"),
        ("no_preamble", "pydicom.dcmread(path, force=True)"),
        ("broken_link", "could not be read as DICOM"),
    ],
)
def test_damaged_files_refused_as_load_series_refuses_them(src, tmp_path, how, words):
    """One rule for both: the same refusal, the same words, nothing written, no skipping."""
    from bootcamp_utils import SeriesError, load_series

    bad = src / "more" / "CT0004.dcm"
    _damage(bad, how)
    with pytest.raises(DeidFolderError) as deid:
        _run(src, tmp_path / "out")
    with pytest.raises(SeriesError) as series:
        load_series(src / "more", progress=False)
    assert deid.value.path == bad and series.value.files == [bad]
    problem = str(series.value).removeprefix("CT0004.dcm ")
    assert words in problem
    assert (
        str(deid.value) == f"more/CT0004.dcm {problem} Nothing was written to {tmp_path / 'out'}."
    )
    assert _leftovers(tmp_path, "out") == []


def test_no_preamble_message_gives_the_fix_that_works(src, tmp_path):
    bad = src / "more" / "CT0004.dcm"
    original = pydicom.dcmread(bad)
    _damage(bad, "no_preamble")
    with pytest.raises(DeidFolderError, match="PS3.10 7.1"):
        _run(src, tmp_path / "out")
    ds = pydicom.dcmread(bad, force=True)  # what the message says, step by step
    ds.file_meta.TransferSyntaxUID = original.file_meta.TransferSyntaxUID
    ds.save_as(bad, enforce_file_format=True)
    assert len(_run(src, tmp_path / "out").written) == 5


def test_image_without_pixel_data_refused(src, tmp_path):
    """Cut at the start of Pixel Data: pydicom sees a whole header; load_series refuses it."""
    bad = src / "CT0002.dcm"
    ds = pydicom.dcmread(bad)
    del ds.PixelData
    ds.save_as(bad)
    with pytest.raises(DeidFolderError, match="CT0002.dcm describes an image .* no pixel data"):
        _run(src, tmp_path / "out")
    assert _leftovers(tmp_path, "out") == []


def test_damaged_hidden_file_skipped_with_its_reason(src, tmp_path):
    (src / ".keep").write_bytes(b"")
    report = _run(src, tmp_path / "out")
    skipped = dict((p.name, why) for p, why in report.skipped)
    assert skipped[".keep"].startswith("a hidden file that is empty (0 bytes)")
    assert len(report.written) == 5
