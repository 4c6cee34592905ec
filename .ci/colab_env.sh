#!/usr/bin/env bash
# A "Colab-like" virtual environment for tests/test_colab_like.py: the old versions Colab
# preinstalls of the packages the viewer's display path depends on, and nothing else of
# ours (bootcamp_utils is put on PYTHONPATH by the test).
#   ipywidgets 7.7.1  - named by the course's design notes as Colab's preinstalled version
#   ipython 7.34.0, ipykernel 6.17.1, traitlets 5.7.1 - Colab's long-standing pins (its
#                       kernel is old; ipywidgets 7 displays through _ipython_display_)
#   numpy 2.0.2, matplotlib 3.10.0, nibabel 5.3.2, tqdm 4.67.1 - Colab's 2025 versions
# Colab runs a newer Python than this machine's 3.11; only 3.11 can be had here.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${COLAB_VENV:-.ci/.colab-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check \
  "ipywidgets==7.7.1" "ipython==7.34.0" "ipykernel==6.17.1" "traitlets==5.7.1" \
  "numpy==2.0.2" "matplotlib==3.10.0" "nibabel==5.3.2" "tqdm==4.67.1" \
  "pydicom>=3.0" "dicom2nifti>=2.4" "anywidget>=0.9"
