"""Benchmark: the setup cell's time in the Colab-like environment of tests/test_colab_like.py.

Prints numbers; asserts nothing. Needs the wheelhouse (``bash .ci/colab_env.sh``); offline:

    python benchmarks/bench_colab_setup.py [--repeat 3]

Creates one fresh Colab-like venv (Colab's versions, no bootcamp_utils; its creation time is
printed), then, ``--repeat`` times: a fresh kernel of it runs the setup cell (which installs
the checkout through BOOTCAMP_INSTALL_SOURCE, from local wheels: no download, unlike Colab)
and runs it again; then the packages it added are uninstalled. Times are the kernel's
(nbclient's execute_input -> execute_reply timestamps).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bootcamp_utils.course import setup_cell  # noqa: E402
from tests.test_colab_like import (  # noqa: E402
    ColabLike,
    cell_seconds,
    copy_checkout,
    create_venv,
    installed,
    pip_installs,
    uninstall,
    wheelhouse_problem,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    problem = wheelhouse_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-colab-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        python = create_venv(root / "venv")
        print(f"fresh Colab-like venv: {time.perf_counter() - start:.1f} s")
        pristine = installed(python)
        env = ColabLike(python, root, copy_checkout(root / "checkout"))
        firsts, agains = [], []
        for n in range(args.repeat):
            content = root / f"content-{n}"
            content.mkdir()
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell(setup_cell())]
            result = env.run(nb, content)
            errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
            added = set(installed(python)) - set(pristine)
            uninstall(python, added)
            if errors or len(pip_installs(result["events"])) != 1:
                print(f"run {n + 1}: failed: {errors or result['events']}", file=sys.stderr)
                return 1
            firsts.append(cell_seconds(nb.cells[0]))
            agains.append(cell_seconds(result["rerun_cell"]))
            print(
                f"run {n + 1}: setup cell {firsts[-1]:.1f} s (installed "
                f"{len(added)} packages), re-run {agains[-1] * 1000:.0f} ms"
            )
        print(
            f"median: setup cell {statistics.median(firsts):.1f} s, "
            f"re-run {statistics.median(agains) * 1000:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
