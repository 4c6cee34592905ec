"""Build the reveal.js lecture decks from the course notebooks, for use offline.

    python slides/build.py [--out DIR] [--pdf] [--reuse] [NOTEBOOK ...]

Every ``notebooks/*.ipynb`` is executed in a fresh kernel, in a temporary working directory
(generated samples go to a temporary ``BOOTCAMP_DATA_DIR`` unless one is set), and exported
with nbconvert's reveal template, each cell's ``slideshow.slide_type`` deciding where it goes.
``DIR`` (default ``slides/_build``) then holds, and needs nothing else:

* ``NN_name.slides.html``: one deck per notebook; ``NN_name.pdf`` with ``--pdf``, a handout
  printed by headless Chromium from reveal.js's ``?print-pdf`` view, one page per slide;
* ``executed/NN_name.ipynb``: the executed copies; ``--reuse`` exports those again instead of
  executing, as long as their cells' sources still match the notebook's;
* ``index.html``: the list of decks;
* ``vendor/``: reveal.js (with the course theme, ``slides/course.css``), require.js, jQuery and
  MathJax 2, copied from ``node_modules`` (``npm ci``), and the deck's fonts (DejaVu Sans and
  Sans Mono, from matplotlib's data folder: a deck lays out the same on every machine).
  Nothing is loaded from the internet, so the folder works opened from disk (``file://``) or
  from any local web server.

The window/level viewer's live widget needs a kernel; a deck keeps its self-contained HTML copy,
which responds to its controls without one.

Slides are 1280 x 720, legible from the back of a room (slides/README.md): the deck's script
sizes each slide's text to its space, never under 18 px on a 1280 x 720 screen (the template and
``course.css``); the build cuts long printed outputs ("... 18 more lines in the notebook"), opens
each slide without a heading with its section's heading, puts the course's name and address on
the title slide, shows teaching notes open in the speaker view, and leaves out the
self-check's verdict in cells tagged ``remove-output``: an exercise's starter code and what it
prints stay, its red "Not yet" and its hint do not (``for_slides``).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat

SLIDES = Path(__file__).resolve().parent
REPO = SLIDES.parent
if str(REPO) not in sys.path:  # run as a script, only slides/ is on the path
    sys.path.insert(0, str(REPO))

# One judge of cell errors for the tests and the decks: an error in a cell not tagged
# ``raises-exception`` fails, and so does a tagged cell that raised nothing.
from bootcamp_utils.pacs import REQUIRE_FULL_PACS  # noqa: E402
from tests.notebook_harness import cell_failures  # noqa: E402

NOTEBOOKS = REPO / "notebooks"
NODE_MODULES = REPO / "node_modules"
DEFAULT_OUT = SLIDES / "_build"
THEME = SLIDES / "course.css"  # a reveal.js theme: white.css plus the course's rules
TEMPLATE = SLIDES / "templates" / "course.html.j2"
CHROMIUM = "/usr/bin/chromium"

#: What the decks load, copied from node_modules into ``vendor/``: (package, paths inside it).
VENDORED: dict[str, tuple[str, ...]] = {
    "reveal.js": (
        "dist/reveal.js",
        "dist/reveal.css",
        "dist/theme/white.css",
        "dist/theme/fonts/source-sans-pro",
        "plugin/notes/notes.js",
    ),
    "requirejs": ("require.js",),
    "jquery": ("dist/jquery.min.js",),
    # MathJax 2 as nbconvert configures it (TeX-AMS_CHTML-full, Safe): CommonHTML output, TeX
    # fonts as woff. (jax/output/HTML-CSS and SVG, other fonts and localizations stay behind.)
    "mathjax": (
        "MathJax.js",
        "config/TeX-AMS_CHTML-full.js",
        "config/Safe.js",
        "extensions",
        "jax/input/TeX",
        "jax/element",
        "jax/output/CommonHTML",
        "fonts/HTML-CSS/TeX/woff",
    ),
}
#: The deck's fonts (course.css: "Course Sans", "Course Mono"), copied into ``vendor/fonts``
#: from matplotlib's own copy of DejaVu (mpl-data/fonts/ttf): the same faces on every
#: machine, whatever fonts it has installed.
FONTS = tuple(
    f"DejaVuSans{mono}{face}.ttf"
    for mono in ("", "Mono")
    for face in ("", "-Bold", "-Oblique", "-BoldOblique")
)
VIEWER_WIDGET = "application/vnd.jupyter.widget-view+json"
REMOTE_IMAGE = re.compile(r"!\[([^\]]*)\]\(https?://[^)]*\)")  # ![alt](https://...)

#: The slide size, in reveal.js's own pixels: 16:9, a projector's 1280 x 720 at scale ~1.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
#: A text output longer than this many lines (a line of more than ``LINE_CHARS`` characters
#: counts once for every ``LINE_CHARS`` it starts, as it wraps) is cut to what fits in this
#: many, the last one saying how many lines only the notebook shows.
MAX_OUTPUT_LINES, LINE_CHARS = 14, 100
#: The book's title is the course's name (book/_config.yml).
BOOK_CONFIG = REPO / "book" / "_config.yml"
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
# A teaching note as the notebooks wrap it, collapsed for students in Jupyter and Colab:
# <details class="teacher-note"><summary>For the teacher</summary> ... </details>
TEACHER_NOTE = re.compile(
    r"^\s*<details\s+class=\"teacher-note\"[^>]*>\s*<summary>.*?</summary>(.*)</details>\s*$",
    re.DOTALL,
)


#: A code cell tagged so shows only its outputs in the deck (the notebook and the book keep
#: its code): for a figure whose plotting code is not the point and would shrink it.
DECK_HIDE_INPUT = "deck-hide-input"
#: A code cell tagged so shows no output in the book (jupyter-book's tag): an exercise's
#: starter cell, whose ``check(...)`` shows the red "Not yet" and a hint. In a deck an
#: exercise is its question and its starter code: no verdict and no hint, but what the
#: starter prints for the student to look at ("UID_CANDIDATES holds eight strings (printed
#: below)") stays.
REMOVE_OUTPUT = "remove-output"
#: The plain text of a self-check's verdict (bootcamp_utils.checks: "[02-uid] Not yet: ...").
VERDICT = re.compile(r"^\[[\w.-]+\] (Correct|Not yet):")


class BuildError(RuntimeError):
    """A notebook failed to run, or something the build needs is missing."""


# --- executing ------------------------------------------------------------------------------


def _kernel_env(data_dir: Path) -> dict[str, str]:
    """The kernel's environment: the checkout importable, samples generated outside it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ in the checkout
    env.setdefault("BOOTCAMP_DATA_DIR", str(data_dir))
    env.setdefault(REQUIRE_FULL_PACS, "1")  # lesson 05: Orthanc with DICOMweb, no fallback
    return env


