"""The lecture decks (slides/build.py), built once per session and checked in a real browser.

``python slides/build.py --out DIR --pdf`` runs once, into a temporary folder; every deck is then
opened from disk in headless Chromium, in a 1280 x 720 window (a projector's), with all
non-local requests aborted. Slide sizes are compared in reveal.js's own coordinates: a slide's
layout box (before reveal.js scales the whole deck to the window) must fit the configured width
x height; font sizes are measured on the screen, as computed size x reveal.js's scale.
Screenshots of every slide (``test-artifacts/slides/NN_name/NN.png``), of each title slide and
of the viewer's slide go to ``test-artifacts/slides/``.
"""

from __future__ import annotations

import functools
import html
import http.server
import importlib.util
import re
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from .browser import browser_page, canvas_changes, node_module, require_browser, set_range
from .conftest import REPO
from .notebook_harness import snapshot_changes, tree_snapshot
from .notebook_structure import shown_for_the_teacher

BUILD = REPO / "slides" / "build.py"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ARTIFACTS = REPO / "test-artifacts" / "slides"


def _where_a_build_could_write() -> dict[str, tuple[int, int]]:
    """Files under slides/, notebooks/ and data/, and the names at the top of the checkout.

    (Not the whole checkout: other people's edits during the build must not fail the test.)
    """
    # a new name shows, not an edit; test-artifacts/ is the tests' own output (gitignored),
    # which other tests running in the other xdist worker may create meanwhile
    snapshot = {p.name: (0, 0) for p in REPO.iterdir() if p.name != "test-artifacts"}
    for folder in ("slides", "notebooks", "data"):
        snapshot.update({f"{folder}/{k}": v for k, v in tree_snapshot(REPO / folder).items()})
    return snapshot


pytestmark = pytest.mark.external


