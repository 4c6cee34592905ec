"""The public API: exported, documented, typed; progress bars; list_series."""

from __future__ import annotations

import inspect
import typing

import pytest

import bootcamp_utils
from bootcamp_utils import list_series, load_series
from bootcamp_utils.data._samples import write_ct_series


def test_everything_exported_is_documented_and_typed():
    for name in bootcamp_utils.__all__:
        obj = getattr(bootcamp_utils, name)
        assert inspect.getdoc(obj), f"{name} has no docstring"
        if inspect.isfunction(obj):
            hints = typing.get_type_hints(obj)
            params = [p for p in inspect.signature(obj).parameters if p not in ("self",)]
            assert "return" in hints, f"{name} has no return type"
            assert all(p in hints for p in params), f"{name}: untyped parameters"


def _small_series(folder, n_slices, name):
    write_ct_series(
        folder,
        shape=(n_slices, 32, 32),
        pixel_spacing=(7.5, 7.5),
        first_position=(-116.25, -108.25, 0.0),
        name=name,
    )


@pytest.mark.parametrize(
    ("n_slices", "progress", "shown"),
    [(60, None, True), (10, None, False), (10, True, True), (60, False, False)],
)
def test_progress_bar_on_large_series(tmp_path, capsys, n_slices, progress, shown):
    _small_series(tmp_path / "s", n_slices, f"progress-{n_slices}")
    load_series(tmp_path / "s", progress=progress)
    err = capsys.readouterr().err
    assert ("Reading DICOM headers" in err) is shown
    assert ("Reading pixel data" in err) is shown


def test_list_series_and_select(tmp_path):
    _small_series(tmp_path / "mixed" / "a", 4, "list-a")
    _small_series(tmp_path / "mixed" / "b", 5, "list-b")
    found = list_series(tmp_path / "mixed")
    assert sorted(len(s.files) for s in found) == [4, 5]
    assert all(s.modality == "CT" for s in found)
    for info in found:
        assert load_series(tmp_path / "mixed", series_uid=info.uid).shape[2] == len(info.files)
