"""Swagger UI at /docs and ReDoc at /redoc, served with their JavaScript and CSS from this app.

FastAPI's own /docs and /redoc load those files from a CDN, so without internet (a workshop on
bad Wi-Fi, an air-gapped network) they are blank pages. This is FastAPI's "self-hosting the docs
UI assets" recipe: the app is built with `docs_url=None, redoc_url=None`, and these routes serve
the same pages with every asset taken from the pinned `fastapi-offline` package, which ships
them. tests/taskboard/test_docs.py proves that no URL on either page leaves the app.

Every URL on the pages is relative (`static/docs/...`, `openapi.json`), so they also work behind a
path prefix, such as JupyterLab's `/proxy/8000/docs`, without configuring a `root_path`.
"""

from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "static/docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)
router.mount(
    f"/{ASSETS}", StaticFiles(directory=files("fastapi_offline") / "static"), name="docs-assets"
)


def _openapi_url(request: Request) -> str:
    # Relative to the page: /docs loads openapi.json from the same prefix it was served under.
    return request.app.openapi_url.lstrip("/")


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
        # Swagger UI prefixes this with the page's origin, so it needs the whole path.
        oauth2_redirect_url=request.scope.get("root_path", "") + OAUTH2_REDIRECT,
        # Otherwise Swagger UI asks validator.swagger.io about the schema of a public server.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    page = get_redoc_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS}/favicon.png",
        with_google_fonts=False,
    )
    # ReDoc's script shows Redocly's logo from cdn.redoc.ly, and hides it when it fails to load.
    # Allowing images from this app only means the browser never even tries: nothing leaves.
    page.headers["Content-Security-Policy"] = "img-src 'self' data:"
    return page
