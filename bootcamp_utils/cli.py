"""The course's helpers on your own files, from a terminal: ``python -m bootcamp_utils``.

Three commands, for the jobs people do after the course (``--help`` on each says more):

* ``info PATH``: a folder's series (:func:`~bootcamp_utils.list_series`), or one file's
  header in brief and what identifying data it still holds
  (:func:`~bootcamp_utils.deid.phi_findings`), or a NIfTI file's shape and axes;
* ``convert IN OUT.nii.gz``: a folder of slices to NIfTI (:func:`~bootcamp_utils.load_series`);
* ``deidentify IN OUT``: a folder to a new, de-identified folder
  (:func:`~bootcamp_utils.deid.deidentify_folder`, PS3.15 Annex E Basic Profile).

Progress bars (tqdm) go to standard error. What the helpers refuse (a folder with two
series, an output folder that exists, a damaged file) is printed as one line,
``<prog> <command>: error: <the helper's message>``, with exit status 1 and no traceback;
a mistyped command line exits with status 2 (argparse). Warnings the helpers raise (burned-in
text in a localizer) are printed after the work, one line each, so no progress bar hides them.

>>> main(["convert", "--help"])  # doctest: +ELLIPSIS
usage: bootcamp convert [-h] ...
...
0
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path

__all__ = ["main"]

#: The errors the helpers raise on purpose, with a message that says what to do.
#: (SeriesError, DataError and DeidError are ValueErrors; DeidFolderError is added in main.)
_EXPECTED: tuple[type[BaseException], ...] = (OSError, ValueError)


def _one_line(text: str) -> str:
    """``text`` with its line breaks (and the indentation after them) made single spaces."""
    return re.sub(r"\s*\n\s*", " ", str(text)).strip()


def _info(args: argparse.Namespace) -> int:
    """Print what PATH holds: a folder's series, a DICOM file's header, a NIfTI's axes."""
    path = Path(args.path)
    if path.is_dir():
        from .series import list_series

        infos = list_series(path, progress=not args.no_progress)
        print(f"{path}: {len(infos)} series")
        for s in infos:
            print(f"  series {s.number} {s.modality} {s.description!r}: {len(s.files)} file(s)")
            print(f"    SeriesInstanceUID {s.uid}")
        return 0
    if not path.exists():
        raise FileNotFoundError(f"No such file or folder: {path}")
    if path.name.endswith((".nii", ".nii.gz")):
        import nibabel as nib

        image = nib.load(path)
        zooms = " x ".join(f"{z:g}" for z in image.header.get_zooms())
        print(f"{path}: NIfTI, shape {image.shape}, voxel {zooms}, {image.get_data_dtype()}")
        print(f"  voxel axes point to {', '.join(nib.aff2axcodes(image.affine))}")
        return 0
    return _info_dicom(path)


def _info_dicom(path: Path) -> int:
    """One DICOM file in brief, and what identifying data it still holds."""
    from ._scan import _read_header  # load_series' reader: the same refusals, same words

    ds = _read_header(path)
    if ds is None:
        raise ValueError(
            f"{path} is not a DICOM file: no 'DICM' marker at byte 128 (PS3.10 7.1). If it "
            "is DICOM without the preamble, pydicom.dcmread(path, force=True) may read it."
        )
    meta = ds.file_meta
    sop_class = ds.get("SOPClassUID") or meta.get("MediaStorageSOPClassUID")
    print(f"{path}: {getattr(sop_class, 'name', sop_class)}")
    print(f"  transfer syntax {meta.TransferSyntaxUID.name}; modality {ds.get('Modality')}")
    if "Rows" in ds:
        frames = ds.get("NumberOfFrames") or 1
        photometric = ds.get("PhotometricInterpretation")
        print(f"  image {ds.Rows} x {ds.Columns}, {frames} frame(s), {photometric}")
    print(f"  series {ds.get('SeriesNumber')} {str(ds.get('SeriesDescription', ''))!r}")
    print(f"  may still identify someone: {_identifying(ds)}")
    print(f"  Burned In Annotation {ds.get('BurnedInAnnotation', '(absent)')}")
    return 0


def _identifying(ds) -> str:
    """How many attributes phi_findings reports, the patient's own named first."""
    from .deid import phi_findings

    names = list(dict.fromkeys(f.path.split("[")[0] for f in phi_findings(ds)))
    if not names:
        return "0 attribute(s)"
    names.sort(key=lambda name: not name.startswith("Patient"))
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    listed = f"{', '.join(names[:5])}{more}; bootcamp_utils.phi_findings lists them"
    return f"{len(names)} attribute(s) ({listed})"


