"""De-identify a whole folder (a study, a series, an export) into a new folder.

:func:`deidentify_folder` reads every file under ``src``, gives each DICOM file to
:func:`~bootcamp_utils.deid.profile.deidentify` and writes the result under ``dst``:

* **src is only read.** Nothing is written, renamed or deleted there; ``dst`` may not be
  inside ``src`` (nor ``src`` inside ``dst``), and ``dst`` must not exist yet.
* **All or nothing.** The files go into a temporary sibling folder, ``dst.partial-XXXX``,
  renamed to ``dst`` only when every file is written. If a file cannot be read or written,
  the partial folder is deleted and :class:`DeidFolderError` names the file: a ``dst``
  that exists is always complete.
* **One key for the whole call**, so the files of one series get one new Series Instance
  UID and references between files (a slice pointing at its localizer) still match.
* **Not DICOM, not copied.** A file without the ``DICM`` marker at byte 128 (a
  ``README.txt``, a ``.DS_Store``, a thumbnail) is skipped and listed in the report with
  the reason.
* **A DICOMDIR is not copied either**, for the reason
  :func:`~bootcamp_utils.deid.profile.deidentify` refuses one
  (:class:`~bootcamp_utils.deid.iod.DeidError`): its records repeat names, IDs and dates,
  and its Referenced File IDs are the old paths. It is listed in the report and a warning
  names it; build a new one from the output with ``pydicom.fileset.FileSet``.

**Where the files go.** Names of files and folders often carry identity
(``DOE_JOHN/CT_MRN4821_001.dcm``), so none of them is kept. Each file is written as::

    dst/<new Series Instance UID>/<new SOP Instance UID>.dcm

one folder per series, one file per instance. The returned :class:`FolderReport` maps
every source file to its output file (``report.written``), so you can still find "the
new name of ``CT0003.dcm``" in the session that ran it; the mapping is not saved anywhere.

**Progress.** A tqdm bar (``tqdm.auto``: a widget in Jupyter, a text line in a terminal,
both on standard error); ``progress=False`` silences it.
"""

from __future__ import annotations

import inspect
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import dcmread
from pydicom.pixels.utils import get_expected_length
from pydicom.uid import MediaStorageDirectoryStorage

from .iod import DeidError, refuse_dicomdir
from .profile import deidentify

__all__ = ["DeidFolderError", "FolderReport", "deidentify_folder"]

#: Why a DICOMDIR is skipped, in the report.
_DICOMDIR = (
    "a DICOMDIR, not copied: its records and file paths hold names, IDs and dates; build "
    "a new one from the de-identified files (pydicom.fileset.FileSet)"
)

#: The options :func:`deidentify` takes besides the data set and the key.
_OPTIONS = frozenset(inspect.signature(deidentify).parameters) - {"ds", "key"}


class DeidFolderError(Exception):
    """A DICOM file of the source folder could not be de-identified; nothing was written.

    Attributes
    ----------
    path : pathlib.Path
        The file that stopped the run.
    """

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


@dataclass
class FolderReport:
    """What :func:`deidentify_folder` did.

    Attributes
    ----------
    src, dst : pathlib.Path
        The source folder and the new, complete output folder.
    written : dict of pathlib.Path to pathlib.Path
        Every DICOM source file -> the de-identified file written for it.
    skipped : list of (pathlib.Path, str)
        Every source file that was not written, with the reason (not DICOM, DICOMDIR,
        a second copy of an instance already written).
    """

    src: Path
    dst: Path
    written: dict[Path, Path] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.written)} DICOM file(s) de-identified into {self.dst}"]
        if self.skipped:
            lines.append(f"{len(self.skipped)} file(s) skipped, not copied:")
            lines += [f"  {path.relative_to(self.src)}: {why}" for path, why in self.skipped]
        return "\n".join(lines)


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_folders(src: Path, dst: Path) -> None:
    if not src.exists():
        raise FileNotFoundError(f"No such folder: {src}")
    if not src.is_dir():
        raise NotADirectoryError(
            f"{src} is a file; deidentify_folder expects the folder that holds the study. "
            "For one file use deidentify(pydicom.dcmread(path))."
        )
    if _is_within(dst, src):
        raise ValueError(
            f"The output folder {dst} is inside the source folder {src}: the source must "
            "stay untouched. Choose an output folder outside it."
        )
    if _is_within(src, dst):
        raise ValueError(
            f"The source folder {src} is inside the output folder {dst}. Choose an output "
            "folder outside the source."
        )
    if dst.exists() or dst.is_symlink():
        raise FileExistsError(
            f"The output folder {dst} already exists: choose another folder, or delete "
            "it first if you no longer need it (nothing is ever written into an "
            "existing folder)."
        )