def _build_module():
    """slides/build.py as a module (slides/ is not a package)."""
    spec = importlib.util.spec_from_file_location("slides_build", BUILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> tuple[Path, list[str]]:
    """The build folder of one ``build.py --pdf`` run, and what it changed in the checkout."""
    require_browser()
    for package in ("reveal.js", "requirejs", "jquery", "mathjax"):
        node_module(package)
    out = tmp_path_factory.mktemp("slides")
    before = _where_a_build_could_write()
    run = subprocess.run(
        [sys.executable, str(BUILD), "--out", str(out), "--pdf"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if run.returncode:
        pytest.fail(f"build.py failed:\n{run.stdout}\n{run.stderr}")
    return out, snapshot_changes(before, _where_a_build_could_write())


def _slide_types(nb: nbformat.NotebookNode) -> list[str]:
    return [c.metadata.get("slideshow", {}).get("slide_type", "-") for c in nb.cells]


def expected_slides(nb: nbformat.NotebookNode) -> tuple[int, int]:
    """(horizontal slides, all slides) as the cells' slide types ask for.

    The first shown cell opens a slide; after it each ``slide`` cell opens a horizontal slide
    and each ``subslide`` cell a vertical one; ``skip`` and ``notes`` cells open nothing.
    """
    shown = [t for t in _slide_types(nb) if t not in ("skip", "notes")]
    return 1 + shown[1:].count("slide"), 1 + shown[1:].count("slide") + shown[1:].count("subslide")


def _deck(out: Path, nb_path: Path) -> Path:
    return out / f"{nb_path.stem}.slides.html"


# --- what the build wrote -------------------------------------------------------------------


def test_build_writes_only_its_output(built):
    assert built[1] == [], "build.py wrote into the checkout:\n" + "\n".join(built[1])


def test_index_lists_every_deck(built):
    out = built[0]
    index = (out / "index.html").read_text()
    for nb_path in NOTEBOOKS:
        assert _deck(out, nb_path).is_file()
        assert f'href="{nb_path.stem}.slides.html"' in index
        assert f'href="{nb_path.stem}.pdf"' in index


class _Resources(HTMLParser):
    """Every URL a page loads by itself (scripts, style sheets, images, frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.urls.append(attrs["src"])


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_deck_loads_only_files_beside_it(built, nb_path):
    out = built[0]
    parser = _Resources()
    parser.feed(_deck(out, nb_path).read_text())
    urls = [u for u in parser.urls if not u.startswith("data:")]
    assert urls, "the deck loads nothing?"
    outside = [u for u in urls if re.match(r"^[a-z]+:|^/|\.\.", u)]
    assert outside == [], f"not a relative path inside the build folder: {outside}"
    missing = [u for u in urls if not (out / u.split("?")[0]).is_file()]
    assert missing == [], f"not copied into the build folder: {missing}"


def starter_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The sources of the exercises' starter cells (code tagged ``remove-output``)."""
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "remove-output" in c.metadata.get("tags", [])
    ]


def no_verdicts(deck: str, nb: nbformat.NotebookNode) -> list[str]:
    """What is wrong with a deck's exercises: a starter's verdict or hint shown, a starter's
    code missing (each exercise id must still be there)."""
    problems = [f"{word!r} shown" for word in ("Not yet", "Hint:") if word in deck]
    text = html.unescape(re.sub(r"<[^>]+>", "", deck))  # code as shown, highlighting gone
    for source in starter_cells(nb):
        for call in re.findall(r"^check\(.*\)$", source, re.MULTILINE):
            if call not in text:
                problems.append(f"the starter ending {call} is missing")
    return problems


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exercises_show_their_starter_code_without_a_verdict(built, nb_path):
    """Issue 25, item 6: the 32 starters showed "✘ Not yet", 5 a hint as well."""
    nb = nbformat.read(nb_path, as_version=4)
    assert starter_cells(nb), f"{nb_path.name} has no exercise?"
    assert all("check(" in source for source in starter_cells(nb))
    assert no_verdicts(_deck(built[0], nb_path).read_text(), nb) == []


def _shown_on_slides(deck: str) -> str:
    """A deck's text as the audience sees it: no scripts or styles, no speaker notes (the
    speaker view's <aside class="notes">, where the teaching notes belong), no closed
    solution."""
    deck = re.sub(r"<(script|style)\b.*?</\1>", "", deck, flags=re.S)
    deck = re.sub(r'<aside class="notes">.*?</aside>', "", deck, flags=re.S)
    deck = re.sub(r'<details class="solution">.*?</details>', "", deck, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", deck)).split())


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_teaching_note_or_solution_on_a_slide(built, nb_path):
    """The instructor edition shows teaching notes and solutions (book/instructor.py); a
    deck keeps the notes in the speaker view and shows no solution code (issue 27.1)."""
    deck = _deck(built[0], nb_path).read_text()
    nb = nbformat.read(nb_path, as_version=4)
    assert shown_for_the_teacher(nb, _shown_on_slides(deck)) == []
    assert deck.count('<aside class="notes">') == _slide_types(nb).count("notes")
    # the same check, on a slide that shows a note's text: it is found
    note = next(c.source for c in nb.cells if 'class="teacher-note"' in c.source)
    assert shown_for_the_teacher(nb, _shown_on_slides(f"<section><p>{note}</p></section>"))


def _pdf_pages(pdf: Path) -> int:
    """Pages of a PDF as Chromium writes it: page objects in plain text, no object streams."""
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and b"/ObjStm" not in data
    return len(re.findall(rb"/Type\s*/Page\b", data))


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_pdf_handout_has_one_page_per_slide(built, nb_path):
    _, total = expected_slides(nbformat.read(nb_path, as_version=4))
    assert _pdf_pages(built[0] / f"{nb_path.stem}.pdf") == total


#: In the print view (one .pdf-page per slide): how far down each page its content reaches,
#: as a fraction of the page's height, with the slide's heading.
_PAGE_EXTENTS = """() => [...document.querySelectorAll('.pdf-page')].map(page => {
  const top = page.getBoundingClientRect().top, height = page.getBoundingClientRect().height;
  let bottom = top;
  for (const e of page.querySelectorAll('section *')) {
    if (e.closest('aside.notes')) continue;
    const box = e.getBoundingClientRect();
    const leaf = e.children.length === 0 || ['IMG', 'PRE'].includes(e.tagName);
    if (box.width > 0 && box.height > 0 && leaf)
      bottom = Math.max(bottom, box.bottom);
  }
  const heading = page.querySelector('section h1, section h2, section h3');
  return [(bottom - top) / height, heading ? heading.textContent.replace('\u00b6', '').trim() : ''];
})"""


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_handout_pages_are_not_mostly_blank(built, browser, nb_path):
    """Issue 25, item 9: 16 of 217 handout pages held a heading and a line or two at the top
    (section openers): an opener now shares its slide with the code it introduces. Exempt:
    the title page and exercise slides (a question and its starter code, short by design)."""
    page, log = browser
    page.goto(_deck(built[0], nb_path).as_uri() + "?print-pdf")
    page.wait_for_selector(".pdf-page")
    page.wait_for_function(_READY)
    extents = page.evaluate(_PAGE_EXTENTS)
    _, total = expected_slides(nbformat.read(nb_path, as_version=4))
    assert len(extents) == total
    blank = [
        f"page {number} ({heading!r}): content ends at {fraction:.0%} of the page"
        for number, (fraction, heading) in enumerate(extents, start=1)
        if number > 1 and not heading.startswith("Exercise") and fraction < 0.3
    ]
    assert blank == [], "mostly blank handout pages:\n" + "\n".join(blank)
    page.goto("about:blank")  # the next test opens its deck afresh


def test_reuse_takes_the_executed_copy_while_sources_match(built, tmp_path):
    build, nb_path = _build_module(), NOTEBOOKS[0]
    executed = built[0] / "executed" / nb_path.name
    reused = build.reusable(executed, nb_path)
    assert reused is not None and any(c.get("outputs") for c in reused.cells)
    assert _slide_types(reused) == _slide_types(nbformat.read(nb_path, as_version=4))
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[-1].source += "\n"
    nbformat.write(nb, tmp_path / nb_path.name)
    assert build.reusable(executed, tmp_path / nb_path.name) is None


def _md(source: str, slide_type: str = "-") -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source, metadata={"slideshow": {"slide_type": slide_type}})


def _code(source: str, slide_type: str = "-", lines: int = 0) -> nbformat.NotebookNode:
    """A code cell that printed ``lines`` numbered lines."""
    cell = nbformat.v4.new_code_cell(source, metadata={"slideshow": {"slide_type": slide_type}})
    if lines:
        text = "".join(f"line {n}\n" for n in range(1, lines + 1))
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return cell


def test_long_outputs_are_cut_with_a_line_saying_how_much_is_left():
    build = _build_module()
    limit = build.MAX_OUTPUT_LINES
    nb = nbformat.v4.new_notebook()
    nb.cells = [_code("long", lines=limit + 17), _code("short", lines=limit)]
    figure = nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBORw0K", "text/plain": "F"}
    )
    nb.cells[0].outputs.append(figure)
    wide = "x" * (3 * build.LINE_CHARS)  # wraps to three lines on a slide
    nb.cells.append(_code("wide"))
    nb.cells[2].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"{wide}\n" * limit)
    ]
    nb.cells.append(_code("skipped", "skip", lines=limit + 17))
    clipped = build.clip_long_outputs(nbformat.from_dict(nb)).cells
    shown, rest = clipped[0].outputs[0].text.splitlines(), clipped[0].outputs[1:]
    assert shown == [f"line {n}" for n in range(1, limit)]  # the last line says what is left
    assert rest[0] == figure  # figures stay
    assert rest[1].data == {
        "text/html": '<p class="course-more">\u2026 18 more lines in the notebook</p>'
    }
    assert clipped[1] == nb.cells[1] and clipped[3] == nb.cells[3]  # short; not on a slide
    assert len(clipped[2].outputs[0].text.splitlines()) == (limit - 1) // 3
    assert "more lines in the notebook" in clipped[2].outputs[-1].data["text/html"]


