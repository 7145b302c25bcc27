"""The adapter for an OpenAI-compatible chat server (vLLM, llama.cpp, Ollama, a cloud API).

The only module that talks to an LLM. It implements ``polish.Generator`` over the
standard library's ``http.client`` rather than an SDK, because the deadline has to be
ours: a watchdog shuts the socket down when the *total* deadline passes or the caller
cancels, so a server that streams forever, trickles bytes or never answers is cut off
on time, and closing the connection tells the server to stop generating for us.
It does not decide anything about content (see ``polish``).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from typing import Iterator
from urllib.parse import urlsplit

from assistant.errors import Cancelled, DeadlineExceeded, GeneratorError

_WATCH_INTERVAL_S = 0.02


class OpenAICompatible:
    """``POST {base_url}/chat/completions`` with ``stream: true``; yields text deltas."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, temperature: float = 0.1) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.https else 80)
        self.path = (parts.path or "") + "/chat/completions"
        self.model, self.api_key, self.temperature = model, api_key, temperature

    def stream(self, messages: list[dict], *, max_tokens: int, deadline: float,
               cancel: threading.Event | None = None) -> Iterator[str]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded()
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=remaining)
        done = threading.Event()
        cut = threading.Event()

        def watchdog() -> None:
            while not done.wait(_WATCH_INTERVAL_S):
                if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                    cut.set()
                    _shutdown(conn)
                    return

        threading.Thread(target=watchdog, name="llm-deadline", daemon=True).start()
        body = json.dumps({"model": self.model, "messages": messages, "stream": True, "max_tokens": max_tokens,
                           "temperature": self.temperature}, ensure_ascii=False).encode()
        headers = {"content-type": "application/json", "accept": "text/event-stream"}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        try:
            try:
                conn.request("POST", self.path, body=body, headers=headers)
                resp = conn.getresponse()
                if resp.status != 200:
                    raise GeneratorError(f"HTTP {resp.status}: {resp.read(300).decode('utf-8', 'replace')}")
                if "event-stream" not in (resp.getheader("content-type") or ""):
                    yield _whole_message(resp.read())  # a server that ignored "stream"
                    return
                yield from _sse_deltas(resp, cut)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if cut.is_set() or time.monotonic() >= deadline:
                    raise (Cancelled() if cancel is not None and cancel.is_set() else DeadlineExceeded()) from None
                raise GeneratorError(str(exc) or type(exc).__name__) from None
            if cut.is_set():
                raise Cancelled() if cancel is not None and cancel.is_set() else DeadlineExceeded()
        finally:
            done.set()
            conn.close()


def _shutdown(conn: http.client.HTTPConnection) -> None:
    """Wake a read blocked in another thread (``close`` alone does not) and end the request."""
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _sse_deltas(resp: http.client.HTTPResponse, cut: threading.Event) -> Iterator[str]:
    buf = b""
    while not cut.is_set():
        chunk = resp.read1(65536)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                return
            event = json.loads(data)
            if event.get("error"):
                raise GeneratorError(str(event["error"])[:300])
            for choice in event.get("choices") or []:
                text = (choice.get("delta") or {}).get("content") or ""
                if text:
                    yield text


def _whole_message(data: bytes) -> str:
    payload = json.loads(data)
    return (payload.get("choices") or [{}])[0].get("message", {}).get("content") or ""

