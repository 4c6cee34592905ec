"""What pydicom's pixel-data plugins need, in pip's words: shared by decoders.py and encoders.py.

Each pydicom plugin module (``pydicom.pixels.decoders.gdcm``,
``pydicom.pixels.encoders.pyjpegls``...) keeps a table, transfer syntax -> the Python
requirements it needs (``DECODER_DEPENDENCIES``, ``ENCODER_DEPENDENCIES``). The functions
here read that table and write the install line.
"""

from __future__ import annotations

import importlib
import re

from pydicom.uid import UID

#: The few requirement names that differ from the name pip installs.
PIP_NAMES = {"gdcm": "python-gdcm"}


def requirements(kind: str, plugin: str, uid: UID) -> tuple[str, ...]:
    """What ``plugin`` needs to decode or encode ``uid`` (pip names, pydicom's bounds).

    ``kind`` is ``"decoders"`` or ``"encoders"``, the pydicom package the plugin lives in.

    >>> requirements("decoders", "gdcm", UID("1.2.840.10008.1.2.4.80"))
    ('python-gdcm>=3.0.10',)
    """
    module = importlib.import_module(f"pydicom.pixels.{kind}.{plugin}")
    table = getattr(module, f"{kind[:-1].upper()}_DEPENDENCIES")
    needs = []
    for requirement in table.get(uid, ()):  # such as "gdcm>=3.0.10"
        name = re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0]
        if name != "numpy":  # always there
            needs.append(PIP_NAMES.get(name, name) + requirement[len(name) :])
    return tuple(needs)


def lacking(kind: str, plugins: tuple[str, ...], uid: UID, available) -> dict:
    """Plugin -> the packages it lacks, for each of ``plugins`` that is not ``available``.

    >>> lacking("decoders", ("gdcm",), UID("1.2.840.10008.1.2.4.80"), available=())
    {'gdcm': ('python-gdcm>=3.0.10',)}
    """
    lacking = {}
    for plugin in plugins:
        needs = requirements(kind, plugin, uid)
        if needs and plugin not in available:
            lacking[plugin] = needs
    return lacking


def pip_line(packages: tuple[str, ...]) -> str:
    """The ``pip install`` line for ``packages``, each quoted (their bounds hold ``>``).

    >>> pip_line(("pylibjpeg>=2.0", "pylibjpeg-libjpeg>=2.1"))
    'pip install "pylibjpeg>=2.0" "pylibjpeg-libjpeg>=2.1"'
    """
    return "pip install " + " ".join(f'"{n}"' for n in packages)
