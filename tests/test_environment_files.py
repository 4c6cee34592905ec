"""requirements*.txt, environment.yml and pyproject.toml describe the same environment."""

from __future__ import annotations

import re
import sys

import pytest

from .conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

# Installed by conda but by apt-get on Debian (see .ci/run), or conda-only plumbing.
_CONDA_ONLY = {"python", "pip", "dcm2niix"}


def _name(spec: str) -> str:
    return re.split(r"[<>=!~;\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirements(filename: str) -> set[str]:
    names = set()
    for line in (REPO / filename).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            names |= _requirements(line[3:].strip())
        elif line and not line.startswith("-"):
            names.add(_name(line))
    return names


def _environment_yml() -> set[str]:
    """Conda packages and the nested pip list's packages (not its ``-e .``)."""
    names, in_dependencies = set(), False
    for line in (REPO / "environment.yml").read_text().splitlines():
        if re.match(r"^\S", line):  # a top-level key
            in_dependencies = line.startswith("dependencies:")
            continue
        match = re.match(r"^(  |      )- ([A-Za-z0-9][A-Za-z0-9_.\-]*)(?!:)([<>=!~ ].*)?$", line)
        if in_dependencies and match:
            names.add(_name(match[2]))
    return names - _CONDA_ONLY


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_environment_yml_matches_requirements_files():
    assert _environment_yml() == _requirements("requirements-dev.txt")


def test_pixel_decoders_are_declared_everywhere():
    """The course decodes JPEG, JPEG-LS, JPEG 2000 and RLE with declared packages (issue 17),
    not with whatever another dependency happens to bring (python-gdcm, via dicom2nifti)."""
    decoders = {"pylibjpeg", "pylibjpeg-libjpeg", "pylibjpeg-openjpeg", "pylibjpeg-rle", "pyjpegls"}
    runtime = {_name(s) for s in _pyproject()["dependencies"]}
    assert decoders <= runtime
    assert decoders <= _requirements("requirements.txt")
    assert decoders <= _environment_yml()


def test_package_dependencies_are_the_course_requirements():
    runtime = {_name(s) for s in _pyproject()["dependencies"]}
    assert runtime == _requirements("requirements.txt") - {"jupyterlab"}


def test_dev_extra_matches_requirements_dev():
    dev = {_name(s) for s in _pyproject()["optional-dependencies"]["dev"]}
    assert dev == _requirements("requirements-dev.txt") - _requirements("requirements.txt")


def test_colab_versions_stay_allowed():
    """Colab ships ipywidgets 7.7.1, NumPy 1.26 or 2.x, its pandas, SciPy, scikit-learn and
    Dask: never require more."""
    from packaging.specifiers import SpecifierSet

    specs = {
        _name(s): SpecifierSet(re.sub(r"^[^<>=!~]*", "", s.split(";")[0]).strip())
        for s in _pyproject()["dependencies"]
    }
    for package, version in [
        ("ipywidgets", "7.7.1"),
        ("ipywidgets", "8.1.5"),
        ("numpy", "1.26.4"),
        ("numpy", "2.0.2"),
        # Colab's 2025 runtime (.ci/colab_env.sh): lesson 06 must not upgrade them there
        ("pandas", "2.2.2"),
        ("scipy", "1.15.3"),
        ("scikit-learn", "1.6.1"),
        ("dask", "2024.12.1"),
    ]:
        assert specs[package].contains(version), (package, version, specs[package])
    assert (
        tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
        == ">=3.10"
    )