def test_a_deck_hide_input_cell_shows_only_its_figure():
    build = _build_module()
    nb = nbformat.v4.new_notebook()
    nb.cells = [_code("plot_code_xyz()", "subslide"), _code("kept_code_xyz()", "subslide")]
    nb.cells[0].metadata["tags"] = [build.DECK_HIDE_INPUT]
    for cell in nb.cells:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="shown_xyz\n")]
    html = build.export_deck(nbformat.from_dict(nb), "t")
    assert "kept_code_xyz" in html and "plot_code_xyz" not in html
    assert html.count("shown_xyz") == 2  # both outputs stay


def _starter(exercise: str) -> nbformat.NotebookNode:
    """An exercise's starter cell as a notebook has it after Run All: what it printed for the
    student to look at, then the check's verdict."""
    from bootcamp_utils.checks._registry import Feedback

    verdict = Feedback(exercise, False, "not the size in bytes", "count the preamble too")
    cell = _code(f'print(data)\nanswer = None\ncheck("{exercise}", answer)', "fragment")
    cell.metadata["tags"] = ["remove-output"]
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="candidate_xyz\n"),
        nbformat.v4.new_output(
            "execute_result",
            data={"text/html": verdict._repr_html_(), "text/plain": str(verdict)},
            execution_count=3,
        ),
    ]
    return cell


def test_an_exercise_slide_shows_the_starter_code_but_no_verdict_nor_hint():
    """Issue 25, item 6: a starter's "✘ Not yet" and its hint stay out of the deck (the hint
    can give the answer away); its code and what it prints stay, and other cells' outputs."""
    build = _build_module()
    nb = nbformat.v4.new_notebook()
    nb.cells = [_md("### Exercise: size", "subslide"), _starter("99-size"), _code("x", lines=1)]
    html = build.export_deck(nbformat.from_dict(nb), "t")
    assert 'check</span><span class="p">(</span><span class="s2">"99-size"' in html
    assert "Not yet" not in html and "preamble" not in html and "Hint" not in html
    assert "candidate_xyz" in html  # what the starter prints for the question stays
    assert "line 1" in html  # an untagged cell keeps its output


def test_consecutive_prints_show_as_one_block():
    build = _build_module()
    nb = nbformat.v4.new_notebook()
    nb.cells = [_code("prints", lines=2)]
    nb.cells[0].outputs += [
        nbformat.v4.new_output("stream", name="stdout", text="line 3\n"),
        nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
    ]
    outputs = build.clip_long_outputs(nbformat.from_dict(nb)).cells[0].outputs
    assert [(o.name, o.text) for o in outputs] == [
        ("stdout", "line 1\nline 2\nline 3\n"),
        ("stderr", "warning\n"),
    ]


