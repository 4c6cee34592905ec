"""The viewer in a real browser, with no kernel and no network: a static page and a deck."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from bootcamp_utils.viewer import window_level_viewer

from .browser import browser_page, canvas_changes, node_module, require_browser, set_range


def _page(tmp_path, fragments: list[str]):
    page = tmp_path / "viewers.html"
    page.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>viewers</title></head><body>" + "\n".join(fragments) + "</body></html>"
    )
    return page


def test_static_page_viewer_responds_offline(tmp_path, samples_root):
    require_browser()
    ct = window_level_viewer(samples_root / "head_ct")
    mr = window_level_viewer(samples_root / "head_mr")
    html = _page(tmp_path, [ct.to_html(), mr.to_html()])
    with browser_page() as (page, log):
        page.goto(html.as_uri())
        page.wait_for_function(
            "document.querySelectorAll('.bcu-static[data-ready=\"1\"]').length == 2"
        )
        first = ".bcu-static >> nth=0"
        ct_root = "#" + page.eval_on_selector(first, "e => e.id")
        assert canvas_changes(page, ct_root, lambda: set_range(page, f"{ct_root} .bcu-center", 300))
        assert canvas_changes(page, ct_root, lambda: set_range(page, f"{ct_root} .bcu-width", 1500))
        assert canvas_changes(page, ct_root, lambda: set_range(page, f"{ct_root} .bcu-slice", 5))
        assert canvas_changes(
            page,
            ct_root,
            lambda: page.select_option(f"{ct_root} .bcu-preset", label="header: BRAIN (40/80)"),
        )
        readout = page.inner_text(f"{ct_root} .bcu-readout")
        assert "C 40" in readout and "W 80" in readout and "HU" in readout
        size = page.eval_on_selector(f"{ct_root} .bcu-image", "c => [c.width, c.height]")
        assert canvas_changes(page, ct_root, lambda: page.check(f"{ct_root} .bcu-plane-coronal"))
        coronal = page.eval_on_selector(f"{ct_root} .bcu-image", "c => [c.width, c.height]")
        assert coronal != size  # 160 mm tall, 240 mm wide: the aspect follows the spacing
        assert "coronal" in page.inner_text(f"{ct_root} .bcu-readout")
        # the MR viewer is independent of the CT one
        mr_root = "#" + page.eval_on_selector(".bcu-static >> nth=1", "e => e.id")
        assert canvas_changes(page, mr_root, lambda: set_range(page, f"{mr_root} .bcu-center", 900))
        page.screenshot(path=str(tmp_path / "viewers.png"))
    assert log.blocked == [] and log.failed == [] and log.errors == []


def _renumbered_head_ct(samples_root, tmp_path):
    """The head CT with Instance Numbers counting from the top of the head down (as many
    scanners number them): the slice number and the Instance Number then differ."""
    from pydicom import dcmread

    folder = tmp_path / "head_ct_renumbered"
    folder.mkdir()
    for path in sorted((samples_root / "head_ct").glob("*.dcm")):
        ds = dcmread(path)
        ds.InstanceNumber = 41 - int(ds.InstanceNumber)
        ds.save_as(folder / path.name)
    return folder


def test_static_readout_shows_the_source_slice_numbers(tmp_path, samples_root):
    """Issue 12, item 6: the static copy keeps one slice in two, yet the readout numbers the
    slice as the series does (21/40, not 11/20), with its Instance Number and position, so
    that a reader of the book reads what a notebook user reads."""
    require_browser()
    from pydicom import dcmread

    folder = _renumbered_head_ct(samples_root, tmp_path)
    viewer = window_level_viewer(folder)
    state = viewer.static_state()
    assert state["_meta"]["shape"][0] == 20  # one slice in two: the case of the issue
    # the slices as a reader counts them: sorted from the feet up by Image Position
    headers = sorted(
        (dcmread(p, stop_before_pixels=True) for p in folder.glob("*.dcm")),
        key=lambda d: float(d.ImagePositionPatient[2]),
    )
    html = _page(tmp_path, [viewer.to_html()])
    with browser_page() as (page, log):
        page.goto(html.as_uri())
        page.wait_for_selector(".bcu-static[data-ready='1']")
        root = "#" + page.eval_on_selector(".bcu-static", "e => e.id")
        for kept in (0, 10, 19):
            set_range(page, f"{root} .bcu-slice", kept)
            source = headers[2 * kept]  # the static copy's slice `kept` is the source's 2 kept
            assert int(source.InstanceNumber) == 40 - 2 * kept  # not the slice number
            readout = page.inner_text(f"{root} .bcu-readout")
            z = float(source.ImagePositionPatient[2])
            expected = f"axial {2 * kept + 1}/40 · Instance {source.InstanceNumber} · z = {z:g} mm"
            assert expected in readout, readout
            assert page.inner_text(f"{root} .bcu-slice + span") == f"{2 * kept + 1}/40"
        page.check(f"{root} .bcu-plane-coronal")  # a reformatted plane has no instances
        readout = page.inner_text(f"{root} .bcu-readout")
        assert "coronal 129/256" in readout and "Instance" not in readout
        page.locator(root).screenshot(path=str(tmp_path / "viewer-numbers.png"))
    assert log.blocked == [] and log.errors == [], log.errors


def test_arrow_keys_move_the_focused_controls_on_a_page(tmp_path, samples_root):
    """Issue 12, item 5, in a static page (the book): Tab to a slider, the arrow keys step it."""
    require_browser()
    viewer = window_level_viewer(samples_root / "head_ct")
    html = _page(tmp_path, [viewer.to_html()])
    with browser_page() as (page, log):
        page.goto(html.as_uri())
        page.wait_for_selector(".bcu-static[data-ready='1']")
        root = "#" + page.eval_on_selector(".bcu-static", "e => e.id")
        assert "axial 21/40" in page.inner_text(f"{root} .bcu-readout")
        page.focus(f"{root} .bcu-slice")
        page.keyboard.press("ArrowRight")
        assert "axial 23/40" in page.inner_text(f"{root} .bcu-readout")  # one kept slice on
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        assert "axial 19/40" in page.inner_text(f"{root} .bcu-readout")
        page.focus(f"{root} .bcu-center")
        page.keyboard.press("ArrowUp")
        assert "C 41.0 " in page.inner_text(f"{root} .bcu-readout")
        page.focus(f"{root} .bcu-width")
        page.keyboard.press("ArrowLeft")
        assert "W 79.0 " in page.inner_text(f"{root} .bcu-readout")
    assert log.blocked == [] and log.errors == [], log.errors


def _shown(page, select: str) -> str:
    """The text of the option a select menu shows."""
    return page.eval_on_selector(select, "s => s.selectedOptions[0].textContent")


def test_preset_menu_shows_the_applied_window(tmp_path, samples_root):
    """Issue 12, item 9: the menu names the window applied, at start, after a slider, after
    a choice; "(custom)" only when no preset has this window (and function)."""
    require_browser()
    viewer = window_level_viewer(samples_root / "head_ct")
    html = _page(tmp_path, [viewer.to_html()])
    with browser_page() as (page, log):
        page.goto(html.as_uri())
        page.wait_for_selector(".bcu-static[data-ready='1']")
        root = "#" + page.eval_on_selector(".bcu-static", "e => e.id")
        menu, function = f"{root} .bcu-preset", f"{root} .bcu-function"
        options = page.eval_on_selector_all(f"{menu} option", "os => os.map(o => o.textContent)")
        assert options[:3] == ["(custom)", "header: BRAIN (40/80)", "header: BONE (600/2800)"]
        assert "brain (40/80)" not in options and "bone (600/2800)" not in options  # merged
        assert _shown(page, menu) == "header: BRAIN (40/80)"  # the opening window
        set_range(page, f"{root} .bcu-center", 300)
        assert _shown(page, menu) == "(custom)"
        page.select_option(menu, label="lung (-600/1500)")
        assert _shown(page, menu) == "lung (-600/1500)"
        assert "C -600" in page.inner_text(f"{root} .bcu-readout")
        page.select_option(function, "SIGMOID")  # a course preset carries no function
        assert _shown(page, menu) == "lung (-600/1500)"
        set_range(page, f"{root} .bcu-center", 600)  # sliders onto a header window...
        set_range(page, f"{root} .bcu-width", 2800)
        assert _shown(page, menu) == "(custom)"  # ... but the header's is LINEAR
        page.select_option(function, "LINEAR")
        assert _shown(page, menu) == "header: BONE (600/2800)"
        page.select_option(function, "SIGMOID")
        page.select_option(menu, label="header: BRAIN (40/80)")  # brings its function back
        assert page.eval_on_selector(function, "s => s.value") == "LINEAR"
        assert _shown(page, menu) == "header: BRAIN (40/80)"
        page.select_option(menu, label="(custom)")  # not a window: the menu stays truthful
        assert _shown(page, menu) == "header: BRAIN (40/80)"
    assert log.blocked == [] and log.errors == [], log.errors


def _deck_notebook(tmp_path):
    """A three-slide notebook whose second slide shows a viewer, executed by a real kernel."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# Window/level", metadata={"slideshow": {"slide_type": "slide"}}
        ),
        nbformat.v4.new_code_cell(
            "import numpy as np\nfrom bootcamp_utils.viewer import window_level_viewer\n"
            "x = np.linspace(-1000, 1000, 128)\n"
            "window_level_viewer(np.add.outer(x, x)[None] + np.zeros((4, 1, 1)), "
            "spacing=(2, 1, 1), center=0, width=400)",
            metadata={"slideshow": {"slide_type": "slide"}},
        ),
        nbformat.v4.new_markdown_cell("## After", metadata={"slideshow": {"slide_type": "slide"}}),
    ]
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    return nb


