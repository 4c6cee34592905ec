"""The ``ml_archive`` sample: a messy PACS export to turn into a machine-learning dataset.

A real export is not a tidy folder per series. It is what an archive hands over: files named
by the exporting system (``IM000123``, ``3FA2C91B``), without extension, spread over a few
export batches, every series' files mixed with every other's. Nothing but the header says
what a file is (PS3.10 7.1: a DICOM file is recognised by the ``DICM`` marker at byte 128,
not by its name), so series are found by Series Instance UID (PS3.3 C.7.3.1) and selected by
header fields such as Image Type (PS3.3 C.7.6.1.1.2), never by file or folder name.

The archive holds 20 fictitious patients (``ML001`` ... ``ML020``, names ``Phantom^Alfa``
...), scanned at two fictitious sites with scanners of two manufacturers. Every image is the
course's head phantom (``_phantom.py``) with, for 12 patients, a lesion: a sphere of higher
CT number (lower T1 signal) at a position and size of its own. Each patient has a first head
CT study (a localizer and an axial series; slice spacing 2.5, 3 or 5 mm, pixel size 3.44,
3.75 or 3.91 mm, 64 x 64), some a repeat CT study at a later date, some a sagittal MR study.
Between them sit what real exports contain and a training set must not: localizers
(ORIGINAL\\PRIMARY\\LOCALIZER), thick-slab MIPs (DERIVED\\SECONDARY), secondary captures,
a series with a missing slice, one with damaged (truncated) files, one with images of two
orientations, one whose files are partly stored twice (the same SOP Instance UID in two
files), Segmentation objects (PS3.3 A.51) of the lesion with frames in shuffled order, one
RT Structure Set (PS3.3 A.19) with the lesion as closed planar contours, and non-DICOM
files (a README, a ``.DS_Store``, an empty file).

:func:`archive_truth` (``_archive_truth.py``, imported here) says, for every series, what it
is and whether an "axial CT for training" selection should keep it, and why; it is computed
from the plan below and is never written into the archive (students must work it out from
the headers). :func:`seg_dataset`
and :func:`rtstruct_dataset` build the label objects from any CT series and mask/contours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, MRImageStorage, SecondaryCaptureImageStorage

from . import _phantom
from ._archive_labels import rtstruct_dataset, seg_dataset
from ._archive_truth import archive_problems, archive_truth
from ._samples import _ct_image, _ds, _phantom_image, _plane, _set_pixels, _uid

__all__ = ["NAME", "archive_problems", "archive_truth", "rtstruct_dataset", "seg_dataset"]

#: The sample's name: ``sample_path(NAME)``.
NAME = "ml_archive"

_SEED = 20260601
_MATRIX = 64
_NATO = (  # noqa: SIM905
    "Alfa Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliett "
    "Kilo Lima Mike November Oscar Papa Quebec Romeo Sierra Tango"
).split()
#: (manufacturer, model, institution, kernel, noise sigma HU, Rescale Intercept)
_SCANNERS = (
    ("Acme Imaging (fictitious)", "Acme Tomo 64", "Site North (fictitious)", "SOFT", 5.0, -1024),
    ("Umbra Medical (fictitious)", "Umbra Helix", "Site South (fictitious)", "H30s", 8.0, -1000),
)
_SPACINGS = (2.5, 3.0, 5.0)  # slice spacing (mm) -> number of slices, about 95 mm of head
_N_SLICES = {2.5: 38, 3.0: 32, 5.0: 20}
_PIXELS = (3.4375, 3.75, 3.90625)  # 220, 240 and 250 mm fields of view on 64 x 64
_LESION = {1, 2, 3, 5, 6, 7, 9, 11, 12, 14, 16, 18}
_REPEAT = {1, 4, 6, 8, 10, 12, 15, 19}
_DEFECTS = {4: "missing slice", 8: "corrupt file", 10: "mixed orientation", 15: "duplicates"}
_DERIVED, _SC, _MR = {2, 5, 9, 13}, {3, 11, 17}, {2, 7, 11, 13, 16, 20}
_SEG = {(1, 1), (1, 2), (2, 1), (3, 1), (5, 1), (7, 1), (9, 1), (11, 1), (14, 1)}
_RTSTRUCT = (6, 1)
_N_DUPLICATES, _N_CORONAL = 5, 4
#: Tissue values of the archive's phantom: the sample phantom's bleed is painted as white
#: matter, so that the only lesion is the archive's own.
_HU = _phantom.CT_HU | {"blood": _phantom.CT_HU["white_matter"]}
_T1 = _phantom.MR_T1 | {"blood": _phantom.MR_T1["white_matter"]}
_LESION_T1 = 300.0


@dataclass(frozen=True)
class _Patient:
    number: int
    id: str
    name: str
    birth: date
    sex: str
    scanner: int
    dates: tuple[date, date, date]  # first CT, repeat CT, MR
    lesion: tuple[tuple[float, float, float], float, float] | None  # centre, radius, HU


@dataclass(frozen=True)
class _Spec:
    """One series of the plan; ``key`` seeds its UIDs and its pixels."""

    patient: _Patient
    study: int  # 1 first CT, 2 repeat CT, 3 MR
    number: int
    kind: str
    keep: bool
    reason: str
    spacing: float = 0.0
    pixel: float = 0.0
    slices: int = 0
    ref: int | None = None  # the Series Number of the CT a SEG or RTSTRUCT labels

    @property
    def key(self) -> str:
        return f"{self.patient.id}/{self.study}/{self.number}"


@lru_cache(maxsize=1)
def _patients() -> tuple[_Patient, ...]:
    rng = np.random.default_rng(_SEED)
    patients = []
    for n in range(1, 21):
        centre = (rng.uniform(-28, 28), rng.uniform(-20, 38), rng.uniform(18, 52))
        radius, hu = rng.uniform(8, 12), rng.uniform(60, 85)  # >= 3 slices 5 mm apart
        first = date(2021, 1, 4) + timedelta(days=int(rng.integers(0, 700)))
        dates = (
            first,
            first + timedelta(days=int(rng.integers(90, 400))),
            first + timedelta(days=int(rng.integers(2, 30))),
        )
        patients.append(
            _Patient(
                number=n,
                id=f"ML{n:03d}",
                name=f"Phantom^{_NATO[n - 1]}",
                birth=date(int(rng.integers(1940, 1995)), int(rng.integers(1, 13)), 15),
                sex="FM"[int(rng.integers(0, 2))],
                scanner=1 if n % 5 in (0, 2) else 0,
                dates=dates,
                lesion=(tuple(round(float(c), 1) for c in centre), round(radius, 1), hu)
                if n in _LESION
                else None,
            )
        )
    return tuple(patients)


_EXCLUDED = {
    "localizer": "excluded: localizer (Image Type ORIGINAL\\PRIMARY\\LOCALIZER): a projection",
    "derived": "excluded: derived image (Image Type DERIVED\\SECONDARY): a thick-slab MIP",
    "secondary capture": "excluded: Secondary Capture Image Storage: a screenshot, no geometry",
    "sagittal MR": "excluded: modality MR, not CT",
    "missing slice": "excluded: a slice is missing (a gap of twice the slice spacing)",
    "corrupt file": "excluded: two files are damaged (truncated): the series is incomplete",
    "mixed orientation": "excluded: mixed orientations (axial and coronal images in one series)",
    "duplicates": "excluded: duplicate instances (5 SOP Instance UIDs stored in two files)",
    "SEG": "excluded: a Segmentation (label) of the lesion, not an image to train on",
    "RTSTRUCT": "excluded: an RT Structure Set (contours) of the lesion, not an image",
}


def _ct_spec(p: _Patient, study: int, kind: str) -> _Spec:
    spacing = _SPACINGS[(p.number + study - 1) % 3]
    pixel = _PIXELS[(p.number // 3 + study - 1) % 3]
    reason = f"kept: axial CT, {_ds(spacing)} mm slices, consistent geometry"
    keep, reason = kind == "axial CT", _EXCLUDED.get(kind, reason)
    return _Spec(p, study, 2, kind, keep, reason, spacing, pixel, _N_SLICES[spacing])


@lru_cache(maxsize=1)
def _plan() -> tuple[_Spec, ...]:
    """Every series of the archive, in writing order."""
    plan = []
    for p in _patients():
        for study in (1, 2) if p.number in _REPEAT else (1,):
            ct = _ct_spec(
                p, study, _DEFECTS.get(p.number, "axial CT") if study == 2 else "axial CT"
            )
            plan += [_Spec(p, study, 1, "localizer", False, _EXCLUDED["localizer"]), ct]
            if study == 1 and p.number in _DERIVED:
                mip = _Spec(p, 1, 3, "derived", False, _EXCLUDED["derived"], ref=2)
                plan.append(
                    replace(mip, spacing=4 * ct.spacing, pixel=ct.pixel, slices=ct.slices // 4)
                )
            if study == 1 and p.number in _SC:
                plan.append(
                    _Spec(p, 1, 90, "secondary capture", False, _EXCLUDED["secondary capture"])
                )
            if (p.number, study) in _SEG:
                plan.append(_Spec(p, study, 100, "SEG", False, _EXCLUDED["SEG"], ref=2))
            if (p.number, study) == _RTSTRUCT:
                plan.append(_Spec(p, study, 101, "RTSTRUCT", False, _EXCLUDED["RTSTRUCT"], ref=2))
        if p.number in _MR:
            mr = _Spec(p, 3, 4, "sagittal MR", False, _EXCLUDED["sagittal MR"], 7.0, 4.0, 20)
            plan.append(mr)
    return tuple(plan)


def _n_files(spec: _Spec) -> int:
    """How many files the series occupies in the archive (damaged and duplicate copies too)."""
    extra = {"missing slice": -1, "mixed orientation": _N_CORONAL, "duplicates": _N_DUPLICATES}
    return max(spec.slices, 1) + extra.get(spec.kind, 0)


#: The export batches: folder, and how the exporting system named its files.
_BATCHES = (("EXPORT_A", "im"), ("EXPORT_B", "hex"), ("EXPORT_C/DICOM", "dir"), ("EXPORT_D", "hex"))
_JUNK = {
    "EXPORT_A/README.TXT": "not DICOM: a text file",
    "EXPORT_B/.DS_Store": "not DICOM: a macOS folder-settings file",
    "EXPORT_D/00000000": "empty (0 bytes): a failed copy",
}


def _file_name(number: int, style: str) -> str:
    if style == "im":
        return f"IM{number:06d}"
    if style == "dir":  # a CD-style export: 100 files per sub-folder
        return f"{number // 100:04d}/IM{number:06d}"
    return hashlib.sha256(f"{NAME}/{number}".encode()).hexdigest()[:8].upper()


@lru_cache(maxsize=1)
def _layout() -> dict[str, tuple[str, ...]]:
    """Series key -> the relative paths of its files, in instance order (copies last)."""
    plan = _plan()
    slots = [(spec.key, i) for spec in plan for i in range(_n_files(spec))]
    numbers = np.random.default_rng(_SEED + 1).permutation(len(slots)) + 1
    layout: dict[str, list[str]] = {spec.key: [] for spec in plan}
    for (key, _), number in zip(slots, numbers, strict=True):
        folder, style = _BATCHES[(number - 1) * len(_BATCHES) // len(slots)]
        layout[key].append(f"{folder}/{_file_name(int(number), style)}")
    paths = [p for files in layout.values() for p in files]
    assert len(set(paths)) == len(paths) and not set(paths) & set(_JUNK)
    return {key: tuple(files) for key, files in layout.items()}


# --- ground truth ---------------------------------------------------------------------------


def _uids(spec: _Spec) -> tuple[str, str, str]:
    """(Study, Series, Frame of Reference) UIDs of a series."""
    p = spec.patient
    return (
        _uid(NAME, p.id, "study", spec.study),
        _uid(NAME, spec.key, "series"),
        _uid(NAME, p.id, "frame", spec.study),
    )


# --- writing ----------------------------------------------------------------------------------

_DESCRIPTIONS = {  # (manufacturer 0, manufacturer 1): names differ, and say little
    "localizer": ("Topogram 0.6 T20s", "SCOUT"),
    "axial CT": ("Head {s} mm", "AX BRAIN"),
    "derived": ("MIP {s} mm", "AX BRAIN THICK"),
    "secondary capture": ("Key images", "SCREEN SAVE"),
    "sagittal MR": ("t1_se_sag", "SAG T1"),
}


def _image(spec: _Spec, sop_class: str, k: int, modality: str) -> Dataset:
    """Image ``k`` of ``spec``: patient, study, series, equipment of the archive."""
    p, scanner = spec.patient, _SCANNERS[spec.patient.scanner]
    study_uid, series_uid, frame_uid = _uids(spec)
    day = p.dates[spec.study - 1]
    hour = 8 + (p.number + spec.study) % 9
    study_time, series_time = f"{hour:02d}1500", f"{hour:02d}{20 + min(spec.number, 39):02d}00"
    kind = spec.kind if spec.kind in _DESCRIPTIONS else "axial CT"
    description = _DESCRIPTIONS[kind][p.scanner].format(s=_ds(spec.spacing))
    ds = _phantom_image(
        sop_class,
        f"{NAME}/{spec.key}",
        k,
        frame_uid,
        scanner[1],
        (study_uid, day.strftime("%Y%m%d"), study_time, f"S{spec.study}", _STUDIES[spec.study]),
        (modality, series_uid, spec.number, description, day.strftime("%Y%m%d"), series_time),
        acquired=series_time,
    )
    ds.PatientName, ds.PatientID, ds.PatientSex = p.name, p.id, p.sex
    ds.PatientBirthDate = p.birth.strftime("%Y%m%d")
    age = day.year - p.birth.year - ((day.month, day.day) < (p.birth.month, p.birth.day))
    ds.PatientAge = f"{age:03d}Y"
    ds.AccessionNumber = f"A{p.number:03d}{spec.study}"
    ds.Manufacturer, ds.InstitutionName = scanner[0], scanner[2]
    return ds


_STUDIES = {1: "CT HEAD WITHOUT CONTRAST", 2: "CT HEAD WITHOUT CONTRAST", 3: "MR HEAD"}


def _add_lesion(values: np.ndarray, coords, lesion, value: float) -> np.ndarray:
    """Paint the lesion sphere (soft 1 mm edge) over ``values``; returns the hard mask."""
    centre, radius, _ = lesion
    r = np.sqrt(sum((c - np.float32(centre[i])) ** 2 for i, c in enumerate(coords)))
    weight = np.clip(0.5 - (r - np.float32(radius)), 0.0, 1.0)
    values += weight * (np.float32(value) - values)
    return np.broadcast_to(r <= radius, values.shape)


def _render_ct(spec: _Spec, coords, rng) -> tuple[np.ndarray, np.ndarray]:
    """HU and lesion mask on the grid ``coords``."""
    hu = _phantom.render(coords, _HU)
    mask = np.zeros(hu.shape, bool)
    if spec.patient.lesion is not None:
        mask = _add_lesion(hu, coords, spec.patient.lesion, spec.patient.lesion[2])
    sigma = _SCANNERS[spec.patient.scanner][4]
    return hu + _phantom.ct_noise(rng, hu.shape, sigma_hu=sigma), mask


def _ct_slice(spec, k, hu, position, row_dir, col_dir, image_type, thickness) -> Dataset:
    ds = _image(spec, CTImageStorage, k, "CT")
    _ct_image(ds, image_type)
    scanner = _SCANNERS[spec.patient.scanner]
    ds.ConvolutionKernel, ds.RescaleIntercept = scanner[3], str(scanner[5])
    _plane(ds, position, row_dir, col_dir, (spec.pixel, spec.pixel), thickness)
    ds.SliceLocation = _ds(np.asarray(position) @ np.cross(row_dir, col_dir))
    ds.WindowCenter, ds.WindowWidth = "40", "80"
    _set_pixels(ds, np.clip(np.rint(hu - scanner[5]), 0, 4095).astype(np.uint16), 12)
    return ds


_AXIAL = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))


def _axial_ct(spec: _Spec) -> dict:
    """The datasets, HU, mask and grid of an axial CT series (all its slices)."""
    rng = np.random.default_rng([_SEED, spec.patient.number, spec.study, spec.number])
    half = spec.pixel * (_MATRIX - 1) / 2
    first = np.round([-half + rng.uniform(-6, 6), 8 - half + rng.uniform(-6, 6), 0], 2)
    first[2] = round(rng.uniform(-22, -12), 1)
    step = np.array([0.0, 0.0, spec.spacing])
    shape = (spec.slices, _MATRIX, _MATRIX)
    coords = _phantom.voxel_centres(first, *_AXIAL, step, shape, (spec.pixel, spec.pixel))
    hu, mask = _render_ct(spec, coords, rng)
    image_type = ["ORIGINAL", "PRIMARY", "AXIAL"]
    datasets = [
        _ct_slice(spec, k, hu[k], first + k * step, *_AXIAL, image_type, spec.spacing)
        for k in range(spec.slices)
    ]
    return {"datasets": datasets, "hu": hu, "mask": mask, "first": first, "step": step}


def _coronal_extras(spec: _Spec, ct: dict) -> list[Dataset]:
    """Coronal images with the series' UID: the "mixed orientation" series."""
    rng = np.random.default_rng([_SEED, spec.patient.number, 99])
    top = ct["first"] + ct["step"] * (spec.slices - 1)
    first, row_dir, col_dir = np.array([ct["first"][0], -30.0, top[2]]), (1, 0, 0), (0, 0, -1)
    step = np.array([0.0, 20.0, 0.0])
    shape = (_N_CORONAL, _MATRIX, _MATRIX)
    coords = _phantom.voxel_centres(first, row_dir, col_dir, step, shape, (spec.pixel,) * 2)
    hu, _ = _render_ct(spec, coords, rng)
    image_type = ["ORIGINAL", "PRIMARY", "AXIAL"]
    return [
        _ct_slice(spec, spec.slices + j, hu[j], first + j * step, row_dir, col_dir, image_type, 3)
        for j in range(_N_CORONAL)
    ]