def _all_files(src: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(src):
        dirs.sort()
        files += [Path(root, name) for name in sorted(names)]
    return files


def _not_dicom(path: Path) -> str | None:
    """Why ``path`` is not a DICOM file, or None when it has the DICM marker."""
    if path.is_symlink() and not path.exists():
        return "a broken link"
    with open(path, "rb") as f:
        head = f.read(132)
    if not head:
        return "empty (0 bytes)"
    if len(head) < 132 or head[128:132] != b"DICM":
        return "no 'DICM' marker at byte 128: not a DICOM file"
    return None


def _read(path: Path):
    """The whole data set of ``path``, every value decoded; raises on a damaged file."""
    ds = dcmread(path)
    meta = getattr(ds, "file_meta", None)
    if meta is None or "TransferSyntaxUID" not in meta:
        raise ValueError("its file meta information has no Transfer Syntax UID")
    if meta.get("MediaStorageSOPClassUID") == MediaStorageDirectoryStorage:
        return ds  # a DICOMDIR: skipped by the caller
    for elem in ds.iterall():  # values are decoded on access: damage shows up here
        elem.value  # noqa: B018
    for keyword in ("SOPInstanceUID", "SeriesInstanceUID"):
        if not ds.get(keyword):
            raise ValueError(f"it has no {keyword} (Type 1 in every image)")
    if "PixelData" in ds and not meta.TransferSyntaxUID.is_encapsulated:
        # A file cut short (a copy that stopped) still reads: its pixel data is just short.
        expected = get_expected_length(ds)
        if len(ds.PixelData) < expected:
            raise ValueError(
                f"it is truncated: {len(ds.PixelData)} bytes of pixel data where "
                f"Rows, Columns, Bits Allocated and Number of Frames need {expected}"
            )
    return ds


def deidentify_folder(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    key: bytes | str | None = None,
    progress: bool = True,
    **options: object,
) -> FolderReport:
    """De-identify every DICOM file under ``src`` into the new folder ``dst``.

    Each file goes through :func:`~bootcamp_utils.deid.profile.deidentify` with the same
    ``key`` and ``options``, and is written as
    ``dst/<new Series Instance UID>/<new SOP Instance UID>.dcm`` (no original file or
    folder name is kept: they may name the patient). The module docstring gives the rules.

    Parameters
    ----------
    src : str or os.PathLike
        The folder to read (sub-folders included). Never written to.
    dst : str or os.PathLike
        The output folder. It must not exist yet, and must be outside ``src``; its parent
        folders are created.
    key : bytes or str, optional
        Key of the UID mapping, used for every file. Without one, the random key of this
        Python process: the files of this call agree with each other (and with other
        calls in the same session), a new session gives other UIDs. With a key, another
        run on the same files gives the same UIDs.
    progress : bool, default True
        Show a progress bar (tqdm) over the DICOM files.
    **options
        Passed to :func:`~bootcamp_utils.deid.profile.deidentify` for every file:
        ``keep_private``; ``shift_dates`` (a number of days for the whole folder, or
        ``"per-patient"``: one offset per Patient ID); ``burned_in_boxes`` (boxes, or a
        function of each data set that returns them, blacked out before the rest).
        A *list* of boxes is blacked out in every file of the folder, whatever the file
        shows there: in a study with one localizer it destroys anatomy in every slice. Give
        a function instead (``lambda ds: [box] if ds.get("BurnedInAnnotation") == "YES"
        else None``); with a list, a warning names the files whose Burned In Annotation
        is not ``YES`` that were blacked out anyway.

    Returns
    -------
    FolderReport
        The files written (source -> output) and the files skipped, with reasons.

    Warns
    -----
    UserWarning
        When ``burned_in_boxes`` is a non-empty list and some files do not have Burned In
        Annotation ``YES`` (their pixels were blacked out all the same); when ``src``
        holds no DICOM file; when a DICOMDIR was left out (build a new one).

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        If ``src`` does not exist or is a file.
    FileExistsError
        If ``dst`` exists.
    ValueError
        If ``dst`` is inside ``src`` or ``src`` inside ``dst``.
    TypeError
        If an option is not one of :func:`deidentify`'s.
    DeidFolderError
        If a file with the DICOM marker cannot be read, de-identified or written. The
        message names the file; nothing is left in ``dst`` or a partial folder.

    Examples
    --------
    >>> import tempfile, warnings
    >>> from pathlib import Path
    >>> from bootcamp_utils.data._samples import write_identified_study
    >>> work = Path(tempfile.mkdtemp())
    >>> _ = write_identified_study(work)
    >>> (work / "identified_study" / "README.txt").write_text("from the scanner")
    16
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the localizer's burned-in text
    ...     report = deidentify_folder(
    ...         work / "identified_study", work / "clean", key="course", progress=False
    ...     )
    >>> print(report)  # doctest: +ELLIPSIS
    5 DICOM file(s) de-identified into .../clean
    1 file(s) skipped, not copied:
      README.txt: no 'DICM' marker at byte 128: not a DICOM file
    >>> len(list((work / "clean").iterdir()))  # one folder per series
    2
    >>> import shutil; shutil.rmtree(work)
    """
    unknown = set(options) - _OPTIONS
    if unknown:
        raise TypeError(
            f"deidentify_folder got unknown option(s) {sorted(unknown)}; "
            f"deidentify takes {sorted(_OPTIONS)}"
        )
    src, dst = Path(src).resolve(), Path(dst).resolve()
    _check_folders(src, dst)
    report = FolderReport(src, dst)
    dicom_files = []
    for path in _all_files(src):
        why = _not_dicom(path)
        if why is None:
            dicom_files.append(path)
        else:
            report.skipped.append((path, why))

    from tqdm.auto import tqdm

    dst.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{dst.name}.partial-", dir=dst.parent))
    umask = os.umask(0)
    os.umask(umask)
    partial.chmod(0o777 & ~umask)  # mkdtemp's folder is private (0700); dst is not
    boxes = options.get("burned_in_boxes")
    blanket = boxes is not None and not callable(boxes) and len(boxes) > 0
    without_text: list[str] = []
    directories: list[tuple[str, str]] = []  # (name in src, why)
    try:
        written_by_name: dict[Path, Path] = {}
        for path in tqdm(dicom_files, desc="De-identifying", unit="file", disable=not progress):
            try:
                ds = _read(path)
                try:
                    refuse_dicomdir(ds)
                except DeidError as exc:
                    report.skipped.append((path, _DICOMDIR))
                    directories.append((str(path.relative_to(src)), str(exc)))
                    continue
                if blanket and str(ds.get("BurnedInAnnotation", "")).upper() != "YES":
                    without_text.append(path.name)
                clean = deidentify(ds, key=key, **options)
                name = Path(str(clean.SeriesInstanceUID), f"{clean.SOPInstanceUID}.dcm")
                if name in written_by_name:
                    first = written_by_name[name].relative_to(src)
                    report.skipped.append(
                        (path, f"another copy of the instance in {first} (same SOP Instance UID)")
                    )
                    continue
                (partial / name.parent).mkdir(exist_ok=True)
                clean.save_as(partial / name, enforce_file_format=True)
            except Exception as exc:
                raise DeidFolderError(
                    f"{path} could not be de-identified ({type(exc).__name__}: {exc}). "
                    f"Nothing was written to {dst}. The file starts like DICOM but looks "
                    "damaged: replace it with a good copy, or move it out of the source "
                    "folder, then run again.",
                    path,
                ) from exc
            written_by_name[name] = path
            report.written[path] = dst / name
        if dst.exists():  # created by someone else while we worked
            raise FileExistsError(
                f"The output folder {dst} appeared while de-identifying: choose another "
                "folder, or delete it and run again."
            )
        partial.rename(dst)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if without_text:
        warnings.warn(
            f"burned_in_boxes is a list, so its boxes were blacked out in every file, "
            f"{len(without_text)} of them without Burned In Annotation YES "
            f"({', '.join(without_text[:3])}{', ...' if len(without_text) > 3 else ''}): "
            "their pixels there are lost. Give a function of the data set that returns "
            "boxes only for the files with text",
            UserWarning,
            stacklevel=2,
        )
    if directories:
        names = ", ".join(name for name, _ in directories[:3])
        warnings.warn(
            f"{len(directories)} DICOMDIR(s) not copied to {dst} ({names}"
            f"{', ...' if len(directories) > 3 else ''}; see report.skipped). "
            f"{directories[0][1]}",
            UserWarning,
            stacklevel=2,
        )
    if not report.written:
        warnings.warn(
            f"No DICOM file under {src}: {dst} is empty ({len(report.skipped)} file(s) "
            "skipped; see report.skipped)",
            UserWarning,
            stacklevel=2,
        )
    return report
