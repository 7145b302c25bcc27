"""A scripted OpenAI-compatible chat server on loopback for tests: it says what the test tells it to.

``ScriptedLLM().start()`` serves ``POST /v1/chat/completions`` (streaming SSE or one JSON
body). The script decides the reply (``{DRAFT}`` is replaced by the draft the client sent),
how it is cut into chunks, the delay between chunks, a delay before the first byte, an
HTTP error, and ``forever``: keep streaming until the client hangs up. The server records
every request body, how many streams were open at once, and when it noticed a client
hang up. ``threaded=False`` serves one request at a time, like a single-slot llama.cpp server.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer


@dataclass
class Script:
    reply: str = "{DRAFT}"
    chunk_chars: int = 6
    delay: float = 0.0  # between chunks
    first_byte_delay: float = 0.0
    forever: bool = False
    status: int = 200
    parts: list = field(default_factory=list)  # [(text, seconds to wait after it)]: overrides reply/chunk_chars/delay


@dataclass
class ScriptedLLM:
    threaded: bool = True
    script: Script = field(default_factory=Script)
    requests: list = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    hangups: list = field(default_factory=list)  # monotonic times a client hang-up was noticed
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> "ScriptedLLM":
        cls = ThreadingHTTPServer if self.threaded else HTTPServer
        self._server = cls(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def reset(self, **script) -> None:
        with self._lock:
            self.script = Script(**script)
            self.requests.clear()
            self.hangups.clear()
            self.max_active = self.active

    def wait_idle(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.active == 0:
                return True
            time.sleep(0.01)
        return False


def _handler(owner: ScriptedLLM):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            script = owner.script
            with owner._lock:
                owner.requests.append(body)
                owner.active += 1
                owner.max_active = max(owner.max_active, owner.active)
            try:
                self._respond(body, script)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
                owner.hangups.append(time.monotonic())
            finally:
                with owner._lock:
                    owner.active -= 1

        def _respond(self, body, script: Script):
            end = time.monotonic() + script.first_byte_delay
            while time.monotonic() < end and not owner._stop.is_set():
                time.sleep(0.01)
            user = body["messages"][-1]["content"]
            draft = user.split("草稿回答：\n", 1)[-1].rsplit("\n\n请输出", 1)[0]
            text = script.reply.replace("{DRAFT}", draft)
            if script.status != 200:
                data = json.dumps({"error": {"message": "scripted failure"}}).encode()
                self.send_response(script.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if not body.get("stream"):
                data = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            n = max(1, script.chunk_chars)
            parts = [(p.replace("{DRAFT}", draft), wait) for p, wait in script.parts] or \
                [(text[i:i + n], script.delay) for i in range(0, len(text), n)]
            for piece, wait in parts:
                self._event(piece)
                time.sleep(wait)
            while script.forever and not owner._stop.is_set():
                self._event("继续")
                time.sleep(max(script.delay, 0.02))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

        def _event(self, piece: str):
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()

    return Handler