def test_a_slide_without_a_heading_gets_its_sections_as_context_line():
    build = _build_module()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("# 01 · Title", "slide"),
        _code("setup()", "subslide"),  # no heading yet but the title's
        _md("## 2. The `file`\nText.", "slide"),
        _md("Notes.", "notes"),
        _code("x = 1", "subslide"),
        _code("y = 2", "fragment"),
        _md("### Exercise: one", "subslide"),
        _code("answer = 1", "subslide"),
    ]
    cells = build.add_context_lines(nbformat.from_dict(nb)).cells
    kinds = [(c.cell_type, c.metadata["slideshow"]["slide_type"], c.source) for c in cells]
    context = '<p class="course-context">{}</p>'
    assert kinds == [
        ("markdown", "slide", "# 01 · Title"),
        ("markdown", "subslide", context.format("01 · Title")),
        ("code", "-", "setup()"),
        ("markdown", "slide", "## 2. The `file`\nText."),
        ("markdown", "notes", "Notes."),
        ("markdown", "subslide", context.format("2. The <code>file</code>")),
        ("code", "-", "x = 1"),
        ("code", "fragment", "y = 2"),
        ("markdown", "subslide", "### Exercise: one"),
        ("markdown", "subslide", context.format("2. The <code>file</code>")),
        ("code", "-", "answer = 1"),
    ]
    assert expected_slides(nbformat.from_dict({**nb, "cells": cells})) == expected_slides(nb)


def test_teacher_notes_are_opened_for_the_speaker_view():
    build = _build_module()
    wrapped = (
        '<details class="teacher-note"><summary>For the teacher</summary>\n\n'
        "**Teaching note.** Ask the room.\n\n</details>"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [_md(wrapped, "notes"), _md(wrapped, "slide")]  # a slide keeps what it has
    cells = build.open_teacher_notes(nbformat.from_dict(nb)).cells
    assert cells[0].source == "**Teaching note.** Ask the room.\n"
    assert cells[1].source == wrapped


def test_a_raising_notebook_fails_the_build(tmp_path):
    """No deck with a traceback in it: the build stops and names the cell."""
    build = _build_module()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("1 / 0"),
        nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
    ]
    path = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(build.BuildError, match=r"cell 1 \('1 / 0'\): ZeroDivisionError") as error:
        build.execute(path, tmp_path)
    assert "cell 2" not in str(error.value)


def test_a_raises_exception_cell_that_does_not_raise_fails_the_build(tmp_path):
    """The slide build judges cells as the notebook tests do (tests/notebook_harness.py)."""
    build = _build_module()
    fixture = REPO / "tests" / "fixtures" / "notebooks" / "tagged_no_error.ipynb"
    with pytest.raises(
        build.BuildError,
        match=r"cell 0 \('x = 1'\): tagged "
        r"'raises-exception' but raised no exception",
    ):
        build.execute(fixture, tmp_path)
    # the same judge: a cell tagged raises-exception that does raise passes
    ok = build.execute(REPO / "tests" / "fixtures" / "notebooks" / "tagged_error.ipynb", tmp_path)
    assert ok.cells[0].outputs[0].ename == "ZeroDivisionError"


# --- in the browser -------------------------------------------------------------------------

#: Typesetting finished, then every web font the shown slide's text needs has loaded: each
#: element's text is asked for in its own font list (``document.fonts.load``), which starts
#: the loads layout has not asked for yet. (Runs under load caught lesson 01's formula in the
#: fallback font, before MathJax_Main came, after waiting for ``document.fonts.ready`` alone.)
_READY = """new Promise(done => MathJax.Hub.Queue(() => {
  const shown = document.querySelectorAll('.reveal .slides section.present *');
  const loads = [...shown].filter(e => e.textContent.trim()).map(e => {
    const style = getComputedStyle(e);
    return document.fonts.load(`${style.fontSize} ${style.fontFamily}`, e.textContent.trim());
  });
  Promise.all(loads).then(() => document.fonts.ready).then(() => done(true), () => done(true));
}))"""
_INDICES = "[Reveal.getIndices().h, Reveal.getIndices().v, Reveal.getIndices().f ?? -1]"
# From the first slide to the end with Reveal.next() (what Space does): the slides visited in
# order, and those whose layout box (slide pixels) is larger than the configured slide size
# or that hold an element scrolling sideways (a line cut off).
_STEP_THROUGH = """() => {
  const {width, height} = Reveal.getConfig();
  const visited = [], overflowing = [];
  Reveal.slide(0, 0, -1);
  for (let n = 0; n < 5000; n++) {
    const {h, v} = Reveal.getIndices(), last = visited[visited.length - 1];
    if (!last || last[0] !== h || last[1] !== v) {
      visited.push([h, v]);
      const s = Reveal.getCurrentSlide();
      const cut = [...s.querySelectorAll('*')].filter(e => e.clientWidth > 0
          && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible');
      if (s.scrollHeight > height || s.scrollWidth > width || cut.length) {
        const text = s.textContent.trim().replace(/\\s+/g, ' ').slice(0, 50);
        overflowing.push(`slide ${h}/${v} (${text}): ${s.scrollWidth} x ${s.scrollHeight}`
                         + ` for ${width} x ${height}, ${cut.length} element(s) cut`);
      }
    }
    if (Reveal.isLastSlide() && !Reveal.availableFragments().next) break;
    const before = JSON.stringify(Reveal.getIndices());
    Reveal.next();
    if (JSON.stringify(Reveal.getIndices()) === before) {
      overflowing.push(`stuck at ${before}`);
      break;
    }
  }
  return {visited, overflowing};
}"""


