"""The classroom hub's two pieces: who may log in, and how a student's server starts.

JupyterHub (https://jupyterhub.readthedocs.io) lets a class share one machine: each student
logs in through a web page and gets a Jupyter server of their own. Two choices make it fit a
class of 20-30 on one machine without internet:

* :class:`ClassroomAuthenticator`, a shared class password with a personal word. The teacher
  says one password aloud; the first time, a student types it followed by a word of their
  own (``dicom2026`` + ``banana`` = ``dicom2026banana``), and from then on that whole
  password is theirs. Someone without the class password cannot get in; a classmate who
  knows it cannot open another student's account (JupyterHub's plain
  ``SharedPasswordAuthenticator`` lets anyone with the class password log in as anyone).
  The teacher logs in with a separate admin password (32 characters or more, as JupyterHub
  requires of an admin password). A student who forgets their word: the teacher deletes the
  student in the hub's admin page (``/hub/admin``); their files stay, and the next login
  chooses a new word.
* :class:`ClassroomSpawner`, JupyterHub's ``LocalProcessSpawner`` (a process per student, as
  a Unix account of their own) with three additions: the account is created at first start
  (``student-<name>``, a prefix so that no login name can become ``root`` or another system
  account), its home is private (mode 0700) and gets a copy of the lessons once (later starts
  copy only lessons added since: nothing a student changed is overwritten), and each of the
  student's processes gets an address-space limit (``RLIMIT_AS``, see
  :attr:`ClassroomSpawner.address_space_limit`). There is no CPU limit: a process-based
  spawner cannot give each student a share of the cores without cgroups (SystemdSpawner
  does that where systemd runs).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import pwd
import resource
import secrets
import shutil
import subprocess
from pathlib import Path

from jupyterhub.authenticators.shared import SharedPasswordAuthenticator
from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from tornado import web
from traitlets import Integer, Unicode

#: Characters a student adds after the class password the first time, at least.
PERSONAL_MIN = 4
_ITERATIONS = 200_000


def _hash(password: str, salt: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), _ITERATIONS)
    return digest.hex()


class ClassroomAuthenticator(SharedPasswordAuthenticator):
    """Class password + a personal word at first login; the admin password for the teacher."""

    passwords_file = Unicode(
        help="JSON file of the students' salted password hashes (pbkdf2-sha256), mode 0600."
    ).tag(config=True)

    def _load(self) -> dict[str, dict[str, str]]:
        path = Path(self.passwords_file)
        return json.loads(path.read_text()) if path.is_file() else {}

    def _save(self, table: dict[str, dict[str, str]]) -> None:
        path = Path(self.passwords_file)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
        tmp.chmod(0o600)
        os.replace(tmp, path)

    async def authenticate(self, handler, data):
        name = self.normalize_username(data["username"])
        password = data["password"]
        if name in self.admin_users:  # the teacher: only the admin password
            return await super().authenticate(handler, data)
        if not self.validate_username(name):
            raise web.HTTPError(
                403, "Names are small letters and digits (a letter first, 20 at most): try again."
            )
        table = self._load()
        entry = table.get(name)
        if entry is not None:
            if hmac.compare_digest(await asyncio.to_thread(_hash, password, entry["salt"]),
                                   entry["hash"]):  # fmt: skip
                return {"name": name, "admin": False}
            raise web.HTTPError(
                403,
                f"Wrong password for {name}: type the class password and your own word, as "
                "the first time. Forgotten? Ask your teacher to reset your name.",
            )
        if not (self.user_password and password.startswith(self.user_password)):
            raise web.HTTPError(403, "Wrong class password: ask your teacher for it.")
        if len(password) - len(self.user_password) < PERSONAL_MIN:
            raise web.HTTPError(
                403,
                f"First time here: type the class password followed by a word of your own "
                f"(at least {PERSONAL_MIN} characters), and remember it: it keeps your work "
                "yours.",
            )
        salt = secrets.token_hex(16)
        table[name] = {"salt": salt, "hash": await asyncio.to_thread(_hash, password, salt)}
        self._save(table)
        self.log.info("First login of %s: their password is set", name)
        return {"name": name, "admin": False}

    def delete_user(self, user):
        """Deleting a student in the admin page forgets their password (their files stay)."""
        table = self._load()
        if table.pop(user.name, None) is not None:
            self._save(table)
        return super().delete_user(user)


class ClassroomSpawner(LocalProcessSpawner):
    """A local process per student, as a private Unix account created at first start."""

    user_prefix = Unicode("student-", help="Prefix of the students' Unix account names.").tag(
        config=True
    )
    home_base = Unicode("/home", help="Folder that holds the students' home folders.").tag(
        config=True
    )
    lessons_dir = Unicode(help="Folder of the lesson notebooks copied into each home.").tag(
        config=True
    )
    address_space_limit = Integer(
        0,
        help="""RLIMIT_AS (bytes) of each process of the student (0: none).

        Per process, not per student, and virtual memory, not resident: an allocation past it
        fails (Python raises MemoryError in the cell; the kernel lives on) instead of the
        machine running out of memory. Set it well above what a lesson's kernel maps
        (benchmarks/bench_classroom.py prints it).""",
    ).tag(config=True)

    @property
    def system_name(self) -> str:
        return f"{self.user_prefix}{self.user.name}"

    def _ensure_account(self) -> pwd.struct_passwd:
        name = self.system_name
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            home = Path(self.home_base) / name
            subprocess.run(
                ["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
                 "--user-group", "--comment", f"classroom student {self.user.name}", name],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            self.log.info("Created the Unix account %s (home %s)", name, home)
            account = pwd.getpwnam(name)
        if account.pw_uid < 1000:
            raise web.HTTPError(500, f"{name} is a system account: not started.")
        home = Path(account.pw_dir)
        home.chmod(0o700)  # nobody else reads a student's work
        self._copy_lessons(home, account)
        return account

    def _copy_lessons(self, home: Path, account: pwd.struct_passwd) -> None:
        if not self.lessons_dir:
            return
        target = home / "notebooks"
        if not target.exists():
            target.mkdir()
            os.chown(target, account.pw_uid, account.pw_gid)
        for lesson in sorted(Path(self.lessons_dir).glob("*.ipynb")):
            copy = target / lesson.name
            if not copy.exists():  # never overwrite a student's work
                shutil.copyfile(lesson, copy)
                os.chown(copy, account.pw_uid, account.pw_gid)

    async def start(self):
        await asyncio.to_thread(self._ensure_account)
        return await super().start()

    def make_preexec_fn(self, name):
        become = set_user_setuid(self.system_name)
        limit = self.address_space_limit

        def preexec():
            if limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            become()

        return preexec

    def user_env(self, env):
        account = pwd.getpwnam(self.system_name)
        env.update(USER=account.pw_name, HOME=account.pw_dir, SHELL=account.pw_shell)
        return env