def check_full_pacs(notebooks: Sequence[Path]) -> None:
    """A deck publishes lesson 05 whole: Orthanc with DICOMweb here, or the build stops now.

    A notebook that starts a PACS (``start_pacs(``) would otherwise fall back to pynetdicom's
    qrscp and publish its skipped DICOMweb section. ``BOOTCAMP_REQUIRE_FULL_PACS=0`` builds
    anyway, saying so on stderr.
    """
    from bootcamp_utils.pacs import PACSError, require_full_pacs

    needs = [p.name for p in notebooks if "start_pacs(" in p.read_text(encoding="utf-8")]
    if not needs:
        return
    if os.environ.get(REQUIRE_FULL_PACS, "1").strip() == "0":
        print(
            f"WARNING: {REQUIRE_FULL_PACS}=0: {', '.join(needs)} built with whatever PACS runs "
            "here; without Orthanc and its DICOMweb plugin the deck shows skipped sections",
            file=sys.stderr,
        )
        return
    try:
        require_full_pacs()
    except PACSError as exc:
        raise BuildError(f"{', '.join(needs)}: {exc}") from exc


def execute(path: Path, data_dir: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Run a copy of the notebook in a fresh ``python3`` kernel, in a temporary folder."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="slides-run-") as workdir:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": workdir}},
        )
        client.execute(env=_kernel_env(data_dir))
    failures = cell_failures(nb)
    if failures:
        raise BuildError(f"{path.name} did not run as the lesson says:\n" + "\n".join(failures))
    return nb


