"""De-identification: removing what identifies a patient from a DICOM data set.

DICOM says what to do with each attribute in PS3.15 Annex E, Table E.1-1, "Application
Level Confidentiality Profile Attributes". Its Basic Profile column gives every listed
attribute an action:

* ``X`` remove it; ``Z`` empty it (or put a dummy value); ``D`` put a dummy value;
* ``U`` replace a UID with a new one, the same new one everywhere the old one appears;
* ``K`` keep, ``C`` clean (both only in the option columns, which this package does not ship);
* ``Z/D``, ``X/Z``, ``X/D``, ``X/Z/D``, ``X/Z/U*``: the first action unless the IOD needs
  the attribute (Type 1 or 2), then the next one.

An attribute the table does not list (Modality, Rows, SOP Class UID, ...) is kept; private
attributes (odd group numbers) are removed. :mod:`bootcamp_utils.deid.table` reads the
table::

    >>> from bootcamp_utils.deid.table import action_for
    >>> action_for("PatientName"), action_for("StudyInstanceUID"), action_for("Modality")
    ('Z', 'U', None)

:func:`deidentify` (in :mod:`bootcamp_utils.deid.profile`) applies the table to a copy of a
data set; :func:`deidentify_folder` (in :mod:`bootcamp_utils.deid.folder`) does it for every
file of a folder, into a new folder. :func:`phi_findings` (in :mod:`bootcamp_utils.deid.phi`)
lists what identifying data is left in a data set, element by element, with the reason.
:func:`black_out` (in :mod:`bootcamp_utils.deid.pixels`) paints over text burned into the
pixels (Clean Pixel Data); :func:`date_offset` is the per-patient date shift that
``deidentify(ds, shift_dates="per-patient")`` uses. :mod:`bootcamp_utils.deid.iod` holds
what the file's IOD needs (the Type 1 and 2 cases the combined actions leave open) and why
a DICOMDIR is refused (:class:`DeidError`).
"""

from .folder import DeidFolderError, FolderReport, deidentify_folder
from .iod import DeidError
from .phi import Finding, phi_findings
from .pixels import black_out
from .profile import date_offset, deidentify

__all__ = [
    "DeidError",
    "DeidFolderError",
    "Finding",
    "FolderReport",
    "black_out",
    "date_offset",
    "deidentify",
    "deidentify_folder",
    "phi_findings",
]