@pytest.fixture(scope="module")
def browser():
    """(page, log): one headless Chromium for the module's tests (see tests/browser.py)."""
    with browser_page(1280, 720) as (page, log):
        yield page, log


def _open(page, log, url: str) -> None:
    """Open a deck (unless it is open already) and wait for reveal.js and MathJax."""
    if page.url.split("#")[0] != url:  # (reveal.js keeps the slide in the hash)
        log.blocked.clear(), log.failed.clear(), log.errors.clear()
        page.goto(url)
        page.wait_for_selector(".reveal.ready")  # reveal.js loaded (through require.js)
        page.wait_for_function(_READY)


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def deck_page(request, built, browser):
    """(notebook, page, log): the notebook's deck open in headless Chromium, from disk."""
    page, log = browser
    _open(page, log, _deck(built[0], request.param).as_uri())
    return request.param, page, log


def test_deck_in_browser(deck_page):
    """Loads offline and cleanly, has the slides the metadata asks for, none overflowing."""
    nb_path, page, log = deck_page
    nb = nbformat.read(nb_path, as_version=4)
    horizontal, total = expected_slides(nb)
    assert page.evaluate("Reveal.getHorizontalSlides().length") == horizontal
    assert page.evaluate("Reveal.getTotalSlides()") == total
    assert page.evaluate("Reveal.hasPlugin('notes')")  # S opens the speaker view
    assert page.locator("aside.notes").count() == _slide_types(nb).count("notes")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # (only so that the artefact is not mid-fade)
    page.screenshot(path=str(ARTIFACTS / f"{nb_path.stem}-title.png"))
    steps = page.evaluate(_STEP_THROUGH)
    visited = [tuple(hv) for hv in steps["visited"]]
    assert len(visited) == total and len(set(visited)) == total, visited
    assert visited[0] == (0, 0) and visited == sorted(visited)
    assert steps["overflowing"] == [], "slides too large:\n" + "\n".join(steps["overflowing"])
    assert log.blocked == [] and log.failed == [] and log.errors == [], log


#: The smallest text on a slide, in screen pixels at 1280 x 720 (issue 12: legible from the
#: back of a lecture room).
MIN_FONT_PX = 18
#: Slide pixels under the content that stay free for the slide number (bottom left, 18 px
#: above the slide's bottom edge). The deck's script fits each slide to 24 px: a browser whose
#: text comes out a few pixels larger still passes (issue 25, item 4).
NUMBER_CLEARANCE = 18
# The current slide with all its fragments shown, as the screen shows it: the smallest text
# (computed font size x reveal.js's scale; typeset mathematics counted at its own size, not
# its sub- and superscripts), the first heading or context line, the layout box, and where
# the content and the slide number are on the screen.
_LOOK_AT_SLIDE = """() => {
  while (Reveal.nextFragment()) {}
  const s = Reveal.getCurrentSlide(), scale = Reveal.getScale();
  const seen = e => e.checkVisibility({opacityProperty: true, visibilityProperty: true});
  let smallest = null;
  const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    let e = n.parentElement;
    e = e.closest('.MathJax_CHTML') || e;
    if (!n.textContent.trim() || e.closest('script, style, aside.notes') || !seen(e)) continue;
    const px = parseFloat(getComputedStyle(e).fontSize) * scale;
    if (!smallest || px < smallest.px) smallest = {px, text: n.textContent.trim().slice(0, 40)};
  }
  const title = [...s.querySelectorAll('h1, h2, h3, .course-context')].find(seen);
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  const parts = [...s.children].filter(e => e.tagName !== 'ASIDE' && seen(e)).map(box);
  const content = parts.reduce((a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]),
                                          Math.max(a[2], b[2]), Math.max(a[3], b[3])]);
  return {smallest, title: title ? title.textContent.trim() : null, content,
          number: box(document.querySelector('.reveal .slide-number')),
          size: [s.scrollWidth, s.scrollHeight], config: [Reveal.getConfig().width,
                                                          Reveal.getConfig().height],
          overfull: s.hasAttribute('data-course-overfull')};
}"""


def _system_fonts(cdp) -> dict[str, str]:
    """Fonts of this machine (not the deck's own web fonts) that drew text on the current
    slide, each with a sample of it, as Chromium's DevTools report them."""
    from playwright.sync_api import Error as PlaywrightError

    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    nodes = cdp.send(
        "DOM.querySelectorAll",
        {"nodeId": root, "selector": ".reveal .slides section.present:not(.stack) *"},
    )["nodeIds"]
    found = {}
    for node in nodes:
        try:
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        except PlaywrightError as error:  # gone since (MathJax re-renders a shown slide)
            if "Could not find node" in str(error):
                continue
            raise
        for font in fonts:
            if not font["isCustomFont"] and font["familyName"] not in found:
                html = cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"]
                found[font["familyName"]] = re.sub(r"<[^>]+>", "", html).strip()[:40]
    return found


