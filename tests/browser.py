"""Headless Debian Chromium driven by Playwright, with every non-local request aborted.

Never ``playwright install``: the browser is Debian's (``apt-get install chromium``). Tests
skip when it (or Playwright, or the npm assets) is missing locally, and fail under CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import IN_CI, REPO, require_tool

CHROMIUM = "/usr/bin/chromium"
# As the machine notes advise: no background traffic to Google's services, no GPU.
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL = ("file:", "data:", "blob:", "about:", "http://127.0.0.1", "http://localhost")


def _missing(message: str):
    if IN_CI:
        pytest.fail(message + " (CI must install it in .ci/run)")
    pytest.skip(message)


def require_browser() -> None:
    require_tool("chromium", "chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("playwright not installed: pip install -r requirements-dev.txt")


def node_module(name: str) -> Path:
    """An npm package from the repository's package.json (``npm ci`` installs them)."""
    path = REPO / "node_modules" / name
    if not path.is_dir():
        _missing(f"node_modules/{name} missing: run npm ci")
    return path


@dataclass
class PageLog:
    blocked: list[str] = field(default_factory=list)  # requests that would have left
    failed: list[str] = field(default_factory=list)  # requests that failed otherwise
    errors: list[str] = field(default_factory=list)  # console errors, page exceptions


@contextmanager
def browser_page(width: int = 1100, height: int = 850) -> Iterator[tuple[object, PageLog]]:
    """A fresh page in headless Chromium; non-local requests are aborted and recorded."""
    require_browser()
    from playwright.sync_api import sync_playwright

    log = PageLog()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: log.errors.append(str(e)))
            page.on("requestfailed", lambda r: log.failed.append(r.url))

            def route(r):
                if r.request.url.startswith(LOCAL):
                    r.continue_()
                else:
                    log.blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            yield page, log
        finally:
            browser.close()


def canvas_png(page, selector: str) -> str:
    """The pixels of a canvas, as a data URL (compare two to see whether it changed)."""
    return page.eval_on_selector(selector, "c => c.toDataURL()")


def canvas_changes(page, root: str, action) -> bool:
    """Whether ``action()`` changes the pixels of the viewer ``root``'s image canvas."""
    before = canvas_png(page, f"{root} .bcu-image")
    action()
    return canvas_png(page, f"{root} .bcu-image") != before


def set_range(page, selector: str, value: float) -> None:
    """Move a range input as a user would: set its value and fire 'input'."""
    page.eval_on_selector(
        selector,
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
        value,
    )
