"""Sample data that works offline.

Two kinds of data:

* **Real example files** bundled with pydicom (a CT slice, an MR slice, RT, SR, ECG waveform,
  colour, overlay and compressed files), by short name: :func:`example_path`,
  :func:`read_example`. Some more real files can be downloaded on demand through pydicom's
  hash-checked :func:`pydicom.data.get_testdata_file`: :func:`download_example`.
* **Generated series** (a head CT, a sagittal head MR, a 4-D perfusion MR, a study full of
  fictitious identifying data, and a MONOCHROME1 chest radiograph), written on first use and
  cached: :func:`sample_path`. The files are the same bytes every time for the same package
  version. Cached files are checked against a manifest of SHA-256 hashes on every use and
  regenerated if damaged; a damaged folder is moved aside, never deleted.

``python -m bootcamp_utils.data --out DIR`` writes every generated sample to ``DIR``.

>>> from bootcamp_utils.data import example_path, sample_path
>>> example_path("ct").name, sample_path("head_ct").name
('CT_small.dcm', 'head_ct')
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import FileDataset

from ._samples import GENERATOR_VERSION, WRITERS

__all__ = [
    "EXAMPLES",
    "DOWNLOADS",
    "SAMPLES",
    "DataError",
    "data_dir",
    "describe",
    "download_example",
    "example_path",
    "read_example",
    "sample_path",
    "write_samples",
]


class DataError(ValueError):
    """A sample or example could not be provided; the message says why and what to do.

    Examples
    --------
    >>> from bootcamp_utils import DataError, example_path
    >>> try:
    ...     example_path("mr_implict")
    ... except DataError as error:
    ...     print(str(error).split(" Known")[0])
    Unknown name 'mr_implict'. Did you mean 'mr_implicit'?
    """


@dataclass(frozen=True)
class Example:
    """A real DICOM file bundled with pydicom."""

    filename: str
    description: str


#: Real files shipped inside pydicom, usable offline. Name -> file and what it shows.
EXAMPLES: dict[str, Example] = {
    "ct": Example("CT_small.dcm", "CT slice, 128 x 128, signed 16-bit, explicit VR little endian"),
    "mr": Example("MR_small.dcm", "MR slice, 64 x 64, signed 16-bit, explicit VR little endian"),
    "mr_implicit": Example("MR_small_implicit.dcm", "the same MR slice, implicit VR little endian"),
    "mr_big_endian": Example(
        "MR_small_bigendian.dcm", "the same MR slice, explicit VR big endian (a retired syntax)"
    ),
    "mr_rle": Example("MR_small_RLE.dcm", "the same MR slice, RLE Lossless compressed"),
    "mr_jpeg_ls": Example(
        "MR_small_jpeg_ls_lossless.dcm", "the same MR slice, JPEG-LS Lossless compressed"
    ),
    "mr_jpeg2000": Example(
        "MR_small_jp2klossless.dcm", "the same MR slice, JPEG 2000 Lossless compressed"
    ),
    "jpeg_baseline": Example(
        "SC_rgb_jpeg_dcmtk.dcm", "secondary capture, 100 x 100 colour, JPEG Baseline (lossy)"
    ),
    "deflate": Example(
        "image_dfl.dcm", "secondary capture, 512 x 512, 8-bit, Deflated Explicit VR Little Endian"
    ),
    "rgb_color": Example("examples_rgb_color.dcm", "ultrasound, 240 x 320, RGB"),
    "ybr_color": Example(
        "examples_ybr_color.dcm", "ultrasound, 30 frames of 240 x 320, YBR_FULL_422, JPEG Baseline"
    ),
    "palette_color": Example("examples_palette.dcm", "ultrasound, 350 x 800, PALETTE COLOR"),
    "jpeg2000_color": Example(
        "examples_jpeg2k.dcm", "ultrasound, 480 x 640 colour, JPEG 2000 Lossless (YBR_RCT)"
    ),
    "overlay": Example("examples_overlay.dcm", "MR, 300 x 484, 12-bit, with an overlay plane"),
    "rt_dose": Example("rtdose.dcm", "RT Dose, a 15-frame 10 x 10 dose grid, 32-bit"),
    "rt_plan": Example("rtplan.dcm", "RT Plan, no pixel data"),
    "rt_struct": Example("rtstruct.dcm", "RT Structure Set (contours), no pixel data"),
    "sr": Example("test-SR.dcm", "Comprehensive Structured Report, no pixel data"),
    "waveform": Example("waveform_ecg.dcm", "12-lead ECG waveform"),
    "seg": Example("liver_1frame.dcm", "Segmentation (SEG), one 512 x 512 binary frame"),
    "dicomdir": Example("DICOMDIR", "a DICOMDIR: the index of a DICOM file set"),
    "no_meta": Example("no_meta.dcm", "a file with no preamble and no File Meta Information"),
}

#: Real files pydicom can download on demand (hash-checked). Any other name from pydicom's
#: ``urls.json`` works too; these are the ones the course suggests.
DOWNLOADS: dict[str, Example] = {
    "emri_small": Example("emri_small.dcm", "multi-frame MR, 10 frames of 64 x 64, 16-bit"),
}

#: Generated samples: name -> one-line description.
SAMPLES: dict[str, str] = {name: description for name, (_, description) in WRITERS.items()}

_ENV_VAR = "BOOTCAMP_DATA_DIR"


#: The widest line :func:`describe` prints: it fits a notebook's output, the book's column at
#: 1280 px and a slide without a sideways scroll bar.
DESCRIBE_WIDTH = 80


def describe() -> str:
    """A table of every example and sample name with its description (also printed).

    Long descriptions wrap onto indented lines, so no line is wider than
    :data:`DESCRIBE_WIDTH` characters.

    Returns
    -------
    str
        The table that was printed: generated samples, bundled examples, downloads.

    Examples
    --------
    >>> from bootcamp_utils import describe
    >>> table = describe()  # doctest: +ELLIPSIS
    Generated samples: sample_path(name)
      head_ct          Axial head CT phantom, 40 x 256 x 256, HU via rescale, small
                       right parietal bleed (brain window shows it)
    ...
    Real files bundled with pydicom: example_path(name), read_example(name)
      ct               CT slice, 128 x 128, signed 16-bit, explicit VR little endian
    ...
    >>> "no_meta" in table
    True
    """
    import textwrap

    sections = [
        ("Generated samples: sample_path(name)", SAMPLES),
        (
            "Real files bundled with pydicom: example_path(name), read_example(name)",
            {name: ex.description for name, ex in EXAMPLES.items()},
        ),
        (
            "Real files downloaded on demand: download_example(name)",
            {name: ex.description for name, ex in DOWNLOADS.items()},
        ),
    ]
    column = 2 + max(len(name) for _, names in sections for name in names) + 1
    lines = []
    for heading, names in sections:
        lines.append(heading)
        for name, text in names.items():
            lead = f"  {name}".ljust(column)
            lines += textwrap.wrap(
                text,
                DESCRIBE_WIDTH,
                initial_indent=lead,
                subsequent_indent=" " * column,
                break_long_words=False,
                break_on_hyphens=False,
            )
    text = "\n".join(lines)
    print(text)
    return text


def _unknown(name: str, known: dict) -> DataError:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return DataError(f"Unknown name {name!r}.{hint} Known names: {', '.join(known)}.")


def example_path(name: str) -> Path:
    """Path of a real example file bundled with pydicom, by short name.

    Parameters
    ----------
    name : str
        A key of :data:`EXAMPLES` (``describe()`` lists them), such as ``"ct"``.

    Returns
    -------
    pathlib.Path
        The file inside pydicom's installed test data: read it, never write to it.

    Raises
    ------
    DataError
        ``name`` is not a known example; the message suggests the closest name.

    Examples
    --------
    A DICOM file (PS3.10 7.1): a 128-byte preamble, then the four bytes ``DICM``.

    >>> from bootcamp_utils import example_path
    >>> path = example_path("ct")
    >>> path.name, path.read_bytes()[128:132]
    ('CT_small.dcm', b'DICM')
    """
    if name not in EXAMPLES:
        raise _unknown(name, EXAMPLES)
    from pydicom.data import get_testdata_file

    path = get_testdata_file(EXAMPLES[name].filename, download=False)
    if path is None:  # pragma: no cover - a broken pydicom installation
        raise DataError(f"pydicom's bundled file {EXAMPLES[name].filename} is missing.")
    return Path(path)


def read_example(name: str) -> FileDataset:
    """Read a bundled example with :func:`pydicom.dcmread`.

    ``force=True``, as :mod:`pydicom.examples` does: two of the files (``no_meta``,
    ``rt_struct``) lack the preamble and File Meta Information (PS3.10 7.1) that a
    conformant file has.

    Parameters
    ----------
    name : str
        A key of :data:`EXAMPLES`, such as ``"ct"`` or ``"mr_big_endian"``.

    Returns
    -------
    pydicom.dataset.FileDataset
        The whole file, pixel data included.

    Raises
    ------
    DataError
        ``name`` is not a known example.

    Examples
    --------
    >>> from bootcamp_utils import read_example
    >>> ds = read_example("ct")
    >>> ds.Modality, ds.Rows, ds.Columns, ds.file_meta.TransferSyntaxUID.name
    ('CT', 128, 128, 'Explicit VR Little Endian')
    >>> len(read_example("no_meta").file_meta)  # no File Meta Information at all
    0
    """
    return dcmread(example_path(name), force=True)


def download_example(name: str) -> Path:
    """Download (once) a real file that pydicom does not bundle, and return its path.

    pydicom downloads the file into its own cache (``~/.pydicom/data``) and checks its
    SHA-256 hash; if the ``pydicom-data`` package is installed, pydicom takes the file from
    there instead (hash-checked too) and nothing is downloaded. The course never needs these
    files: they are extras.

    Parameters
    ----------
    name : str
        A key of :data:`DOWNLOADS` or any file name from pydicom's download list.

    Returns
    -------
    pathlib.Path
        The file in pydicom's cache (or in ``pydicom-data``, when that is installed).

    Raises
    ------
    DataError
        The name is unknown (checked offline, before any download), there is no network,
        or the download did not match its recorded hash.

    Examples
    --------
    Only the offline part runs here (tests never download):

    >>> from bootcamp_utils import download_example
    >>> download_example("no_such_file.dcm")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    bootcamp_utils.data.DataError: Unknown name 'no_such_file.dcm'. Known names: emri_small...
    """
    from pydicom.data import get_testdata_file
    from pydicom.data.download import get_url_map

    filename = DOWNLOADS[name].filename if name in DOWNLOADS else name
    if filename not in get_url_map():
        raise _unknown(name, DOWNLOADS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = get_testdata_file(filename, download=True)
    if path is None:
        from pydicom.data.download import get_data_dir

        rejected = get_data_dir() / filename  # pydicom keeps a file that failed its hash check
        if rejected.exists():
            rejected.unlink()
        detail = "; ".join(str(w.message) for w in caught) or "no detail from pydicom"
        raise DataError(
            f"Could not download {filename} ({detail}). Either there is no network here or "
            "the download did not match pydicom's recorded SHA-256 hash. The course works "
            "without this file; try again when online."
        )
    return Path(path)


# --- generated samples: where they live and how they are checked ------------------------


def _checkout_data_dir() -> Path | None:
    """``data/generated`` when the package runs from a checkout of the course repository."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir():
        return root / "data" / "generated"
    return None


