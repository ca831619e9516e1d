"""Security headers on every answer of the CRM: a Content-Security-Policy, no framing, no
content sniffing, no referrer outside the hotline.

The consoles are served by the hotline itself and carry no inline script (the page's data is a
``<script type="application/json">`` block that app.js parses), so scripts come from our own
origin only: a name or a question that slips markup into a page cannot run. Styles may be inline
(the consoles set a few ``style`` attributes). FastAPI's interactive API documentation loads its
viewer from a CDN and starts it with an inline script; only those pages get a wider policy.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {DOCS_CDN}",
        f"style-src 'self' 'unsafe-inline' {DOCS_CDN}",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
DOCS_PATHS = ("/docs", "/redoc")
FIXED = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every HTTP answer for ``path`` carries."""
    policy = DOCS_CSP if path.startswith(DOCS_PATHS) else CSP
    return [(b"content-security-policy", policy.encode()), *FIXED]


class SecurityHeaders:
    """ASGI middleware adding ``security_headers`` to every HTTP response (streamed ones too;
    WebSockets pass untouched). A header a route set itself is replaced, not doubled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope.get("path", ""))
        names = {name for name, _ in extra}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + extra
            await send(message)

        await self.app(scope, receive, with_headers)
