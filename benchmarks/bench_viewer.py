"""Benchmark: the window/level viewer's redraw time in Chromium, and its static size.

Prints numbers; asserts nothing. Needs Debian's chromium and Playwright (no network):

    python benchmarks/bench_viewer.py

For every volume: the embedded size of the static copy, the time Python takes to build it,
(the "static shape" column says what the page holds: the 2-slice case stays 512 x 512, as a
live kernel's viewer does),
and the mean time of a redraw in the browser after a window change and after a slice change
(image, histogram and colour bar; 200 redraws after 20 warm-up ones). For comparison, a
full matplotlib ``imshow`` + draw of the same slice: the viewer has no Python update path
(every redraw happens in the browser), so the issue's "10x faster than matplotlib" rule for
Python paths does not apply, but the figure shows what a Python callback would cost.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import ARGS, CHROMIUM  # noqa: E402


def _matplotlib_ms(image: np.ndarray, repeat: int = 20) -> float:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        ax.clear()
        ax.imshow(image, cmap="gray", vmin=-40 + i, vmax=120 + i)
        fig.canvas.draw()
        times.append(time.perf_counter() - start)
    plt.close(fig)
    return statistics.median(times) * 1000


def main() -> int:
    from playwright.sync_api import sync_playwright

    from bootcamp_utils import sample_path
    from bootcamp_utils.data._samples import write_ct_series
    from bootcamp_utils.viewer import window_level_viewer

    work = Path(tempfile.mkdtemp(prefix="bench_viewer_"))
    big = work / "ct512"
    write_ct_series(
        big,
        shape=(60, 512, 512),
        pixel_spacing=(0.46875, 0.46875),
        first_position=(-119.77, -111.77, 10.0),
        slice_step=(0, 0, 1.0),
        name="bench-viewer",
    )
    full = work / "ct512-2"  # small enough to stay 512 x 512 in the page
    write_ct_series(
        full,
        shape=(2, 512, 512),
        pixel_spacing=(0.46875, 0.46875),
        first_position=(-119.77, -111.77, 40.0),
        slice_step=(0, 0, 1.0),
        name="bench-viewer-2",
    )
    cases = {
        "head_ct 40 x 256 x 256": sample_path("head_ct"),
        "CT 60 x 512 x 512": big,
        "CT 2 x 512 x 512": full,
    }
    print(
        f"{'volume':<24} {'static KB':>9} {'to_html s':>9} {'window ms':>9} {'slice ms':>8}"
        f" {'matplotlib ms':>13}"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for label, folder in cases.items():
            viewer = window_level_viewer(folder)
            start = time.perf_counter()
            fragment = viewer.to_html()
            build = time.perf_counter() - start
            state = viewer.static_state()
            page_file = work / "page.html"
            page_file.write_text(f"<!doctype html><meta charset=utf-8><body>{fragment}</body>")
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.route(
                "**/*",
                lambda r: (
                    r.continue_()
                    if r.request.url.startswith(("file:", "data:", "blob:"))
                    else r.abort()
                ),
            )
            page.goto(page_file.as_uri())
            page.wait_for_selector(".bcu-static[data-ready='1']")
            bench = "document.querySelector('.bcu-static').bcuBenchmark"
            page.evaluate(f"{bench}(20)")
            window_ms = page.evaluate(f"{bench}(200, 'center')")
            slice_ms = page.evaluate(f"{bench}(200, 'slice')")
            shape = state["_meta"]["shape"]
            codes = np.frombuffer(viewer._volume, "<u2").reshape(viewer._meta["shape"])
            mpl = _matplotlib_ms(codes[len(codes) // 2].astype(float) - 1024)
            print(
                f"{label:<24} {len(state['_volume_b64']) / 1000:9.0f} {build:9.2f} "
                f"{window_ms:9.2f} {slice_ms:8.2f} {mpl:13.1f}   static shape {shape}"
            )
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
