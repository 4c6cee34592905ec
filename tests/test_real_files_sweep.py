"""Every helper on every real-world file (issue 24): no crash, no wrong pixel, no leak.

The sweep (``tests/sweep.py``) gives every file of pydicom's test data, ``pydicom-data`` and
``deid-data`` to every public helper that takes a data set or a folder, each call in a
worker process with a timeout, and classifies it: ok, a clear refusal (the package's own
error), or a crash (any other exception, a dead worker, a timeout). It checks what
``compress``, ``black_out`` and ``deidentify`` write. The table (calls, ok, refusals,
crashes, problems by helper) is printed and written to ``sweep-report.txt`` in pytest's
temporary folder, with one line per failure and per refusal.

The first tests below check the sweep itself on small cases it must catch (a SIGABRT, a
hang, an error leaking from pydicom, changed pixels, a leaked name), then the sweep's
results are asserted one kind of failure at a time.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import resource
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file, get_testdata_files

from tests import sweep, sweep_steps
from tests.conftest import SWEEP_REPORT, require_tool

# ------------------------------------------------------------------ the sweep catches failures


def _one_file_job(name: str = "CT_small.dcm") -> sweep.Job:
    path = Path(get_testdata_file(name))
    return sweep.Job("file", "pydicom", str(path.parent), str(path))


def _abort(ctx):
    os.abort()


def _hang(ctx):
    time.sleep(60)


def _pydicom_error(ctx):
    return pydicom.valuerep.IS("not a number"), None  # ValueError raised inside pydicom


def _own_error(ctx):
    from bootcamp_utils import compress

    return compress(ctx.ds, "1.2.840.10008.1.2.4.50"), None  # JPEG baseline: EncoderError


def _attribute_error(ctx):
    return ctx.ds.NoSuchKeyword, None


def _fine(ctx):
    return 1, None


def test_the_sweep_classifies_aborts_hangs_and_foreign_errors(monkeypatch, tmp_path):
    steps = {
        "fine before": _fine,
        "abort": _abort,
        "after the abort": _fine,
        "hang": _hang,
        "pydicom error": _pydicom_error,
        "own error": _own_error,
        "attribute error": _attribute_error,
        "fine after": _fine,
    }
    monkeypatch.setattr(sweep, "FILE_STEPS", steps)
    monkeypatch.setattr(sweep, "TIMEOUT", 3.0)
    started = time.monotonic()
    records = sweep.run([_one_file_job(), _one_file_job("MR_small.dcm")], None, tmp=tmp_path)
    assert time.monotonic() - started < 30
    by = {(Path(r.path).name, r.helper): r for r in records}
    for name in ("CT_small.dcm", "MR_small.dcm"):
        status = {helper: by[name, helper].status for helper in steps}
        assert status == {
            "fine before": "ok",
            "abort": "crash",
            "after the abort": "ok",
            "hang": "crash",
            "pydicom error": "crash",
            "own error": "refusal",
            "attribute error": "crash",
            "fine after": "ok",
        }
        assert "SIGABRT" in by[name, "abort"].message
        assert "timeout" in by[name, "hang"].message
    assert "crash" in sweep.table(records) and len(sweep.failures(records)) == 8


def _changed(ds, row=0, col=0, delta=5):
    """A copy of ``ds`` whose pixel (row, col) of every frame is ``delta`` higher."""
    out = copy.deepcopy(ds)
    arr = ds.pixel_array.copy()
    arr[..., row, col] += delta
    out.PixelData = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    return out


def _context(tmp_path, name="CT_small.dcm"):
    path = get_testdata_file(name)
    ctx = sweep._Context(path, tmp_path, None)
    ctx.ds = pydicom.dcmread(path)
    return ctx


def test_the_pixel_checks_catch_wrong_pixels(tmp_path):
    ctx = _context(tmp_path)
    sweep._check_compressed(ctx, copy.deepcopy(ctx.ds), 0, "same.dcm")  # identical: passes
    sweep._check_compressed(ctx, _changed(ctx.ds, delta=2), 2, "near.dcm")  # within NEAR
    with pytest.raises(sweep.Problem, match="1 of 16384 values differ by more than 2"):
        sweep._check_compressed(ctx, _changed(ctx.ds, delta=3), 2, "far.dcm")
    boxes = sweep.boxes_for(128, 128)
    from bootcamp_utils import black_out

    sweep._check_black_out(ctx, black_out(ctx.ds, boxes), boxes)  # the helper passes
    with pytest.raises(sweep.Problem, match="inside the boxes"):
        sweep._check_black_out(ctx, copy.deepcopy(ctx.ds), boxes)  # nothing painted
    painted = black_out(ctx.ds, boxes)
    with pytest.raises(sweep.Problem, match="1 values outside the boxes changed"):
        sweep._check_black_out(ctx, _changed(painted, row=64, col=64), boxes)


def test_black_is_per_colour_space():
    ybr = _context(Path("."), "SC_ybr_full_uncompressed.dcm").ds
    assert sweep.black_values(ybr, "YBR_FULL") == [{0}, {128}, {128}]  # PS3.3 C.7.6.3.1.2
    assert sweep.black_values(ybr, "RGB") == [{0}, {0}, {0}]
    ct = _context(Path("."), "CT_small.dcm").ds  # signed, 16 bits stored
    assert sweep.black_values(ct, "MONOCHROME2") == [{-32768, 32767}]


def test_the_leak_check_finds_the_original_values(tmp_path):
    ctx = _context(tmp_path)
    needles = sweep.identifying_values(ctx.ds)
    assert b"CompressedSamples^CT1" in needles  # Patient's Name
    assert b"1CT1" in needles  # Patient ID
    assert ctx.ds.SOPInstanceUID.encode() in needles
    with pytest.raises(sweep.Problem, match="PatientName b'CompressedSamples\\^CT1'"):
        sweep._check_leaks(ctx, copy.deepcopy(ctx.ds))
    from bootcamp_utils import deidentify

    sweep._check_leaks(ctx, deidentify(ctx.ds))
    # found as a whole value or word, not inside a longer number or word
    assert sweep._found(b"Rivera", b"PN\x0c\x00Rivera^Elena") and sweep._found(b"0010", b"\\0010 ")
    assert not sweep._found(b"0010", b"DS 1.0010 ") and not sweep._found(b"Elena", b"Elenas")
    # a value the device attributes hold in the original is not searched for
    bigendian = _context(tmp_path, "MR_small_bigendian.dcm").ds
    assert bigendian.InstitutionName == "TOSHIBA" and bigendian.Manufacturer == "TOSHIBA_MEC"
    assert b"TOSHIBA" not in sweep.identifying_values(bigendian)


def test_dciodvfy_lines_are_compared_without_their_uids():
    line = "Error - Referenced SOP Instance is not listed ... have IMAGE ReferencedSOPInstanceUID "
    assert sweep._UID.sub("<UID>", line + "0") == sweep._UID.sub("<UID>", line + "2.25.1234")
    kept = "Error - Value invalid for this VR - (0x0008,0x1150) UI [1] = <0>"
    assert sweep._UID.sub("<UID>", kept) == kept


@pytest.mark.external
def test_the_dciodvfy_check_finds_new_errors(tmp_path):
    ctx = _context(tmp_path)
    ctx.dciodvfy = require_tool("dciodvfy", "dicom3tools")
    sweep._check_dciodvfy(ctx, copy.deepcopy(ctx.ds))  # the same file: no new error
    broken = copy.deepcopy(ctx.ds)
    del broken.Modality  # General Series module (PS3.3 C.7.3.1)
    with pytest.raises(
        sweep.Problem, match="1 new: Error - Missing attribute .*Element=<Modality>"
    ):
        sweep._check_dciodvfy(ctx, broken)


# ------------------------------------------------------------------ the sweep


@dataclass
class SweepResult:
    records: list
    seconds: float
    dciodvfy: str | None
    report: Path
    jobs: list


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> SweepResult:
    """The sweep, run once for the module; its report is printed and written to a file."""
    tmp = tmp_path_factory.mktemp("sweep")
    dciodvfy = shutil.which("dciodvfy")
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    jobs = sweep.collect(tmp / "unpacked")
    records = sweep.run(jobs, dciodvfy, tmp=tmp)
    seconds = time.monotonic() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    report = tmp / "sweep-report.txt"
    failing = sweep.failures(records)
    text = "\n".join(
        [
            f"Sweep: {seconds:.0f} s with {sweep.WORKERS} worker processes ({cpu:.0f} s CPU in "
            f"them and their dciodvfy runs); dciodvfy: {dciodvfy or 'not installed: skipped'}",
            "Slowest: " + sweep.slowest(records),
            sweep.reading(records),
            "Download-only test files no installed package provides: "
            + (", ".join(sweep.missing_downloads()) or "none"),
            "",
            sweep.table(records),
            "",
            f"Failures ({len(failing)}): helper | file | kind | message",
            *failing,
            "",
            "Refusals: helper | file | refusal | message",
            *sweep.refusals(records),
        ]
    )
    report.write_text(text + "\n")
    SWEEP_REPORT.parent.mkdir(parents=True, exist_ok=True)  # conftest prints its table at the end
    SWEEP_REPORT.write_text(text + "\n")
    print(f"\n{text.split('Refusals:')[0]}\n(full report: {report})")
    return SweepResult(records, seconds, dciodvfy, report, jobs)


def _failing(swept: SweepResult, kinds: set[str], helpers: str = "") -> list[str]:
    lines = [
        line
        for line in sweep.failures(swept.records)
        if line.split(" | ")[2] in kinds and line.startswith(helpers)
    ]
    return lines


def _report(lines: list[str], swept: SweepResult, shown: int = 60) -> str:
    more = f"\n... and {len(lines) - shown} more" if len(lines) > shown else ""
    return (
        f"{len(lines)} failing call(s), one a line (all in {swept.report}):\n"
        + "\n".join(lines[:shown])
        + more
    )


def test_the_sweep_reaches_every_file(swept):
    files = [j for j in swept.jobs if j.kind == "file"]
    assert {j.source for j in files} == {"pydicom", "pydicom-data", "deid-data"}
    swept_paths = {j.path for j in files}
    roots = sweep.sources()
    expected = {Path(p) for p in get_testdata_files() if Path(p).is_file()}
    expected |= {p for p in roots["deid-data"].rglob("*") if p.suffix in (".dcm", ".zip")}
    assert len(expected) >= 250
    for path in expected:
        if path.suffix in (".zip", ".gz"):  # unpacked: <relative path>/<file inside>
            source = next(name for name, root in roots.items() if path.is_relative_to(root))
            rel = path.relative_to(roots[source]).as_posix() + "/"
            assert any(j.source == source and j.rel.startswith(rel) for j in files), path
        else:
            assert str(path) in swept_paths, path
    recorded = {(r.source, r.path) for r in swept.records}
    assert all((j.source, j.rel) in recorded for j in swept.jobs)
    read = {r.where for r in swept.records if r.helper == "validate"}
    assert len(read) >= 0.9 * len(files)  # the report names the files that are not DICOM


def test_no_helper_crashes(swept):
    lines = _failing(swept, {"crash"})
    assert not lines, _report(lines, swept)


def test_compress_keeps_every_pixel(swept):
    lines = _failing(swept, {"wrong pixels", "unsavable", "check error"}, "compress")
    assert not lines, _report(lines, swept)


def test_black_out_paints_the_boxes_and_nothing_else(swept):
    lines = _failing(swept, {"wrong pixels", "unsavable", "check error"}, "black_out")
    assert not lines, _report(lines, swept)


def test_deidentify_leaves_no_identifying_value(swept):
    lines = _failing(swept, {"leak", "unsavable", "check error"}, "deidentify")
    assert not lines, _report(lines, swept)


@pytest.mark.external
def test_deidentify_adds_no_dciodvfy_error(swept):
    require_tool("dciodvfy", "dicom3tools")
    assert swept.dciodvfy, "dciodvfy was not found when the sweep ran"
    lines = _failing(swept, {"new dciodvfy errors"}, "deidentify")
    assert not lines, _report(lines, swept)


# ------------------------------------------------------------------ lesson 06's helpers

LESSON06 = ("index_archive", "qa_table", "ArchiveIndex.files", "convert_series")
LABELS = ("seg_to_mask", "rtstruct_to_mask")


def test_lesson06_checks_catch_a_lost_file_and_a_wrong_volume(tmp_path):
    from bootcamp_utils import sample_path
    from bootcamp_utils.archive import index_archive
    from bootcamp_utils.dataset import convert_series

    folder = tmp_path / "ct"
    shutil.copytree(sample_path("head_ct"), folder)
    index = index_archive(folder, progress=False)
    sweep_steps._check_index(str(folder), index)  # the helper passes
    index.instances = index.instances.iloc[1:]  # one file neither indexed nor a problem
    with pytest.raises(sweep.Problem, match="1 file.s. neither indexed nor problems"):
        sweep_steps._check_index(str(folder), index)
    files = sorted(folder.glob("*.dcm"))
    convert_series(files, tmp_path / "dataset", name="s0")
    sweep_steps._check_converted(files, tmp_path, "s0")  # the helper passes
    convert_series(files[::-1][1:], tmp_path / "dataset", name="s0")  # one slice fewer
    with pytest.raises(sweep.Problem, match="differs from load_series"):
        sweep_steps._check_converted(files, tmp_path, "s0")


def test_lesson06_helpers_on_real_folders_and_labels(tmp_path):
    """index_archive, qa_table and convert_series on every folder of the three sources,
    seg_to_mask and rtstruct_to_mask on their real SEG and RTSTRUCT files (whose source
    images no installed package has: each must be refused, naming the file)."""
    jobs = sweep.collect(tmp_path / "unpacked")
    folders = [
        dataclasses.replace(j, skip=frozenset({"list_series", "deidentify_folder"}))
        for j in jobs
        if j.kind == "folder"
    ]
    labels = [j for j in jobs if j.kind == "file" and _modality(j.path) in ("SEG", "RTSTRUCT")]
    steps = {name: sweep_steps.FILE_STEPS[name] for name in LABELS}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sweep, "FILE_STEPS", steps)
        records = sweep.run(folders + labels, None, tmp=tmp_path)
    print("\n" + sweep.table(records))
    failing = sweep.failures(records)
    assert not failing, "\n".join(failing)
    by = {
        h: [r for r in records if r.helper.split(" [")[0] == h and r.status != "n/a"]
        for h in LESSON06 + LABELS
    }
    assert len(by["index_archive"]) == len(folders) == len(by["qa_table"])
    assert {r.status for r in by["index_archive"] + by["qa_table"]} == {"ok"}
    assert sum(r.status == "ok" for r in by["convert_series"]) >= 3  # checked voxel by voxel
    assert len(by["seg_to_mask"]) >= 4 and len(by["rtstruct_to_mask"]) >= 1
    for record in by["seg_to_mask"] + by["rtstruct_to_mask"]:
        assert record.status == "refusal" and record.names_file, record
        assert "drawn on" in record.message


def _modality(path: str) -> str:
    try:
        return str(pydicom.dcmread(path, stop_before_pixels=True, force=True).get("Modality"))
    except Exception:
        return ""


def test_lesson06_helpers_return_what_they_should(swept):
    lines = [line for line in sweep.failures(swept.records) if line.startswith(LESSON06 + LABELS)]
    assert not lines, _report(lines, swept)