def _user_cache_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "bootcamp_utils"


def data_dir() -> Path:
    """Where generated samples are cached.

    Returns
    -------
    pathlib.Path
        ``$BOOTCAMP_DATA_DIR`` if set; else ``data/generated`` inside a checkout of the
        course; else a per-user cache directory (``~/.cache/bootcamp_utils`` on Linux).

    Examples
    --------
    >>> from bootcamp_utils.data import data_dir, sample_path
    >>> sample_path("head_mr").parent == data_dir()
    True
    """
    if os.environ.get(_ENV_VAR):
        return Path(os.environ[_ENV_VAR]).expanduser()
    return _checkout_data_dir() or _user_cache_dir()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest_path(root: Path, name: str) -> Path:
    return root / f"{name}.manifest.json"


def _problems(root: Path, name: str) -> list[str]:
    """Why the cached sample ``name`` under ``root`` cannot be used as it is ([] if fine)."""
    manifest_file, folder = _manifest_path(root, name), root / name
    if not manifest_file.is_file() or not folder.is_dir():
        return ["not generated yet"]
    try:
        manifest = json.loads(manifest_file.read_text())
        expected: dict[str, str] = manifest["files"]
        version = manifest["generator_version"]
    except (ValueError, KeyError, TypeError):
        return ["its manifest is unreadable"]
    if version != GENERATOR_VERSION:
        return [f"written by generator version {version}, this is {GENERATOR_VERSION}"]
    problems = []
    present = {p.relative_to(root).as_posix() for p in folder.rglob("*") if p.is_file()}
    for rel, digest in expected.items():
        if rel not in present:
            problems.append(f"{rel} is missing")
        elif _sha256(root / rel) != digest:
            problems.append(f"{rel} was changed")
    problems += [f"{rel} does not belong there" for rel in sorted(present - expected.keys())]
    return problems