def _sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def reusable(executed: Path, notebook: Path) -> nbformat.NotebookNode | None:
    """The executed copy if its cells' sources are still the notebook's, else None.

    Cell metadata (slide types, tags) comes from the notebook: changing it needs no new run.
    """
    if not executed.is_file():
        return None
    old, new = nbformat.read(executed, as_version=4), nbformat.read(notebook, as_version=4)
    if _sources(old) != _sources(new):
        return None
    for old_cell, new_cell in zip(old.cells, new.cells, strict=True):
        old_cell.metadata = new_cell.metadata
    return old


# --- exporting ------------------------------------------------------------------------------


def static_only(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy for a deck without network or kernel.

    The viewers keep their self-contained HTML copy, not the live widget and its saved state;
    Markdown images from the web (the Colab badge) become their alt text (still a link).
    """
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = REMOTE_IMAGE.sub(r"\1", cell.source)
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(VIEWER_WIDGET, None)
    return nb


def _slide_type(cell: nbformat.NotebookNode) -> str:
    return cell.metadata.get("slideshow", {}).get("slide_type", "-")


def _shown(cell: nbformat.NotebookNode) -> bool:
    """Whether the cell is on a slide (not skipped, not a speaker note)."""
    return _slide_type(cell) not in ("skip", "notes")


def _markdown_cell(source: str, slide_type: str = "-") -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source, metadata={"slideshow": {"slide_type": slide_type}})


def _inline(markdown: str) -> str:
    """A heading's Markdown as HTML for one line: `code`, **bold** and *italics*; escaped."""
    text = html.escape(markdown, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", text)


def open_teacher_notes(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Speaker notes without the "For the teacher" toggle that hides them from students.

    In Jupyter a teaching note is a collapsed ``<details class="teacher-note">``; in the
    speaker view it must be read at a glance, so the build keeps only what is inside.
    """
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _slide_type(cell) == "notes":
            match = TEACHER_NOTE.match(cell.source)
            if match:
                cell.source = match.group(1).strip() + "\n"
    return nb


def hide_deck_inputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Leave out the code of cells tagged ``deck-hide-input``: the slide shows their outputs.

    nbconvert's templates skip a cell's input when ``metadata.transient.remove_source`` is set.
    """
    for cell in nb.cells:
        if cell.cell_type == "code" and DECK_HIDE_INPUT in cell.metadata.get("tags", []):
            cell.metadata.setdefault("transient", {})["remove_source"] = True
    return nb


def _is_verdict(output: nbformat.NotebookNode) -> bool:
    if output.output_type not in ("execute_result", "display_data"):
        return False
    text = output.get("data", {}).get("text/plain", "")
    return bool(VERDICT.match("".join(text) if isinstance(text, list) else text))


def remove_verdicts(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop the self-check's verdict (and hint) from cells tagged ``remove-output``, the
    exercises' starters; what they print stays."""
    for cell in nb.cells:
        if cell.cell_type == "code" and REMOVE_OUTPUT in cell.metadata.get("tags", []):
            cell.outputs = [o for o in cell.get("outputs", []) if not _is_verdict(o)]
    return nb


def _display_lines(line: str) -> int:
    return max(1, -(-len(line) // LINE_CHARS))


def _text_output(output: nbformat.NotebookNode) -> str | None:
    """The key holding a printed or plain-text-only output's text, else None."""
    if output.output_type == "stream":
        return "text"
    plain = set(output.get("data", {})) == {"text/plain"}
    return "text/plain" if plain and output.output_type != "error" else None


def clip_long_outputs(
    nb: nbformat.NotebookNode, limit: int = MAX_OUTPUT_LINES
) -> nbformat.NotebookNode:
    """Cut each shown cell's text outputs to ``limit`` lines, the last saying what is left out.

    Text outputs are the printed ones (``stream``, consecutive prints to one stream merged into
    one block) and results that have only a plain-text form, counted together per cell, in
    lines as wrapped on a slide (see ``LINE_CHARS``). Longer ones keep their first lines and
    end with a ``course-more`` line, "… 18 more lines in the notebook". Figures and HTML
    outputs stay as they are.
    """
    for cell in nb.cells:
        if cell.cell_type != "code" or not _shown(cell):
            continue
        cell.outputs = _merge_streams(cell.get("outputs", []))
        texts = [(o, key) for o in cell.get("outputs", []) if (key := _text_output(o))]
        lines = [line for o, key in texts for line in _text(o, key).splitlines()]
        if sum(map(_display_lines, lines)) <= limit:
            continue
        used, hidden, outputs = 0, 0, []
        for output in cell.outputs:
            key = _text_output(output)
            if key is None:
                outputs.append(output)
                continue
            kept = []
            for line in _text(output, key).splitlines():
                if hidden or used + _display_lines(line) > limit - 1:
                    hidden += 1
                else:
                    used += _display_lines(line)
                    kept.append(line)
            if kept:
                _set_text(output, key, "\n".join(kept) + "\n")
                outputs.append(output)
        more = f"\u2026 {hidden} more line{'s' * (hidden > 1)} in the notebook"
        outputs.append(
            nbformat.v4.new_output(
                "display_data", data={"text/html": f'<p class="course-more">{more}</p>'}
            )
        )
        cell.outputs = outputs
    return nb


def _merge_streams(outputs: list) -> list:
    """Consecutive prints to the same stream as one output (one block, as Jupyter shows them)."""
    merged = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and output.output_type == last.output_type == "stream"
            and output.name == last.name
        ):
            last.text = _text(last, "text") + _text(output, "text")
        else:
            merged.append(output)
    return merged


def _text(output: nbformat.NotebookNode, key: str) -> str:
    text = output.text if key == "text" else output.data[key]
    return "".join(text) if isinstance(text, list) else text


def _set_text(output: nbformat.NotebookNode, key: str, text: str) -> None:
    if key == "text":
        output.text = text
    else:
        output.data[key] = text.rstrip("\n")


def add_context_lines(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Give every slide without a heading a context line: the heading of its section.

    A slide or subslide whose shown cells hold no Markdown heading starts with a
    ``course-context`` line naming the section it belongs to: the first heading of the last
    horizontal slide (a ``slide`` cell starts a section; subslides continue it), or, if that
    slide has none, the last heading before it. No slide on the screen is without a title.
    """
    cells, out = nb.cells, []
    starts = [i for i, c in enumerate(cells) if _shown(c)]
    if not starts:
        return nb
    slide_starts = [i for i in starts[1:] if _slide_type(cells[i]) in ("slide", "subslide")]
    # the first cell of each slide: the index where the next slide begins
    bounds = dict(zip(starts[:1] + slide_starts, [*slide_starts, len(cells)], strict=True))
    section = last = None
    for i, cell in enumerate(cells):
        if i in bounds:
            slide = [c for c in cells[i : bounds[i]] if _shown(c)]
            headings = [h for c in slide for h in _headings(c)]
            if _slide_type(cell) == "slide" or i == starts[0]:
                section = headings[0] if headings else last
            if not headings and section:
                context = f'<p class="course-context">{_inline(section)}</p>'
                out.append(_markdown_cell(context, _slide_type(cell)))
                cell = nbformat.from_dict(cell)
                cell.metadata.setdefault("slideshow", {})["slide_type"] = "-"
        out.append(cell)
        if _shown(cell) and _headings(cell):
            last = _headings(cell)[-1]
    nb.cells = out
    return nb


def _headings(cell: nbformat.NotebookNode) -> list[str]:
    """The text of the Markdown headings in a cell (none in code cells)."""
    if cell.cell_type != "markdown":
        return []
    return [m.group(2) for m in HEADING.finditer(_strip_code_blocks(cell.source))]


def _strip_code_blocks(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.DOTALL | re.MULTILINE)


def course_name(config: Path = BOOK_CONFIG) -> str:
    """The course's name: the book's title (``title:`` in book/_config.yml)."""
    match = re.search(r"^title:\s*(.+?)\s*$", config.read_text(encoding="utf-8"), re.MULTILINE)
    if not match:
        raise BuildError(f"{config} has no title: line (the course's name)")
    return match.group(1).strip("\"'")


def add_title_details(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The title slide names the course above the lesson's title and gives its address below.

    The address is the repository's (bootcamp_utils.course), where the notebooks and the
    book are.
    """
    from bootcamp_utils.course import repository_url

    shown = [i for i, c in enumerate(nb.cells) if _shown(c)]
    if not shown:
        return nb
    first = shown[0]
    title = nbformat.from_dict(nb.cells[first])
    kicker = _markdown_cell(
        f'<p class="course-name">{html.escape(course_name())}</p>', _slide_type(title)
    )
    title.metadata.setdefault("slideshow", {})["slide_type"] = "-"
    url = repository_url()
    address = _markdown_cell(
        '<p class="course-address">Notebooks and book: '
        f'<a href="{html.escape(url)}">{html.escape(url.split("://", 1)[-1])}</a></p>'
    )
    nb.cells[first : first + 1] = [kicker, title, address]
    return nb


def for_slides(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as the deck shows it (a copy): static, notes open, no starter's verdict,
    long outputs cut, every slide with a heading or a context line, a title slide that says
    where it is from."""
    nb = static_only(nb)
    steps = (
        open_teacher_notes,
        hide_deck_inputs,
        remove_verdicts,
        clip_long_outputs,
        add_context_lines,
    )
    for step in (*steps, add_title_details):
        nb = step(nb)
    return nb


def export_deck(nb: nbformat.NotebookNode, title: str) -> str:
    """The deck's HTML; its URLs point into ``vendor/`` next to it."""
    from nbconvert import SlidesExporter

    vendor = "vendor"
    exporter = SlidesExporter(
        template_file=str(TEMPLATE),
        reveal_theme="course",  # vendor/reveal.js/dist/theme/course.css; no web fonts
        # The course draws no mermaid diagrams: a no-op module instead of the CDN's (a data:
        # URL, since Chromium refuses module imports from file://).
        mermaid_js_url="data:text/javascript,export default {initialize() {}};",
        reveal_url_prefix=f"{vendor}/reveal.js",
        require_js_url=f"{vendor}/requirejs/require.js",
        jquery_url=f"{vendor}/jquery/dist/jquery.min.js",
        mathjax_url=f"{vendor}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        reveal_width=str(SLIDE_WIDTH),
        reveal_height=str(SLIDE_HEIGHT),
    )
    nb = for_slides(nb)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first Markdown heading of the notebook (``# 01 · DICOM basics``)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def vendor(out: Path, node_modules: Path = NODE_MODULES) -> None:
    """Copy what the decks load from ``node_modules`` into ``out/vendor``, and the theme."""
    for package, paths in VENDORED.items():
        for rel in paths:
            src, dst = node_modules / package / rel, out / "vendor" / package / rel
            if not src.exists():
                raise BuildError(f"{src} missing: run npm ci")
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
    shutil.copy2(THEME, out / "vendor" / "reveal.js" / "dist" / "theme" / "course.css")
    copy_fonts(out / "vendor" / "fonts")


def copy_fonts(folder: Path) -> None:
    """The deck's fonts (``FONTS``), from matplotlib's data folder into ``folder``."""
    import matplotlib

    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    folder.mkdir(parents=True, exist_ok=True)
    for name in FONTS:
        if not (source / name).is_file():
            raise BuildError(f"{source / name} missing: pip install -r requirements.txt")
        shutil.copy2(source / name, folder / name)


def write_index(out: Path, decks: Sequence[tuple[str, str, bool]]) -> Path:
    """``index.html``: one link per deck ``(file name, title, has a PDF)``."""
    items = []
    for name, title, pdf in decks:
        link = f'<a href="{html.escape(name)}">{html.escape(title)}</a>'
        if pdf:
            link += f' (<a href="{html.escape(_pdf_name(name))}">PDF handout</a>)'
        items.append(f"<li>{link}</li>")
    page = out / "index.html"
    page.write_text(
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>\n"
        "<title>DICOM in Python: lecture slides</title>\n"
        "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;line-height:1.6}"
        "</style></head>\n<body><h1>DICOM in Python: lecture slides</h1>\n"
        "<p>Arrow keys or space to move, <kbd>S</kbd> for the speaker view (notes),"
        " <kbd>Esc</kbd> for the overview.</p>\n<ul>\n" + "\n".join(items) + "\n</ul>\n"
        "</body></html>\n",
        encoding="utf-8",
    )
    return page


# --- printing -------------------------------------------------------------------------------


def _pdf_name(deck_name: str) -> str:
    return deck_name.replace(".slides.html", ".pdf")


def print_pdfs(decks: Sequence[Path], chromium: str = CHROMIUM) -> list[Path]:
    """Print each deck's ``?print-pdf`` view to a PDF beside it, in headless Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BuildError("--pdf needs playwright: pip install -r requirements-dev.txt") from exc
    if not Path(chromium).is_file():
        raise BuildError(f"--pdf needs {chromium}: apt-get install chromium")
    pdfs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.route("**/*", _local_only)
            for deck in decks:
                pdfs.append(_print_pdf(page, deck))
        finally:
            browser.close()
    return pdfs


def _local_only(route) -> None:
    """A Playwright route handler: files and data only, nothing from a network."""
    if route.request.url.startswith(("file:", "data:", "blob:")):
        route.continue_()
    else:
        route.abort()


def _print_pdf(page, deck: Path) -> Path:
    page.goto(deck.as_uri() + "?print-pdf")
    page.wait_for_selector(".reveal.ready .pdf-page")
    # MathJax typesets after reveal.js has laid out the pages: wait until it is done.
    page.wait_for_function("new Promise(done => MathJax.Hub.Queue(() => done(true)))")
    pdf = deck.with_name(_pdf_name(deck.name))
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    return pdf


# --- the command ----------------------------------------------------------------------------


def build(
    out: Path = DEFAULT_OUT,
    notebooks: Sequence[Path] | None = None,
    pdf: bool = False,
    reuse: bool = False,
) -> list[Path]:
    """Build every deck (and the index) into ``out``; return the decks' paths."""
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb")) if notebooks is None else list(notebooks)
    if not notebooks:
        raise BuildError(f"no notebooks in {NOTEBOOKS}")
    if not reuse:
        check_full_pacs(notebooks)
    out.mkdir(parents=True, exist_ok=True)
    (out / "executed").mkdir(exist_ok=True)
    vendor(out)
    decks, listed = [], []
    with tempfile.TemporaryDirectory(prefix="slides-data-") as data_dir:
        for path in notebooks:
            start = time.perf_counter()
            copy = out / "executed" / path.name
            nb = reusable(copy, path) if reuse else None
            how = "reused" if nb is not None else "executed"
            if nb is None:
                nb = execute(path, Path(data_dir))
                nbformat.write(nb, copy)
            title = title_of(nb, path.stem)
            deck = out / f"{path.stem}.slides.html"
            deck.write_text(export_deck(nb, title), encoding="utf-8")
            print(f"{deck.name}: {how} and exported in {time.perf_counter() - start:.1f} s")
            decks.append(deck)
            listed.append((deck.name, title, pdf))
    if pdf:
        start = time.perf_counter()
        for handout in print_pdfs(decks):
            print(f"{handout.name}: printed")
        print(f"PDF handouts printed in {time.perf_counter() - start:.1f} s")
    print(f"{write_index(out, listed)}")
    return decks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output folder (default: slides/_build)"
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="also print each deck to a PDF handout (headless Chromium)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse OUT/executed/*.ipynb when their cells match the notebooks",
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to build (default: notebooks/*.ipynb)"
    )
    args = parser.parse_args(argv)
    try:
        build(args.out.resolve(), args.notebooks or None, pdf=args.pdf, reuse=args.reuse)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
