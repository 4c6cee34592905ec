"""De-identify a whole folder (a study, a series, an export) into a new folder.

:func:`deidentify_folder` reads every file under ``src``, gives each DICOM file to
:func:`~bootcamp_utils.deid.profile.deidentify` and writes the result under ``dst``:

* **src is only read.** Nothing is written, renamed or deleted there; ``dst`` may not be
  inside ``src`` (nor ``src`` inside ``dst``). An existing ``dst`` is refused with a
  :class:`DeidFolderError`, unless ``overwrite=True`` and it is the output of an earlier
  run (only folders of ``.dcm`` files): it is then replaced, once the new one is complete.
* **All or nothing.** The files go into a temporary sibling folder, ``dst.partial-XXXX``,
  renamed to ``dst`` only when every file is written. If a file cannot be read or written,
  the partial folder is deleted and :class:`DeidFolderError` names the file: a ``dst``
  that exists is always complete.
* **Damaged files stop the run**, by the rule :func:`bootcamp_utils.load_series` follows
  too (:mod:`bootcamp_utils._scan`): an empty (0-byte) file, a file truncated anywhere, an
  unreadable one (a broken link), and a data set without the preamble and 'DICM' marker
  (pydicom reads it only with ``force=True``) are named, with the fix; none is skipped in
  silence.
* **What still needs attention comes first.** A file written with Patient Identity
  Removed ``NO`` (Burned In Annotation ``YES`` and no ``burned_in_boxes`` for it: its
  pixels may still show a name), and a DICOMDIR not copied, are listed in
  ``report.needs_attention`` with the reason, printed before everything else, and named
  in one warning; ``strict=True`` refuses instead, and writes nothing.
* **One key for the whole call**, so the files of one series get one new Series Instance
  UID and references between files (a slice pointing at its localizer) still match.
* **Not DICOM, not copied.** A file without the ``DICM`` marker at byte 128 (a
  ``README.txt``, a ``.DS_Store``, a thumbnail) is skipped and listed in the report with
  the reason. A hidden file (name starting with ``.``) that is damaged is skipped too, with
  the reason: :func:`~bootcamp_utils.load_series` never reads hidden files.
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
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.pixels.utils import get_expected_length
from pydicom.uid import MediaStorageDirectoryStorage

from .._scan import _COPY_AGAIN as _REPLACE
from .._scan import DamagedFileError, _has_pixels, _ShortInJupyter, read_dicom
from .iod import DeidError, refuse_dicomdir
from .profile import deidentify

__all__ = ["DeidFolderError", "FolderReport", "deidentify_folder"]

#: Why a DICOMDIR is skipped, in the report.
_DICOMDIR = (
    "a DICOMDIR, not copied: its records and file paths hold names, IDs and dates; build "
    "a new one from the de-identified files (pydicom.fileset.FileSet)"
)

#: Why a file written with Patient Identity Removed NO needs attention, in the report.
_IDENTITY_NOT_REMOVED = (
    "written with Patient Identity Removed NO: its Burned In Annotation is YES and no box "
    "was blacked out in it, so its pixels may still show a name or an ID (burned_in_boxes)"
)

#: The message deidentify warns with for each such file: the report and one warning say it.
_BURNED_IN_WARNING = "Burned In Annotation is YES: the pixels may still show"

#: The options :func:`deidentify` takes besides the data set and the key.
_OPTIONS = frozenset(inspect.signature(deidentify).parameters) - {"ds", "key"}


class DeidFolderError(_ShortInJupyter, Exception):
    """A folder could not be de-identified as asked; nothing was written.

    Raised for a damaged file of the source folder, an output folder that exists, and,
    with ``strict=True``, a file that would need attention. In Jupyter it shows as its
    message and the line that called, without the package's traceback.

    Attributes
    ----------
    path : pathlib.Path
        The file (or the output folder) that stopped the run.
    """

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


@dataclass
class FolderReport:
    """What :func:`deidentify_folder` did; printed, what needs attention comes first.

    Attributes
    ----------
    src, dst : pathlib.Path
        The source folder and the new, complete output folder.
    needs_attention : list of (pathlib.Path, str)
        The source files to look at before sharing ``dst``, with the reason: a file
        written with Patient Identity Removed NO (burned-in text left in its pixels), a
        DICOMDIR left out. Empty when there is nothing to do;
        ``deidentify_folder(..., strict=True)`` refuses when it would not be.
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
    needs_attention: list[tuple[Path, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = []
        attention = {path for path, _ in self.needs_attention}
        if attention:
            lines.append(f"{len(attention)} file(s) NEED ATTENTION:")
            lines += [f"  ! {self._name(path)}: {why}" for path, why in self.needs_attention]
        done = f"{len(self.written)} DICOM file(s) de-identified into {self.dst}"
        flagged = len(attention & set(self.written))
        lines.append(done + (f" ({flagged} of them need attention: above)" if flagged else ""))
        rest = [(path, why) for path, why in self.skipped if path not in attention]
        if rest:
            lines.append(f"{len(rest)} file(s) skipped, not copied:")
            lines += [f"  {self._name(path)}: {why}" for path, why in rest]
        return "\n".join(lines)

    def _name(self, path: Path) -> str:
        return path.relative_to(self.src).as_posix()


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_folders(src: Path, dst: Path, overwrite: bool) -> None:
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
        if not overwrite:
            raise DeidFolderError(
                f"The output folder {dst} already exists: pass overwrite=True to replace "
                "it, or choose a new folder.",
                dst,
            )
        _check_replaceable(dst)


def _check_replaceable(dst: Path) -> None:
    """Refuse to replace anything but an earlier output: folders of ``.dcm`` files."""
    if dst.is_symlink() or not dst.is_dir():
        stranger = dst
    else:
        stranger = next(
            (
                path
                for path in sorted(dst.rglob("*"))
                if path.is_symlink()
                or (path.is_dir() and path.parent != dst)
                or (path.is_file() and (path.parent == dst or path.suffix != ".dcm"))
            ),
            None,
        )
    if stranger is not None:
        what = "is not a folder" if stranger == dst else f"holds {stranger.relative_to(dst)}"
        raise DeidFolderError(
            f"The output folder {dst} {what}: overwrite=True replaces only the output of "
            "an earlier deidentify_folder (folders of .dcm files). Choose a new folder.",
            stranger,
        )


def _all_files(src: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(src):
        dirs.sort()
        files += [Path(root, name) for name in sorted(names)]
    return files


def _has_marker(path: Path) -> bool:
    """Whether ``path`` has the 'DICM' marker at byte 128 (False if it cannot be opened)."""
    try:
        with open(path, "rb") as f:
            return f.read(132)[128:] == b"DICM"
    except OSError:
        return False  # read_dicom names it


def _damaged(path: Path, problem: str, src: Path, dst: Path) -> DeidFolderError:
    return DeidFolderError(
        f"{path.relative_to(src).as_posix()} {problem} Nothing was written to {dst}.", path
    )


def _sort_files(src: Path, dst: Path, report: FolderReport) -> list[Path]:
    """The files with the DICOM marker; the others go to ``report.skipped``.

    Raises DeidFolderError for a file meant as DICOM that is damaged (not hidden ones)."""
    dicom_files = []
    for path in _all_files(src):
        if _has_marker(path):
            dicom_files.append(path)
            continue
        try:
            read_dicom(path)  # None: not DICOM; raises for an empty or cut file
        except DamagedFileError as exc:
            if not path.name.startswith("."):
                raise _damaged(path, exc.problem, src, dst) from None
            report.skipped.append((path, f"a hidden file that {exc.problem}"))
            continue
        report.skipped.append((path, "no 'DICM' marker at byte 128: not a DICOM file"))
    return dicom_files


def _read(path: Path):
    """The whole data set of ``path``, every value decoded; raises on a damaged file."""
    ds = read_dicom(path, defer_size=None)  # the rule load_series follows: _scan.py
    if ds.file_meta.get("MediaStorageSOPClassUID") == MediaStorageDirectoryStorage:
        return ds  # a DICOMDIR: skipped by the caller
    for elem in ds.iterall():  # values are decoded on access: damage shows up here
        elem.value  # noqa: B018
    problem = None
    missing = [k for k in ("SOPInstanceUID", "SeriesInstanceUID") if not ds.get(k)]
    if missing:
        problem = f"has no {missing[0]} (Type 1 in every image): the file is damaged."
    elif "Rows" in ds and not _has_pixels(ds):
        problem = (
            "describes an image (Rows, Columns) but holds no pixel data: probably a truncated file."
        )
    elif "PixelData" in ds and not ds.file_meta.TransferSyntaxUID.is_encapsulated:
        expected = get_expected_length(ds)
        if len(ds.PixelData) < expected:
            problem = (
                f"has {len(ds.PixelData)} bytes of Pixel Data where Rows, Columns, Bits "
                f"Allocated and Number of Frames need {expected}: the file is damaged."
            )
    if problem:
        raise DamagedFileError(path, f"{problem} {_REPLACE}")
    return ds


def _deidentify(ds, key, options):
    """deidentify(ds), without its per-file warning about burned-in text (reported)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_BURNED_IN_WARNING, category=UserWarning)
        return deidentify(ds, key=key, **options)


def _replace(partial: Path, dst: Path, overwrite: bool) -> None:
    """Rename ``partial`` to ``dst``; with ``overwrite``, over an earlier output."""
    if dst.exists() or dst.is_symlink():
        if not overwrite:  # created by someone else while we worked
            raise DeidFolderError(
                f"The output folder {dst} appeared while de-identifying: choose a new "
                "folder, or pass overwrite=True to replace it.",
                dst,
            )
        _check_replaceable(dst)
        old = dst.with_name(f"{dst.name}.old-{uuid.uuid4().hex[:8]}")
        dst.rename(old)
        try:
            partial.rename(dst)
        except BaseException:
            old.rename(dst)
            raise
        shutil.rmtree(old)
        return
    partial.rename(dst)


def _refuse_attention(report: FolderReport) -> None:
    path, why = report.needs_attention[0]
    more = len(report.needs_attention) - 1
    raise DeidFolderError(
        f"strict=True: {report._name(path)} {why}"
        + (f" (and {more} more file(s) need attention)" if more else "")
        + f". Nothing was written to {report.dst}.",
        path,
    )


def _warn_attention(report: FolderReport) -> None:
    flagged = [path for path, _ in report.needs_attention if path in report.written]
    if flagged:
        names = ", ".join(report._name(p) for p in flagged[:3])
        warnings.warn(
            f"{len(flagged)} of the {len(report.written)} file(s) written to {report.dst} "
            f"need attention ({names}{', ...' if len(flagged) > 3 else ''}): "
            f"{_IDENTITY_NOT_REMOVED}. print(report) lists them first; strict=True refuses",
            UserWarning,
            stacklevel=3,
        )


def deidentify_folder(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    key: bytes | str | None = None,
    progress: bool = True,
    overwrite: bool = False,
    strict: bool = False,
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
        The output folder, outside ``src``; its parent folders are created. It must not
        exist yet, unless ``overwrite``.
    key : bytes or str, optional
        Key of the UID mapping, used for every file. Without one, the random key of this
        Python process: the files of this call agree with each other (and with other
        calls in the same session), a new session gives other UIDs. With a key, another
        run on the same files gives the same UIDs.
    progress : bool, default True
        Show a progress bar (tqdm) over the DICOM files.
    overwrite : bool, default False
        Replace ``dst`` if it is the output of an earlier run (only folders of ``.dcm``
        files); the old folder is removed once the new one is complete. Anything else
        in ``dst`` is refused, never deleted.
    strict : bool, default False
        Refuse (:class:`DeidFolderError`, nothing written) when a file would need
        attention (``report.needs_attention``): a file written with Patient Identity
        Removed NO, a DICOMDIR left out.
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
        What needs attention (``report.needs_attention``, empty when nothing does), the
        files written (source -> output) and the files skipped, with reasons.
        ``print(report)`` shows them in that order.

    Warns
    -----
    UserWarning
        When files were written with Patient Identity Removed NO (one warning for all);
        when ``burned_in_boxes`` is a non-empty list and some files do not have Burned In
        Annotation ``YES`` (their pixels were blacked out all the same); when ``src``
        holds no DICOM file; when a DICOMDIR was left out (build a new one).

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        If ``src`` does not exist or is a file.
    ValueError
        If ``dst`` is inside ``src`` or ``src`` inside ``dst``.
    TypeError
        If an option is not one of :func:`deidentify`'s.
    DeidFolderError
        If ``dst`` exists (and is not an earlier output with ``overwrite``); if a file
        is damaged: empty, truncated, unreadable, a data set without the preamble, or
        with the marker but not readable, de-identifiable or writable; with ``strict``,
        if a file needs attention. The message names the file; nothing is left in
        ``dst`` or a partial folder.

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
    ...     warnings.simplefilter("ignore")  # the same as report.needs_attention says
    ...     report = deidentify_folder(
    ...         work / "identified_study", work / "clean", key="course", progress=False
    ...     )
    >>> print(report)  # doctest: +ELLIPSIS
    1 file(s) NEED ATTENTION:
      ! SCOUT0001.dcm: written with Patient Identity Removed NO: ...
    5 DICOM file(s) de-identified into .../clean (1 of them need attention: above)
    1 file(s) skipped, not copied:
      README.txt: no 'DICM' marker at byte 128: not a DICOM file
    >>> [path.name for path, _ in report.needs_attention]
    ['SCOUT0001.dcm']
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
    _check_folders(src, dst, overwrite)
    report = FolderReport(src, dst)
    dicom_files = _sort_files(src, dst, report)

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
                    report.needs_attention.append((path, _DICOMDIR))
                    directories.append((str(path.relative_to(src)), str(exc)))
                    continue
                if blanket and str(ds.get("BurnedInAnnotation", "")).upper() != "YES":
                    without_text.append(path.name)
                clean = _deidentify(ds, key, options)
                name = Path(str(clean.SeriesInstanceUID), f"{clean.SOPInstanceUID}.dcm")
                if name in written_by_name:
                    first = written_by_name[name].relative_to(src)
                    report.skipped.append(
                        (path, f"another copy of the instance in {first} (same SOP Instance UID)")
                    )
                    continue
                (partial / name.parent).mkdir(exist_ok=True)
                clean.save_as(partial / name, enforce_file_format=True)
            except DamagedFileError as exc:
                raise _damaged(path, exc.problem, src, dst) from None
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
            if clean.get("PatientIdentityRemoved") != "YES":
                report.needs_attention.append((path, _IDENTITY_NOT_REMOVED))
        if strict and report.needs_attention:
            _refuse_attention(report)
        _replace(partial, dst, overwrite)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _warn_attention(report)
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