def _fonts_once_loaded(page, cdp, attempts: int = 5) -> dict[str, str]:
    """:func:`_system_fonts` of the shown slide once its web fonts have loaded. A font that a
    slide needs and the deck lacks stays; one still on its way is looked at again (a loaded
    machine drew MathJax's text in the fallback for a moment after every wait said ready)."""
    for _ in range(attempts - 1):
        page.wait_for_function(_READY)
        found = _system_fonts(cdp)
        if not found:
            return found
        page.wait_for_timeout(1000)
    page.wait_for_function(_READY)
    return _system_fonts(cdp)


def test_every_slide_is_legible_at_1280x720(deck_page):
    """Every slide, all fragments shown: no text under 18 px on the screen, a heading or a
    context line, nothing outside the slide box or under the slide number (with a margin:
    the content ends 18 px above the slide's bottom edge). A screenshot of each.
    """
    nb_path, page, log = deck_page
    shots = ARTIFACTS / nb_path.stem
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
    slides = page.evaluate(
        "Reveal.getSlides().map(s => { const i = Reveal.getIndices(s); return [i.h, i.v]; })"
    )
    problems, smallest = [], []
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    for n, (h, v) in enumerate(slides):
        page.evaluate(f"Reveal.slide({h}, {v}, -1); while (Reveal.nextFragment()) {{}}")
        # The deck brings its fonts (course.css): with the system's, a slide that fitted
        # on one machine ran over on another (issue 25, item 4). Measured once they are in.
        for family, text in _fonts_once_loaded(page, cdp).items():
            problems.append(f"slide {n + 1}: {text!r} drawn in {family}, a font of this machine")
        seen = page.evaluate(_LOOK_AT_SLIDE)
        page.screenshot(path=str(shots / f"{n + 1:02d}.png"))
        where = f"slide {n + 1} ({h}/{v}, {seen['title']!r})"
        smallest.append(seen["smallest"]["px"])
        if seen["smallest"]["px"] < MIN_FONT_PX:
            problems.append(
                f"{where}: {seen['smallest']['text']!r} at {seen['smallest']['px']:.1f} px"
            )
        if not seen["title"]:
            problems.append(f"{where}: no heading and no context line")
        (width, height), (max_width, max_height) = seen["size"], seen["config"]
        if width > max_width or height > max_height - NUMBER_CLEARANCE:
            problems.append(
                f"{where}: {width} x {height} for a {max_width} x {max_height} slide, "
                f"{NUMBER_CLEARANCE} px of it kept for the slide number"
            )
        if seen["overfull"]:
            problems.append(f"{where}: too much even at the smallest size: start a subslide")
        left, top, right, bottom = seen["content"]
        n_left, n_top, n_right, n_bottom = seen["number"]
        if not (right <= n_left or n_right <= left or bottom <= n_top or n_bottom <= top):
            problems.append(f"{where}: content {seen['content']} under the slide number")
    cdp.detach()
    assert problems == [], "\n".join(problems)
    assert len(smallest) == page.evaluate("Reveal.getTotalSlides()")
    assert log.blocked == [] and log.failed == [] and log.errors == [], log


def test_title_slide_names_course_lesson_and_address(deck_page):
    """The first slide says which course, which lesson, and where the notebooks and book are
    (the address from bootcamp_utils.course, the course's name from the book's title)."""
    from bootcamp_utils.course import repository_url

    nb_path, page, log = deck_page
    page.evaluate("Reveal.slide(0, 0, -1)")
    text = " ".join(page.inner_text(".reveal section.present").split())
    lesson = _build_module().title_of(nbformat.read(nb_path, as_version=4), "")
    assert lesson and lesson in text
    assert "DICOM in Python" in text.replace(lesson, "")  # the course, apart from the lesson
    url = repository_url()
    assert url.split("://")[1] in text
    assert page.locator(f'.reveal section.present a[href="{url}"]').is_visible()


def expected_walk(nb: nbformat.NotebookNode) -> list[tuple[int, int, int]]:
    """Every stop of the deck in order, as ``(h, v, f)``, as the cells' slide types ask for.

    A ``slide`` or ``subslide`` cell opens a slide with no fragment shown (``f == -1``); each
    ``fragment`` cell after it is one more stop on that slide (``f`` = 0, 1, ...).
    """
    h, v, f = 0, 0, -1
    walk = [(h, v, f)]
    for kind in [t for t in _slide_types(nb) if t not in ("skip", "notes")][1:]:
        if kind in ("slide", "subslide"):
            h, v, f = (h + 1, 0, -1) if kind == "slide" else (h, v + 1, -1)
        elif kind == "fragment":
            f += 1
        else:
            continue
        walk.append((h, v, f))
    return walk


# Where the deck is: (h, v, f) and how many fragments of the current slide are shown.
_AT = _INDICES[:-1] + ", Reveal.getCurrentSlide().querySelectorAll('.fragment.visible').length]"


