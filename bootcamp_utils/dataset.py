"""From DICOM series to a de-identified NIfTI dataset with a manifest, resumably and in parallel.

:func:`convert_series` turns one series (its files) into one NIfTI image, and optionally its
mask, plus one manifest row; :func:`write_dataset` runs it over a table of jobs, serially, in
a :mod:`concurrent.futures` executor or on a Dask cluster; :class:`SeriesDataset` reads the
result back as arrays, the way a PyTorch ``DataLoader`` wants them.

What makes the dataset trustworthy:

* **De-identified.** The manifest holds no name, ID, date or UID of the archive: the patient
  gets a pseudonym (an HMAC of the Patient ID under ``key``), study and series get the new
  UIDs lesson 02's :func:`bootcamp_utils.deid.deidentify` gives them under the same key
  (PS3.15 E.1.1, action U), the study date is shifted per patient (PS3.15 E.1-1 option
  "Retain Longitudinal Temporal Information with Modified Dates"), and provenance is the
  SHA-256 of the source Series Instance UID (whoever holds the archive can find the
  series; nobody else learns its UID). The NIfTI header's text fields (descrip, aux_file,
  intent_name) stay empty: voxels and geometry only.
* **Atomic.** Every file is written under a temporary name in the same folder, then renamed
  (:func:`os.replace`, atomic on one file system): a crash leaves the old file or the new
  one, never half of one. The manifest CSV is rewritten the same way after each series.
* **Resumable.** A series whose manifest row and files exist is skipped, so a run that was
  stopped (or whose worker died) is finished by running it again.
* **Failures are data.** A series that fails is listed in the :class:`DatasetReport` with
  its message; the run goes on.

Keep ``key`` secret: with it anyone can recompute pseudonyms from real Patient IDs.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import operator
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from .grid import resample, to_canonical

__all__ = ["DatasetReport", "SeriesDataset", "convert_series", "write_dataset"]

MANIFEST = "manifest.csv"
#: Columns of the jobs table that are inputs, not copied into the manifest.
_INPUTS = ("series_uid", "files", "seg", "name")
#: Index columns (bootcamp_utils.archive) that identify a patient: never in the manifest.
_IDENTIFYING = {"patient_id", "patient_name", "study_uid", "study_date", "sop_uid", "path"}


def _pseudonym(patient_id: str, key: str) -> str:
    digest = hmac.new(key.encode(), b"patient:" + patient_id.encode(), hashlib.sha256)
    return "P" + digest.hexdigest()[:10]


def _series_name(series_uid: str, key: str) -> str:
    return "S" + hmac.new(key.encode(), series_uid.encode(), hashlib.sha256).hexdigest()[:12]


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _nifti_bytes(img: nib.Nifti1Image) -> bytes:
    """The image as .nii.gz bytes, header text fields empty, no extensions, no gzip name."""
    img.update_header()  # the header's sform/qform (and codes) follow the affine
    header = img.header.copy()
    for text in ("descrip", "aux_file", "intent_name", "db_name"):
        header[text] = b""
    header.extensions.clear()
    clean = nib.Nifti1Image(np.asanyarray(img.dataobj), None, header=header)  # header's affine
    return gzip.compress(clean.to_bytes(), compresslevel=1, mtime=0)


def _header_row(first_file: Path, key: str) -> dict:
    """Manifest fields from the first file's header, de-identified by lesson 02's profile."""
    from pydicom import dcmread

    from .deid import deidentify

    ds = dcmread(first_file, stop_before_pixels=True)
    patient = str(ds.get("PatientID", "") or "")
    clean = deidentify(ds, key=key, shift_dates="per-patient" if patient else None)
    return {
        "patient": _pseudonym(patient, key) if patient else "",
        "study": str(clean.get("StudyInstanceUID", "")),
        "series": str(clean.get("SeriesInstanceUID", "")),
        "source_series_sha256": hashlib.sha256(str(ds.SeriesInstanceUID).encode()).hexdigest(),
        "study_date": str(clean.get("StudyDate", "") or ""),
        "modality": str(clean.get("Modality", "")),
    }


def convert_series(
    files: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    name: str,
    spacing: float | Sequence[float] | None = None,
    seg: str | os.PathLike | None = None,
    key: str = "lesson06",
) -> dict[str, Any]:
    """One series to ``<out>/<name>.nii.gz`` (and ``<name>_mask.nii.gz``); its manifest row.

    The image is :func:`bootcamp_utils.load_series` of ``files`` (float32, HU for CT),
    reoriented to canonical RAS+ (:func:`bootcamp_utils.grid.to_canonical`), resampled to
    ``spacing`` with linear interpolation if given. The mask, from
    :func:`bootcamp_utils.labels.seg_to_mask`, goes through the same steps with nearest
    neighbour, so it stays on the image's grid. Both files are written atomically.

    Parameters
    ----------
    files : sequence of path-like
        The series' DICOM files (any order).
    out : path-like
        The dataset folder (created if needed).
    name : str
        The output files' stem; it must not identify the patient.
    spacing : float or 3 floats, optional
        Voxel size in mm; None keeps the series' own grid.
    seg : path-like, optional
        A DICOM SEG of this series; segment 1 becomes the mask.
    key : str
        The secret of the pseudonyms and new UIDs (as :func:`bootcamp_utils.deid.deidentify`).

    Returns
    -------
    dict
        The manifest row: name, image, mask (file names, mask ``""`` without ``seg``),
        patient, study, series, source_series_sha256, study_date, modality, n_files,
        shape, spacing (``"x"``-joined, mm), axcodes, hu_min, hu_max.

    Raises
    ------
    FileNotFoundError, bootcamp_utils.SeriesError
        From :func:`bootcamp_utils.load_series`; ValueError from the mask's checks.

    Examples
    --------
    >>> import tempfile
    >>> from bootcamp_utils import sample_path
    >>> from bootcamp_utils.dataset import convert_series
    >>> out = tempfile.mkdtemp()
    >>> row = convert_series(sorted(sample_path("head_ct").glob("*.dcm")), out, name="ct1",
    ...                      spacing=2.0)
    >>> row["image"], row["shape"], row["spacing"], row["axcodes"], row["patient"][:1]
    ('ct1.nii.gz', '120x120x79', '2x2x2', 'RAS', 'P')
    """
    from .series import load_series

    files = [Path(f) for f in files]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    image = to_canonical(load_series(files))
    if spacing is not None:
        image = resample(image, spacing, order=1)
    mask = None
    if seg is not None:
        from .labels import check_same_grid, seg_to_mask

        mask = to_canonical(seg_to_mask(seg, files))
        if spacing is not None:
            mask = resample(mask, spacing, order=0)
        check_same_grid(image, mask)
    row = {"name": name, "image": f"{name}.nii.gz", "mask": ""}
    row.update(_header_row(sorted(files)[0], key))
    if mask is not None:
        row["mask"] = f"{name}_mask.nii.gz"
        _write_atomic(out / row["mask"], _nifti_bytes(mask))
    _write_atomic(out / row["image"], _nifti_bytes(image))  # last: its presence means done
    data = np.asanyarray(image.dataobj)
    row.update(
        n_files=len(files),
        shape="x".join(str(n) for n in image.shape),
        spacing="x".join(f"{z:g}" for z in image.header.get_zooms()[:3]),
        axcodes="".join(nib.aff2axcodes(image.affine)),
        hu_min=float(data.min()),
        hu_max=float(data.max()),
    )
    return row


def _convert_job(files, out, name, spacing, seg, key):
    """The picklable call each worker runs (Dask's ``submit`` keeps ``key=`` for itself)."""
    return convert_series(files, out, name=name, spacing=spacing, seg=seg, key=key)


@dataclass
class DatasetReport:
    """What :func:`write_dataset` did: converted, skipped (already there) and failed series.

    Attributes
    ----------
    out : pathlib.Path
        The dataset folder; the manifest is ``out / "manifest.csv"``.
    converted, skipped : list of str
        Output names of the series converted in this run, and of those already done.
    failed : dict of str to str
        Output name -> the error (type and message) for each series that failed.
    seconds : float
        Wall time of the run.
    """

    out: Path
    converted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def manifest(self) -> Path:
        return self.out / MANIFEST

    def __str__(self) -> str:
        lines = [f"{len(self.failed)} series FAILED (run again to retry them):"] * bool(self.failed)
        lines += [f"  {name}: {message}" for name, message in self.failed.items()]
        lines.append(
            f"{len(self.converted)} converted, {len(self.skipped)} skipped (already done), "
            f"{len(self.failed)} failed in {self.seconds:.1f} s; manifest: {self.manifest}"
        )
        return "\n".join(lines)


def _save_manifest(rows: dict[str, dict], out: Path) -> None:
    import pandas as pd

    table = pd.DataFrame(list(rows.values()))
    _write_atomic(out / MANIFEST, table.to_csv(index=False).encode())


def _done(out: Path) -> dict[str, dict]:
    """Manifest rows (by name) whose files exist: the series a new run skips."""
    import pandas as pd

    if not (out / MANIFEST).exists():
        return {}
    table = pd.read_csv(out / MANIFEST, dtype={"mask": str}, keep_default_na=False)
    return {
        r["name"]: r
        for r in table.to_dict("records")
        if (out / r["image"]).exists() and (not r["mask"] or (out / r["mask"]).exists())
    }


def _jobs(jobs, key: str) -> list[tuple[str, dict, list, object]]:
    """(name, extra columns, files, seg) for each job; refuses identifying extra columns."""
    missing = {"series_uid", "files"} - set(jobs.columns)
    if missing:
        raise ValueError(f"jobs lacks the column(s) {sorted(missing)}: one row per series")
    leaks = sorted(_IDENTIFYING & set(jobs.columns))
    if leaks:
        raise ValueError(
            f"jobs has identifying column(s) {leaks}, which would be copied into the "
            "manifest: drop them (jobs.drop(columns=[...])); the manifest has pseudonymous ones"
        )
    extra = [c for c in jobs.columns if c not in _INPUTS]
    out = []
    for row in jobs.to_dict("records"):
        name = row.get("name") or _series_name(str(row["series_uid"]), key)
        seg = row.get("seg")
        seg = None if seg is None or (isinstance(seg, float) and np.isnan(seg)) else seg
        out.append((name, {c: row[c] for c in extra}, list(row["files"]), seg))
    names = [j[0] for j in out]
    if len(set(names)) < len(names):
        raise ValueError("jobs lists a series twice (same series_uid or name): one row each")
    return out


def write_dataset(
    jobs: Any,
    out: str | os.PathLike,
    *,
    spacing: float | Sequence[float] | None = None,
    key: str = "lesson06",
    executor: Any = None,
    progress: bool | None = None,
) -> DatasetReport:
    """Convert every series of ``jobs`` into ``out``, skipping those already done.

    Parameters
    ----------
    jobs : pandas.DataFrame
        One row per series: ``series_uid``, ``files`` (list of paths), optionally ``seg``
        (path or None) and ``name`` (default: an HMAC of the series UID under ``key``);
        other columns (split, QA reason...) are copied into the manifest.
    out : path-like
        The dataset folder.
    spacing : float or 3 floats, optional
        Voxel size in mm for every series (:func:`convert_series`).
    key : str
        The secret of pseudonyms and UIDs.
    executor : None, concurrent.futures.Executor or dask.distributed.Client
        None converts in this process, one series after another.
    progress : bool, optional
        A progress bar; by default for 10 series or more.

    Returns
    -------
    DatasetReport
        Failures (with their messages) come first in its text.

    Raises
    ------
    ValueError
        For a jobs table without series_uid/files, with identifying columns, or a series twice.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from bootcamp_utils import sample_path
    >>> from bootcamp_utils.dataset import write_dataset
    >>> files = sorted(sample_path("head_ct").glob("*.dcm"))
    >>> gap = files[:5] + files[6:12]  # the 6th slice is missing: this series fails
    >>> jobs = pd.DataFrame({"series_uid": ["1.2.3", "1.2.4"], "files": [files, gap],
    ...                      "split": ["train", "test"]})
    >>> out = tempfile.mkdtemp()
    >>> report = write_dataset(jobs, out, spacing=4.0)
    >>> print(report)  # doctest: +ELLIPSIS
    1 series FAILED (run again to retry them):
      S...: SeriesError: Cannot stack the slices: 1 slice(s) missing between CT0005.dcm ...
    1 converted, 0 skipped (already done), 1 failed in ... s; manifest: .../manifest.csv
    >>> again = write_dataset(jobs, out, spacing=4.0)  # the finished series is skipped
    >>> len(again.converted), len(again.skipped), len(again.failed)
    (0, 1, 1)
    """
    from ._progress import progress_bar

    start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo, rows = _jobs(jobs, key), _done(out)
    report = DatasetReport(out, skipped=[n for n, *_ in todo if n in rows])
    for name, extra, *_ in todo:
        if name in rows:
            rows[name].update(extra)  # the jobs' split or QA verdict may have changed
    todo = [j for j in todo if j[0] not in rows]
    show = len(todo) >= 10 if progress is None else progress
    with progress_bar(total=len(todo), desc="Converting series", unit="series", show=show) as bar:
        for name, extra, outcome in _run(todo, out, spacing, key, executor):
            if isinstance(outcome, BaseException):
                report.failed[name] = _failure(outcome)
                _remove_temporaries(out, name)
            else:
                rows[name] = {**outcome, **extra}
                report.converted.append(name)
                _save_manifest(rows, out)
            bar.update()
    if rows:
        _save_manifest(rows, out)
    report.seconds = time.perf_counter() - start
    return report


def _failure(exc: BaseException) -> str:
    """The report's message; a dead worker process's says what happened and what to do."""
    text = f"{type(exc).__name__}: {exc}"
    if type(exc).__name__ in ("BrokenProcessPool", "KilledWorker"):
        text += (
            " (a worker process died, killed or out of memory, while converting this series "
            "or one queued with it; its finished series are kept: run write_dataset again "
            "to retry the rest, with fewer workers if memory ran out)"
        )
    return text


def _remove_temporaries(out: Path, name: str) -> None:
    """Delete a failed series' temporary files (a worker killed mid-write leaves them)."""
    for stem in (f"{name}.nii.gz", f"{name}_mask.nii.gz"):
        for tmp in out.glob(f".{stem}.*.tmp"):
            tmp.unlink(missing_ok=True)


def _run(todo, out, spacing, key, executor):
    """Yield (name, extra, row or exception) as each series finishes, in any order."""
    if executor is None:
        for name, extra, files, seg in todo:
            try:
                yield name, extra, _convert_job(files, out, name, spacing, seg, key)
            except Exception as exc:
                yield name, extra, exc
        return
    if type(executor).__module__.split(".")[0] == "distributed":  # a dask Client
        from distributed import as_completed

        submit = lambda *a: executor.submit(_convert_job, *a, pure=False)  # noqa: E731
    else:
        from concurrent.futures import as_completed

        submit = lambda *a: executor.submit(_convert_job, *a)  # noqa: E731
    futures = {
        submit(files, out, name, spacing, seg, key): (name, extra)
        for name, extra, files, seg in todo
    }
    for future in as_completed(futures):
        name, extra = futures[future]
        try:
            yield name, extra, future.result()
        except Exception as exc:  # BrokenProcessPool, KilledWorker, the series' own error
            yield name, extra, exc


class SeriesDataset:
    """The written dataset as (image, mask) arrays: a map-style dataset for a DataLoader.

    ``len(ds)`` series; ``ds[i]`` is ``(image, mask)``: the image a float32 array (HU for
    CT, canonical RAS+ voxel order), the mask a uint8 array of the same shape, or None.
    Files are read at each access (nothing is held open), so the object pickles to
    DataLoader workers. ``ds.rows`` is the manifest table (of the split).

    Parameters
    ----------
    out_or_manifest : path-like
        The dataset folder, or its manifest CSV.
    split : str, optional
        Only the rows whose ``split`` column equals it.

    Raises
    ------
    FileNotFoundError
        No manifest.
    ValueError
        ``split`` given, but the manifest has no split column.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from bootcamp_utils import sample_path
    >>> from bootcamp_utils.dataset import SeriesDataset, write_dataset
    >>> files = sorted(sample_path("head_ct").glob("*.dcm"))
    >>> out = tempfile.mkdtemp()
    >>> jobs = pd.DataFrame({"series_uid": ["1.2.3"], "files": [files], "split": ["train"]})
    >>> _ = write_dataset(jobs, out, spacing=4.0)
    >>> ds = SeriesDataset(out, split="train")
    >>> image, mask = ds[0]
    >>> len(ds), image.shape, image.dtype.name, mask
    (1, (60, 60, 40), 'float32', None)
    """

    def __init__(self, out_or_manifest, split: str | None = None):
        import pandas as pd

        path = Path(out_or_manifest)
        manifest = path / MANIFEST if path.is_dir() else path
        if not manifest.exists():
            raise FileNotFoundError(f"No manifest {manifest}: write the dataset first")
        self.folder = manifest.parent
        rows = pd.read_csv(manifest, dtype={"mask": str}, keep_default_na=False)
        if split is not None:
            if "split" not in rows.columns:
                raise ValueError(f"{manifest.name} has no split column: give jobs one")
            rows = rows[rows["split"] == split].reset_index(drop=True)
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int):
        index = operator.index(index)  # an integer (numpy's too); a TypeError otherwise
        if not -len(self) <= index < len(self):
            raise IndexError(f"SeriesDataset index {index} out of range ({len(self)} series)")
        row = self.rows.iloc[index]
        image = nib.load(self.folder / row["image"]).get_fdata(dtype=np.float32)
        mask = None
        if row["mask"]:
            mask = np.asarray(nib.load(self.folder / row["mask"]).dataobj, dtype=np.uint8)
        return image, mask
