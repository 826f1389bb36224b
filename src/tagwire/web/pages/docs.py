"""The API's documentation: Swagger UI from its PyPI package, never from a CDN."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from tagwire.web.http import CONTENT_SECURITY_POLICY

router = APIRouter(include_in_schema=False)


DOCS_ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """Swagger UI's files (swagger-ui-bundle-v2, Apache-2.0) under /docs/assets; the app is
    made with ``docs_url=None`` and ``redoc_url=None`` (FastAPI's own pages load from a CDN)."""
    assets = StaticFiles(directory=str(swagger_ui_path))
    app.mount(DOCS_ASSETS, assets, name="docs-assets")


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """The OpenAPI description in Swagger UI, every file from tagwire itself."""
    body, policy = _docs_page(request.app.openapi_url or "/openapi.json", request.app.title)
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})


@lru_cache(maxsize=4)
def _docs_page(openapi_url: str, title: str) -> tuple[bytes, str]:
    """The page and its policy: the site's own, plus the hash of the page's one inline
    script (Swagger UI's set-up, written by FastAPI) and the data: images of its CSS."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} — API",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},  # no badge from validator.swagger.io
    )
    # Swagger UI speaks English whatever the reader's language: its page says so.
    body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in re.findall(rb"<script>(.*?)</script>", body, flags=re.S)
    )
    policy = CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {hashes}")
    policy = policy.replace("img-src 'self'", "img-src 'self' data:")
    return body, policy
