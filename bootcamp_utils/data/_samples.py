"""Write the generated sample series as complete DICOM files.

Six samples, all synthetic and deterministic (fixed seeds, UIDs derived from fixed text):

* ``head_ct``: axial head CT, 40 slices of 256 x 256, stored as 12-bit unsigned integers with
  Rescale Slope/Intercept to Hounsfield units, brain and bone windows in the header.
* ``head_mr``: sagittal T1-weighted MR of the same head, 36 slices of 256 x 256.
* ``head_perfusion``: a 4-D series, six volumes of the same 10 axial slices (64 x 64) of a
  T2*-weighted perfusion MR, one volume every 1.5 s while a contrast bolus passes: the brain
  darkens, grey matter most, then recovers; the haemorrhage (no blood flow) does not.
* ``identified_study``: a small CT study (a localizer and four axial slices) full of fictitious
  identifying data, for the de-identification lesson.
* ``chest_dx``: a PA chest radiograph (DX, For Presentation), 512 x 512, 12-bit, stored
  MONOCHROME1 (low values white) with Presentation LUT Shape INVERSE, a VOI LUT Sequence
  and two windows with VOI LUT Function SIGMOID.
* ``unlabelled``: four files without extensions in four formats (lesson 01).

Each writer returns the list of files it wrote, relative to its output folder.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    CTImageStorage,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    MRImageStorage,
)

from . import _phantom

#: Changing anything that alters the written bytes must change this number.
GENERATOR_VERSION = 3

_FICTITIOUS = "FICTITIOUS DATA: synthetic phantom written by bootcamp_utils, not a patient."
_HEAD_FIRST_SUPINE = "HFS"


_UID_NAMESPACE = uuid.UUID("6f1c7a52-3f4e-5b0e-9d62-0b8f3c1d2e47")


def _uid(*parts: object) -> str:
    """A deterministic, valid UID derived from ``parts``.

    PS3.5 B.2 allows UIDs made of "2.25." and the decimal form of a UUID. A name-based UUID
    (version 5) of ``parts`` gives the same UID every time. (pydicom's ``generate_uid`` with
    ``prefix=None`` ignores ``entropy_srcs`` and returns a random UUID-based UID.)
    """
    name = "/".join(map(str, parts))
    return f"2.25.{uuid.uuid5(_UID_NAMESPACE, name).int}"


def _ds(n: float) -> str:
    """A number as a Decimal String value (at most 16 characters)."""
    text = f"{n:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _new_file(sop_class: str, sop_instance: str) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "BOOTCAMP_UTILS"
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    return ds


def _save(ds: Dataset, folder: Path, name: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    ds.save_as(folder / name, enforce_file_format=True)
    return f"{folder.name}/{name}"


def _set_pixels(ds: Dataset, stored: np.ndarray, bits_stored: int) -> None:
    """Monochrome unsigned 16-bit pixels; ``stored`` must already fit in ``bits_stored``."""
    assert stored.dtype == np.uint16 and int(stored.max()) < 2**bits_stored
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    ds.PixelData = stored.astype("<u2").tobytes()


def _plane(ds: Dataset, position, row_dir, col_dir, spacing, thickness: float) -> None:
    ds.ImagePositionPatient = [_ds(v) for v in position]
    ds.ImageOrientationPatient = [_ds(v) for v in (*row_dir, *col_dir)]
    ds.PixelSpacing = [_ds(spacing[0]), _ds(spacing[1])]
    ds.SliceThickness = _ds(thickness)


# --- the phantom patient, shared by the CT and MR samples -------------------------------


def _phantom_patient(ds: Dataset) -> None:
    ds.PatientName = "Phantom^Head"
    ds.PatientID = "BOOTCAMP-0001"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.PatientAge = "054Y"
    ds.PatientIdentityRemoved = "NO"
    ds.PatientComments = _FICTITIOUS


def _equipment(ds: Dataset, model: str) -> None:
    ds.Manufacturer = "DICOM in Python course"
    ds.ManufacturerModelName = model
    ds.SoftwareVersions = f"bootcamp_utils phantom v{GENERATOR_VERSION}"


def _study(ds: Dataset, uid: str, date: str, time: str, study_id: str, description: str):
    ds.StudyInstanceUID = uid
    ds.StudyDate = date
    ds.StudyTime = time
    ds.StudyID = study_id
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = description


def _series(ds: Dataset, modality: str, uid: str, number: int, description: str, date, time):
    ds.Modality = modality
    ds.SeriesInstanceUID = uid
    ds.SeriesNumber = number
    ds.SeriesDescription = description
    ds.SeriesDate = date
    ds.SeriesTime = time
    ds.BodyPartExamined = "HEAD"
    ds.PatientPosition = _HEAD_FIRST_SUPINE


def _phantom_image(
    sop_class: str,
    name: str,
    k: int,
    frame_uid: str,
    model: str,
    study: tuple,
    series: tuple,
    acquired: str,
) -> Dataset:
    """Image ``k`` of a phantom series: the attributes every phantom image shares.

    ``study`` holds the arguments of :func:`_study` after the data set, ``series`` those of
    :func:`_series`; the image content is dated with the series, acquired at ``acquired``.
    """
    ds = _new_file(sop_class, _uid(name, "image", k))
    _phantom_patient(ds)
    _study(ds, *study)
    _series(ds, *series)
    _equipment(ds, model)
    ds.FrameOfReferenceUID = frame_uid
    ds.PositionReferenceIndicator = ""
    ds.InstanceNumber = k + 1
    ds.ContentDate, ds.ContentTime = ds.SeriesDate, ds.SeriesTime
    ds.AcquisitionDate, ds.AcquisitionTime = ds.SeriesDate, acquired
    ds.BurnedInAnnotation = "NO"
    ds.ImageComments = _FICTITIOUS
    return ds


def _ct_image(ds: Dataset, image_type: list[str]) -> None:
    ds.ImageType = image_type
    ds.KVP = "120"
    ds.AcquisitionNumber = 1
    ds.GantryDetectorTilt = "0"
    ds.ConvolutionKernel = "SOFT"
    ds.XRayTubeCurrent = 250
    ds.ExposureTime = 1000
    ds.RotationDirection = "CW"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"


#: Stored value = HU + 1024, in 12 bits: HU -1024 ... 3071.
_CT_INTERCEPT = -1024
_CT_BITS = 12


def _hu_to_stored(hu: np.ndarray) -> np.ndarray:
    stored = np.rint(hu - _CT_INTERCEPT)
    return np.clip(stored, 0, 2**_CT_BITS - 1).astype(np.uint16)


def write_ct_series(
    folder: Path,
    *,
    shape: tuple[int, int, int] = (40, 256, 256),
    first_position: tuple[float, float, float] = (-119.53125, -111.53125, -50.0),
    row_dir: tuple[float, float, float] = (1.0, 0.0, 0.0),
    col_dir: tuple[float, float, float] = (0.0, 1.0, 0.0),
    pixel_spacing: tuple[float, float] = (0.9375, 0.9375),
    slice_step: tuple[float, float, float] = (0.0, 0.0, 4.0),
    slopes: list[float] | None = None,
    intercepts: list[float] | None = None,
    name: str = "head_ct",
    seed: int = 20240101,
    file_name: Callable[[int], str] = lambda k: f"CT{k + 1:04d}.dcm",
) -> list[str]:
    """Write the head phantom as a CT series on any grid (axial, oblique, tilted...).

    ``shape`` is (slices, rows, columns); ``slice_step`` the vector between consecutive slice
    origins. ``slopes``/``intercepts`` give each slice its own Rescale Slope/Intercept (the
    default is 1 and -1024 everywhere). ``name`` seeds the UIDs: two calls with the same name
    write the same series. Used for the ``head_ct`` sample, by the tests and the benchmark.
    """
    n_slices = shape[0]
    slopes = slopes or [1.0] * n_slices
    intercepts = intercepts or [float(_CT_INTERCEPT)] * n_slices
    first = np.asarray(first_position, float)
    step = np.asarray(slice_step, float)
    coords = _phantom.voxel_centres(first, row_dir, col_dir, step, shape, pixel_spacing)
    hu = _phantom.render(coords, _phantom.CT_HU)
    hu += _phantom.ct_noise(np.random.default_rng(seed), hu.shape, sigma_hu=5.0)
    normal = np.cross(row_dir, col_dir)
    thickness = abs(float(step @ normal)) or 1.0

    study_uid, series_uid = _uid(name, "study"), _uid(name, "series")
    frame_uid = _uid(name, "frame")
    written = []
    for k in range(n_slices):
        ds = _phantom_image(
            CTImageStorage,
            name,
            k,
            frame_uid,
            "Head phantom CT",
            (study_uid, "20240115", "093000", "CT0001", "CT HEAD WITHOUT CONTRAST"),
            ("CT", series_uid, 2, "Head 4 mm brain", "20240115", "093512"),
            acquired="093505",
        )
        _ct_image(ds, ["ORIGINAL", "PRIMARY", "AXIAL"])
        tilt = np.degrees(np.arccos(min(1.0, abs(step @ normal) / np.linalg.norm(step))))
        ds.GantryDetectorTilt = _ds(tilt)
        ds.RescaleSlope, ds.RescaleIntercept = _ds(slopes[k]), _ds(intercepts[k])
        position = first + k * step
        _plane(ds, position, row_dir, col_dir, pixel_spacing, thickness)
        ds.SliceLocation = _ds(position @ normal)
        ds.ReconstructionDiameter = _ds(max(shape[1:]) * pixel_spacing[0])
        ds.WindowCenter = ["40", "600"]
        ds.WindowWidth = ["80", "2800"]
        ds.WindowCenterWidthExplanation = ["BRAIN", "BONE"]
        stored = np.clip(np.rint((hu[k] - intercepts[k]) / slopes[k]), 0, 2**_CT_BITS - 1)
        _set_pixels(ds, stored.astype(np.uint16), _CT_BITS)
        written.append(_save(ds, folder, file_name(k)))
    return written


def write_head_ct(out: Path) -> list[str]:
    """Axial head CT: 40 slices x 256 x 256, 4 mm, HU via Rescale Slope/Intercept."""
    return write_ct_series(out / "head_ct")


def write_head_mr(out: Path) -> list[str]:
    """Sagittal T1-weighted spin-echo MR of the same head: 36 slices x 256 x 256, 4 mm."""
    n_slices, size, step = 36, 256, 4.0
    row_dir, col_dir = (0.0, 1.0, 0.0), (0.0, 0.0, -1.0)  # rows run A->P, columns S->I
    first = np.array([-70.0, -127.5, 152.5])  # patient's right first
    coords = _phantom.voxel_centres(
        first, row_dir, col_dir, (step, 0, 0), (n_slices, size, size), (1.0, 1.0)
    )
    signal = _phantom.render(coords, _phantom.MR_T1)
    # A smooth receive-coil bias field, brighter towards the back of the head.
    y, z = coords[1], coords[2]
    signal *= 1.0 + 0.15 * np.tanh((y + 0.3 * z) / 120.0)
    rng = np.random.default_rng(20240102)
    stored = np.clip(np.rint(_phantom.rician(rng, signal, sigma=18.0)), 0, 4095)
    stored = stored.astype(np.uint16)

    study_uid, series_uid = _uid("head_mr", "study"), _uid("head_mr", "series")
    frame_uid = _uid("head_mr", "frame")
    folder = out / "head_mr"
    written = []
    for k in range(n_slices):
        ds = _phantom_image(
            MRImageStorage,
            "head_mr",
            k,
            frame_uid,
            "Head phantom MR 1.5T",
            (study_uid, "20240220", "141500", "MR0001", "MR HEAD"),
            ("MR", series_uid, 3, "SAG T1 SE 4mm", "20240220", "142210"),
            acquired="142003",
        )
        ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
        ds.ScanningSequence = "SE"
        ds.SequenceVariant = "NONE"
        ds.ScanOptions = ""
        ds.MRAcquisitionType = "2D"
        ds.RepetitionTime = "550"
        ds.EchoTime = "12"
        ds.EchoTrainLength = 1
        ds.NumberOfAverages = "2"
        ds.ImagingFrequency = "63.87"
        ds.ImagedNucleus = "1H"
        ds.MagneticFieldStrength = "1.5"
        ds.SpacingBetweenSlices = _ds(step)
        ds.FlipAngle = "90"
        ds.AcquisitionNumber = 1
        position = first + [k * step, 0.0, 0.0]
        _plane(ds, position, row_dir, col_dir, (1.0, 1.0), step)
        ds.SliceLocation = _ds(position[0])
        ds.WindowCenter = "500"
        ds.WindowWidth = "1000"
        _set_pixels(ds, stored[k], 12)
        written.append(_save(ds, folder, f"MR{k + 1:04d}.dcm"))
    return written


#: T2*-weighted gradient-echo EPI signal per tissue (arbitrary units): CSF bright, bone and
#: air dark, the clotted blood of the haemorrhage dark (susceptibility).
_MR_T2STAR = {
    "air": 0.0,
    "fat": 300.0,
    "soft_tissue": 420.0,
    "bone": 20.0,
    "marrow": 260.0,
    "csf": 1500.0,
    "grey_matter": 900.0,
    "white_matter": 700.0,
    "blood": 250.0,
    "vitreous": 1400.0,
    "lens": 400.0,
}
#: Fraction of the signal lost at the bolus peak: about proportional to the blood volume
#: (grey matter about twice white matter); no flow in CSF, bone or the clot.
_BOLUS_DROP = dict.fromkeys(_MR_T2STAR, 0.0) | {
    "grey_matter": 0.45,
    "white_matter": 0.22,
    "soft_tissue": 0.10,
    "marrow": 0.05,
}
#: Contrast concentration in each volume, relative to its peak: baseline, arrival, peak,
#: washout, recirculation.
_BOLUS = (0.0, 0.0, 0.45, 1.0, 0.55, 0.25)


def write_head_perfusion(out: Path) -> list[str]:
    """Axial T2*-weighted perfusion MR: 6 volumes x 10 slices x 64 x 64, one every 1.5 s.

    A 4-D series: every volume has the same 10 slice positions; Temporal Position
    Identifier, Acquisition Number and Acquisition Time say which volume a file belongs
    to, and Instance Numbers run through the volumes in acquisition order (1-10 the first
    volume, 11-20 the second...). Repetition Time is the time between volumes.
    """
    n_slices, size, spacing, step, tr_ms = 10, 64, 3.75, 5.0, 1500.0
    row_dir, col_dir = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)  # rows run R->L, columns A->P
    half = spacing * (size - 1) / 2
    first = np.array([-half, 8.0 - half, -2.5])  # slices from z -2.5 to 42.5 mm
    coords = _phantom.voxel_centres(
        first, row_dir, col_dir, (0, 0, step), (n_slices, size, size), (spacing, spacing)
    )
    baseline = _phantom.render(coords, _MR_T2STAR)
    drop = _phantom.render(coords, _BOLUS_DROP)
    rng = np.random.default_rng(20240103)

    name = "head_perfusion"
    study_uid, series_uid = _uid(name, "study"), _uid(name, "series")
    frame_uid = _uid(name, "frame")
    folder = out / name
    written = []
    for t, concentration in enumerate(_BOLUS):
        signal = baseline * (1.0 - drop * np.float32(concentration))
        stored = np.clip(np.rint(_phantom.rician(rng, signal, sigma=15.0)), 0, 4095)
        stored = stored.astype(np.uint16)
        seconds = 3.0 + t * tr_ms / 1000  # 14:30:03 + t x 1.5 s
        acquired = f"1430{int(seconds):02d}.{round((seconds % 1) * 1e6):06d}"
        for k in range(n_slices):
            index = t * n_slices + k
            ds = _phantom_image(
                MRImageStorage,
                name,
                index,
                frame_uid,
                "Head phantom MR 1.5T",
                (study_uid, "20240220", "141500", "MR0001", "MR HEAD"),
                ("MR", series_uid, 5, "PERFUSION DSC EPI", "20240220", "143000"),
                acquired=acquired,
            )
            ds.ContentTime = acquired
            ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
            ds.ScanningSequence = "EP"
            ds.SequenceVariant = "NONE"
            ds.ScanOptions = ""
            ds.MRAcquisitionType = "2D"
            ds.RepetitionTime = _ds(tr_ms)
            ds.EchoTime = "30"
            ds.EchoTrainLength = size
            ds.NumberOfAverages = "1"
            ds.ImagingFrequency = "63.87"
            ds.ImagedNucleus = "1H"
            ds.EchoNumbers = 1
            ds.MagneticFieldStrength = "1.5"
            ds.SpacingBetweenSlices = _ds(step)
            ds.FlipAngle = "90"
            ds.AcquisitionNumber = t + 1
            ds.TemporalPositionIdentifier = t + 1
            ds.NumberOfTemporalPositions = len(_BOLUS)
            ds.TemporalResolution = _ds(tr_ms)
            position = first + [0.0, 0.0, k * step]
            _plane(ds, position, row_dir, col_dir, (spacing, spacing), step)
            ds.SliceLocation = _ds(position[2])
            ds.WindowCenter = "700"
            ds.WindowWidth = "1400"
            _set_pixels(ds, stored[k], 12)
            written.append(_save(ds, folder, f"MR{index + 1:04d}.dcm"))
    return written


# --- the identified study -----------------------------------------------------------------

_PATIENT_NAME = "Rivera^Elena^Maria^^"
_MRN = "MRN-4821-7734"
_ACCESSION = "ACC20230917-0042"
_INSTITUTION = "Saint Example General Hospital"
_ADDRESS = "12 Example Street, Springfield, EX 01234"
_PHONE = "+1-555-0142"  # 555-01xx numbers are reserved for fiction


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def _identified_header(ds: Dataset, series_uid: str, series_number: int, description: str):
    """Everything PS3.15 Annex E lists that a CT header commonly carries, all fictitious."""
    # Patient
    ds.PatientName = _PATIENT_NAME
    ds.PatientID = _MRN
    ds.IssuerOfPatientID = "SEGH"
    other = Dataset()
    other.PatientID = "NHS 943 476 5919"
    other.IssuerOfPatientID = "National Health Register (fictitious)"
    other.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.OtherPatientNames = "Rivera-Lopez^Elena"
    ds.PatientBirthName = "Lopez^Elena"
    ds.PatientMotherBirthName = "Garcia^Rosa"
    ds.PatientBirthDate = "19560214"
    ds.PatientBirthTime = "061500"
    ds.PatientSex = "F"
    ds.PatientAge = "067Y"
    ds.PatientSize = "1.64"
    ds.PatientWeight = "61"
    ds.PatientAddress = _ADDRESS
    ds.PatientTelephoneNumbers = _PHONE
    ds.CountryOfResidence = "Exampleland"
    ds.Occupation = "Retired teacher"
    ds.MedicalRecordLocator = "Archive B, shelf 14"
    ds.AdditionalPatientHistory = "Fell at home on 2023-09-16, headache since. Lives at " + _ADDRESS
    ds.PatientComments = _FICTITIOUS
    ds.PatientIdentityRemoved = "NO"
    # Study
    _study(ds, _uid("identified", "study"), "20230917", "221405", "4411", "CT HEAD TRAUMA")
    ds.AccessionNumber = _ACCESSION
    ds.ReferringPhysicianName = "Okafor^Daniel^^Dr."
    ds.ReferringPhysicianAddress = "3 Clinic Road, Springfield"
    ds.ReferringPhysicianTelephoneNumbers = "+1-555-0187"
    ds.PhysiciansOfRecord = "Okafor^Daniel^^Dr."
    ds.NameOfPhysiciansReadingStudy = "Lindqvist^Anna^^Dr."
    ds.RequestingPhysician = "Okafor^Daniel^^Dr."
    ds.RequestingService = "Emergency Department"
    ds.AdmissionID = "ADM-2023-091733"
    ds.AdmittingDiagnosesDescription = "Head injury after fall, patient of Dr. Okafor"
    ds.ProcedureCodeSequence = Sequence([_code("CTHEADWO", "SEGH", "CT head without contrast")])
    # Series and equipment
    _series(ds, "CT", series_uid, series_number, description, "20230917", "221930")
    ds.InstitutionName = _INSTITUTION
    ds.InstitutionAddress = _ADDRESS
    ds.InstitutionalDepartmentName = "Radiology, Emergency CT"
    ds.StationName = "SEGH-CT2"
    ds.Manufacturer = "DICOM in Python course"
    ds.ManufacturerModelName = "Head phantom CT"
    ds.DeviceSerialNumber = "SN-88231-XK"
    ds.SoftwareVersions = f"bootcamp_utils phantom v{GENERATOR_VERSION}"
    ds.ProtocolName = "Trauma head (Elena Rivera)"
    ds.OperatorsName = "Nguyen^Thi^^^"
    ds.PerformingPhysicianName = "Lindqvist^Anna^^Dr."
    operator = Dataset()
    operator.PersonIdentificationCodeSequence = Sequence([_code("T4471", "SEGH", "Thi Nguyen")])
    operator.InstitutionName = _INSTITUTION
    ds.OperatorIdentificationSequence = Sequence([operator])
    ds.PerformedProcedureStepID = "PPS-77812"
    ds.PerformedProcedureStepStartDate = "20230917"
    ds.PerformedProcedureStepStartTime = "221850"
    ds.PerformedProcedureStepDescription = "CT head trauma protocol"
    request = Dataset()
    request.AccessionNumber = _ACCESSION
    request.RequestedProcedureID = "RP-55120"
    request.ScheduledProcedureStepID = "SPS-55120-1"
    request.RequestedProcedureDescription = "CT head, fall, query bleed"
    ds.RequestAttributesSequence = Sequence([request])
    ds.FrameOfReferenceUID = _uid("identified", "frame")
    ds.PositionReferenceIndicator = ""
    ds.ContentDate, ds.ContentTime = "20230917", "221930"
    ds.AcquisitionDate, ds.AcquisitionTime = "20230917", "221905"
    ds.InstanceCreationDate, ds.InstanceCreationTime = "20230917", "221931"
    ds.ImageComments = "Bleed? Compare with outside films, call Dr. Okafor. " + _FICTITIOUS
    # A private block, as vendors write them: a creator reserves a block of 256 elements.
    block = ds.private_block(0x0029, "SEGH PACS 1.0", create=True)
    block.add_new(0x10, "LO", _PATIENT_NAME.replace("^", " ").strip())
    block.add_new(0x11, "LO", _MRN)
    block.add_new(0x12, "DA", "20230917")


def _burn_in(image: np.ndarray, lines: list[str], value: int) -> np.ndarray:
    """Write ``lines`` of text into the top-left corner of ``image``, as scanners do."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows, cols = image.shape
    fig = Figure(figsize=(cols / 100, rows / 100), dpi=100, facecolor="black")
    canvas = FigureCanvasAgg(fig)
    fig.text(
        0.02,
        0.98,
        "\n".join(lines),
        va="top",
        ha="left",
        color="white",
        family="DejaVu Sans Mono",
        fontsize=6,
    )
    canvas.draw()
    mask = np.asarray(canvas.buffer_rgba())[..., 0] > 127
    out = image.copy()
    out[mask] = value
    return out


