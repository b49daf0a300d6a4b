"""/docs and /redoc render every operation in a real Chromium that cannot reach the internet."""

import pytest

from course.browser import chromium, chromium_path, offline_page, serving
from course.checkpoints import CheckpointSettings
from taskboard.main import create_app

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="BROWSER TESTS SKIPPED: no Chromium on this machine (apt-get install chromium)",
)

# What each page draws per operation once the schema has loaded and rendered.
OPERATION = {"/docs": ".opblock", "/redoc": "[data-section-id^='operation/']"}


@pytest.mark.parametrize("page_path", ["/docs", "/redoc"])
def test_the_docs_page_renders_every_operation_offline(page_path: str) -> None:
    # With every middleware of lesson 09 on: the host check (Uvicorn's own address), CORS, the
    # security headers, and the page's assets gzipped.
    settings = CheckpointSettings(
        cors_origins=["https://board.example.com"], allowed_hosts=["127.0.0.1"]
    )
    app = create_app(settings)
    operations = sum(len(item) for item in app.openapi()["paths"].values())
    with serving(app) as url, chromium() as browser, offline_page(browser, url) as (page, offline):
        gzipped: list[str] = []
        page.on(
            "response",
            lambda response: (
                gzipped.append(response.url)
                if response.headers.get("content-encoding") == "gzip"
                else None
            ),
        )
        answer = page.goto(url + page_path)
        assert answer is not None
        assert answer.headers["x-frame-options"] == "DENY"
        selector = OPERATION[page_path]
        page.wait_for_function(
            "([selector, n]) => document.querySelectorAll(selector).length >= n",
            arg=[selector, operations],
            timeout=30_000,
        )
        drawn = page.locator(selector).count()
    assert drawn == operations
    assert offline.refused == [], "the page tried to reach the internet"
    assert any("/static/docs/" in url for url in gzipped), gzipped
