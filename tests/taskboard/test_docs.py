"""/docs and /redoc are served with every asset from the app itself, so they work offline."""

import re
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

# Every URL a page loads or links to: src, href and spec-url attributes and quoted strings in its inline script.
URL = re.compile(r"""(?:src|href|spec-url)="([^"]+)"|url: '([^']+)'|(https?://[^\s"'<>)]+)""")


def _urls(html: str) -> set[str]:
    return {next(group for group in match.groups() if group) for match in URL.finditer(html)}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_no_url_on_the_docs_pages_leaves_the_app(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    urls = _urls(response.text)
    assert urls, "the pattern found no URL at all: it no longer matches the page"
    assert not {url for url in urls if "//" in url}, "a URL that points outside the app"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_asset_of_the_docs_pages_is_served(client: TestClient, page: str) -> None:
    for url in _urls(client.get(page).text):
        response = client.get(urljoin(f"http://testserver{page}", url))
        assert response.status_code == 200, url
        assert response.content, url


def test_the_assets_resolve_under_a_path_prefix_such_as_jupyters_proxy(client: TestClient) -> None:
    # A proxy at /proxy/8000/ strips its prefix before the request reaches the app, so relative
    # URLs on /proxy/8000/docs resolve to /proxy/8000/static/..., which reaches /static/...
    page = "http://testserver/proxy/8000/docs"
    for url in _urls(client.get("/docs").text):
        assert urljoin(page, url).startswith("http://testserver/proxy/8000/"), url


def test_the_oauth2_redirect_page_is_served_beside_swagger_ui(client: TestClient) -> None:
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in (
        client.get("/docs").text
    )
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_the_docs_pages_are_not_operations_of_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc", "/static"))]


def test_redoc_may_load_images_from_the_app_only(client: TestClient) -> None:
    # ReDoc's script would fetch Redocly's logo from a CDN; the policy stops the browser trying.
    assert client.get("/redoc").headers["content-security-policy"] == "img-src 'self' data:"
