"""Make the screenshots the lessons and the README show, in Chromium.

Run with `make screenshots` after a change to what the pages show, and commit the images:
- notebooks/images/: Taskboard's real /docs and /redoc, for the lessons. Each app is the
  lesson's own catch-up app, served by Uvicorn on loopback.
- docs/images/: the course in JupyterLab, for the README: lesson 00 as it opens, and a check
  failing and passing after Run > Run All Cells. JupyterLab serves a temporary copy of the
  course (course/lab.py), so nothing in the repository changes.
The browser cannot reach the internet.

Lesson 01's app still uses FastAPI's default /docs, which loads Swagger UI from a CDN (lesson 03
serves it from the app). Here those CDN files are answered from the same files the offline docs
serve, so the picture is what a learner with internet sees.
"""

import os
import sys
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from playwright.sync_api import Browser, Page, Route

from course import checkpoint
from course.browser import (
    chromium,
    clear_all_outputs,
    click_menu,
    dismiss_news_now,
    offline_page,
    open_notebook,
    run_all_cells,
    serving,
)
from course.lab import running_lab

ROOT = Path(__file__).resolve().parent.parent
# Checks run here must not land in, or read from, the learner's own progress file
# (`:memory:` keeps verdicts in each kernel); the kernels inherit this.
os.environ["COURSE_PROGRESS_FILE"] = ":memory:"
IMAGES = ROOT / "notebooks" / "images"
README_IMAGES = ROOT / "docs" / "images"
ASSETS = files("fastapi_offline") / "static"
CDN_FILES = {
    "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js": "swagger-ui-bundle.js",
    "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css": "swagger-ui.css",
    "https://fastapi.tiangolo.com/img/favicon.png": "favicon.png",
}


def _from_local_files(route: Route) -> None:
    route.fulfill(path=str(ASSETS / CDN_FILES[route.request.url]))


def _swagger_ui(page: Page) -> None:
    page.wait_for_selector(".opblock", timeout=30_000)


def _operation(page: Page, operation_id: str) -> None:
    """Open one operation's panel, and scroll so its top is in view."""
    block = page.locator(f"[id$='-{operation_id}']").first
    block.locator(".opblock-summary").click()
    block.locator(".opblock-body").wait_for()
    block.scroll_into_view_if_needed()
    page.evaluate("element => element.scrollIntoView()", block.element_handle())


def lesson_01_docs(page: Page) -> None:
    _swagger_ui(page)
    _operation(page, "list_tasks")


def lesson_03_try_it_out(page: Page) -> None:
    _swagger_ui(page)
    _operation(page, "create_task")
    block = page.locator("[id$='-create_task']").first
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    block.locator(".live-responses-table .response-col_status").first.wait_for()
    # From the request body that was sent down to the status and body that came back.
    page.set_viewport_size({"width": 1200, "height": 1300})
    body = block.locator(".opblock-section-request-body").first.element_handle()
    page.evaluate("element => element.scrollIntoView()", body)


def lesson_03_redoc(page: Page) -> None:
    page.wait_for_selector("[data-section-id^='operation/']", timeout=30_000)


def lesson_08_authorize(page: Page) -> None:
    """The Authorize dialog filled in for the demo account, with both scopes ticked."""
    _swagger_ui(page)
    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("#oauth_username").fill("demo")
    dialog.locator("#oauth_password").fill("demo password")
    dialog.get_by_text("select all").click()
    page.set_viewport_size({"width": 1200, "height": 1100})
    scopes = dialog.locator(".scopes").element_handle()
    page.evaluate("element => element.scrollIntoView({block: 'center'})", scopes)


SHOTS: list[tuple[str, str, str, Callable[[Page], None]]] = [
    # file name, checkpoint, page, what to do before the picture
    ("01_docs.png", "01", "/docs", lesson_01_docs),
    ("03_docs.png", "03", "/docs", _swagger_ui),
    ("03_try_it_out.png", "03", "/docs", lesson_03_try_it_out),
    ("03_redoc.png", "03", "/redoc", lesson_03_redoc),
    ("08_authorize.png", "08", "/docs", lesson_08_authorize),
]


def lab_welcome(page: Page) -> None:
    """Lesson 00 as it opens, beside the course's folders; JupyterLab asks about news once."""
    dismiss_news_now(page, wait=10)


def _run_all_and_show(page: Page, text: str) -> None:
    """Run All from cleared outputs, then show the first output containing `text` in the middle
    of the page, with the task and the code above it; the file browser is folded away."""
    clear_all_outputs(page)
    run_all_cells(page)
    click_menu(page, "View", "File Browser")
    output = page.locator(".jp-OutputArea-output", has_text=text).first
    page.evaluate("element => element.scrollIntoView({block: 'center'})", output.element_handle())
    page.wait_for_timeout(300)  # the notebook draws the cells scrolled into view


def lab_failing_check(page: Page) -> None:
    _run_all_and_show(page, "✘ Task 1")


def lab_passing_check(page: Page) -> None:
    _run_all_and_show(page, "✔ Task 1")


LAB_SHOTS: list[tuple[str, str, Callable[[Page], None]]] = [
    # file name, notebook, what to do before the picture
    ("jupyterlab_lesson_00.png", "notebooks/00_welcome.ipynb", lab_welcome),
    ("check_failing.png", "exercises/01_first_steps.ipynb", lab_failing_check),
    ("check_passing.png", "solutions/01_first_steps.ipynb", lab_passing_check),
]


def lesson_images(browser: Browser) -> None:
    IMAGES.mkdir(exist_ok=True)
    for name, lesson, path, prepare in SHOTS:
        with serving(checkpoint(lesson)) as url, offline_page(browser, url) as (page, offline):
            for cdn_url in CDN_FILES:
                page.route(cdn_url, _from_local_files)
            page.goto(url + path)
            prepare(page)
            page.screenshot(path=IMAGES / name, animations="disabled")
        if offline.refused:
            raise SystemExit(f"{name}: the page tried to reach {offline.refused}")
        print(f"wrote notebooks/images/{name}")


def readme_images(browser: Browser) -> None:
    README_IMAGES.mkdir(parents=True, exist_ok=True)
    with running_lab() as lab:
        for name, notebook, prepare in LAB_SHOTS:
            with offline_page(browser, lab.url) as (page, offline):
                open_notebook(page, lab.tree(notebook))
                prepare(page)
                dismiss_news_now(page)
                page.screenshot(path=README_IMAGES / name, animations="disabled")
            lab.stop_kernels()
            if offline.refused:
                raise SystemExit(f"{name}: the page tried to reach {offline.refused}")
            print(f"wrote docs/images/{name}")


GROUPS = {"lessons": lesson_images, "readme": readme_images}


def main() -> None:
    """`python scripts/screenshots.py [lessons|readme]`: both groups unless one is named."""
    chosen = sys.argv[1:] or list(GROUPS)
    unknown = set(chosen) - set(GROUPS)
    if unknown:
        raise SystemExit(f"unknown group(s) {sorted(unknown)}: choose from {sorted(GROUPS)}")
    with chromium() as browser:
        for group in chosen:
            GROUPS[group](browser)


if __name__ == "__main__":
    main()