@lru_cache(maxsize=1)
def _scout_projection() -> np.ndarray:
    """Water-equivalent path length (mm) through the head along y: a coronal scout."""
    first = np.array([-126.0, -126.0, 130.0])
    coords = _phantom.voxel_centres(first, (1, 0, 0), (0, 0, -1), (0, 4, 0), (64, 64, 64), (4, 4))
    mu = np.clip(_phantom.render(coords, _HU) + 1000.0, 0, None)
    return mu.sum(axis=0) * 4.0 / 1000.0


def _localizer(spec: _Spec) -> Dataset:
    rng = np.random.default_rng([_SEED, spec.patient.number, spec.study, 1])
    ds = _image(spec, CTImageStorage, 0, "CT")
    _ct_image(ds, ["ORIGINAL", "PRIMARY", "LOCALIZER"])
    ds.ConvolutionKernel = _SCANNERS[spec.patient.scanner][3]
    ds.RescaleIntercept, ds.RescaleSlope = "0", "1"  # not HU: a projection
    del ds.RescaleType
    _plane(ds, (-126.0, 0.0, 130.0), (1, 0, 0), (0, 0, -1), (4.0, 4.0), 4.0)
    ds.WindowCenter, ds.WindowWidth = "1500", "3000"
    scout = np.clip(_scout_projection() * 12.0, 0, 3000) + rng.normal(0, 8, (64, 64))
    _set_pixels(ds, np.clip(np.rint(scout), 0, 4095).astype(np.uint16), 12)
    return ds


