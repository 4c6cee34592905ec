"""What changed between two data sets? A small, readable diff.

After an edit you re-read the file you wrote and compare it with the original:
:func:`diff_datasets` lists every element that was added, removed or changed, one line each,
with its tag and keyword, in the order of the tags::

    - (0010,0030) PatientBirthDate: '19560214'
    ~ (0010,0010) PatientName: 'Rivera^Elena^Maria' -> 'Doe^Jane'
    + (0018,0015) BodyPartExamined: 'HEAD'

How it compares, so that you can predict its output:

* **Elements** are matched by tag. An element is "changed" when its value differs, or its
  VR does (then both VRs are shown: a private element read back as ``UN`` is a change).
* **Sequences** are compared item by item (item 0 with item 0, ...), at any depth; the path
  says where: ``ReferencedImageSequence[0].ReferencedSOPInstanceUID``. An item only one side
  has is one "added" or "removed" line.
* **Private elements** have no keyword: the path names the private creator that owns the
  block and the element's offset in it, ``(0029,1010) [SEGH PACS 1.0] 0x10``.
* **The file meta information** (group 0002) is compared too, when both have one; its
  paths start with ``file_meta.``.
* **Long values** are shortened for display (bytes are shown as their length only, Pixel
  Data included); the comparison itself always uses the whole value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

__all__ = ["Change", "Changes", "diff_datasets"]

_SHOWN = 60  # characters of a value shown before it is shortened


@dataclass(frozen=True)
class Change:
    """One difference between two data sets.

    Parameters
    ----------
    kind : {"added", "removed", "changed"}
        What happened to the element (or sequence item) going from ``before`` to ``after``.
    path : str
        Where: a keyword, ``Sequence[i].Keyword`` inside sequences, ``file_meta.Keyword``.
    tag : str
        The tag as ``(gggg,eeee)``; for a whole sequence item, the sequence's tag.
    before, after : str
        The values as shown (with the VR when the VRs differ); ``""`` for the side that
        has no such element.
    """

    kind: str
    path: str
    tag: str
    before: str = ""
    after: str = ""

    def __str__(self) -> str:
        if self.kind == "added":
            return f"+ {self.tag} {self.path}: {self.after}"
        if self.kind == "removed":
            return f"- {self.tag} {self.path}: {self.before}"
        return f"~ {self.tag} {self.path}: {self.before} -> {self.after}"


class Changes(list):
    """A list of :class:`Change` that prints one line per change (or "no differences")."""

    def __str__(self) -> str:
        return "\n".join(map(str, self)) if self else "no differences"

    __repr__ = __str__


def diff_datasets(before: Dataset, after: Dataset) -> Changes:
    """Every element added, removed or changed going from ``before`` to ``after``.

    Parameters
    ----------
    before, after : pydicom.dataset.Dataset
        The two data sets, typically the original and the file written from it, re-read.
        Neither is modified.

    Returns
    -------
    Changes
        A list of :class:`Change`, in tag order (a sequence's items in turn, where it
        stands); prints one line per change, ``no differences`` when empty.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> a = Dataset()
    >>> a.PatientName, a.PatientBirthDate = "Rivera^Elena", "19560214"
    >>> b = Dataset()
    >>> b.PatientName, b.BodyPartExamined = "Doe^Jane", "HEAD"
    >>> print(diff_datasets(a, b))
    ~ (0010,0010) PatientName: 'Rivera^Elena' -> 'Doe^Jane'
    - (0010,0030) PatientBirthDate: '19560214'
    + (0018,0015) BodyPartExamined: 'HEAD'
    >>> diff_datasets(a, a)
    no differences
    """
    changes = Changes()
    meta_a, meta_b = before.get("file_meta"), after.get("file_meta")
    if isinstance(meta_a, Dataset) and isinstance(meta_b, Dataset):
        changes.extend(_walk(meta_a, meta_b, "file_meta."))
    changes.extend(_walk(before, after, ""))
    return changes


def _walk(a: Dataset, b: Dataset, prefix: str) -> Iterator[Change]:
    """The changes between two data sets (or sequence items), paths starting ``prefix``."""
    for tag in sorted(set(a.keys()) | set(b.keys())):
        old = a.get(tag)
        new = b.get(tag)
        path = prefix + _name(old if old is not None else new)
        shown = f"({tag.group:04X},{tag.element:04X})"
        if new is None:
            yield Change("removed", path, shown, before=_show(old))
        elif old is None:
            yield Change("added", path, shown, after=_show(new))
        elif old.VR == "SQ" and new.VR == "SQ":
            yield from _walk_items(old.value, new.value, path, shown)
        elif old.VR != new.VR or not _equal(old.value, new.value):
            both_vrs = old.VR != new.VR
            yield Change("changed", path, shown, _show(old, both_vrs), _show(new, both_vrs))


def _walk_items(a: list, b: list, path: str, shown: str) -> Iterator[Change]:
    """Sequence items compared in order; items only one side has are one line each."""
    for i in range(max(len(a), len(b))):
        where = f"{path}[{i}]"
        if i >= len(b):
            yield Change("removed", where, shown, before=f"item with {len(a[i])} elements")
        elif i >= len(a):
            yield Change("added", where, shown, after=f"item with {len(b[i])} elements")
        else:
            yield from _walk(a[i], b[i], where + ".")


def _name(elem: DataElement) -> str:
    """The keyword; for a private element, the creator owning its block and its offset."""
    if elem.keyword:
        return elem.keyword
    if elem.tag.is_private_creator:
        return "Private Creator"
    if elem.private_creator:
        return f"[{elem.private_creator}] 0x{elem.tag.element & 0xFF:02X}"
    return elem.name


def _equal(x: Any, y: Any) -> bool:
    """Values equal as DICOM means them: a text value and its bytes are not the same."""
    if isinstance(x, (bytes, bytearray)) != isinstance(y, (bytes, bytearray)):
        return False
    try:
        return bool(x == y)
    except ValueError:  # NumPy arrays (e.g. float pixel data) compare elementwise
        return False


def _show(elem: DataElement, with_vr: bool = False) -> str:
    """A value as one short line: bytes as their length, long text cut with an ellipsis."""
    value = elem.value
    if isinstance(value, (bytes, bytearray)):
        text = f"<{len(value)} bytes>" if len(value) > 24 else repr(bytes(value))
    elif elem.VR == "SQ":
        text = f"<sequence of {len(value)} items>"
    elif elem.VM > 1:
        text = repr([str(v) for v in value])
    elif isinstance(value, (int, float)):
        text = str(value)
    else:
        text = repr(str(value)) if value is not None else "<empty>"
    if len(text) > _SHOWN:
        text = text[: _SHOWN - 1] + "…"
    return f"{elem.VR} {text}" if with_vr else text