def write_identified_study(out: Path) -> list[str]:
    """A localizer with burned-in text plus four axial slices, full of fictitious PHI."""
    folder = out / "identified_study"
    written = []
    size, fov = 256, 240.0
    spacing = fov / size
    rng = np.random.default_rng(20230917)

    # Series 1: a lateral-looking localizer (projection of the phantom along y, like a scout).
    scout_size, scout_spacing = 256, 1.0
    first = np.array([-127.5, -127.5, 152.5])
    coords = _phantom.voxel_centres(
        first,
        (1, 0, 0),
        (0, 0, -1),
        (0, 4.0, 0),
        (64, scout_size, scout_size),
        (scout_spacing, scout_spacing),
    )
    mu = np.clip(_phantom.render(coords, _phantom.CT_HU) + 1000.0, 0, None)
    projection = mu.sum(axis=0) * 4.0 / 1000.0  # water-equivalent path length in mm
    scout = np.clip(projection * 12.0, 0, 3000) + rng.normal(0, 8, projection.shape)
    stored = np.clip(np.rint(scout), 0, 4095).astype(np.uint16)
    stored = _burn_in(
        stored,
        [_PATIENT_NAME.replace("^", " ").strip(), _MRN, "DOB 14.02.1956", _INSTITUTION],
        value=4095,
    )
    scout_uid = _uid("identified", "image", "scout")
    ds = _new_file(CTImageStorage, scout_uid)
    _identified_header(ds, _uid("identified", "series", 1), 1, "Topogram 0.6 T20s")
    ds.InstanceNumber = 1
    ds.BurnedInAnnotation = "YES"
    _ct_image(ds, ["ORIGINAL", "PRIMARY", "LOCALIZER"])
    ds.RescaleIntercept, ds.RescaleSlope = "0", "1"  # not HU: a projection
    del ds.RescaleType
    _plane(
        ds,
        [0.0, first[1], first[2]],
        (1, 0, 0),
        (0, 0, -1),
        (scout_spacing, scout_spacing),
        scout_spacing,
    )
    ds.WindowCenter, ds.WindowWidth = "1500", "3000"
    _set_pixels(ds, stored, 12)
    written.append(_save(ds, folder, "SCOUT0001.dcm"))

    # Series 2: four axial slices through the haemorrhage, each pointing at the localizer.
    z_bleed = _phantom.BLEED.center[2]
    series_uid = _uid("identified", "series", 2)
    first = np.array([-fov / 2 + spacing / 2, -fov / 2 + spacing / 2 + 8.0, z_bleed - 6.0])
    coords = _phantom.voxel_centres(
        first, (1, 0, 0), (0, 1, 0), (0, 0, 4.0), (4, size, size), (spacing, spacing)
    )
    hu = _phantom.render(coords, _phantom.CT_HU)
    hu += _phantom.ct_noise(rng, hu.shape, sigma_hu=5.0)
    stored = _hu_to_stored(hu)
    for k in range(4):
        ds = _new_file(CTImageStorage, _uid("identified", "image", k))
        _identified_header(ds, series_uid, 2, "Head 4 mm (Rivera)")
        ds.InstanceNumber = k + 1
        ds.BurnedInAnnotation = "NO"
        ref = Dataset()
        ref.ReferencedSOPClassUID = CTImageStorage
        ref.ReferencedSOPInstanceUID = scout_uid
        ds.ReferencedImageSequence = Sequence([ref])
        ds.IrradiationEventUID = _uid("identified", "irradiation", 2)
        _ct_image(ds, ["ORIGINAL", "PRIMARY", "AXIAL"])
        position = first + [0.0, 0.0, 4.0 * k]
        _plane(ds, position, (1, 0, 0), (0, 1, 0), (spacing, spacing), 4.0)
        ds.SliceLocation = _ds(position[2])
        ds.WindowCenter, ds.WindowWidth = "40", "80"
        _set_pixels(ds, stored[k], _CT_BITS)
        written.append(_save(ds, folder, f"CT{k + 1:04d}.dcm"))
    return written


