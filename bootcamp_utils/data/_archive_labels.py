"""Label objects for a CT series: a Segmentation (SEG) and an RT Structure Set (RTSTRUCT).

Two ways DICOM stores "where the lesion is", both pointing back at the images they label:

* A **Segmentation** (PS3.3 A.51) is a multi-frame image of its own: one binary frame per
  labelled slice (C.8.20.2: Segmentation Type BINARY, one bit per pixel). Each frame names
  the CT instance it was derived from (Derivation Image Sequence, PS3.3 C.7.6.16.2.6) and its
  position (Plane Position Sequence, C.7.6.16.2.3). The order of the frames is up to the
  writer (PS3.3 C.7.6.17: "The actual order of the frames in the object is up to the
  generating application"): a reader must place each frame by its reference or position,
  never by its frame number. :func:`seg_dataset` can shuffle the frames to make that point.
* An **RT Structure Set** (PS3.3 A.19) stores outlines, not pixels: each ROI is a list of
  closed planar polygons in patient coordinates (mm), one or more per slice (ROI Contour
  Module, C.8.8.6), each naming the image it was drawn on (Contour Image Sequence) and the
  Frame of Reference they share (Structure Set Module, C.8.8.5).

Both copy the patient and study of the CT (they belong to its study) and get a series of
their own. UIDs are derived from the CT series' UID, so the same input gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import RTStructureSetStorage

from ._samples import _ds, _new_file, _uid

__all__ = ["rtstruct_dataset", "seg_dataset"]

_MAKER = ("DICOM in Python course", "bootcamp_utils labels")
_PATIENT_STUDY = (  # noqa: SIM905
    "PatientName PatientID PatientBirthDate PatientSex PatientAge PatientComments "
    "StudyInstanceUID StudyDate StudyTime ReferringPhysicianName StudyID AccessionNumber "
    "StudyDescription"
).split()


def _check_series(ct_datasets: SequenceOf[Dataset]) -> str:
    """The one Series Instance UID of ``ct_datasets``; ValueError otherwise."""
    if not ct_datasets:
        raise ValueError("No CT data sets given: pass the datasets of one series (dcmread each).")
    uids = {str(ds.SeriesInstanceUID) for ds in ct_datasets}
    if len(uids) != 1:
        raise ValueError(
            f"The data sets belong to {len(uids)} series; a label object labels one series: "
            "pass the datasets of one Series Instance UID."
        )
    return uids.pop()


def seg_dataset(
    ct_datasets: SequenceOf[Dataset],
    mask: np.ndarray,
    *,
    label: str = "lesion",
    shuffle: int | None = None,
    series_number: int = 100,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    description: str = "Lesion segmentation",
) -> Dataset:
    """A binary DICOM Segmentation of one segment, built with highdicom from a CT series.

    Parameters
    ----------
    ct_datasets : sequence of pydicom.Dataset
        The single-frame images of one series, in any order.
    mask : numpy.ndarray
        Boolean, shape (len(ct_datasets), Rows, Columns): ``mask[i]`` labels
        ``ct_datasets[i]``. Slices without a labelled pixel get no frame (highdicom omits
        empty frames).
    label : str
        Segment Label of the one segment (number 1); its type is SNOMED CT "Lesion".
    shuffle : int, optional
        Seed of a random permutation of the frames: from 3 frames on neither highdicom's
        spatial order nor its reverse, so frame order differs from slice order, as PS3.3
        C.7.6.17 allows (2 frames are swapped). None keeps highdicom's order.
    series_number, series_uid, sop_uid, description
        Of the new series; the UIDs default to ones derived from the CT's Series Instance UID.

    Returns
    -------
    pydicom.Dataset
        The SEG (Segmentation Storage), ready to ``save_as``.

    Raises
    ------
    ValueError
        The datasets are not one series, or the mask has the wrong shape or is empty.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pydicom import dcmread
    >>> from bootcamp_utils.data._samples import write_ct_series
    >>> from bootcamp_utils.data._archive_labels import seg_dataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = write_ct_series(Path(tmp) / "ct", shape=(6, 16, 16), name="doc")
    ...     cts = [dcmread(Path(tmp) / f) for f in files]
    >>> mask = np.zeros((6, 16, 16), bool)
    >>> mask[1:5, 4:9, 4:9] = True
    >>> seg = seg_dataset(cts, mask, shuffle=1)
    >>> seg.Modality, int(seg.NumberOfFrames), seg.SegmentSequence[0].SegmentLabel
    ('SEG', 4, 'lesion')
    >>> uids = [ds.SOPInstanceUID for ds in cts]
    >>> [uids.index(f.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
    ...  for f in seg.PerFrameFunctionalGroupsSequence] != [1, 2, 3, 4]
    True
    """
    import highdicom as hd
    from pydicom.sr.codedict import codes

    ct_uid = _check_series(ct_datasets)
    mask = np.asarray(mask)
    first = ct_datasets[0]
    expected = (len(ct_datasets), int(first.Rows), int(first.Columns))
    if mask.shape != expected or mask.dtype != bool:
        raise ValueError(
            f"The mask is {mask.dtype} {mask.shape}; a SEG of these {expected[0]} images needs "
            f"a bool array of shape {expected} (slices, rows, columns), in ct_datasets order."
        )
    if not mask.any():
        raise ValueError("The mask is empty: a SEG needs at least one labelled pixel.")
    segment = hd.seg.SegmentDescription(
        segment_number=1,
        segment_label=label,
        segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=codes.SCT.Lesion,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )
    when = (str(first.get("StudyDate") or "20000101"), "120000")
    seg = hd.seg.Segmentation(
        source_images=list(ct_datasets),
        pixel_array=mask,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[segment],
        series_instance_uid=series_uid or _uid("seg", ct_uid, label, "series"),
        series_number=series_number,
        sop_instance_uid=sop_uid or _uid("seg", ct_uid, label, "instance"),
        instance_number=1,
        manufacturer=_MAKER[0],
        manufacturer_model_name=_MAKER[1],
        software_versions="1",
        device_serial_number="0",
        series_description=description,
        content_date=when[0],
        content_time=when[1],
        content_label="LESION",
    )
    # highdicom stamps creation times and a random dimension UID: fix them (same bytes).
    seg.InstanceCreationDate, seg.InstanceCreationTime = when
    for item in seg.get("ContributingEquipmentSequence", []):
        if "ContributionDateTime" in item:
            item.ContributionDateTime = "".join(when)
    dimension_uid = _uid("seg", seg.SOPInstanceUID, "dimensions")
    for item in [*seg.DimensionOrganizationSequence, *seg.DimensionIndexSequence]:
        item.DimensionOrganizationUID = dimension_uid
    if shuffle is not None:
        _shuffle_frames(seg, np.random.default_rng(shuffle))
    return seg


def _shuffle_frames(seg: Dataset, rng: np.random.Generator) -> None:
    """Permute the frames of a BINARY SEG: its pixel data and per-frame groups together."""
    n, size = int(seg.NumberOfFrames), int(seg.Rows) * int(seg.Columns)
    if n < 2:
        return
    order, kept = np.arange(n), np.arange(n)
    while np.array_equal(order, kept) or (n > 2 and np.array_equal(order, kept[::-1])):
        order = rng.permutation(n)  # neither the written order nor its reverse
    packed = np.frombuffer(seg.PixelData, np.uint8)
    bits = np.unpackbits(packed, bitorder="little")[: n * size].reshape(n, size)
    data = np.packbits(bits[order].ravel(), bitorder="little").tobytes()
    seg.PixelData = data + b"\0" * (len(data) % 2)
    frames = seg.PerFrameFunctionalGroupsSequence
    seg.PerFrameFunctionalGroupsSequence = Sequence([frames[int(i)] for i in order])
    if "DimensionOrganizationType" in seg:  # "3D" promises a volume's order: no longer so
        del seg.DimensionOrganizationType


def _plane_index(ct_datasets: SequenceOf[Dataset], points: np.ndarray, tolerance: float):
    """Index of the image whose plane holds ``points`` (None if none); ValueError if not planar."""
    orientation = np.asarray(ct_datasets[0].ImageOrientationPatient, float)
    normal = np.cross(orientation[:3], orientation[3:])
    heights = points @ normal
    if np.ptp(heights) > tolerance:
        raise ValueError(
            f"A contour spans {np.ptp(heights):.3f} mm along the slice normal: a "
            "CLOSED_PLANAR contour lies in one image plane (PS3.3 C.8.8.6.1)."
        )
    planes = np.array([np.asarray(ds.ImagePositionPatient, float) @ normal for ds in ct_datasets])
    k = int(np.argmin(np.abs(planes - heights.mean())))
    return k if abs(planes[k] - heights.mean()) <= tolerance else None


def _item(**values) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def rtstruct_dataset(
    ct_datasets: SequenceOf[Dataset],
    roi_name: str,
    contours: SequenceOf[np.ndarray],
    *,
    roi_number: int = 1,
    series_number: int = 101,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    description: str = "Lesion contours",
    color: tuple[int, int, int] = (255, 0, 0),
    tolerance: float = 0.01,
) -> Dataset:
    """An RT Structure Set with one ROI made of closed planar contours on a CT series.

    Parameters
    ----------
    ct_datasets : sequence of pydicom.Dataset
        The images of one series (one Frame of Reference).
    roi_name : str
        ROI Name of the structure.
    contours : sequence of numpy.ndarray
        Each an (n, 3) array, n >= 3, of patient coordinates in mm (LPS) of a closed polygon
        lying in one image plane; a contour in the plane of an image (within ``tolerance``
        mm) references that image, one in no image's plane references none.
    roi_number, series_number, series_uid, sop_uid, description, color
        ROI Number and ROI Display Color, and the new series; the UIDs default to ones
        derived from the CT's Series Instance UID.
    tolerance : float
        How far (mm) along the slice normal a contour's points may lie from its plane.

    Returns
    -------
    pydicom.Dataset
        The RTSTRUCT (RT Structure Set Storage), ready to ``save_as``.

    Raises
    ------
    ValueError
        The datasets are not one series, or a contour has fewer than 3 points or is not
        planar.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from pydicom import dcmread
    >>> from bootcamp_utils.data._samples import write_ct_series
    >>> from bootcamp_utils.data._archive_labels import rtstruct_dataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = write_ct_series(Path(tmp) / "ct", shape=(4, 16, 16), name="doc")
    ...     cts = [dcmread(Path(tmp) / f) for f in files]
    >>> z = float(cts[1].ImagePositionPatient[2])
    >>> square = np.array([[-100, -100, z], [-90, -100, z], [-90, -90, z], [-100, -90, z]])
    >>> rt = rtstruct_dataset(cts, "Lesion", [square])
    >>> contour = rt.ROIContourSequence[0].ContourSequence[0]
    >>> contour.ContourGeometricType, int(contour.NumberOfContourPoints)
    ('CLOSED_PLANAR', 4)
    >>> contour.ContourImageSequence[0].ReferencedSOPInstanceUID == cts[1].SOPInstanceUID
    True
    """
    ct_uid = _check_series(ct_datasets)
    first = ct_datasets[0]
    ds = _new_file(RTStructureSetStorage, sop_uid or _uid("rtstruct", ct_uid, roi_name))
    for keyword in _PATIENT_STUDY:
        if keyword in first:
            setattr(ds, keyword, first[keyword].value)
    when = (str(first.get("StudyDate") or "20000101"), "120000")
    ds.Modality = "RTSTRUCT"
    ds.SeriesInstanceUID = series_uid or _uid("rtstruct", ct_uid, roi_name, "series")
    ds.SeriesNumber = series_number
    ds.SeriesDate, ds.SeriesTime = when
    ds.SeriesDescription = description
    ds.OperatorsName = ""
    ds.Manufacturer, ds.ManufacturerModelName = _MAKER
    ds.InstanceNumber = 1
    ds.StructureSetLabel = roi_name[:16]
    ds.StructureSetDate, ds.StructureSetTime = when
    frame_uid = str(first.FrameOfReferenceUID)
    ds.FrameOfReferenceUID = frame_uid  # the Frame of Reference Module (PS3.3 C.7.4.1)
    ds.PositionReferenceIndicator = first.get("PositionReferenceIndicator", "")
    images = [
        _item(ReferencedSOPClassUID=c.SOPClassUID, ReferencedSOPInstanceUID=c.SOPInstanceUID)
        for c in ct_datasets
    ]
    series = _item(SeriesInstanceUID=ct_uid, ContourImageSequence=Sequence(images))
    study = _item(
        ReferencedSOPClassUID="1.2.840.10008.3.1.2.3.1",  # Detached Study Management
        ReferencedSOPInstanceUID=first.StudyInstanceUID,
        RTReferencedSeriesSequence=Sequence([series]),
    )
    ds.ReferencedFrameOfReferenceSequence = Sequence(
        [_item(FrameOfReferenceUID=frame_uid, RTReferencedStudySequence=Sequence([study]))]
    )
    ds.StructureSetROISequence = Sequence(
        [
            _item(
                ROINumber=roi_number,
                ReferencedFrameOfReferenceUID=frame_uid,
                ROIName=roi_name,
                ROIGenerationAlgorithm="MANUAL",
            )
        ]
    )
    items = []
    for number, points in enumerate(contours, 1):
        points = np.asarray(points, float)
        if points.ndim != 2 or points.shape[1] != 3 or len(points) < 3:
            raise ValueError(
                f"Contour {number} has shape {points.shape}: give an (n, 3) array of n >= 3 "
                "points (x, y, z in mm)."
            )
        item = _item(ContourNumber=number, ContourGeometricType="CLOSED_PLANAR")
        k = _plane_index(ct_datasets, points, tolerance)
        if k is not None:
            item.ContourImageSequence = Sequence([images[k]])
        item.NumberOfContourPoints = len(points)
        item.ContourData = [_ds(v) for v in points.ravel()]
        items.append(item)
    roi = _item(ROIDisplayColor=list(color), ContourSequence=Sequence(items))
    roi.ReferencedROINumber = roi_number
    ds.ROIContourSequence = Sequence([roi])
    ds.RTROIObservationsSequence = Sequence(
        [
            _item(
                ObservationNumber=roi_number,
                ReferencedROINumber=roi_number,
                RTROIInterpretedType="GTV",
                ROIInterpreter="",
            )
        ]
    )
    ds.ApprovalStatus = "UNAPPROVED"
    return ds
