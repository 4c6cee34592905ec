#!/usr/bin/env bash
# The classroom hub's one-time setup (classroom/README.md), as root, from a clone:
#
#   sudo bash classroom/setup.sh [CLASS_PASSWORD]
#
# 1. the course's environment in $CLASSROOM_ENV (/opt/dicom-in-python): a venv holding the
#    course (installed from this clone, not editable) with JupyterLab, JupyterHub and the idle culler, the
#    lessons and the sample data, generated once, read-only for the students;
# 2. the hub's state folder $CLASSROOM_STATE (/srv/classroom, root only) with the class
#    password (the argument, $CLASSROOM_PASSWORD, or kept from an earlier run) and a generated
#    admin password for the teacher.
# Students' accounts are made by the hub at their first login. Offline: set PIP_NO_INDEX=1 and
# PIP_FIND_LINKS=<folder of wheels> (pip's own variables). Running it again updates the course
# and the lessons students have not opened yet; it never touches their homes.
set -euo pipefail

clone="$(cd "$(dirname "$0")/.." && pwd)"
course="${CLASSROOM_ENV:-/opt/dicom-in-python}"
state="${CLASSROOM_STATE:-/srv/classroom}"
python="${PYTHON:-python3}"
say() { echo "setup.sh: $*"; }

if [ "$(id -u)" != 0 ]; then
  say "run it as root (sudo bash classroom/setup.sh): it writes $course and $state" >&2
  exit 1
fi
if ! "$python" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 10)' 2>/dev/null
then
  say "$python is not Python 3.10+ with venv (Debian, Ubuntu: apt-get install python3-venv)" >&2
  exit 1
fi

say "course environment in $course"
[ -x "$course/bin/python" ] || "$python" -m venv "$course"
chmod a+rX "$course"
if command -v runuser >/dev/null && ! runuser -u nobody -- "$course/bin/python" -c pass 2>/dev/null
then
  say "students could not run $course/bin/python: its Python lives where only root reads" \
    "(pyenv's under /root?). Remove $course and run again with PYTHON=/usr/bin/python3" >&2
  exit 1
fi
# Build from a copy: pip would write build/ and *.egg-info into the clone.
src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
cp -r "$clone/pyproject.toml" "$clone/README.md" "$clone/LICENSE" "$clone/bootcamp_utils" "$src/"
# requirements.txt: what a student needs besides the package (JupyterLab among it)
"$course/bin/python" -m pip install -q --disable-pip-version-check "$src" \
  -r "$clone/requirements.txt" "jupyterhub>=5" "jupyterhub-idle-culler>=1.4"

share="$course/share/dicom-in-python"
mkdir -p "$share/notebooks"
cp "$clone"/notebooks/*.ipynb "$share/notebooks/"
say "sample data in $share/data"
BOOTCAMP_DATA_DIR="$share/data" "$course/bin/python" -m bootcamp_utils.data --out "$share/data" \
  >/dev/null
chmod -R a+rX,go-w "$course"

mkdir -p "$state"
chmod 700 "$state"
password="${1:-${CLASSROOM_PASSWORD:-}}"
if [ -n "$password" ]; then
  if [ "${#password}" -lt 8 ]; then
    say "the class password needs 8 characters or more" >&2
    exit 1
  fi
  printf '%s\n' "$password" >"$state/class-password"
elif [ ! -s "$state/class-password" ]; then
  "$course/bin/python" -c 'import secrets; print("class-" + secrets.token_hex(3))' \
    >"$state/class-password"
fi
if [ ! -s "$state/admin-password" ]; then
  "$course/bin/python" -c 'import secrets; print(secrets.token_urlsafe(30))' \
    >"$state/admin-password"
fi
chmod 600 "$state/class-password" "$state/admin-password"

say "done. Class password: $(cat "$state/class-password")"
say "teacher (admin) password: in $state/admin-password"
say "start the hub: sudo $course/bin/jupyterhub -f $clone/classroom/jupyterhub_config.py"
