"""Make the screenshots the lessons show, of Taskboard's real /docs and /redoc in Chromium.

Run with `make screenshots` after a change to what the docs pages show; commit the images in
notebooks/images/. Each app is the lesson's own catch-up app, served by Uvicorn on loopback,
and the browser cannot reach the internet.

Lesson 01's app still uses FastAPI's default /docs, which loads Swagger UI from a CDN (lesson 03
serves it from the app). Here those CDN files are answered from the same files the offline docs
serve, so the picture is what a learner with internet sees.
"""

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from playwright.sync_api import Page, Route

from course import checkpoint
from course.browser import chromium, offline_page, serving

IMAGES = Path(__file__).resolve().parent.parent / "notebooks" / "images"
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


SHOTS: list[tuple[str, str, str, Callable[[Page], None]]] = [
    # file name, checkpoint, page, what to do before the picture
    ("01_docs.png", "01", "/docs", lesson_01_docs),
    ("03_docs.png", "03", "/docs", _swagger_ui),
    ("03_try_it_out.png", "03", "/docs", lesson_03_try_it_out),
    ("03_redoc.png", "03", "/redoc", lesson_03_redoc),
]


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    with chromium() as browser:
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


if __name__ == "__main__":
    main()
