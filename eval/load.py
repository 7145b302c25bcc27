"""Bounded load test of ``POST /api/ask`` on loopback: throughput, p50/p95/p99, errors, server RSS.

    .venv/bin/python eval/load.py [--workers 1,2] [--levels 1,8,32,64] [--requests 400]
                                  [--out docs/benchmarks.md] [--chart docs/load.png]

For each worker count it starts its own server (``policy-assistant serve --workers N`` on a
free loopback port, fresh index and data folders, so every answer also writes its
conversation to the SQLite store) unless ``--url`` names one, which must be on this machine
(127.0.0.0/8, localhost, [::1]). Each level sends a fixed number of requests (the gold-set
questions, cycled) from N concurrent clients and stops by itself; a per-level time cap bounds
it too. RSS is the peak, sampled every 0.2 s, of the server process and all its children.
The load generator runs on the same 2 cores as the server.
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


def start_server(workers: int = 1) -> tuple[str, subprocess.Popen]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, POLICY_INDEX_DIR=tempfile.mkdtemp(prefix="load-index-"), POLICY_DATA_DIR=tempfile.mkdtemp(prefix="load-data-"))
    exe = Path(sys.executable).parent / "policy-assistant"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
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


def tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and its descendants (uvicorn's worker processes), in MB, from /proc."""
    total = 0
    for p in _tree_pids(pid):
        try:
            total += next(int(line.split()[1]) for line in Path(f"/proc/{p}/status").read_text().splitlines() if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def _tree_pids(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                children.setdefault(int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]), []).append(int(d.name))
            except (OSError, IndexError, ValueError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def _machine_busy_ticks() -> int:
    v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]  # user nice system irq softirq steal


class OtherCpu:
    """CPU used by processes other than the server tree and this load generator, in cores, over a span."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.start = self._sample()
        self.t0 = time.perf_counter()

    def _sample(self) -> tuple[int, int]:
        ours = _cpu_ticks(([*_tree_pids(self.pid)] if self.pid else []) + [os.getpid()])
        return _machine_busy_ticks(), ours

    def cores(self) -> float:
        busy, ours = self._sample()
        hz = os.sysconf("SC_CLK_TCK")
        return max(0.0, ((busy - self.start[0]) - (ours - self.start[1])) / hz / (time.perf_counter() - self.t0))


def run_level(url: str, questions: list[str], clients: int, requests: int, cap_s: float, pid: int | None = None) -> dict:
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + cap_s
    counter = iter(range(requests))
    peak = [tree_rss_mb(pid) if pid else 0.0]
    other = OtherCpu(pid)
    done = threading.Event()

    def sample():
        while pid and not done.wait(0.2):
            peak[0] = max(peak[0], tree_rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

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
    done.set()
    sampler.join()
    return {"other_cpu": other.cores(), "clients": clients, "requests": len(lat), "errors": errors, "rps": len(lat) / wall,
            "p50": percentile(lat, 50), "p95": percentile(lat, 95), "p99": percentile(lat, 99),
            "rss_mb": max(peak[0], tree_rss_mb(pid)) if pid else None}


def chart(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for workers in sorted({r["workers"] for r in rows}):
        mine = [r for r in rows if r["workers"] == workers]
        xs = [r["clients"] for r in mine]
        label = f"{workers} worker{'s' if workers > 1 else ''}"
        left.plot(xs, [r["rps"] for r in mine], marker="o", label=label)
        right.plot(xs, [r["p95"] for r in mine], marker="o", label=f"{label} p95")
        right.plot(xs, [r["p50"] for r in mine], marker=".", ls="--", label=f"{label} p50")
    for ax, title, unit in ((left, "Throughput", "requests / s"), (right, "Latency", "ms")):
        ax.set_xscale("log", base=2)
        ax.set_xticks([r["clients"] for r in rows if r["workers"] == rows[0]["workers"]])
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("concurrent clients")
        ax.set_ylabel(unit)
        ax.set_title(f"POST /api/ask: {title.lower()}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="bounded loopback load test of POST /api/ask")
    ap.add_argument("--url", help="an already running server on loopback (then --workers is only a label)")
    ap.add_argument("--workers", default="1", help="worker counts to start servers with, e.g. 1,2")
    ap.add_argument("--levels", default="1,8,32,64")
    ap.add_argument("--requests", type=int, default=400, help="requests per level")
    ap.add_argument("--cap-seconds", type=float, default=120, help="time cap per level")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--chart", type=Path, help="PNG of throughput and latency per level")
    args = ap.parse_args(argv)
    questions = [c["turns"][0] for c in load_cases()]
    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        proc = None
        if args.url:
            url = loopback_only(args.url)
        else:
            url, proc = start_server(workers)
        try:
            for q in questions[:5] * workers:
                one_request(url, q)  # warm-up
            for n in args.levels.split(","):
                row = run_level(url, questions, int(n), args.requests, args.cap_seconds, pid=proc.pid if proc else None)
                rows.append(dict(row, workers=workers))
                print(rows[-1], file=sys.stderr)
        finally:
            if proc:
                proc.terminate()
                proc.wait(30)
    lines = [f"`POST /api/ask` with the {len(questions)} gold-set questions (cycled), {args.requests} requests per level, no LLM, "
             "default embedder, SQLite store (each answer writes its conversation), loopback, load generator on the same 2 cores "
             f"(`.venv/bin/python eval/load.py --workers {args.workers} --levels {args.levels} --requests {args.requests}`). "
             "RSS: peak of the server and its worker processes. Other CPU: cores used meanwhile by processes other than the "
             "server and the load generator (the machine has 2; anything above 0 slowed the level down).", "",
             "| workers | concurrent clients | requests | errors | throughput req/s | p50 ms | p95 ms | p99 ms | peak RSS MB | other CPU |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rss = f"{r['rss_mb']:.0f}" if r["rss_mb"] is not None else "—"
        lines.append(f"| {r['workers']} | {r['clients']} | {r['requests']} | {r['errors']} | {r['rps']:.1f} | {r['p50']:.0f} | "
                     f"{r['p95']:.0f} | {r['p99']:.0f} | {rss} | {r['other_cpu']:.2f} |")
    if args.chart:
        chart(rows, args.chart)
        lines += ["", f"![load]({args.chart.name})"]
    text = "\n".join(lines)
    print(text)
    if args.out:
        from eval.run_retrieval import write_section

        write_section(args.out, "load", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