# --- the chest radiograph -------------------------------------------------------------------

_DX_SIZE, _DX_SPACING, _DX_BITS = 512, 0.8, 12


def _dx_lut() -> np.ndarray:
    """A 4096-entry, 16-bit VOI LUT: a soft S-curve over the stored range 300 ... 3900."""
    x = np.arange(2**_DX_BITS, dtype=np.float64)
    t = np.clip((x - 300.0) / 3600.0, 0.0, 1.0)
    curve = t * t * (3.0 - 2.0 * t)  # smoothstep: flat at both ends, steep in the middle
    return np.rint((0.15 * t + 0.85 * curve) * 65535).astype(np.uint16)


def write_chest_dx(out: Path) -> list[str]:
    """A PA chest radiograph: DX For Presentation, MONOCHROME1, VOI LUT Sequence and windows."""
    attenuation = _phantom.chest_attenuation(_DX_SIZE, _DX_SPACING)
    blurred = _phantom.gaussian_blur_2d(attenuation[None], sigma_px=1.2)[0]
    rng = np.random.default_rng(20240301)
    # Log exposure: high where X-rays pass (air, lung), low behind bone. MONOCHROME1 shows
    # low values white, so bone is white and air black, as on a film.
    signal = 3800.0 - 560.0 * blurred + rng.normal(0.0, 12.0, blurred.shape)
    stored = np.clip(np.rint(signal), 0, 2**_DX_BITS - 1).astype(np.uint16)

    name = "chest_dx"
    ds = _new_file(DigitalXRayImageStorageForPresentation, _uid(name, "image", 0))
    _phantom_patient(ds)
    _study(ds, _uid(name, "study"), "20240301", "101500", "DX0001", "XR CHEST PA")
    ds.Modality = "DX"
    ds.SeriesInstanceUID = _uid(name, "series")
    ds.SeriesNumber = 1
    ds.SeriesDescription = "Chest PA"
    ds.SeriesDate, ds.SeriesTime = "20240301", "101700"
    ds.BodyPartExamined = "CHEST"
    ds.PresentationIntentType = "FOR PRESENTATION"
    _equipment(ds, "Chest phantom DX")
    ds.InstanceNumber = 1
    ds.ContentDate, ds.ContentTime = "20240301", "101700"
    ds.AcquisitionDate, ds.AcquisitionTime = "20240301", "101630"
    ds.BurnedInAnnotation = "NO"
    ds.ImageComments = _FICTITIOUS
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PatientOrientation = ["L", "F"]  # PA, hung as viewed: rows go to the patient's left
    ds.ImageLaterality = "U"
    ds.AnatomicRegionSequence = Sequence([_code("43799004", "SCT", "Chest")])
    ds.ViewPosition = "PA"
    ds.ViewCodeSequence = Sequence([_code("399348003", "SCT", "postero-anterior")])
    ds.PositionerType = ""  # Type 2: no positioner recorded
    ds.KVP = "125"
    ds.ExposureTime = 10
    ds.XRayTubeCurrent = 200
    ds.DistanceSourceToDetector = "1800"
    ds.DetectorType = "SCINTILLATOR"
    ds.ImagerPixelSpacing = [_ds(_DX_SPACING), _ds(_DX_SPACING)]
    ds.AcquisitionContextSequence = Sequence()
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = 1  # lower values: less X-ray intensity (bone)
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "0", "1", "US"
    ds.LossyImageCompression = "00"
    _set_pixels(ds, stored, _DX_BITS)
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.PresentationLUTShape = "INVERSE"  # required with MONOCHROME1 (PS3.3 C.8.11.3)
    item = Dataset()
    item.add(DataElement(0x00283002, "US", [2**_DX_BITS, 0, 16]))  # entries, first, bits
    item.LUTExplanation = "SOFT S-CURVE"
    item.add(DataElement(0x00283006, "OW", _dx_lut().astype("<u2").tobytes()))
    ds.VOILUTSequence = Sequence([item])
    ds.WindowCenter, ds.WindowWidth = ["2100", "2300"], ["3400", "1600"]
    ds.WindowCenterWidthExplanation = ["FULL", "LUNG"]
    ds.VOILUTFunction = "SIGMOID"
    return [_save(ds, out / name, "DX0001.dcm")]


