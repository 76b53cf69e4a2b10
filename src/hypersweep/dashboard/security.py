"""HTTP hardening of the dashboard: Host checks, read-only methods and security headers.

The dashboard serves one user on one machine, but any web page that user opens can make their
browser send requests to it. A DNS-rebinding page reaches 127.0.0.1 under its own host name, so
every request whose ``Host`` header is not one that the dashboard serves is rejected. Only GET
and HEAD exist. Every response carries a Content-Security-Policy that runs scripts from the
dashboard's own files only, so a stored string that somehow reached a page as markup still
could not run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

__all__ = ["CSP", "CSP_WEBGL", "SecurityMiddleware", "security_headers"]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Plotly sets inline styles and adds <style> rules while it draws, so styles allow
# 'unsafe-inline'; scripts never do.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
"""The Content-Security-Policy of every response, unless a page needs :data:`CSP_WEBGL`."""

# plotly.js draws parallel coordinates and 2-D WebGL scatter with regl, which compiles its
# shaders' JavaScript wrappers with new Function(), so the sweep page must allow eval (checked
# with plotly.js 4.1 in Chromium: without it the parallel coordinates stay empty). It still
# runs no inline script: a stored string cannot become a script element or an event handler.
CSP_WEBGL = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")
"""The Content-Security-Policy of the pages with WebGL charts."""

_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}

_ALLOWED_METHODS = frozenset({"GET", "HEAD"})


def security_headers(csp: str = CSP) -> dict[str, str]:
    """Return the security headers of a response with the given Content-Security-Policy."""
    return {"content-security-policy": csp, **_HEADERS}


class SecurityMiddleware:
    """ASGI middleware that rejects unknown Host headers and other methods than GET and HEAD,
    and adds the security headers to every response that lacks them.

    ``allowed_hosts`` are ``host:port`` values as browsers send them (``127.0.0.1:8765``,
    ``localhost:8765``), compared without regard to case.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: Collection[str]) -> None:
        if not allowed_hosts:
            raise ValueError("allowed_hosts is empty; give the host:port values that the "
                             "dashboard serves, such as 127.0.0.1:8765.")

        self.app = app
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)
        self._rejected_hosts = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return

        if scope["type"] != "http":
            # No WebSocket endpoint exists; closing before accepting rejects the handshake.
            await send({"type": "websocket.close", "code": 1008})
            return

        host = _header(scope, b"host")
        if host is None or host.lower() not in self.allowed_hosts:
            self._log_rejected_host(host, scope)
            await _plain_response(send, 400, "Invalid Host header: this dashboard serves "
                                  f"{', '.join(sorted(self.allowed_hosts))} only.\n")
            return

        if scope["method"] not in _ALLOWED_METHODS:
            await _plain_response(send, 405, "Method not allowed: the dashboard is read-only "
                                  "and answers GET and HEAD only.\n",
                                  extra={"allow": "GET, HEAD"})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_defaults(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _log_rejected_host(self, host: str | None, scope: Scope) -> None:
        # A rebinding page may retry in a loop, so only the first few are logged.
        self._rejected_hosts += 1
        if self._rejected_hosts <= 5:
            logger.warning("Rejected a request for %s with Host header %r; the dashboard serves "
                           "%s", scope.get("path"), host, ", ".join(sorted(self.allowed_hosts)))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _with_defaults(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {bytes(key).lower() for key, _ in headers}
    defaults = {**security_headers(), "cache-control": "no-store"}
    for name, value in defaults.items():
        if name.encode("latin-1") not in present:
            headers.append((name.encode("latin-1"), value.encode("latin-1")))
    return headers


async def _plain_response(send: Send, status: int, text: str, *,
                          extra: dict[str, str] | None = None) -> None:
    body = text.encode("utf-8")
    headers = {"content-type": "text/plain; charset=utf-8", "content-length": str(len(body)),
               **(extra or {})}
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": _with_defaults([(key.encode("latin-1"), value.encode("latin-1"))
                                   for key, value in headers.items()]),
    })
    await send({"type": "http.response.body", "body": body})
