"""A real browser on pages of a real server: for the docs screenshots and the browser tests.

Playwright drives the machine's own Chromium (Debian's `chromium` package), found on PATH or in
`$CHROMIUM`. Playwright's own browser download (`playwright install`) is never used: it fails
without internet, and a workshop machine may not have it.
"""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import uvicorn
from playwright.sync_api import Browser, Page, Route, sync_playwright
from starlette.types import ASGIApp

# Headless, and quiet: without the background-networking flags Chromium keeps trying to reach
# Google's update and sync services, which a machine without internet refuses.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when this machine has none."""
    candidates = [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]
    for candidate in filter(None, candidates):
        found = shutil.which(candidate)
        if found:
            return found
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed when the block ends."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("no Chromium found: install Debian's `chromium` or set $CHROMIUM")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(app: ASGIApp, *, timeout: float = 20) -> Iterator[str]:
    """Serve `app` with Uvicorn on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


@dataclass
class Offline:
    """What a page tried to fetch from outside its own server: every such request is refused."""

    origin: str
    refused: list[str] = field(default_factory=list)

    def __call__(self, route: Route) -> None:
        url = route.request.url
        if _origin(url) == self.origin or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort("internetdisconnected")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@contextmanager
def offline_page(browser: Browser, base_url: str) -> Iterator[tuple[Page, Offline]]:
    """A page that may reach `base_url`'s server and nothing else, as on a machine offline."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    offline = Offline(_origin(base_url))
    context.route("**/*", offline)
    try:
        yield context.new_page(), offline
    finally:
        context.close()
