"""Benchmark: the local PACS of lesson 05 (bootcamp_utils.pacs), on loopback.

Prints numbers; asserts nothing (tests/test_pacs.py checks what the servers answer). For each
server (Orthanc when installed, pynetdicom's qrscp):

* **start** and **stop**: from launching the server to its first successful C-ECHO (Orthanc:
  and its REST API), and ``stop()`` until the process is gone;
* **C-STORE** of the course's 40-slice CT (``sample_path("head_ct")``), instances/s:
  pynetdicom (one association, ``send_c_store`` of each file) against DCMTK's
  ``/usr/bin/storescu`` (Debian ``dcmtk``; the full path, since pynetdicom installs a
  ``storescu`` of its own that shadows it on PATH) on the same files, in the same run;
* **C-GET** of the series back, instances/s (pynetdicom, Study Root, SERIES level).

Each measurement runs against a fresh, empty server (storing instances a PACS already holds
is another code path), ``--repeat`` times; the median is printed, with min-max.

    python benchmarks/bench_network.py [--repeat N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pydicom
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import CTImageStorage, StudyRootQueryRetrieveInformationModelGet

from bootcamp_utils import sample_path
from bootcamp_utils.pacs import start_pacs

CLIENT = "LESSON05"
STORESCU = "/usr/bin/storescu"


def _store_pynetdicom(pacs, files: list[Path]) -> float:
    ae = AE(CLIENT)
    ae.add_requested_context(CTImageStorage)
    start = time.perf_counter()
    assoc = ae.associate(pacs.host, pacs.port, ae_title=pacs.ae_title)
    statuses = [assoc.send_c_store(path).Status for path in files]
    assoc.release()
    seconds = time.perf_counter() - start
    assert statuses == [0] * len(files), statuses
    return seconds


def _store_dcmtk(pacs, files: list[Path]) -> float:
    command = [STORESCU, "-aet", CLIENT, "-aec", pacs.ae_title, pacs.host, str(pacs.port)]
    start = time.perf_counter()
    subprocess.run(command + [str(f) for f in files], check=True, capture_output=True)
    return time.perf_counter() - start


def _get_series(pacs, study: str, series: str, expected: int) -> float:
    received = []

    def on_store(event):
        received.append(event.dataset)
        return 0x0000

    ae = AE(CLIENT)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    ae.add_requested_context(CTImageStorage)
    query = pydicom.Dataset()
    query.QueryRetrieveLevel = "SERIES"
    query.StudyInstanceUID, query.SeriesInstanceUID = study, series
    start = time.perf_counter()
    assoc = ae.associate(
        pacs.host,
        pacs.port,
        ae_title=pacs.ae_title,
        ext_neg=[build_role(CTImageStorage, scp_role=True)],
        evt_handlers=[(evt.EVT_C_STORE, on_store)],
    )
    for _status, _identifier in assoc.send_c_get(query, StudyRootQueryRetrieveInformationModelGet):
        pass
    assoc.release()
    seconds = time.perf_counter() - start
    assert len(received) == expected, len(received)
    return seconds


def _summary(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    shown = [scale / v if unit == "/s" else v for v in values]
    return f"{statistics.median(shown):8.2f} {unit:<3} (min {min(shown):.2f}, max {max(shown):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    files = sorted(sample_path("head_ct").glob("*.dcm"))
    first = pydicom.dcmread(files[0], stop_before_pixels=True)
    study, series = str(first.StudyInstanceUID), str(first.SeriesInstanceUID)
    kinds = ["orthanc", "qrscp"] if shutil.which("Orthanc") else ["qrscp"]
    dcmtk = Path(STORESCU).is_file()
    print(f"{len(files)} CT slices, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB, loopback")
    if not dcmtk:
        print(f"{STORESCU} missing (apt-get install dcmtk): no DCMTK comparison")
    for kind in kinds:
        starts, stops, stores, dcmtk_stores, gets = [], [], [], [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                pacs = start_pacs(Path(tmp) / "a", prefer=kind, quiet=True)
                starts.append(pacs.start_seconds)
                stores.append(_store_pynetdicom(pacs, files))
                gets.append(_get_series(pacs, study, series, len(files)))
                begin = time.perf_counter()
                pacs.stop()
                stops.append(time.perf_counter() - begin)
                if dcmtk:
                    with start_pacs(Path(tmp) / "b", prefer=kind, quiet=True) as pacs:
                        dcmtk_stores.append(_store_dcmtk(pacs, files))
        print(f"\n{kind}")
        print(f"  start (to first C-ECHO)       {_summary(starts)}")
        print(f"  stop                          {_summary(stops)}")
        n = len(files)
        print(f"  C-STORE pynetdicom            {_summary(stores, '/s', n)}  instances")
        if dcmtk_stores:
            print(f"  C-STORE dcmtk storescu        {_summary(dcmtk_stores, '/s', n)}  instances")
        print(f"  C-GET series (pynetdicom)     {_summary(gets, '/s', n)}  instances")


if __name__ == "__main__":
    main()
