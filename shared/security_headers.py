"""Security headers on every response a service gives: its own routes, errors, 404s, 503s,
413s, 429s, ``/metrics`` and the documentation pages.

The API answers JSON about children, so each response forbids everything a browser could do
with it: no sniffing it into script, no framing, no referrer, no cache (``no-store``: a shared
or browser cache must never keep a child's record), no loading from another origin, and a
Content-Security-Policy of ``default-src 'none'``.

The documentation pages (Swagger UI at ``/docs``, ReDoc at ``/redoc``, FastStream's AsyncAPI
page at ``/asyncapi``) are HTML that load scripts and styles from CDNs and start with an
inline script. Each gets a policy that allows what that page loads and nothing more, read
from the pages FastAPI (``fastapi.openapi.docs``) and FastStream
(``faststream.specification.asyncapi.site``) render; ``tests/unit/test_hardening_headers.py``
fails when they start loading from anywhere else. Those pages show no request input, and the
libraries give their inline bootstrap scripts no nonce, hence ``'unsafe-inline'`` there;
``/asyncapi`` also needs ``'unsafe-eval'`` (the AsyncAPI parser compiles JSON schemas with ajv).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
"""For everything that is not a documentation page: JSON and text load nothing."""

_LOCKED = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

SWAGGER_UI_POLICY = (
    f"{_LOCKED}; script-src https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src https://cdn.jsdelivr.net 'unsafe-inline'; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'"
)
"""``/docs``: the swagger-ui-dist bundle and stylesheet, FastAPI's favicon, the inline SVG icons
(``data:``) and the inline styles Swagger UI sets; it fetches ``/openapi.json`` and sends
"Try it out" requests to this service only (``connect-src 'self'``)."""

SWAGGER_OAUTH_REDIRECT_POLICY = f"{_LOCKED}; script-src 'unsafe-inline'"
"""``/docs/oauth2-redirect``: one inline script, nothing loaded."""

REDOC_POLICY = (
    f"{_LOCKED}; script-src https://cdn.jsdelivr.net; "
    "style-src https://fonts.googleapis.com 'unsafe-inline'; font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; worker-src blob:"
)
"""``/redoc``: the ReDoc bundle, Google Fonts (stylesheet and font files), an inline style
block, FastAPI's favicon; ReDoc fetches ``/openapi.json`` and searches in a ``blob:`` worker."""

ASYNCAPI_POLICY = (
    f"{_LOCKED}; script-src https://unpkg.com 'unsafe-inline' 'unsafe-eval'; "
    "style-src https://unpkg.com 'unsafe-inline'; img-src data: https://www.asyncapi.com"
)
"""``/asyncapi``: the AsyncAPI React component and its stylesheet, the asyncapi.com icons, an
inline style block and the inline script holding the document (no fetch: try-it-out is off)."""


def page_policies(
    *, docs_url: str | None, redoc_url: str | None, oauth2_redirect_url: str | None
) -> dict[str, str]:
    """The policy of each documentation page of an app, by path (FastAPI's URLs may be off)."""
    pages = {
        docs_url: SWAGGER_UI_POLICY,
        oauth2_redirect_url: SWAGGER_OAUTH_REDIRECT_POLICY,
        redoc_url: REDOC_POLICY,
        "/asyncapi": ASYNCAPI_POLICY,
    }
    return {path: policy for path, policy in pages.items() if path}


class SecurityHeaders:
    """Adds the security headers to the start of every HTTP response passing through.

    A pure ASGI middleware: it touches only ``http.response.start`` and never buffers a body.
    A header the route set itself (a ``Cache-Control`` it chose) is kept.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        pages: Mapping[str, str] | None = None,
        hsts_seconds: int = 0,
        default_policy: str | None = None,
    ) -> None:
        self.app = app
        self.pages = dict(pages or {})
        self.default_policy = default_policy or API_POLICY
        self.common = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
            "Cross-Origin-Resource-Policy": "same-origin",
        }
        if hsts_seconds > 0:
            self.common["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            **self.common,
            "Content-Security-Policy": self.pages.get(scope["path"], self.default_policy),
        }

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    response_headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
