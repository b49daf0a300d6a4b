"""A real browser on pages of a real server: for the docs screenshots and the browser tests.

Playwright drives the machine's own Chromium (Debian's `chromium` package), found on PATH or in
`$CHROMIUM`. Playwright's own browser download (`playwright install`) is never used: it fails
without internet, and a workshop machine may not have it.
"""

import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import uvicorn
from playwright.sync_api import Browser, Locator, Page, Response, Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
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
    # Chromium writes crash-report settings and a dconf cache under $HOME even when headless:
    # give it a home of its own that goes away with it.
    with tempfile.TemporaryDirectory(prefix="chromium-home-") as home, sync_playwright() as pw:
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": home, "XDG_CACHE_HOME": home}
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, env=env)
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


# JupyterLab, driven the way a learner drives it: through its menus, in one notebook opened
# alone (`Lab.tree` in course/lab.py gives its address). What the functions below wait for is
# what the learner sees: the kernel's status and each code cell's prompt, `[ ]:` before a run,
# `[*]:` while queued or running, `[3]:` once run.

# The state of the open notebook: the kernel's status (status bar and toolbar), each code cell's
# prompt in order, and the text of any dialog JupyterLab shows (such as "Kernel Restarting").
_NOTEBOOK_STATE = """() => ({
    kernel: [...document.querySelectorAll(".jp-StatusBar-TextItem")]
        .map(item => item.textContent.trim())
        .find(text => / \\| [A-Z][a-z]+$/.test(text)) || "",
    indicator: document.querySelector(".jp-Notebook-ExecutionIndicator")?.dataset.status || "",
    prompts: [...document.querySelectorAll(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt")]
        .map(prompt => prompt.textContent.trim()),
    dialog: [...document.querySelectorAll(".jp-Dialog-content")]
        .map(dialog => dialog.innerText.trim()).join(" | "),
})"""


@dataclass
class NotebookState:
    """What the learner sees of a notebook's run: kernel status, each code cell's prompt, and
    any dialog in front of the notebook."""

    kernel: str
    indicator: str
    prompts: list[str]
    dialog: str

    @property
    def idle(self) -> bool:
        """A kernel is attached, and idle."""
        has_kernel = bool(self.kernel) and not self.kernel.startswith("No Kernel")
        return has_kernel and self.kernel.endswith("| Idle") and self.indicator == "idle"

    @property
    def running(self) -> bool:
        return "[*]:" in self.prompts

    @property
    def unrun(self) -> int:
        return self.prompts.count("[ ]:")


def notebook_state(page: Page) -> NotebookState:
    return NotebookState(**page.evaluate(_NOTEBOOK_STATE))


def dismiss_news(page: Page) -> None:
    """Answer "No" to JupyterLab's question about Jupyter news, whenever it shows up.

    The toast appears a moment after the page loads, in a corner; it is answered before any
    action that follows. `dismiss_news_now` answers it at once, for a screenshot.
    """
    page.add_locator_handler(_news_toast(page), _answer_no)


def dismiss_news_now(page: Page, *, wait: float = 0) -> None:
    """Answer the news toast if it is shown (or shows up within `wait` seconds)."""
    toast = _news_toast(page)
    try:
        toast.wait_for(timeout=wait * 1000 or 1)
    except PlaywrightTimeoutError:
        return
    _answer_no(toast)
    toast.wait_for(state="detached")


def _news_toast(page: Page) -> Locator:
    return page.locator(".Toastify__toast").filter(has_text="Jupyter news")


def _answer_no(toast: Locator) -> None:
    toast.get_by_role("button", name="No", exact=True).click()


def click_menu(page: Page, menu: str, item: str) -> None:
    """Click `menu` in JupyterLab's menu bar, then its entry labelled exactly `item`."""
    page.locator(".lm-MenuBar-item").filter(has_text=_exactly(menu)).click()
    entry = page.locator(".lm-Menu-item").filter(
        has=page.locator(".lm-Menu-itemLabel", has_text=_exactly(item))
    )
    entry.click()


def _exactly(text: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(text)}$")


def open_notebook(page: Page, url: str, *, timeout: float = 120) -> None:
    """Open a notebook's page and wait until its kernel has started and is idle."""
    page.goto(url, timeout=timeout * 1000)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=timeout * 1000)
    _wait(page, lambda state: state.idle and bool(state.prompts), timeout, "the kernel to start")


def clear_all_outputs(page: Page, *, timeout: float = 30) -> None:
    """Edit > Clear Outputs of All Cells: no output, and every prompt back to `[ ]:`."""
    click_menu(page, "Edit", "Clear Outputs of All Cells")
    _wait(page, lambda state: state.unrun == len(state.prompts), timeout, "the outputs to clear")


def run_all_cells(page: Page, *, timeout: float = 300) -> float:
    """Run > Run All Cells, then wait until the run is over; return the seconds it took.

    Over means: the kernel is idle and no cell is queued, twice in a row a poll apart (the
    kernel is briefly idle between two cells). A cell that fails stops the run, unless it is
    tagged `raises-exception`: the cells after it stay `[ ]:`, which the caller judges.
    Call `clear_all_outputs` first: the first cell's number is the sign the run has begun.
    """
    started = time.monotonic()
    click_menu(page, "Run", "Run All Cells")

    def over(state: NotebookState) -> bool:
        return state.idle and not state.running and state.unrun < len(state.prompts)

    _wait(page, over, timeout, "Run All Cells to finish", twice=True)
    return time.monotonic() - started


def save_notebook(page: Page, *, timeout: float = 60) -> None:
    """File > Save Notebook, and wait until the server has written the file."""

    def is_save(response: Response) -> bool:
        return response.request.method == "PUT" and "/api/contents/" in response.url

    with page.expect_response(is_save, timeout=timeout * 1000) as saved:
        click_menu(page, "File", "Save Notebook")
    if not saved.value.ok:
        raise RuntimeError(f"saving failed: {saved.value.status} {saved.value.status_text}")


def _wait(
    page: Page,
    done: Callable[[NotebookState], bool],
    timeout: float,
    what: str,
    *,
    twice: bool = False,
) -> None:
    deadline = time.monotonic() + timeout
    streak = 0
    while True:
        state = notebook_state(page)
        if state.dialog:
            # A dialog halts the notebook until someone answers it: a kernel that died, a
            # kernel to choose, a file changed on disk. Waiting longer would change nothing.
            raise RuntimeError(f"while waiting for {what}, JupyterLab shows: {state.dialog}")
        streak = streak + 1 if done(state) else 0
        if streak >= (2 if twice else 1):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}; the notebook shows {state}")
        time.sleep(0.25)