def _static_only(nb):
    """What a static build keeps: the HTML copy, not the live widget and its saved state."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    return nb


def _viewer_deck(tmp_path) -> Path:
    """A reveal.js deck of ``_deck_notebook`` (its viewer as the static copy), from disk."""
    require_browser()
    reveal, requirejs = node_module("reveal.js"), node_module("requirejs")
    jquery, mathjax = node_module("jquery"), node_module("mathjax")
    from nbconvert import SlidesExporter

    nb = _static_only(_deck_notebook(tmp_path))
    assert "text/html" in nb.cells[1].outputs[0]["data"]
    exporter = SlidesExporter(
        reveal_theme="white",  # the "simple" default loads Google web fonts
        # The course draws no mermaid diagrams: a no-op module instead of the CDN's (a data:
        # URL, since Chromium refuses module imports from file://).
        mermaid_js_url="data:text/javascript,export default {initialize() {}};",
        reveal_url_prefix=reveal.as_uri(),
        require_js_url=(requirejs / "require.js").as_uri(),
        jquery_url=(jquery / "dist" / "jquery.min.js").as_uri(),
        mathjax_url=(mathjax / "MathJax.js").as_uri() + "?config=TeX-AMS_CHTML-full,Safe",
    )
    body, _ = exporter.from_notebook_node(nb)
    deck = tmp_path / "deck.slides.html"
    deck.write_text(body)
    return deck


def test_slide_deck_viewer_responds_offline(tmp_path):
    deck = _viewer_deck(tmp_path)
    with browser_page(1280, 720) as (page, log):
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready")  # reveal.js loaded (through require.js)
        page.keyboard.press("ArrowRight")  # to the viewer's slide, as a lecturer would
        page.wait_for_selector("section.present .bcu-static[data-ready='1']")
        root = "#" + page.eval_on_selector(".bcu-static", "e => e.id")
        assert canvas_changes(page, root, lambda: set_range(page, f"{root} .bcu-width", 1500))
        assert canvas_changes(page, root, lambda: set_range(page, f"{root} .bcu-slice", 0)) is False
        page.wait_for_selector(".reveal:not(.transitioning)")  # slide transition over
        page.wait_for_timeout(800)  # (only so that the screenshot artefact is not mid-slide)
        page.screenshot(path=str(tmp_path / "deck.png"))
    assert log.blocked == [], log.blocked
    assert log.errors == [], log.errors


def test_slide_deck_navigation_keys_win_over_a_focused_viewer(tmp_path):
    """Issue 25, item 7, which changes issue 12's rule in a deck on purpose: a presenter who
    clicked a slider and then presses the clicker's "next" (PageDown; the right arrow on some
    clickers) or Space means the next slide, not the next slice. So in a reveal.js deck
    PageUp, PageDown, Space and the arrows are the deck's whichever control has the focus,
    and leave the control as it was; Home and End on a slider, and typing a value into a
    number box, stay the viewer's. (The test this replaces required the arrows and PageDown
    to step a focused slider in a deck.)"""
    deck = _viewer_deck(tmp_path)

    present = (
        "[...document.querySelectorAll('.reveal .slides > section')]"
        ".findIndex(s => s.classList.contains('present'))"
    )

    def where() -> int:  # the slide shown (reveal.js is loaded by require.js: no global)
        return page.evaluate(present)

    def press(selector: str, key: str, slide: int) -> None:
        """Focus the control, press the key, wait for reveal.js to show ``slide``."""
        page.focus(selector)
        page.keyboard.press(key)
        page.wait_for_function(f"{present} === {slide}")

    with browser_page(1280, 720) as (page, log):
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready")
        page.keyboard.press("ArrowRight")
        page.wait_for_selector("section.present .bcu-static[data-ready='1']")
        root = "#" + page.eval_on_selector(".bcu-static", "e => e.id")
        readout = f"{root} .bcu-readout"
        assert where() == 1 and "axial 3/4" in page.inner_text(readout)
        page.focus(f"{root} .bcu-slice")
        page.keyboard.press("End")  # the slider's
        assert "axial 4/4" in page.inner_text(readout) and where() == 1
        page.keyboard.press("Home")
        assert "axial 1/4" in page.inner_text(readout) and where() == 1
        for selector, key in (
            (f"{root} .bcu-slice", "PageDown"),  # a clicker's "next"
            (f"{root} .bcu-center", "Space"),
            (f"{root} .bcu-function", "PageDown"),  # a menu, too
            (f"{root} .bcu-slice", "ArrowRight"),
        ):
            press(selector, key, 2)
            assert "axial 1/4" in page.inner_text(readout), key  # the control stayed
            assert "C 0 " in page.inner_text(readout), key
            assert page.eval_on_selector(f"{root} .bcu-function", "s => s.value") == "LINEAR"
            page.keyboard.press("PageUp")  # the focus left the control: the deck's key
            page.wait_for_function(f"{present} === 1")
        press(f"{root} .bcu-width", "ArrowLeft", 0)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"{present} === 1")
        page.fill(f"{root} .bcu-center-value", "40")  # a value typed in: the slide stays
        assert "C 40.0 " in page.inner_text(readout) and where() == 1
        page.screenshot(path=str(tmp_path / "deck-keys.png"))
    assert log.blocked == [] and log.errors == [], log.errors


def test_window_has_fine_steps(tmp_path, samples_root):
    """Issue 25, item 9: the center slider spans the whole range, several HU per pixel; a
    number box takes a typed value and steps it by 1 HU with the arrow keys, and dragging
    the slider with Shift held moves it 1 HU per pixel. In a static page and a live kernel
    alike (the same viewer.js)."""
    require_browser()
    viewer = window_level_viewer(samples_root / "head_ct")
    html = _page(tmp_path, [viewer.to_html()])
    with browser_page() as (page, log):
        page.goto(html.as_uri())
        page.wait_for_selector(".bcu-static[data-ready='1']")
        root = "#" + page.eval_on_selector(".bcu-static", "e => e.id")
        readout, box = f"{root} .bcu-readout", f"{root} .bcu-center-value"
        assert "C 40.0 " in page.inner_text(readout)
        slider = page.locator(f"{root} .bcu-center").bounding_box()
        span = page.eval_on_selector(f"{root} .bcu-center", "e => e.max - e.min")
        assert span / slider["width"] > 4  # what a plain drag moves per pixel, in HU
        y = slider["y"] + slider["height"] / 2
        page.keyboard.down("Shift")
        page.mouse.move(slider["x"] + 20, y)
        page.mouse.down()
        page.mouse.move(slider["x"] + 50, y, steps=5)  # 30 px to the right
        page.mouse.up()
        page.keyboard.up("Shift")
        assert "C 70.0 " in page.inner_text(readout), page.inner_text(readout)
        assert page.input_value(box) == "70"
        page.fill(box, "-35")
        assert "C -35.0 " in page.inner_text(readout)
        page.keyboard.press("ArrowUp")
        assert "C -34.0 " in page.inner_text(readout)
        assert page.eval_on_selector(f"{root} .bcu-center", "e => +e.value") == -34
        page.fill(f"{root} .bcu-width-value", "7")
        assert "W 7.0 " in page.inner_text(readout)
        page.locator(root).screenshot(path=str(tmp_path / "viewer-fine.png"))
    assert log.blocked == [] and log.errors == [], log.errors


@pytest.mark.parametrize("size", [512])
def test_full_size_image_draws(tmp_path, size):
    """A 512 x 512 slice (the budget's size) renders and responds."""
    require_browser()
    x = np.linspace(-1000, 1000, size)
    viewer = window_level_viewer(np.add.outer(x, x)[None], spacing=(0.5, 0.5))
    html = _page(tmp_path, [viewer.to_html()])
    with browser_page() as (page, log):
        page.goto(html.as_uri())
        page.wait_for_selector(".bcu-static[data-ready='1']")
        root = "#" + page.eval_on_selector(".bcu-static", "e => e.id")
        assert canvas_changes(page, root, lambda: set_range(page, f"{root} .bcu-center", 500))
        assert page.evaluate(f"document.querySelector('{root}').bcuBenchmark(20)") > 0
    assert log.blocked == [] and log.errors == []


def _expected_greys(values, shown) -> np.ndarray:
    """What the JavaScript must draw: Math.round(y * 255) = floor(y * 255 + 0.5)."""
    return np.floor(np.asarray(shown) * 255 + 0.5).astype(int).ravel()


def test_javascript_grey_levels_equal_display_values(tmp_path, samples_root):
    """The browser draws the grey levels of windowing.display_values: the VOI LUT Sequence,
    each VOI LUT Function, and MONOCHROME1 inversion (the chest radiograph)."""
    require_browser()
    from pydicom import dcmread

    from bootcamp_utils.windowing import display_values, real_world_values

    ds = dcmread(samples_root / "chest_dx" / "DX0001.dcm")
    viewer = window_level_viewer(ds)
    assert viewer.static_state()["_meta"]["shape"] == [1, 512, 512]  # every pixel, no pooling
    values = real_world_values(ds)
    center, width = viewer.center, viewer.width  # the header's first window, 2100/3400
    html = _page(tmp_path, [viewer.to_html()])
    with browser_page() as (page, log):
        page.goto(html.as_uri())
        page.wait_for_selector(".bcu-static[data-ready='1']")
        root = "#" + page.eval_on_selector(".bcu-static", "e => e.id")

        def greys():
            return np.array(page.evaluate(f"document.querySelector('{root}').bcuGreys()"))

        shown = greys()  # opens on the header's VOI LUT Sequence, inverted (MONOCHROME1)
        np.testing.assert_array_equal(shown, _expected_greys(values, display_values(ds)))
        assert _shown(page, f"{root} .bcu-preset") == "VOI LUT (header)"
        assert shown.reshape(512, 512)[256, 250:262].mean() > 200  # the spine is white
        assert "VOI LUT" in page.inner_text(f"{root} .bcu-readout")
        for function in ("SIGMOID", "LINEAR_EXACT", "LINEAR"):
            page.select_option(f"{root} .bcu-function", function)
            expected = _expected_greys(values, display_values(ds, center, width, function=function))
            diff = greys() - expected
            if function == "SIGMOID":  # Math.exp and numpy's exp may differ in the last bit
                assert np.abs(diff).max() <= 1 and np.count_nonzero(diff) < 50, function
            else:
                assert not diff.any(), (function, np.count_nonzero(diff))
            assert function in page.inner_text(f"{root} .bcu-readout")
            # the header's first window 2100/3400 is listed with the header's function
            expected_option = "header: FULL (2100/3400 SIGMOID)" if function == "SIGMOID" else ""
            assert _shown(page, f"{root} .bcu-preset") == (expected_option or "(custom)")
        set_range(page, f"{root} .bcu-width", 500)
        np.testing.assert_array_equal(
            greys(), _expected_greys(values, display_values(ds, center, 500, function="LINEAR"))
        )
        page.select_option(f"{root} .bcu-preset", label="VOI LUT (header)")
        np.testing.assert_array_equal(greys(), _expected_greys(values, display_values(ds)))
        assert "VOI LUT" in page.inner_text(f"{root} .bcu-readout")
        assert _shown(page, f"{root} .bcu-preset") == "VOI LUT (header)"
    assert log.blocked == [] and log.errors == [], log.errors
