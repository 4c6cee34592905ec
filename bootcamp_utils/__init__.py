"""Helpers for the "DICOM in Python" course.

The notebooks import what they need from here; every helper is short enough to read.

* :mod:`bootcamp_utils.data`: offline sample data (pydicom's real files and generated series).
* :mod:`bootcamp_utils.series`: :func:`load_series`, a folder of slices -> a NIfTI image.
* :mod:`bootcamp_utils.windowing`: stored -> real-world values -> window -> display.
* :mod:`bootcamp_utils.geometry`: :func:`frame_geometry`, one frame's spacing, orientation and
  position, enhanced multi-frame functional groups included.
* :mod:`bootcamp_utils.planes`: :func:`show_planes`, three labelled planes, radiological.
* :mod:`bootcamp_utils.viewer`: :func:`window_level_viewer`, interactive with or without a kernel.
* :mod:`bootcamp_utils.deid`: :func:`deidentify` (PS3.15 Annex E, Basic Profile),
  :func:`deidentify_folder`, :func:`phi_findings` (what identifying data is left),
  :func:`black_out` (burned-in text).
* :mod:`bootcamp_utils.decoders`: :func:`pixel_array`, pixels or what to install to decode them.
* :mod:`bootcamp_utils.encoders`: :func:`compress`, a compressed copy that records its loss.
* :mod:`bootcamp_utils.diff`: :func:`diff_datasets`, what changed between two data sets.
* :mod:`bootcamp_utils.pacs`: :func:`local_pacs`, a PACS on this machine (Orthanc, or
  pynetdicom's qrscp) for the network lesson.
* :mod:`bootcamp_utils.dimse`: :func:`status_message` and :func:`explain_association`, what
  a PACS's answers mean.
* :mod:`bootcamp_utils.validation`: :func:`validate`, Type 1/2 presence and VR value rules.
* Lesson 06, an archive to a dataset: :mod:`~bootcamp_utils.archive` (:func:`index_archive`),
  :mod:`~bootcamp_utils.qa` (:func:`qa_table`), :mod:`~bootcamp_utils.labels`
  (:func:`seg_to_mask`, :func:`rtstruct_to_mask`), :mod:`~bootcamp_utils.grid`
  (:func:`to_canonical`, :func:`resample`, :func:`normalise`) and :mod:`~bootcamp_utils.dataset`
  (:func:`write_dataset`, :class:`SeriesDataset`); pandas, scipy and highdicom load on first use.
* :mod:`bootcamp_utils.dicomweb`: :func:`start_dicomweb`, a small DICOMweb server for lesson 05.
* :mod:`bootcamp_utils.checks`: :func:`check`, the exercises' self-checks.
* :mod:`bootcamp_utils.course`: where the course lives (repository, branch, Colab links).

The viewer, the de-identifier, the validator and the PACS helpers are imported on first use
(``bootcamp_utils.window_level_viewer``, ``bootcamp_utils.deidentify``...): the viewer pulls
in anywidget, ipywidgets and IPython, about half a second that lessons without a viewer need
not wait for (``python benchmarks/bench_import.py`` measures the import).
"""

from .checks import Feedback, check
from .data import (
    DataError,
    describe,
    download_example,
    example_path,
    read_example,
    sample_path,
    write_samples,
)
from .diff import diff_datasets
from .progress import progress, progress_record, reset_progress
from .series import MultipleSeriesError, SeriesError, SeriesInfo, list_series, load_series
from .windowing import (
    PRESETS,
    apply_voi_lut_sequence,
    apply_window,
    apply_window_clip,
    display_inverted,
    display_values,
    header_windows,
    real_world_values,
    voi_lut_function,
)

__version__ = "1.1.0.dev0"

#: Names imported on first access (module ``__getattr__``, PEP 562): name -> submodule.
_LAZY = {
    "WindowLevelViewer": "viewer",
    "window_level_viewer": "viewer",
    "DamagedPixelDataError": "decoders",
    "DecoderError": "decoders",
    "HeaderError": "decoders",
    "decoder_status": "decoders",
    "pixel_array": "decoders",
    "EncoderError": "encoders",
    "compress": "encoders",
    "encoder_status": "encoders",
    "DeidError": "deid",
    "DeidFolderError": "deid",
    "black_out": "deid",
    "date_offset": "deid",
    "Finding": "deid",
    "FolderReport": "deid",
    "deidentify": "deid",
    "deidentify_folder": "deid",
    "phi_findings": "deid",
    "FrameGeometry": "geometry",
    "frame_geometry": "geometry",
    "plane": "planes",
    "show_planes": "planes",
    "LocalPACS": "pacs",
    "PACSError": "pacs",
    "explain_association": "dimse",
    "free_port": "pacs",
    "local_pacs": "pacs",
    "pacs_status": "pacs",
    "start_pacs": "pacs",
    "status_message": "dimse",
    "Problem": "validation",
    "type_problems": "validation",
    "validate": "validation",
    "value_problems": "validation",
    "ArchiveIndex": "archive",
    "index_archive": "archive",
    "qa_series": "qa",
    "qa_table": "qa",
    "check_same_grid": "labels",
    "rtstruct_to_mask": "labels",
    "seg_to_mask": "labels",
    "intensity_stats": "grid",
    "normalise": "grid",
    "resample": "grid",
    "to_canonical": "grid",
    "DatasetReport": "dataset",
    "SeriesDataset": "dataset",
    "convert_series": "dataset",
    "write_dataset": "dataset",
    "DICOMwebServer": "dicomweb",
    "start_dicomweb": "dicomweb",
}

__all__ = [
    "PRESETS",
    "DataError",
    "DamagedPixelDataError",
    "DecoderError",
    "HeaderError",
    "DeidError",
    "DeidFolderError",
    "EncoderError",
    "Feedback",
    "Finding",
    "FrameGeometry",
    "FolderReport",
    "LocalPACS",
    "PACSError",
    "Problem",
    "MultipleSeriesError",
    "SeriesError",
    "SeriesInfo",
    "WindowLevelViewer",
    "apply_voi_lut_sequence",
    "apply_window",
    "apply_window_clip",
    "black_out",
    "display_inverted",
    "check",
    "compress",
    "date_offset",
    "decoder_status",
    "deidentify",
    "deidentify_folder",
    "diff_datasets",
    "encoder_status",
    "explain_association",
    "free_port",
    "display_values",
    "frame_geometry",
    "header_windows",
    "real_world_values",
    "voi_lut_function",
    "describe",
    "download_example",
    "example_path",
    "list_series",
    "load_series",
    "local_pacs",
    "pacs_status",
    "progress",
    "progress_record",
    "reset_progress",
    "phi_findings",
    "pixel_array",
    "plane",
    "read_example",
    "sample_path",
    "show_planes",
    "start_pacs",
    "status_message",
    "type_problems",
    "validate",
    "value_problems",
    "window_level_viewer",
    "write_samples",
    "ArchiveIndex",
    "index_archive",
    "qa_series",
    "qa_table",
    "check_same_grid",
    "rtstruct_to_mask",
    "seg_to_mask",
    "intensity_stats",
    "normalise",
    "resample",
    "to_canonical",
    "DatasetReport",
    "SeriesDataset",
    "convert_series",
    "write_dataset",
    "DICOMwebServer",
    "start_dicomweb",
]


def __getattr__(name: str):
    """Import a lazily exported name (:data:`_LAZY`) on first access, then keep it."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
