"""Bounded load test of ``POST /api/ask`` on loopback: throughput, p50/p95/p99, errors.

    .venv/bin/python eval/load.py [--levels 1,8,32] [--requests 400] [--out docs/benchmarks.md]

Starts its own server (``policy-assistant serve`` on a free loopback port, fresh index
dir) unless ``--url`` names one, which must be on this machine (127.0.0.0/8, localhost,
[::1]). Each level sends a fixed number of requests (the gold-set questions, cycled)
from N concurrent clients and stops by itself; a per-level time cap bounds it too.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.metrics import percentile  # noqa: E402
from eval.run_answers import load_cases  # noqa: E402


def loopback_only(url: str) -> str:
    host = urlparse(url).hostname or ""
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise SystemExit(f"refusing to send load to {host!r}: loopback addresses only") from None
    return url.rstrip("/")


def start_server() -> tuple[str, subprocess.Popen]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, POLICY_INDEX_DIR=tempfile.mkdtemp(prefix="load-index-"), POLICY_DATA_DIR=tempfile.mkdtemp(prefix="load-data-"))
    exe = Path(sys.executable).parent / "policy-assistant"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/api/health", timeout=2)
            return url, proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start")


def one_request(url: str, question: str) -> tuple[float, bool]:
    body = json.dumps({"question": question}, ensure_ascii=False).encode()
    req = urllib.request.Request(url + "/api/ask", data=body, headers={"content-type": "application/json"})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            ok = r.status == 200 and "citations" in json.loads(r.read())
    except Exception:  # noqa: BLE001 - any failure counts as an error
        ok = False
    return (time.perf_counter() - t) * 1000, ok


def run_level(url: str, questions: list[str], clients: int, requests: int, cap_s: float) -> dict:
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + cap_s
    counter = iter(range(requests))

    def worker():
        nonlocal errors
        while time.perf_counter() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            ms, ok = one_request(url, questions[i % len(questions)])
            with lock:
                lat.append(ms)
                errors += not ok

    t = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(worker)
    wall = time.perf_counter() - t
    return {"clients": clients, "requests": len(lat), "errors": errors, "rps": len(lat) / wall,
            "p50": percentile(lat, 50), "p95": percentile(lat, 95), "p99": percentile(lat, 99)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="bounded loopback load test of POST /api/ask")
    ap.add_argument("--url", help="an already running server on loopback")
    ap.add_argument("--levels", default="1,8,32")
    ap.add_argument("--requests", type=int, default=400, help="requests per level")
    ap.add_argument("--cap-seconds", type=float, default=120, help="time cap per level")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    proc = None
    if args.url:
        url = loopback_only(args.url)
    else:
        url, proc = start_server()
    try:
        questions = [c["turns"][0] for c in load_cases()]
        for q in questions[:5]:
            one_request(url, q)  # warm-up
        rows = [run_level(url, questions, int(n), args.requests, args.cap_seconds) for n in args.levels.split(",")]
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
    lines = [f"`POST /api/ask` with the {len(questions)} gold-set questions (cycled), {args.requests} requests per level, "
             "one uvicorn worker, no LLM, loopback "
             f"(`.venv/bin/python eval/load.py --levels {args.levels} --requests {args.requests}`).", "",
             "| concurrent clients | requests | errors | throughput req/s | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['clients']} | {r['requests']} | {r['errors']} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        from eval.run_retrieval import write_section

        write_section(args.out, "load", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
