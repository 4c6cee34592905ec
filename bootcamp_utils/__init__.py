"""Helpers for the "DICOM in Python" course.

The notebooks import what they need from here; every helper is short enough to read.

* :mod:`bootcamp_utils.data`: offline sample data (pydicom's real files and generated series).
* :mod:`bootcamp_utils.series`: :func:`load_series`, a folder of slices -> a NIfTI image.
"""

from .data import (
    DataError,
    describe,
    download_example,
    example_path,
    read_example,
    sample_path,
    write_samples,
)
from .series import MultipleSeriesError, SeriesError, SeriesInfo, list_series, load_series

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "MultipleSeriesError",
    "SeriesError",
    "SeriesInfo",
    "describe",
    "download_example",
    "example_path",
    "list_series",
    "load_series",
    "read_example",
    "sample_path",
    "write_samples",
]