def _press(page, key: str, times: int) -> list[tuple[int, int, int]]:
    """Press ``key`` ``times`` times; where the deck is after each press.

    Also checks that the fragments shown are those up to ``f`` (none when ``f`` is -1).
    """
    stops = []
    for _ in range(times):
        page.keyboard.press(key)
        h, v, f, shown = page.evaluate(_AT)
        assert shown == f + 1, f"{key} at {(h, v, f)}: {shown} fragment(s) shown"
        stops.append((h, v, f))
    return stops


def test_keys_walk_every_slide_and_fragment_in_order(deck_page):
    """A clicker's "next" (the right arrow, PageDown) and Space reach every slide and subslide,
    in document order, one fragment at a time; the left arrow walks the same way back.

    (reveal.js's default navigation sends the right arrow past the subslides below a slide.)
    """
    nb_path, page, log = deck_page
    nb = nbformat.read(nb_path, as_version=4)
    walk = expected_walk(nb)
    total = page.evaluate("Reveal.getTotalSlides()")
    assert len({(h, v) for h, v, _ in walk}) == total == expected_slides(nb)[1]
    page.evaluate("document.activeElement?.blur()")  # (keys typed into a form field don't move)
    for key in ("ArrowRight", "PageDown", "Space"):
        page.evaluate("Reveal.slide(0, 0, -1)")
        # one press more than there are stops: the last one stays on the last slide
        assert _press(page, key, len(walk)) == walk[1:] + walk[-1:], key
    assert _press(page, "ArrowLeft", len(walk) - 1) == walk[-2::-1]
    assert log.blocked == [] and log.failed == [] and log.errors == [], log


def test_next_enters_a_stack_at_its_top_after_going_back(deck_page):
    """Having left a stack of subslides from its bottom and gone back, "next" enters it again
    at its first subslide (reveal.js would resume where it was left: data-previous-indexv)."""
    nb_path, page, log = deck_page
    nb = nbformat.read(nb_path, as_version=4)
    walk = expected_walk(nb)
    stacks = {h: max(v for hh, v, _ in walk if hh == h) for h, _, _ in walk}
    h = next((h for h, last in sorted(stacks.items()) if h > 0 and last > 0), None)
    assert h is not None, f"{nb_path.name}: no stack of subslides to test"
    page.evaluate(f"Reveal.slide({h}, {stacks[h]}, -1)")  # the stack's last subslide...
    page.evaluate(f"Reveal.slide({h - 1}, {stacks[h - 1]}, 99)")  # ...then back, at the end
    page.evaluate("document.activeElement?.blur()")
    for _ in range(len(walk)):
        page.keyboard.press("Space")
        at = page.evaluate(_AT)
        if at[0] == h:
            break
    assert tuple(at[:2]) == (h, 0), f"next entered stack {h} at subslide {at[1]}"


