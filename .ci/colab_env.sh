#!/usr/bin/env bash
# A local wheelhouse for tests/test_colab_like.py, which builds a fresh "Colab-like" virtual
# environment from it on every run, offline (pip --no-index --find-links):
#
#   colab-pins.txt           what Colab preinstalls, of the packages that matter here (below);
#   course-requirements.txt  what the setup cell's `pip install <checkout>` needs on top:
#                            bootcamp_utils' dependencies and its build requirements, read
#                            from pyproject.toml;
#   *.whl                    one resolution of both files together (wheels only), so every
#                            package the Colab pins pull in, and every package Colab lacks,
#                            is here in the version pip would choose next to Colab's pins.
#
# The venv itself gets only colab-pins.txt: no bootcamp_utils, no pydicom, no dicom2nifti,
# no anywidget. The setup cell has to install those, as it does on Colab.
#
# Versions assumed: Colab's 2025 runtime (Python 3.12; only 3.11 exists on this machine,
# and every pin below has 3.11 wheels).
#   ipykernel 6.17.1, ipython 7.34.0, notebook 6.5.7, pandas 2.2.2, requests 2.32.3,
#   tornado 6.5.1   - pinned by the google-colab package itself (colabtools' setup.py)
#   ipywidgets 7.7.1 - Colab's preinstalled widgets (its front end serves widgets 7; it
#                      downgraded back to 7.7.1 in 2022 when 8.0 broke its widget manager)
#   traitlets 5.7.1, jupyter-client 6.1.12, jupyter-server 1.16.0, pyzmq 24.0.1 - the old
#                      kernel stack Colab keeps next to ipykernel 6.17.1 / notebook 6.5.7
#   numpy 2.0.2, scipy 1.15.3, matplotlib 3.10.0, pillow 11.2.1, nibabel 5.3.2, h5py 3.14.0,
#   tqdm 4.67.1, packaging 24.2, typing-extensions 4.14.0 - Colab's 2025 scientific stack; these decide
#                      how bootcamp_utils' dependencies resolve (dicom2nifti needs nibabel,
#                      numpy, scipy; anywidget needs ipywidgets and typing-extensions;
#                      nibabel needs packaging; h5py, for nibabel's MINC2, is preinstalled
#                      and must stay as it is)
#   scikit-learn 1.6.1, dask 2024.12.1, distributed 2024.12.1 - lesson 06's ML stack as Colab
#                      ships it (with pandas and scipy above); the setup cell must not upgrade it
#   pip 24.1.2       - Colab's pip: it is what runs the setup cell's install
# Colab has hundreds more packages; none of them is a requirement of ours, and a package
# that is neither pinned here nor a dependency of a pin is absent from the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
wheels="${COLAB_WHEELS:-.ci/.colab-wheels}"
mkdir -p "$wheels"

cat >"$wheels/colab-pins.txt" <<'EOF'
pip==24.1.2
ipykernel==6.17.1
ipython==7.34.0
notebook==6.5.7
pandas==2.2.2
requests==2.32.3
tornado==6.5.1
ipywidgets==7.7.1
traitlets==5.7.1
jupyter-client==6.1.12
jupyter-server==1.16.0
pyzmq==24.0.1
numpy==2.0.2
scipy==1.15.3
matplotlib==3.10.0
pillow==11.2.1
nibabel==5.3.2
h5py==3.14.0
tqdm==4.67.1
packaging==24.2
typing-extensions==4.14.0
scikit-learn==1.6.1
dask==2024.12.1
distributed==2024.12.1
EOF

python - >"$wheels/course-requirements.txt" <<'EOF'
import tomllib

with open("pyproject.toml", "rb") as file:
    project = tomllib.load(file)
# setuptools (and wheel, for older setuptools) go into pip's isolated build environment.
print("\n".join(project["build-system"]["requires"] + ["wheel"]
                + project["project"]["dependencies"]))
EOF

python -m pip download -q --disable-pip-version-check --only-binary=:all: -d "$wheels" \
  -r "$wheels/colab-pins.txt" -r "$wheels/course-requirements.txt"
