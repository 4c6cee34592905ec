"""Sphinx extension for the course book (loaded by ``book/_config.yml``).

It does what the plain Jupyter Book configuration cannot:

* takes the repository, branch and Colab address from :mod:`bootcamp_utils.course`, the one
  place that names them, for the repository button and every notebook's Colab launch button;
* serves MathJax from ``node_modules`` (``npm ci``), copied next to the pages, so that the
  built site loads nothing from a CDN and works from disk with no network;
* shows the notebooks' "Open in Colab" badge as a text link: the badge image lives on
  Colab's server, and the site must not load anything from elsewhere;
* adds the course's style sheet (``book/_static/course.css``): at desktop width code, outputs
  and tables wrap to the column instead of scrolling sideways; on a phone each keeps its
  layout and scrolls sideways inside its own box (wrapped to 358 px, a printed data set lost
  its columns and a table of tags its rows);
* lets a table cell holding a person name break after its carets (``<wbr>``, which copying
  leaves out), so the cheat sheet shows all its columns at 1280 px;
* leaves the notebooks' widget state out of the pages: the viewer's output carries its own
  static copy (``nb_mime_priority_overrides`` shows that), no widget manager is loaded
  (``nb_ipywidgets_js: {}``), and the state held the raw volume a second time, base64 in a
  ``<script>``: 7.0 of lesson 01's 8.4 MB;
* leaves the page without the theme's top bar: pydata-sphinx-theme >= 0.16 puts a second
  search field there (``navbar_persistent``), above the sidebar's own, in a bar that holds
  nothing else;
* drops thebe (live code on Binder, which the course does not use): its scripts name a CDN
  and, registered twice by Jupyter Book, raise a console error on every page;
* repairs three places where the theme's markup names a control differently from the text
  it shows (WCAG 2.5.3 "label in name", flagged serious by axe): the search field, the
  solutions' "Show code cell source" toggles, and the colour-mode switch's icon titles;
* fails the build when a notebook in ``notebooks/`` is missing from ``_toc.yml``;
* fails it, before any notebook runs, when a lesson that starts a PACS (lesson 05) would run
  with the fallback (pynetdicom's qrscp, no DICOMweb) instead of Orthanc with its DICOMweb
  plugin, and makes the lesson's kernel refuse the fallback too
  (``BOOTCAMP_REQUIRE_FULL_PACS=1``; set it to 0 to build anyway, with a warning);
* writes the course's release (``bootcamp_utils.__version__``, read at build time) in every
  page's footer, with the edition: the student book, or the instructor edition that
  ``book/instructor.py`` builds (``course_edition: instructor`` in its ``_config.yml``);
* makes every warning fail the build (after reporting all of them): a notebook that raises,
  a broken internal link, a page missing from the toc. ``jupyter-book build book/`` then exits
  non-zero, as ``-W --keep-going`` would, without anyone having to remember the flags.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

from bootcamp_utils import __version__
from bootcamp_utils.course import BADGE_IMAGE, BRANCH, colab_url, repository_url
from bootcamp_utils.pacs import REQUIRE_FULL_PACS, PACSError, require_full_pacs

REPO = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parents[1] / "_static"  # resolved: mini books link _ext/
STYLESHEET = "course.css"
MATHJAX = REPO / "node_modules" / "mathjax3" / "es5"
# tex-svg.js is self-contained (no web fonts); the folders hold what it may load on demand
# (TeX extensions through \require or autoload, the accessibility menu's speech rules).
_MATHJAX_FILES = ("tex-svg.js",)
_MATHJAX_FOLDERS = ("input", "a11y", "ui", "sre", "adaptors")


def _colab_root() -> str:
    """https://colab.research.google.com, as course.colab_url builds it."""
    return colab_url("x").split("/github/", 1)[0]


def _configure(app: Sphinx, config: Config) -> None:
    options = dict(config.html_theme_options or {})
    options.update(
        repository_url=repository_url(),
        repository_branch=BRANCH,
        # "" because the book's notebooks/ is a link to the repository's notebooks/: a page
        # notebooks/01_x opens notebooks/01_x.ipynb in Colab, the file the badge opens.
        path_to_docs="",
        use_repository_button=True,
        # No header bar: its search field would repeat the sidebar's (every navbar_* slot is
        # empty in sphinx-book-theme; pydata-sphinx-theme fills this one unless it is set).
        navbar_persistent=[],
    )
    options["extra_footer"] = (options.get("extra_footer") or "") + _release_line(config)
    launch = dict(options.get("launch_buttons") or {})
    launch.update(colab_url=_colab_root(), binderhub_url="", jupyterhub_url="", thebe=False)
    options["launch_buttons"] = launch
    config.html_theme_options = options
    if not (MATHJAX / _MATHJAX_FILES[0]).is_file():
        raise ConfigError(
            f"MathJax 3 not found at {MATHJAX}: run `npm ci` in {REPO} first "
            "(the book loads nothing from CDNs)"
        )
    config.mathjax_path = f"mathjax/{_MATHJAX_FILES[0]}"
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def _release_line(config: Config) -> str:
    """The footer's line naming the course, its release and the edition."""
    edition = "instructor edition" if config.course_edition == "instructor" else "student book"
    name = str(config.html_title or "").split(" · ")[0]
    return f'<p class="course-release">{name} {__version__} · {edition}</p>'


