"""What stands between the network and the app: ASGI middleware and the rate limiter.

Owns, for every route (the REST API and Gradio's, which is mounted inside the same app):

- ``BodyLimit``: counts request-body bytes as they arrive, so a chunked body without a
  ``Content-Length`` is stopped at the limit like any other (413), before anything reads it
  whole; a declared length over the limit is refused before a byte is read;
- ``Gate``: closes routes the app does not use (Gradio's file upload), applies the per-client
  rate limits (admin routes, feedback writes) before a body is read, and lets the service pick
  up a corpus or index changed by another worker (a stat call per request);
- ``ErrorShape``: every error response is ``{"error": "…"}``: a ``{"detail": …}`` body from
  FastAPI, Starlette or Gradio is rewritten on its way out;
- ``RateLimiter``: a sliding one-minute window per client IP and bucket, in process memory.
  It is per process: with ``--workers N`` a client can make up to N times the limit.

Does not authenticate (see ``api``) or know what a route does.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict, deque
from typing import Callable

from starlette.concurrency import run_in_threadpool

MAX_BODY_BYTES = 256 * 1024  # JSON API requests
MAX_UPLOAD_BYTES = 6 * 1024 * 1024  # admin uploads (files up to 5 MB plus the multipart envelope)
MAX_UI_BODY_BYTES = 1024 * 1024  # Gradio's event payloads carry the chat history
CLOSED_PATHS = ("/gradio_api/upload", "/upload")  # the UI uploads nothing; open, it was free file hosting


def body_limit_for(path: str) -> int:
    if path.startswith("/api/admin/"):
        return MAX_UPLOAD_BYTES
    if path.startswith("/api/"):
        return MAX_BODY_BYTES
    return MAX_UI_BODY_BYTES


def rate_bucket(method: str, path: str) -> str | None:
    if path.startswith("/api/admin/") or path == "/api/feedback/export":
        return "admin"
    if path == "/api/feedback" and method == "POST":
        return "feedback"
    return None


def client_ip(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


async def send_json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *headers]})
    await send({"type": "http.response.body", "body": data})


class RateLimiter:
    """At most ``limits[bucket]`` requests per client in any ``window_s`` seconds. Thread-safe.

    Memory is bounded: only the ``max_clients`` most recently seen (bucket, client) pairs are kept."""

    def __init__(self, limits: dict[str, int], window_s: float = 60.0, max_clients: int = 10_000) -> None:
        self.limits = dict(limits)
        self.window_s = window_s
        self.max_clients = max_clients
        self._hits: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, bucket: str, client: str) -> tuple[bool, int]:
        """(allowed, seconds to wait if not)."""
        limit = self.limits.get(bucket)
        if limit is None:
            return True, 0
        now = time.monotonic()
        key = (bucket, client)
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                hits = self._hits[key] = deque()
                while len(self._hits) > self.max_clients:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(key)
            while hits and now - hits[0] >= self.window_s:
                hits.popleft()
            if len(hits) >= limit:
                return False, max(1, int(self.window_s - (now - hits[0])) + 1)
            hits.append(now)
            return True, 0


class BodyTooLarge(Exception):
    """Raised inside the app when a body grows past its limit; the 413 has already been sent."""


class BodyLimit:
    def __init__(self, app, limit_for: Callable[[str], int] = body_limit_for) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope["path"])
        too_big = {"error": f"请求体过大（上限 {limit // 1024} KB）"}
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if not value.isdigit():
                    return await send_json(send, 400, {"error": "Content-Length 无效"}, [(b"connection", b"close")])
                if int(value) > limit:
                    return await send_json(send, 413, too_big, [(b"connection", b"close")])
        received = 0
        state = {"stopped": False, "started": False}

        async def counted_receive():
            nonlocal received
            if state["stopped"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    state["stopped"] = True
                    if not state["started"]:
                        state["started"] = True
                        await send_json(send, 413, too_big, [(b"connection", b"close")])
                    raise BodyTooLarge()
            return message

        async def guarded_send(message):
            if state["stopped"]:
                return  # the 413 went out; whatever the app says after that is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if state["stopped"]:  # the app turned our exception into its own (e.g. a multipart error)
                return
            raise


class Gate:
    """Closed routes, per-client rate limits, and picking up another worker's corpus/index change."""

    def __init__(self, app, service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path in CLOSED_PATHS or path.rstrip("/") in CLOSED_PATHS:
            return await send_json(send, 403, {"error": "本服务不接受网页文件上传"})
        bucket = rate_bucket(scope["method"], path)
        if bucket:
            allowed, wait = self.service.limiter.allow(bucket, client_ip(scope))
            if not allowed:
                return await send_json(send, 429, {"error": f"请求过于频繁，请 {wait} 秒后再试"},
                                       [(b"retry-after", str(wait).encode())])
        if self.service.needs_refresh():
            await run_in_threadpool(self.service.refresh)
        return await self.app(scope, receive, send)


class ErrorShape:
    """Rewrite ``{"detail": …}`` error bodies (FastAPI, Starlette, Gradio) as ``{"error": "…"}``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        held: dict = {}
        chunks: list[bytes] = []

        async def shaping_send(message):
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", ()))
                if message["status"] >= 400 and headers.get(b"content-type", b"").startswith(b"application/json"):
                    held["start"] = message
                    return
            elif message["type"] == "http.response.body" and "start" in held:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                return await _send_shaped(send, scope, held["start"], b"".join(chunks))
            await send(message)

        await self.app(scope, receive, shaping_send)


async def _send_shaped(send, scope, start: dict, body: bytes) -> None:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and "detail" in data and "error" not in data:
        data = {"error": error_text(start["status"], data.get("detail"), scope)}
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    headers = [(k, v) for k, v in start.get("headers", ()) if k != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def error_text(status: int, detail, scope) -> str:
    """One Chinese line for an HTTP error, whatever shape its detail had."""
    if status == 404:
        return f"未找到：{scope.get('path', '')}"
    if status == 405:
        return f"不支持的请求方法：{scope.get('method', '')} {scope.get('path', '')}"
    if status == 413:
        return "请求体过大"
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        return f"请求参数不正确：{detail[0].get('msg', '')}"
    return f"请求失败（HTTP {status}）"