def _derived(spec: _Spec, ct: dict) -> list[Dataset]:
    """Thick-slab maximum intensity projections of four slices each."""
    datasets = []
    for j in range(spec.slices):
        position = ct["first"] + (4 * j + 1.5) * ct["step"]
        mip = ct["hu"][4 * j : 4 * j + 4].max(axis=0)
        ds = _ct_slice(
            spec, j, mip, position, *_AXIAL, ["DERIVED", "SECONDARY", "AXIAL"], spec.spacing
        )
        ds.DerivationDescription = "Maximum intensity projection of 4 contiguous slices"
        sources = ct["datasets"][4 * j : 4 * j + 4]
        ds.SourceImageSequence = Sequence(
            [_ref(source.SOPClassUID, source.SOPInstanceUID) for source in sources]
        )
        datasets.append(ds)
    return datasets


def _ref(sop_class: str, sop_instance: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = sop_class, sop_instance
    return item


def _secondary_capture(spec: _Spec, ct: dict) -> Dataset:
    """A screen save of the middle slice in a brain window: 8-bit, no patient geometry."""
    ds = _image(spec, SecondaryCaptureImageStorage, 0, "CT")
    for keyword in ("FrameOfReferenceUID", "PositionReferenceIndicator"):
        delattr(ds, keyword)
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.ConversionType = "WSD"
    ds.PatientOrientation = ["L", "P"]
    hu = ct["hu"][len(ct["datasets"]) // 2]
    shown = np.clip((hu - 0.0) / 80.0 * 255.0, 0, 255).astype(np.uint8)
    shown = np.kron(shown, np.ones((2, 2), np.uint8))
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = shown.shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = shown.tobytes()
    return ds


def _sagittal_mr(spec: _Spec) -> list[Dataset]:
    rng = np.random.default_rng([_SEED, spec.patient.number, 3])
    row_dir, col_dir = (0.0, 1.0, 0.0), (0.0, 0.0, -1.0)  # rows run A->P, columns S->I
    first = np.array([-spec.spacing * (spec.slices - 1) / 2, -126.0, 130.0])
    step = np.array([spec.spacing, 0.0, 0.0])
    shape = (spec.slices, _MATRIX, _MATRIX)
    coords = _phantom.voxel_centres(first, row_dir, col_dir, step, shape, (4.0, 4.0))
    signal = _phantom.render(coords, _T1)
    if spec.patient.lesion is not None:
        _add_lesion(signal, coords, spec.patient.lesion, _LESION_T1)
    stored = np.clip(np.rint(_phantom.rician(rng, signal, sigma=18.0)), 0, 4095)
    datasets = []
    for k in range(spec.slices):
        ds = _image(spec, MRImageStorage, k, "MR")
        ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
        ds.ScanningSequence, ds.SequenceVariant, ds.ScanOptions = "SE", "NONE", ""
        ds.MRAcquisitionType = "2D"
        ds.RepetitionTime, ds.EchoTime, ds.EchoTrainLength = "550", "12", 1
        ds.NumberOfAverages, ds.ImagingFrequency, ds.ImagedNucleus = "2", "63.87", "1H"
        ds.MagneticFieldStrength, ds.FlipAngle = "1.5", "90"
        ds.SpacingBetweenSlices = _ds(spec.spacing)
        ds.AcquisitionNumber = 1
        position = first + k * step
        _plane(ds, position, row_dir, col_dir, (4.0, 4.0), spec.spacing)
        ds.SliceLocation = _ds(position[0])
        ds.WindowCenter, ds.WindowWidth = "500", "1000"
        _set_pixels(ds, stored[k].astype(np.uint16), 12)
        datasets.append(ds)
    return datasets


def _lesion_contours(ct: dict, lesion) -> list[np.ndarray]:
    """The lesion sphere cut by every slice plane: a 32-gon per slice it crosses."""
    (cx, cy, cz), radius, _ = lesion
    angles = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    contours = []
    for ds in ct["datasets"]:
        z = float(ds.ImagePositionPatient[2])
        if abs(z - cz) < radius - 0.5:
            r = np.sqrt(radius**2 - (z - cz) ** 2)
            ring = np.stack([cx + r * np.cos(angles), cy + r * np.sin(angles), np.full(32, z)])
            contours.append(np.round(ring.T, 3))
    return contours


def _series_datasets(spec: _Spec, cts: dict) -> list[Dataset]:
    """The datasets of one series in instance order (``cts``: the study's CTs so far)."""
    if spec.kind == "localizer":
        return [_localizer(spec)]
    if spec.kind == "sagittal MR":
        return _sagittal_mr(spec)
    if spec.ref is not None:
        ct = cts[spec.ref]
        if spec.kind == "derived":
            return _derived(spec, ct)
        uid = _uids(spec)[1]
        if spec.kind == "SEG":
            seed = spec.patient.number * 10 + spec.study
            return [
                seg_dataset(ct["datasets"], np.asarray(ct["mask"]), shuffle=seed, series_uid=uid)
            ]
        contours = _lesion_contours(ct, spec.patient.lesion)
        return [rtstruct_dataset(ct["datasets"], "Lesion", contours, series_uid=uid)]
    if spec.kind == "secondary capture":
        return [_secondary_capture(spec, cts[2])]
    ct = cts[spec.number] = _axial_ct(spec)
    datasets = list(ct["datasets"])
    if spec.kind == "missing slice":
        del datasets[spec.slices // 2]
    elif spec.kind == "mixed orientation":
        datasets += _coronal_extras(spec, ct)
    elif spec.kind == "duplicates":  # the same instances exported twice
        datasets += [datasets[k] for k in range(2, 2 + 5 * _N_DUPLICATES, 5)]
    return datasets


def _truncate(path: Path, where: str) -> None:
    """Cut a file short: inside the Pixel Data element's length, or inside its value."""
    raw = path.read_bytes()
    pixel_tag = raw.rfind(b"\xe0\x7f\x10\x00OW")
    path.write_bytes(raw[: pixel_tag + 10] if where == "header" else raw[: len(raw) - 4096])


def write_ml_archive(out: Path) -> list[str]:
    """Write the archive under ``out / NAME``; returns the files relative to ``out``."""
    root, layout, written = out / NAME, _layout(), []
    cts: dict[int, dict] = {}
    study = None
    for spec in _plan():
        if (spec.patient.id, spec.study) != study:  # a new study: its CTs are the ones
            study, cts = (spec.patient.id, spec.study), {}  # its labels and copies refer to
        files = layout[spec.key]
        datasets = _series_datasets(spec, cts)
        assert len(datasets) == len(files), spec.key
        for ds, rel in zip(datasets, files, strict=True):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            ds.save_as(path, enforce_file_format=True)
            written.append(f"{NAME}/{rel}")
        if spec.kind == "corrupt file":
            first = spec.slices // 3
            _truncate(root / files[first], "header")
            _truncate(root / files[first + 1], "pixels")
    for rel in _JUNK:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / "EXPORT_A/README.TXT").write_text(
        "PACS export (fictitious). Every patient in this archive is fictitious: synthetic\n"
        "phantom images written by bootcamp_utils.\n"
    )
    (root / "EXPORT_B/.DS_Store").write_bytes(b"\0\0\0\1Bud1" + bytes(range(256)) * 2)
    (root / "EXPORT_D/00000000").write_bytes(b"")
    return sorted(written + [f"{NAME}/{rel}" for rel in _JUNK])