def test_help_and_controls_tell_the_linear_way(deck_page):
    """The ? overlay says the arrows go to the next and previous slide; the controls show only
    left and right arrows; the slide number ("4/42") sits clear of them at 1280 x 720."""
    nb_path, page, log = deck_page
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.press("Shift+Slash")  # "?"
    rows = page.eval_on_selector_all(
        ".r-overlay-help tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    # {key: action} for the keys pressed alone (not "Alt + ←/↑/→/↓")
    actions = {key.strip(): action for keys, action in rows[1:] for key in keys.split(",")}
    assert actions["\u2192"] == actions["\u2193"] == actions["SPACE"] == "Next slide", rows
    assert actions["\u2190"] == actions["\u2191"] == "Previous slide", rows
    page.keyboard.press("Escape")
    assert page.locator(".r-overlay-help").count() == 0
    # On a slide (not the first) with subslides below it: reveal's default navigation would
    # show a "down" arrow there, which is where the slide number used to be.
    walk = expected_walk(nbformat.read(nb_path, as_version=4))
    slides = list(dict.fromkeys((h, v) for h, v, _ in walk))
    h = next(h for h, v in slides if v == 1 and h > 0)
    page.evaluate(f"Reveal.slide({h}, 0, -1)")
    page.wait_for_selector(".reveal:not(.transitioning)")
    box = "e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"
    buttons = page.eval_on_selector_all(
        ".reveal .controls button",
        "bs => bs.filter(b => getComputedStyle(b).display !== 'none')"
        f".map(b => [b.classList[0], b.classList.contains('enabled'), ({box})(b)])",
    )
    assert [(name, enabled) for name, enabled, _ in buttons] == [
        ("navigate-left", True),
        ("navigate-right", True),
    ]
    number = page.locator(".reveal .slide-number")
    assert "".join(number.inner_text().split()) == f"{slides.index((h, 0)) + 1}/{len(slides)}"
    left, top, right, bottom = page.eval_on_selector(".reveal .slide-number", box)
    assert 0 <= left < right <= 1280 and 0 <= top < bottom <= 720
    for name, _, (b_left, b_top, b_right, b_bottom) in buttons:
        apart = right <= b_left or b_right <= left or bottom <= b_top or b_bottom <= top
        assert apart, f"slide number {(left, top, right, bottom)} overlaps {name} {buttons}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # (only so that the artefact is not mid-fade)
    page.screenshot(path=str(ARTIFACTS / f"{nb_path.stem}-controls.png"))
    assert log.blocked == [] and log.failed == [] and log.errors == [], log


def test_viewer_slide_responds(deck_page):
    nb_path, page, log = deck_page
    if not page.locator(".bcu-static").count():
        pytest.skip(f"{nb_path.name} shows no window/level viewer")
    page.evaluate(
        "const i = Reveal.getIndices(document.querySelector('.bcu-static')"
        ".closest('section')); Reveal.slide(i.h, i.v)"
    )
    page.wait_for_selector("section.present .bcu-static[data-ready='1']")
    fits = "Reveal.getCurrentSlide().scrollHeight <= Reveal.getConfig().height"
    assert page.evaluate(fits)  # also once the viewer has drawn
    root = "#" + page.eval_on_selector("section.present .bcu-static", "e => e.id")
    assert canvas_changes(page, root, lambda: set_range(page, f"{root} .bcu-width", 1500))
    assert canvas_changes(page, root, lambda: set_range(page, f"{root} .bcu-center", 300))
    # the brain window, "brain (40/80)" or, when the header has it, "header: BRAIN (40/80)"
    brain = page.eval_on_selector(
        f"{root} .bcu-preset", "s => [...s.options].find(o => o.text.endsWith('(40/80)')).text"
    )
    assert canvas_changes(
        page, root, lambda: page.select_option(f"{root} .bcu-preset", label=brain)
    )
    page.wait_for_selector(".reveal:not(.transitioning)")
    page.wait_for_timeout(300)  # (only so that the artefact is not mid-slide)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{nb_path.stem}-viewer.png"))
    # Issue 25, item 7: the image has most of the slide (it was 211 x 211 px, smaller than
    # the histogram), and its letters and scale bar are legible from the back of the room
    sizes = page.evaluate(
        f"""() => {{ const root = document.querySelector('{root}'), scale = Reveal.getScale();
        const h = e => root.querySelector(e).getBoundingClientRect().height;
        return {{image: h('.bcu-image'), histogram: h('.bcu-histogram'),
                 letters: +root.dataset.labelPx * scale}}; }}"""
    )
    assert sizes["image"] >= 0.96 * 500 - 0.5, sizes  # 480 px on a 1280 x 720 screen
    assert sizes["histogram"] < sizes["image"] / 3, sizes
    assert sizes["letters"] >= MIN_FONT_PX, sizes
    # a clicker's "next" with the slider focused (the lecturer just dragged it): next slide
    at = page.evaluate(_INDICES)
    page.focus(f"{root} .bcu-slice")
    page.keyboard.press("PageDown")
    assert page.evaluate(_INDICES) != at
    assert not page.evaluate("document.activeElement.closest('.bcu-viewer')")
    assert log.blocked == [] and log.failed == [] and log.errors == [], log


@pytest.fixture
def local_server(built):
    """The build folder on http://127.0.0.1 (a lecturer's ``python -m http.server``)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built[0]))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_speaker_view_shows_notes(built, local_server, browser):
    """A ``notes`` cell goes to the speaker view (S), also served over HTTP; a teaching note,
    which students see collapsed under "For the teacher", is there open, without the toggle."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("# Title", "slide"),
        _md("Say: the preamble is 128 bytes.", "notes"),
        _md("## Next", "slide"),
        _md(
            '<details class="teacher-note"><summary>For the teacher</summary>\n\n'
            "**Teaching note.** Ask the room for the sum first.\n\n</details>",
            "notes",
        ),
    ]
    (built[0] / "notes-check.slides.html").write_text(_build_module().export_deck(nb, "Notes"))
    page, log = browser
    _open(page, log, f"{local_server}/notes-check.slides.html")
    assert "128 bytes" in page.text_content("aside.notes")
    assert "128 bytes" in page.evaluate("Reveal.getSlideNotes()")
    with page.expect_popup() as popup:
        page.keyboard.press("s")
    speaker = popup.value
    speaker.wait_for_function("document.body.innerText.includes('128 bytes')")
    assert "Upcoming" in speaker.inner_text("body")
    page.bring_to_front()
    page.evaluate("Reveal.slide(1, 0)")  # the speaker view follows the deck
    notes = speaker.locator(".speaker-controls-notes .value")
    speaker.wait_for_function(
        "document.querySelector('.speaker-controls-notes .value').innerText.includes('room')"
    )
    # innerText holds only what is rendered: a closed <details> would leave out all but its
    # summary
    shown = notes.inner_text()
    assert "Teaching note. Ask the room for the sum first." in " ".join(shown.split())
    assert "For the teacher" not in shown and notes.locator("details").count() == 0
    assert speaker.get_by_text("Ask the room for the sum first.").is_visible()
    speaker.close()
    assert log.blocked == [] and log.failed == [] and log.errors == [], log