def write_unlabelled(out: Path) -> list[str]:
    """Four files without extensions, in four formats, told apart only by their first bytes.

    ``file_1`` an Analyze 7.5 header (348 bytes, no magic); ``file_2`` DICOM (pydicom's
    CT_small.dcm: ``DICM`` at byte 128); ``file_3`` a NIfTI-2 image (header size 540, ``n+2``
    at byte 4); ``file_4`` a NIfTI-1 image (header size 348, ``n+1`` at byte 344). The images
    are an 8 x 8 x 4 ramp written by nibabel.
    """
    import nibabel as nib  # only here: the other samples do not need it
    from pydicom.data import get_testdata_file

    folder = out / "unlabelled"
    folder.mkdir(parents=True, exist_ok=True)
    ramp = np.arange(8 * 8 * 4, dtype=np.int16).reshape(8, 8, 4)
    affine = np.diag([2.0, 2.0, 4.0, 1.0])
    analyze = nib.AnalyzeHeader()
    analyze.set_data_shape(ramp.shape)
    analyze.set_data_dtype(np.int16)
    files = {
        "file_1": analyze.binaryblock,
        "file_2": Path(get_testdata_file("CT_small.dcm", download=False)).read_bytes(),
        "file_3": nib.Nifti2Image(ramp, affine).to_bytes(),
        "file_4": nib.Nifti1Image(ramp, affine).to_bytes(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [f"unlabelled/{name}" for name in sorted(files)]


def _write_ml_archive(out: Path) -> list[str]:
    """The lesson 06 archive (``_archive.py``; imported here, when written, not before)."""
    from ._archive import write_ml_archive

    return write_ml_archive(out)


#: name -> (writer, one-line description)
WRITERS: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "head_ct": (
        write_head_ct,
        "Axial head CT phantom, 40 x 256 x 256, HU via rescale, "
        "small right parietal bleed (brain window shows it)",
    ),
    "head_mr": (write_head_mr, "Sagittal T1-weighted MR of the same head, 36 x 256 x 256"),
    "head_perfusion": (
        write_head_perfusion,
        "4-D perfusion MR of the same head, 6 volumes x 10 axial slices x 64 x 64, "
        "one every 1.5 s: the brain darkens as a contrast bolus passes",
    ),
    "identified_study": (
        write_identified_study,
        "CT study (localizer + 4 slices) full of FICTITIOUS identifying data "
        "for de-identification, incl. burned-in text and a private block",
    ),
    "chest_dx": (
        write_chest_dx,
        "PA chest radiograph (DX), 512 x 512, 12-bit, MONOCHROME1 "
        "(low values white), VOI LUT Sequence and SIGMOID windows",
    ),
    "unlabelled": (
        write_unlabelled,
        "Four files without extensions (DICOM, NIfTI-1, NIfTI-2, Analyze 7.5): "
        "tell them apart by their first bytes",
    ),
    "ml_archive": (
        _write_ml_archive,
        "A messy PACS export of 20 fictitious patients for machine learning: 1005 files "
        "named IM000123 or 3FA2C91B in 4 export batches, not sorted by series; axial CTs, "
        "localizers, MIPs, MR, SEG, RTSTRUCT, damaged and non-DICOM files",
    ),
}