def _toc_files(toc: object) -> set[str]:
    """Every ``file:`` named anywhere in a parsed ``_toc.yml``."""
    if isinstance(toc, dict):
        found = {str(toc["file"])} if "file" in toc else set()
        return found.union(*(_toc_files(v) for v in toc.values()))
    if isinstance(toc, list):
        return set().union(*(_toc_files(v) for v in toc))
    return set()


def _check_lessons_in_toc(app: Sphinx, config: Config) -> None:
    toc = yaml.safe_load((Path(app.srcdir) / "_toc.yml").read_text())
    listed = {name.removesuffix(".ipynb") for name in _toc_files(toc) | {str(toc.get("root"))}}
    missing = sorted(
        f"notebooks/{path.stem}"
        for path in (Path(app.srcdir) / "notebooks").glob("*.ipynb")
        if f"notebooks/{path.stem}" not in listed
    )
    if missing:
        raise ConfigError(
            f"lessons missing from book/_toc.yml: {', '.join(missing)} (add "
            "'- file: <name>' under 'Lessons')"
        )


def _check_full_pacs(app: Sphinx, config: Config) -> None:
    """Lesson 05 is published whole: Orthanc with DICOMweb here, or no build."""
    needs = sorted(
        path.name
        for path in (Path(app.srcdir) / "notebooks").glob("*.ipynb")
        if "start_pacs(" in path.read_text(encoding="utf-8")
    )
    if not needs:
        return
    os.environ.setdefault(REQUIRE_FULL_PACS, "1")  # the kernels inherit it: no fallback
    if os.environ[REQUIRE_FULL_PACS].strip() == "0":
        print(
            f"WARNING: {REQUIRE_FULL_PACS}=0: {', '.join(needs)} built with whatever PACS runs "
            "here; without Orthanc and its DICOMweb plugin the page shows skipped sections",
            file=sys.stderr,
        )
        return
    try:
        require_full_pacs()
    except PACSError as exc:
        raise ConfigError(f"{', '.join(needs)}: {exc}") from exc


def _badge_as_text(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for image in list(doctree.findall(nodes.image)):
        if image.get("uri", "").startswith(BADGE_IMAGE):
            text = nodes.inline(text=image.get("alt") or "Open in Colab", classes=["colab-link"])
            image.replace_self(text)


def _is_thebe(asset: object) -> bool:
    text = f"{getattr(asset, 'filename', '') or ''} {getattr(asset, 'attributes', {}) or {}}"
    return "thebe" in text.lower()


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _is_widget_state(asset: object) -> bool:
    """myst-nb's inline ``<script>`` holding the notebook's widget state."""
    return (getattr(asset, "attributes", None) or {}).get("type") == WIDGET_STATE


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object
) -> None:
    # Left empty, the theme logs "Got invalid theme mode" on every page; figures are on white.
    context["default_mode"] = "light"
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [
                asset for asset in context[key] if not (_is_thebe(asset) or _is_widget_state(asset))
            ]


# (pattern, replacement): each makes the accessible name the visible text.
_LABEL_IN_NAME = (
    (
        re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"'),
        r"\1",
    ),
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
    (re.compile(r'(<i class="theme-switch [^"]*" data-mode="\w+")\s+title="[^"]*"'), r"\1"),
)


# A table cell whose whole text is one long word: a keyword, a UID, a PN value, a tag. A PN
# value may break after its carets (<wbr>); nothing else does, so that no column is squeezed
# into broken tags (on a phone the table scrolls in its box instead: course.css).
_ONE_WORD_CELL = re.compile(r"(<td[^>]*><p>)([^<\s]{10,})(</p>)")
_BREAK_ANYWHERE = re.compile(r"(?<=\^)(?=.)")


def _break_points(match: re.Match) -> str:
    return match[1] + _BREAK_ANYWHERE.sub("<wbr>", match[2]) + match[3]


def _post_process(app: Sphinx, exception: Exception | None) -> None:
    """Rewrite the written pages: labels (WCAG 2.5.3) and break points in one-word cells."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = original = page.read_text(encoding="utf-8")
        for pattern, replacement in _LABEL_IN_NAME:
            text = pattern.sub(replacement, text)
        text = _ONE_WORD_CELL.sub(_break_points, text)
        if text != original:
            page.write_text(text, encoding="utf-8")


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    for name in _MATHJAX_FILES:
        shutil.copy2(MATHJAX / name, target / name)
    for name in _MATHJAX_FOLDERS:
        if (MATHJAX / name).is_dir():
            shutil.copytree(MATHJAX / name, target / name, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict:
    # Sphinx fails a keep-going build at the end when any warning was logged.
    app.keep_going = True
    # "student" (the book) or "instructor" (book/instructor.py's copy): the footer says which
    app.add_config_value("course_edition", "student", "html", [str])
    app.connect("config-inited", _configure, priority=900)  # after Jupyter Book's own values
    app.connect("config-inited", _check_lessons_in_toc)
    app.connect("config-inited", _check_full_pacs)
    app.add_css_file(STYLESHEET)
    app.connect("doctree-resolved", _badge_as_text)
    # after myst-nb's handler (priority 500), which adds the page's widget state
    app.connect("html-page-context", _page_context, priority=900)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _post_process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
