"""The classroom hub (classroom/): JupyterHub on loopback, three students, lesson 01 in each.

What classroom/README.md promises, checked end to end: ``classroom/setup.sh`` makes the
course's environment (offline, from the wheels .ci/run builds), the hub starts from it with
``classroom/jupyterhub_config.py``, students log in through the login form, their servers start
through the hub's REST API and run lesson 01 at the same time; a wrong password and a second
hub on the same port are refused with a clear message; a student can neither read another's
files nor reach their server; an allocation past the memory limit fails in that kernel only;
stopping the hub leaves no process and no open port.

Needs root (the hub makes a Unix account per student; the test's accounts have their own
prefix and are deleted afterwards), ``npm ci`` (configurable-http-proxy) and the course's
environment in ``CLASSROOM_TEST_ENV`` (/var/tmp/dicom-in-python-classroom), which .ci/run makes
with ``classroom/setup.sh`` from PyPI (about 3 minutes): a venv of the system's Python 3, which
the students' accounts can run (pyenv's, under /root, they cannot) and for which the
wheelhouse of tests/test_readme.py may lack wheels. The test runs setup.sh again, offline
(``PIP_NO_INDEX``, the wheelhouse for the build tools), to install this checkout's course.
Skipped locally without them, failing under CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO

sys.path.insert(0, str(REPO / "classroom"))
import classroom_client as cc  # noqa: E402

pytestmark = pytest.mark.external

LESSON = REPO / "notebooks" / "01_dicom_basics.ipynb"
STUDENTS = ["alice", "bob", "carol"]
CLASS_PASSWORD = "classroom-test"
WHEELS = Path(
    os.environ.get("README_WHEELS", Path.home() / ".cache" / "dicom-in-python" / "readme-wheels")
)
COURSE = Path(os.environ.get("CLASSROOM_TEST_ENV", "/var/tmp/dicom-in-python-classroom"))
#: The address-space limit of each student process in this test (bytes).
LIMIT = 3 * 2**30


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason + " (CI must provide it: .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def course() -> Path:
    if os.geteuid() != 0:
        _missing("the classroom hub needs root: it makes a Unix account per student")
    for tool in ("useradd", "userdel", "pkill"):
        if shutil.which(tool) is None:
            _missing(f"{tool} not found: apt-get install passwd procps")
    if not (REPO / "node_modules" / ".bin" / "configurable-http-proxy").is_file():
        _missing("configurable-http-proxy not installed: npm ci")
    if not (COURSE / "bin" / "jupyterhub-singleuser").is_file():
        _missing(
            f"no course environment in {COURSE}: CLASSROOM_ENV={COURSE} bash classroom/setup.sh"
        )
    if not WHEELS.is_dir():  # setup.sh reinstalls the course, and tests may not download
        _missing(f"no wheelhouse at {WHEELS} for setup.sh to install from: run the `pip wheel` "
                 "lines of .ci/run")  # fmt: skip
    env = dict(os.environ, CLASSROOM_ENV=str(COURSE), PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEELS))
    with tempfile.TemporaryDirectory() as state:
        env["CLASSROOM_STATE"] = state
        done = subprocess.run(["bash", str(REPO / "classroom" / "setup.sh"), CLASS_PASSWORD],
                              env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Class password: classroom-test" in done.stdout
    return COURSE


@pytest.fixture(scope="module")
def hub(course: Path):
    settings = dict(CLASSROOM_MEM_LIMIT=f"{LIMIT // 2**20}M", CLASSROOM_IDLE_TIMEOUT="3600")
    with cc.LoopbackHub(course, CLASS_PASSWORD, f"clt{os.getpid() % 100000}-", **settings) as hub:
        yield hub


def _password(student: str) -> str:
    return f"{CLASS_PASSWORD}{student}-word"


def _run_lesson(hub, student: str, token: str) -> dict:
    return cc.run_notebook(hub.base, student, token, f"notebooks/{LESSON.name}", LESSON)


def test_wrong_passwords_are_refused_with_a_clear_message(hub):
    _, answer = cc.login(hub.base, "alice", "not-the-class-password")
    assert answer.status_code == 403
    assert "Wrong class password: ask your teacher for it." in answer.text
    _, answer = cc.login(hub.base, "alice", CLASS_PASSWORD)  # no personal word
    assert answer.status_code == 403 and "a word of your own" in answer.text
    _, answer = cc.login(hub.base, "teacher", CLASS_PASSWORD)  # the admin's name
    assert answer.status_code == 403
    with pytest.raises(KeyError):
        hub.account("alice")  # nothing was created


def test_three_students_run_lesson_01_at_once(hub):
    for student in STUDENTS:
        _, answer = cc.login(hub.base, student, _password(student))
        assert answer.status_code == 302, answer.text[-500:]
    with ThreadPoolExecutor(len(STUDENTS)) as pool:
        servers = list(pool.map(lambda s: cc.start_server(hub.base, hub.token, s), STUDENTS))
        assert all(server["ready"] for server in servers), hub.log_tail()
        tokens = {s: cc.user_token(hub.base, hub.token, s) for s in STUDENTS}
        started = time.monotonic()
        runs = list(pool.map(lambda s: _run_lesson(hub, s, tokens[s]), STUDENTS))
    print(f"lesson 01 in {len(STUDENTS)} servers at once: {time.monotonic() - started:.0f} s")
    code_cells = sum(c["cell_type"] == "code" for c in json.loads(LESSON.read_text())["cells"])
    for student, run in zip(STUDENTS, runs, strict=True):
        assert run["cells"] == code_cells and run["failures"] == [], (student, run)
        account = hub.account(student)
        home = Path(account.pw_dir)
        assert home.stat().st_mode & 0o777 == 0o700
        copy = home / "notebooks" / LESSON.name  # lesson 01 writes no file: its copy is theirs
        assert copy.stat().st_uid == account.pw_uid and copy.read_bytes() == LESSON.read_bytes()
    hub.tokens = tokens


def test_a_student_cannot_see_another_students_work(hub):
    alice, bob = hub.account("alice"), hub.account("bob")
    lesson = Path(bob.pw_dir) / "notebooks" / LESSON.name
    as_alice = subprocess.run(["cat", str(lesson)], user=alice.pw_uid, group=alice.pw_gid,
                              extra_groups=[], capture_output=True, text=True)  # fmt: skip
    assert as_alice.returncode != 0 and "Permission denied" in as_alice.stderr
    # alice's token opens her server, not bob's
    headers = {"Authorization": f"token {hub.tokens['alice']}"}
    own = cc.requests.get(f"{hub.base}/user/alice/api/contents/notebooks", headers=headers)
    assert own.status_code == 200
    other = cc.requests.get(f"{hub.base}/user/bob/api/contents/notebooks", headers=headers,
                            allow_redirects=False)  # fmt: skip
    assert other.status_code in (302, 403, 404) and LESSON.name not in other.text
    # nor does alice's login, nor the class password with another word
    session, _ = cc.login(hub.base, "alice", _password("alice"))
    page = session.get(f"{hub.base}/user/bob/api/contents/notebooks", timeout=60)
    assert page.status_code in (403, 404) and LESSON.name not in page.text
    _, answer = cc.login(hub.base, "bob", _password("alice"))
    assert answer.status_code == 403 and "Wrong password for bob" in answer.text


def test_an_allocation_past_the_limit_fails_in_that_kernel_only(hub):
    _, _, ws = cc.open_kernel(hub.base, "alice", hub.tokens["alice"], "notebooks/big.ipynb")
    try:
        status, errors = cc.execute(ws, f"block = bytearray({LIMIT})")
        assert status == "error" and errors[0]["ename"] == "MemoryError"
        status, _ = cc.execute(ws, "block = bytearray(2**20); print(len(block))")
        assert status == "ok"  # the kernel lives on
    finally:
        ws.close()
    bob = cc.api(hub.base, hub.token, "GET", "/users/bob").json()["servers"][""]
    assert bob["ready"]


def test_a_second_hub_on_the_same_port_is_refused(hub):
    second = subprocess.run(
        [str(hub.course / "bin" / "jupyterhub"), "-f", str(cc.CONFIG)], env=hub.env,
        cwd=hub.env["CLASSROOM_STATE"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert second.returncode != 0
    assert f"port {hub.ports['public']} is already in use (a hub already running?" in second.stderr
    assert hub.process.poll() is None
    for student in STUDENTS:  # the first hub and everyone's work are still there
        server = cc.api(hub.base, hub.token, "GET", f"/users/{student}").json()["servers"][""]
        assert server["ready"]
        assert (Path(hub.account(student).pw_dir) / "notebooks" / LESSON.name).is_file()


def test_the_idle_culler_runs_as_a_hub_service(hub):
    import psutil

    hub_process = psutil.Process(hub.process.pid)
    culler = [p for p in hub_process.children(recursive=True)
              if "jupyterhub_idle_culler" in " ".join(p.cmdline())]  # fmt: skip
    assert len(culler) == 1 and "--timeout=3600" in culler[0].cmdline()
    services = cc.api(hub.base, hub.token, "GET", "/services").json()
    assert "idle-culler" in services


def test_stopping_the_hub_leaves_no_process_or_port(hub):
    import psutil

    uids = {hub.account(s).pw_uid for s in STUDENTS}
    tree = psutil.Process(hub.process.pid).children(recursive=True)
    names = " ".join(" ".join(p.cmdline()) for p in tree)
    assert "configurable-http-proxy" in names and "jupyterhub-singleuser" in names
    assert cc.stop_hub(hub.process) == 0, hub.log_tail()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        left = [p for p in psutil.process_iter(["uids", "cmdline"]) if p.is_running()
                and (p.info["uids"] and p.info["uids"].real in uids or p in tree)]  # fmt: skip
        if not left:
            break
        time.sleep(0.5)
    assert not left, [p.info["cmdline"] for p in left]
    assert not [name for name, port in hub.ports.items() if cc.port_open(port)]
