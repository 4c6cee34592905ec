"""What the ``ml_archive`` sample holds: the answers a header-based selection is checked against.

The sample (``_archive.py``) is written from a plan: which patient, study and series, of
which kind, with which defect. This module reads that plan, never the files, and says for
every series what it is and whether an "axial CT for training" selection keeps it
(:func:`archive_truth`), and which files are not readable DICOM images (:func:`archive_problems`).
None of it is written into the archive folder: students must work it out from the headers
(Series Instance UID, PS3.3 C.7.3.1; Image Type, PS3.3 C.7.6.1.1.2; SOP Class UID, PS3.3
C.12.1.1.1). ``_archive`` imports both names from here, so
``from bootcamp_utils.data._archive import archive_truth`` keeps working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydicom.uid import CTImageStorage, MRImageStorage, SecondaryCaptureImageStorage

if TYPE_CHECKING:
    from ._archive import _Spec

__all__ = ["archive_problems", "archive_truth"]


def _modality(spec: _Spec) -> tuple[str, str]:
    if spec.kind == "SEG":
        return "SEG", "1.2.840.10008.5.1.4.1.1.66.4"
    if spec.kind == "RTSTRUCT":
        return "RTSTRUCT", "1.2.840.10008.5.1.4.1.1.481.3"
    if spec.kind == "secondary capture":
        return "CT", SecondaryCaptureImageStorage
    return ("MR", MRImageStorage) if spec.kind == "sagittal MR" else ("CT", CTImageStorage)


def archive_truth() -> list[dict]:
    """What every series of the ``ml_archive`` sample is, and whether to train on it.

    Computed from the plan the sample is written from (no file is read), so tests and the
    lesson's self-checks can compare a header-based selection with the truth. It is never
    written into the archive folder.

    Returns
    -------
    list of dict
        One dict per series: ``series_uid``, ``study_uid``, ``frame_uid``, ``patient_id``,
        ``study_date`` (YYYYMMDD), ``series_number``, ``modality``, ``sop_class``,
        ``kind`` (one of "axial CT", "localizer", "derived", "secondary capture",
        "sagittal MR", "missing slice", "corrupt file", "mixed orientation", "duplicates",
        "SEG", "RTSTRUCT"), ``manufacturer``, ``keep`` (an "axial CT for training"
        selection keeps it), ``reason`` ("kept: ..." or "excluded: ..."), ``lesion`` (the
        patient has a lesion), ``slice_spacing`` and ``pixel_spacing`` in mm (None where
        not applicable), ``n_slices`` (distinct images), ``files`` (paths relative to the
        archive folder, duplicate copies and damaged files included), ``damaged_files``
        and, for SEG and RTSTRUCT, ``referenced_series_uid``.

    Examples
    --------
    >>> from collections import Counter
    >>> from bootcamp_utils.data._archive import archive_truth
    >>> truth = archive_truth()
    >>> len({row["patient_id"] for row in truth}), sum(row["keep"] for row in truth)
    (20, 24)
    >>> Counter(row["kind"] for row in truth)["SEG"]
    9
    """
    from . import _archive as plan  # the plan is there; imported when asked, no cycle

    layout, rows = plan._layout(), []
    by_key = {spec.key: spec for spec in plan._plan()}
    for spec in plan._plan():
        study_uid, series_uid, frame_uid = plan._uids(spec)
        modality, sop_class = _modality(spec)
        files = layout[spec.key]
        damaged = (
            files[spec.slices // 3 : spec.slices // 3 + 2] if spec.kind == "corrupt file" else ()
        )
        geometric = spec.kind not in ("localizer", "secondary capture", "SEG", "RTSTRUCT")
        row = {
            "series_uid": series_uid,
            "study_uid": study_uid,
            "frame_uid": frame_uid,
            "patient_id": spec.patient.id,
            "study_date": spec.patient.dates[spec.study - 1].strftime("%Y%m%d"),
            "series_number": spec.number,
            "modality": modality,
            "sop_class": str(sop_class),
            "kind": spec.kind,
            "manufacturer": plan._SCANNERS[spec.patient.scanner][0],
            "keep": spec.keep,
            "reason": spec.reason,
            "lesion": spec.patient.lesion is not None,
            "slice_spacing": spec.spacing if geometric else None,
            "pixel_spacing": spec.pixel if geometric else None,
            "n_slices": spec.slices - (spec.kind == "missing slice") if geometric else 1,
            "files": files,
            "damaged_files": damaged,
        }
        if spec.ref is not None and spec.kind in ("SEG", "RTSTRUCT"):
            ref = by_key[f"{spec.patient.id}/{spec.study}/{spec.ref}"]
            row["referenced_series_uid"] = plan._uids(ref)[1]
        rows.append(row)
    return rows


def archive_problems() -> dict[str, str]:
    """Files of the ``ml_archive`` sample that are not readable DICOM images, and why.

    Returns
    -------
    dict
        Path relative to the archive folder -> what is wrong: the non-DICOM files and the
        damaged files of the "corrupt file" series.

    Examples
    --------
    >>> from bootcamp_utils.data._archive import archive_problems
    >>> sorted(archive_problems().values())[0]
    'damaged: cut inside the Pixel Data element header (pydicom.dcmread raises)'
    """
    from . import _archive as plan

    problems = dict(plan._JUNK)
    for row in archive_truth():
        if row["damaged_files"]:
            header, pixels = row["damaged_files"]
            problems[header] = (
                "damaged: cut inside the Pixel Data element header (pydicom.dcmread raises)"
            )
            problems[pixels] = "damaged: cut inside the pixel data (pixel_array raises)"
    return problems
