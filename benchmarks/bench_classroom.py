"""Memory per student and students at once on the classroom hub (classroom/README.md).

Starts the hub on loopback (classroom/classroom_client.py's LoopbackHub, the settings of
classroom/jupyterhub_config.py), then for each N (default 1 2 4 8): N students log in, their
servers start, and all N run lesson 01 at the same time, every code cell, as "Run All". Prints
the wall time of the N runs and, once they are done (kernels still open, as in class):

* per student: PSS and RSS of their processes (jupyterhub-singleuser + the lesson's kernel),
  and the largest address space (VSZ) of one process, what CLASSROOM_MEM_LIMIT must exceed;
* the hub's own processes (jupyterhub, configurable-http-proxy, idle culler), PSS;
* the machine's MemAvailable before and after.

Needs root and the course's environment (the test's: CLASSROOM_TEST_ENV, default
/var/tmp/dicom-in-python-classroom; tests/test_classroom.py or classroom/setup.sh makes it).
Prints numbers only:

    python benchmarks/bench_classroom.py [N ...]
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "classroom"))
import classroom_client as cc  # noqa: E402

LESSON = REPO / "notebooks" / "01_dicom_basics.ipynb"
COURSE = Path(os.environ.get("CLASSROOM_TEST_ENV", "/var/tmp/dicom-in-python-classroom"))
MiB = 2**20


def _available() -> int:
    return psutil.virtual_memory().available


def _memory(processes: list[psutil.Process]) -> tuple[int, int, int]:
    """(PSS, RSS, largest VSZ) summed over ``processes`` (the VSZ: of one of them)."""
    pss = rss = vsz = 0
    for p in processes:
        try:
            info = p.memory_full_info()
        except psutil.Error:
            continue
        pss, rss, vsz = pss + info.pss, rss + info.rss, max(vsz, info.vms)
    return pss, rss, vsz


def _of_user(uid: int) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["uids"]) if p.info["uids"].real == uid]


def _round(hub: cc.LoopbackHub, n: int) -> None:
    students = [f"s{n}x{i}" for i in range(n)]
    before = _available()
    for s in students:
        _, answer = cc.login(hub.base, s, f"bench-class-{s}")
        assert answer.status_code == 302, answer.text[-300:]
    with ThreadPoolExecutor(n) as pool:
        list(pool.map(lambda s: cc.start_server(hub.base, hub.token, s), students))
        tokens = {s: cc.user_token(hub.base, hub.token, s) for s in students}
        started = time.monotonic()
        runs = list(pool.map(lambda s: cc.run_notebook(
            hub.base, s, tokens[s], f"notebooks/{LESSON.name}", LESSON), students))  # fmt: skip
        wall = time.monotonic() - started
    failures = sum(len(r["failures"]) for r in runs)
    per = [_memory(_of_user(hub.account(s).pw_uid)) for s in students]
    hub_tree = [psutil.Process(hub.process.pid), *psutil.Process(hub.process.pid).children()]
    hub_pss = _memory([p for p in hub_tree if p.uids().real == 0])[0]
    pss = sum(p[0] for p in per) / n
    print(
        f"N={n}: lesson 01 wall {wall:.0f} s (slowest student; each "
        f"{min(r['seconds'] for r in runs):.0f}-{max(r['seconds'] for r in runs):.0f} s), "
        f"failed cells {failures}; per student PSS "
        f"{pss / MiB:.0f} MiB, RSS {sum(p[1] for p in per) / n / MiB:.0f} MiB, largest VSZ "
        f"{max(p[2] for p in per) / MiB:.0f} MiB; hub PSS {hub_pss / MiB:.0f} MiB; "
        f"MemAvailable fell {(before - _available()) / MiB:.0f} MiB"
    )
    for s in students:  # stop them: the next round starts from an empty machine
        cc.api(hub.base, hub.token, "DELETE", f"/users/{s}/server")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_of_user(hub.account(s).pw_uid) for s in students):
        time.sleep(1)


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [1, 2, 4, 8]
    if os.geteuid() != 0 or not (COURSE / "bin" / "jupyterhub").is_file():
        print(f"needs root and the course's environment in {COURSE} (classroom/setup.sh)")
        return 1
    print(f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GiB, "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip
    with cc.LoopbackHub(COURSE, "bench-class-", f"clb{os.getpid() % 100000}-") as hub:
        idle = _memory(
            [psutil.Process(hub.process.pid), *psutil.Process(hub.process.pid).children()]
        )
        print(f"hub alone (jupyterhub + proxy + culler): PSS {idle[0] / MiB:.0f} MiB")
        for n in sizes:
            try:
                _round(hub, n)
            except Exception as error:  # a number too: how many this machine does not hold
                print(f"N={n}: FAILED ({type(error).__name__}: {error}); the hub's log ends:")
                print(hub.log_tail(40))
                break
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
