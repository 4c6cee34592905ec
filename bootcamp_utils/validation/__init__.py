"""The course's validator: does a data set follow the standard, as dciodvfy would judge it?

pydicom reads many files that break the standard, and, unless told otherwise, writes some
too. :func:`validate` reads the rules back from the standard, in small tables and
functions meant to be read next to it, and returns one :class:`Problem` per broken rule,
with the element's path (``SourceImageSequence[0].ReferencedSOPClassUID``), what is wrong
in dciodvfy's words, the section of the standard and how to fix it. Its parts:

* :mod:`~bootcamp_utils.validation.presence`: the Type 1, 1C, 2 and 2C attributes of the
  course's IODs (CT Image, MR Image, Secondary Capture Image: PS3.3), and inside sequence
  items those of the macros (Image SOP Instance Reference, Code Sequence):
  :func:`type_problems`, :func:`item_problems`;
* :mod:`~bootcamp_utils.validation.rules`: the Value Multiplicity of the data dictionary
  (PS3.6), Image Type's required values (PS3.3 C.7.6.1.1.2, C.8.2.1.1.1),
  private creators in LO and present for their elements (PS3.5 7.8.1), Pixel Data OW
  above 8 bits (PS3.5 A.2) and High Bit = Bits Stored - 1 (PS3.3 C.7.6.3.3), UIDs not
  reused across levels (PS3.5 9.1), the
  file meta information (PS3.10 7.1); and, given its source, what a lossy compressed copy
  must change (:func:`lossy_copy_problems`, PS3.3 C.7.6.1.1.5: not part of :func:`validate`,
  since a file cannot tell a copy from an image its sensor compressed);
* :mod:`~bootcamp_utils.validation.values`: each value against the rules of its Value
  Representation (PS3.5 6.2): :func:`value_problems`.

Values are judged as they will be written: a ``datetime.date`` Study Date is written
``20240115`` by pydicom, and is a good DA.

Not checked: the Type 3 attributes, the optional (User) modules such as VOI LUT, the 1C
and 2C attributes whose condition is not in :data:`CONDITIONS`, the presence rules of
other IODs (their values, multiplicities, items, private creators, UIDs and file meta are
checked), defined terms other than Image Type's, and the binary VRs' values (US, FL, OB
...), whose values cannot break a character rule.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from .presence import (
    CONDITIONS,
    IODS,
    MACROS,
    MODULES,
    Module,
    _items,
    _sop_class,
    iod_for,
    item_problems,
    macro_for,
    type_problems,
)
from .rules import (
    ENUMERATED,
    enumerated_problems,
    file_meta_problems,
    image_type_problems,
    lossy_copy_problems,
    pixel_problems,
    private_creator_problems,
    uid_problems,
    vm_problems,
)
from .values import MAX_LENGTH, VR_RULES, Problem, as_written, check_value, value_problems

__all__ = [
    "CONDITIONS",
    "ENUMERATED",
    "IODS",
    "MACROS",
    "MAX_LENGTH",
    "MODULES",
    "VR_RULES",
    "Module",
    "Problem",
    "as_written",
    "check_value",
    "enumerated_problems",
    "file_meta_problems",
    "image_type_problems",
    "iod_for",
    "item_problems",
    "lossy_copy_problems",
    "macro_for",
    "pixel_problems",
    "private_creator_problems",
    "type_problems",
    "uid_problems",
    "validate",
    "value_problems",
    "vm_problems",
]


def validate(ds: Dataset) -> list[Problem]:
    """All the problems the course's validator finds in ``ds``.

    In this order: missing or empty attributes (:func:`type_problems`, then inside
    sequence items :func:`item_problems`, ``kind="type"``), wrong numbers of values
    (:func:`vm_problems`, ``"vm"``), Image Type values (:func:`image_type_problems`,
    ``"enumerated"``), other enumerated values (:func:`enumerated_problems`), private
    creators not LO and private elements without creator (:func:`private_creator_problems`,
    ``"private"``), Pixel Data's VR and High Bit (:func:`pixel_problems`, ``"pixel"``), one
    UID at two levels (:func:`uid_problems`, ``"uid"``), the file meta (:func:`file_meta_problems`,
    ``"meta"``), and values that break their VR (:func:`value_problems`, ``"value"``).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read with its pixels (or built in memory). Nothing is modified.

    Returns
    -------
    list of Problem
        Empty when nothing is found. Print one to read it.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    >>> ds.StudyDate = "2024-01-15"
    >>> problems = validate(ds)
    >>> sorted({problem.kind for problem in problems})
    ['type', 'value']
    >>> print([p for p in problems if p.kind == "value"][0])
    StudyDate (0008,0020) DA '2024-01-15': not a date YYYYMMDD such as '20240115' (PS3.5 6.2 DA)
    """
    uid = _sop_class(ds)
    modules = IODS[uid][2] if uid in IODS else []
    items = list(_items(ds))  # every sequence item, walked once for the three checks
    return (
        type_problems(ds)
        + item_problems(ds, items)
        + vm_problems(ds, items)
        + image_type_problems(ds, modules)
        + enumerated_problems(ds)
        + private_creator_problems(ds, items)
        + pixel_problems(ds, items)
        + uid_problems(ds)
        + file_meta_problems(ds)
        + value_problems(ds)
    )