def _generate(root: Path, name: str) -> None:
    """Write sample ``name`` into a temporary folder, then move it into place atomically."""
    root.mkdir(parents=True, exist_ok=True)
    writer = WRITERS[name][0]
    with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=root) as tmp:
        files = writer(Path(tmp))
        manifest = {
            "generator_version": GENERATOR_VERSION,
            "files": {rel: _sha256(Path(tmp) / rel) for rel in sorted(files)},
        }
        target = root / name
        if target.exists():  # damaged or outdated: keep it for the user, never delete
            aside = root / f"{name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
            target.rename(aside)
            warnings.warn(f"The old {name} folder was moved to {aside}.", stacklevel=3)
        os.replace(Path(tmp) / name, target)
        tmp_manifest = Path(tmp) / "manifest.json"
        tmp_manifest.write_text(json.dumps(manifest, indent=1) + "\n")
        os.replace(tmp_manifest, _manifest_path(root, name))


def _ensure(root: Path, name: str) -> Path:
    """Check sample ``name`` under ``root`` and (re)generate it when needed."""
    if name not in WRITERS:
        raise _unknown(name, WRITERS)
    problems = _problems(root, name)
    if problems:
        if problems != ["not generated yet"]:
            warnings.warn(
                f"Sample {name!r} in {root} cannot be used as it is ({'; '.join(problems[:3])}"
                f"{'...' if len(problems) > 3 else ''}): writing it again.",
                stacklevel=3,
            )
        try:
            _generate(root, name)
        except OSError as exc:
            raise DataError(
                f"Cannot write sample data to {root} ({exc}). Set the environment variable "
                f"{_ENV_VAR} to a folder you can write to."
            ) from exc
    return root / name


