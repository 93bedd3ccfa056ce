"""Who may talk to the service, and how much they may send.

Binding to loopback needs no token: only this machine can connect. Binding anywhere else
(``0.0.0.0``, a LAN address) exposes log contents and the ingest endpoint, so the service
refuses to start without a bearer token, read from the environment variable the config names
(never from the config file, which ends up in repositories). A token set while on loopback is
enforced too. The dashboard's page and static files are public (they hold no data); every
other path, /metrics included, needs ``Authorization: Bearer <token>``.

Both checks are plain ASGI middleware, so a refused request is answered before FastAPI reads
a byte of its body.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from logsieve.service.config import ServeConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MIN_TOKEN_CHARS = 16
PUBLIC_PATHS = ("/", "/favicon.ico", "/docs", "/openapi.json")
PUBLIC_PREFIXES = ("/static/",)


class TokenMissing(RuntimeError):
    """Refusing to bind beyond loopback without a token; the message says how to give one."""


def resolve_token(config: ServeConfig, env: MutableMapping[str, str] | dict[str, str]) -> str | None:
    """The token to enforce, or None (loopback, none set). Raises :class:`TokenMissing`."""
    token = env.get(config.token_env) or None
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise TokenMissing(f"${config.token_env} is shorter than {MIN_TOKEN_CHARS} characters; use a random one, "
                           "e.g. `export {0}=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')`"
                           .format(config.token_env))
    if token is None and not config.loopback:
        raise TokenMissing(
            f"binding to {config.host} exposes the service beyond this machine, so a bearer token is required: "
            f"export {config.token_env}=$(python -c 'import secrets; print(secrets.token_urlsafe(32))') "
            f"and send `Authorization: Bearer $${config.token_env}`, or bind to 127.0.0.1")
    return token


async def _json(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


class TokenGuard:
    """401 for a request without the right bearer token (constant-time comparison)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.expected is None or scope["type"] != "http" or _public(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if not hmac.compare_digest(given, self.expected):
            await _json(send, 401, "missing or wrong bearer token: send `Authorization: Bearer <token>`",
                        [(b"www-authenticate", b"Bearer")])
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for a request whose declared body (Content-Length) is over ``max_bytes``, before a
    byte of it is read; ``POST /ingest`` also counts a chunked body as it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _json(send, 400, "Content-Length is not a number")
                return
            if size > self.max_bytes:
                await _json(send, 413, f"body of {size} bytes is over the limit of {self.max_bytes}; "
                                       "send smaller batches")
                return
        await self.app(scope, receive, send)  # a chunked body is counted by the endpoint that reads it


def _public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