def _convert(args: argparse.Namespace) -> int:
    """Load the series in IN (load_series) and write it as a NIfTI file."""
    import nibabel as nib

    from .series import MultipleSeriesError, load_series

    out = Path(args.out)
    if not out.name.endswith((".nii", ".nii.gz")):
        raise ValueError(f"{out}: the output name must end in .nii.gz (compressed) or .nii")
    if out.exists() and not args.overwrite:
        raise FileExistsError(f"{out} already exists: choose another name, or add --overwrite")
    try:
        image = load_series(args.input, args.series, progress=not args.no_progress)
    except MultipleSeriesError as exc:
        series = "; ".join(map(str, exc.series))
        raise ValueError(
            f"{args.input} holds {len(exc.series)} image series ({series}): choose one with "
            "--series UID"
        ) from None
    if args.ras:
        image = nib.as_closest_canonical(image)
    out.parent.mkdir(parents=True, exist_ok=True)
    nib.save(image, out)
    zooms = " x ".join(f"{z:g}" for z in image.header.get_zooms())
    axes = ", ".join(nib.aff2axcodes(image.affine))
    print(f"Wrote {out}: shape {image.shape}, voxel {zooms}, axes point to {axes}")
    return 0


def _deidentify(args: argparse.Namespace) -> int:
    """De-identify every DICOM file under IN into the new folder OUT."""
    from .deid import deidentify_folder

    options = {"key": args.key, "keep_private": args.keep_private}
    if args.shift_dates is not None:
        shift = args.shift_dates
        options["shift_dates"] = shift if shift == "per-patient" else _days(shift)
    report = deidentify_folder(
        args.input,
        args.out,
        progress=not args.no_progress,
        strict=args.strict,
        overwrite=args.overwrite,
        **options,
    )
    print(report)
    return 0


def _days(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"--shift-dates {text!r}: give a whole number of days (-365) or per-patient"
        ) from None


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="The DICOM in Python course's helpers on your own files."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    info = commands.add_parser("info", help="what a folder, DICOM file or NIfTI file holds")
    info.add_argument("path", help="a folder (its series), a DICOM file or a .nii/.nii.gz")
    info.set_defaults(run=_info)
    convert = commands.add_parser("convert", help="a folder of DICOM slices -> one NIfTI file")
    convert.add_argument("input", help="folder of the series (sub-folders included)")
    convert.add_argument("out", help="the NIfTI file to write, OUT.nii.gz or OUT.nii")
    convert.add_argument(
        "--series", metavar="UID", help="SeriesInstanceUID to convert (info lists them)"
    )
    convert.add_argument(
        "--ras",
        action="store_true",
        help="reorder the voxel axes to the closest to R, A, S (nibabel.as_closest_canonical); "
        "by default they are the DICOM's (column, row, slice)",
    )
    convert.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    convert.set_defaults(run=_convert)
    deid = commands.add_parser(
        "deidentify",
        help="a folder -> a new de-identified folder (PS3.15 Basic Profile)",
        description="Writes OUT/<new series UID>/<new instance UID>.dcm; IN is only read, "
        "OUT must not exist (or hold an earlier output: --overwrite). Files that are not DICOM "
        "are listed, not copied.",
    )
    deid.add_argument("input", help="the folder to read (never written to)")
    deid.add_argument("out", help="the new folder to write (must not exist, see --overwrite)")
    deid.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUT if it holds an earlier output (only .dcm files); anything else is kept",
    )
    deid.add_argument("--key", help="secret key: another run with it gives the same new UIDs")
    deid.add_argument(
        "--keep-private",
        action="append",
        default=[],
        metavar="CREATOR",
        help="keep this private creator's block (repeatable); all others are removed",
    )
    deid.add_argument(
        "--shift-dates",
        metavar="DAYS|per-patient",
        help="shift dates by DAYS (or per patient) instead of removing them",
    )
    deid.add_argument(
        "--strict",
        action="store_true",
        help="write nothing if a file would still need attention (a name burned into pixels)",
    )
    deid.set_defaults(run=_deidentify)
    for command in (info, convert, deid):
        command.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None, prog: str = "bootcamp") -> int:
    """Run one command; return its exit status (0 done, 1 refused, 2 bad command line).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).
    prog : str, default "bootcamp"
        The program name used in help and error messages.
    """
    from .deid import DeidFolderError

    parser = _parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse has printed it
        return int(exc.code or 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = args.run(args)
        except (*_EXPECTED, DeidFolderError) as exc:
            print(f"{prog} {args.command}: error: {_one_line(exc)}", file=sys.stderr)
            status = 1
        except KeyboardInterrupt:
            print(f"{prog} {args.command}: interrupted", file=sys.stderr)
            status = 130
    for message in dict.fromkeys(_one_line(w.message) for w in caught):
        print(f"{prog} {args.command}: warning: {message}", file=sys.stderr)
    return status