def sample_path(name: str) -> Path:
    """Folder of the generated sample series ``name``.

    Generates it on first use (a second or two) and checks it against its manifest of hashes
    every time; a damaged or outdated copy is regenerated (and the old one moved aside).
    Treat the folder as read-only: write your own files to an output folder.

    Parameters
    ----------
    name : str
        A key of :data:`SAMPLES` (``describe()`` lists them), such as ``"head_ct"``.

    Returns
    -------
    pathlib.Path
        The folder under :func:`data_dir` that holds the series' files.

    Raises
    ------
    DataError
        ``name`` is unknown, or the sample cannot be written (the message says how to
        choose another folder with ``BOOTCAMP_DATA_DIR``).

    Examples
    --------
    >>> from pydicom import dcmread
    >>> from bootcamp_utils import sample_path
    >>> folder = sample_path("head_ct")
    >>> len(list(folder.glob("*.dcm")))
    40
    >>> ds = dcmread(folder / "CT0001.dcm")
    >>> ds.Modality, float(ds.RescaleSlope), float(ds.RescaleIntercept)
    ('CT', 1.0, -1024.0)
    """
    return _ensure(data_dir(), name)


def write_samples(out: str | Path | None = None) -> Path:
    """Write (or check) every generated sample under ``out``.

    What ``python -m bootcamp_utils.data --out DIR`` does: prepare the data before a class,
    or for a machine without write access to the default folder.

    Parameters
    ----------
    out : str or pathlib.Path, optional
        The folder to write to (created if needed); default :func:`data_dir`.

    Returns
    -------
    pathlib.Path
        The folder, absolute; each sample is a sub-folder with a manifest beside it.

    Raises
    ------
    DataError
        A sample cannot be written there.

    Examples
    --------
    >>> import tempfile
    >>> from bootcamp_utils import write_samples
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = write_samples(tmp)
    ...     print(len(list((root / "head_ct").glob("*.dcm"))),
    ...           (root / "head_ct.manifest.json").is_file())
    40 True
    """
    root = Path(out).expanduser().resolve() if out is not None else data_dir()
    for name in WRITERS:
        _ensure(root, name)
    return root
