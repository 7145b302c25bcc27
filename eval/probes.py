"""The probes of issue 13 (reliability), re-run against fresh servers on loopback; one line per probe.

    .venv/bin/python eval/probes.py [--only P1,P2] [--json results.json]

Starts its own ``policy-assistant serve`` processes (hash embedder; temporary corpus, index and
data folders; an admin token) on free loopback ports, and runs the CLI the same way. Every loop
is bounded in count, size and time and stops by itself; nothing is sent off this machine. The
same script run with an older checkout first on ``PYTHONPATH`` gives the "before" column of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.load import tree_rss_mb  # noqa: E402  (one reading of /proc for both scripts)

EXE = Path(sys.executable).parent / "policy-assistant"
TOKEN = "probe-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TALENT = "# 某市人才补贴办法{n}\n\n第一条 为吸引人才，制定本办法。\n第二条 【补贴标准】对博士给予每月{n}000元生活补贴。（责任单位：市人社局{n}）\n"


# ---------------------------------------------------------------- servers and measurements


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1024 / 1024


class Server:
    def __init__(self, workdir: Path, *, workers: int = 1, **env) -> None:
        self.workdir = workdir
        self.corpus = workdir / "corpus"
        if not self.corpus.exists():
            shutil.copytree(ROOT / "corpus", self.corpus, ignore=shutil.ignore_patterns(".*"))
        self.env = dict(os.environ, POLICY_CORPUS_DIR=str(self.corpus), POLICY_INDEX_DIR=str(workdir / "index"),
                        POLICY_DATA_DIR=str(workdir / "data"), POLICY_EMBEDDER="hash", POLICY_ADMIN_TOKEN=TOKEN, **env)
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "Server":
        port = free_port()
        extra = ["--workers", str(self.workers)] if self.workers != 1 else []
        self.proc = subprocess.Popen([str(EXE), "serve", "--port", str(port), *extra], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                httpx.get(self.url + "/api/health", timeout=5)
                return self
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read()[-1000:])
                time.sleep(0.3)
        raise TimeoutError("server did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def rss(self) -> float:
        return tree_rss_mb(self.proc.pid)


def chunked_post(port: int, path: str, headers: str, total: int, chunk: int = 256 * 1024, timeout: float = 120,
                 preamble: bytes = b"") -> tuple[int | None, int]:
    """Send up to ``total`` bytes as a chunked body (after ``preamble``), stopping once the server answers:
    (status, bytes the client sent; the server may have read fewer)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n{headers}\r\n".encode())
    if preamble:
        sock.sendall(b"%x\r\n%s\r\n" % (len(preamble), preamble))
    data = b"x" * chunk
    sent = 0
    try:
        while sent < total:
            sock.settimeout(0.0)
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break
            except (BlockingIOError, socket.timeout):
                pass
            sock.settimeout(timeout)
            sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))
            sent += len(data)
        else:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(timeout)
    head = b""
    try:
        while b"\r\n" not in head:
            part = sock.recv(4096)
            if not part:
                break
            head += part
    except OSError:
        pass
    sock.close()
    try:
        return int(head.split(b" ", 2)[1]), sent
    except (IndexError, ValueError):
        return None, sent


def docx(paragraphs=("某市测试办法", "第一条 对企业给予1000元补贴。（责任单位：市测试局）"), document_xml: bytes | None = None,
         padding: int = 0) -> bytes:
    import docx as python_docx

    d = python_docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    base = io.BytesIO()
    d.save(base)
    src = zipfile.ZipFile(io.BytesIO(base.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            if info.filename == "word/document.xml" and (document_xml or padding):
                continue
            z.writestr(info.filename, src.read(info.filename))
        if document_xml:
            z.writestr("word/document.xml", document_xml)
        elif padding:  # a well-formed document.xml of ``padding`` bytes: the decompression bomb
            para = b"a" * (1 << 20)  # one huge text node: long runs deflate ~1000:1
            with z.open("word/document.xml", "w", force_zip64=True) as f:
                f.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
                for _ in range(padding // len(para)):
                    f.write(para)
                f.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return out.getvalue()


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
          + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol9;'
            b'</w:t></w:r></w:p></w:body></w:document>')
MALFORMED = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'


def error_shape(r: httpx.Response) -> str:
    try:
        return ",".join(sorted(r.json()))
    except ValueError:
        return "not JSON"


# ---------------------------------------------------------------- probes


def p1_concurrent_uploads(s: Server) -> str:
    statuses = ["superseded", "in_force", "draft", None, "superseded", None, "in_force", "superseded"]

    def up(n):
        data = {"doc_id": f"probe{n}"} | ({"status": statuses[n]} if statuses[n] else {})
        return httpx.post(s.url + "/api/admin/policies", files={"file": (f"a{n}-probe.md", TALENT.format(n=n + 1).encode())},
                          data=data, headers=AUTH, timeout=300).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(up, range(8)))
    manifest = json.loads((s.corpus / "policies.json").read_text(encoding="utf-8"))["documents"]
    docs = {d["id"]: d for d in httpx.get(s.url + "/api/documents").json()["documents"]}
    superseded_used = sum(1 for n, st in enumerate(statuses) if st == "superseded" and docs.get(f"probe{n}", {}).get("active"))
    c34 = httpx.get(s.url + "/api/clauses/3.4").status_code
    first = manifest[0]["file"] if manifest else "?"
    return (f"HTTP {sorted(set(codes))}; manifest keeps {len(manifest)}/9 files (first: {first[:12]}…); GET /api/clauses/3.4 → {c34}; "
            f"superseded uploads still answering: {superseded_used}/3")


def p2_chunked_ask(s: Server) -> str:
    before = s.rss()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: chunked_post(s.port, "/api/ask", "Content-Type: application/json\r\n", 100 << 20), range(8)))
    peak = s.rss()
    sent = sum(b for _, b in results) / 1024 / 1024
    return (f"8 × 100 MB chunked, no Content-Length: HTTP {sorted({c for c, _ in results}, key=str)}; clients had sent {sent:.0f} MB "
            f"when answered; server RSS {before:.0f} → {peak:.0f} MB")


def p3_unauthenticated_upload(s: Server) -> str:
    part = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
    status, sent = chunked_post(s.port, "/api/admin/policies", "Content-Type: multipart/form-data; boundary=b\r\n", 1 << 30,
                                preamble=part)
    return f"1 GB chunked multipart upload, no token: HTTP {status} once the client had sent {sent / 1024 / 1024:.0f} MB"


def p4_feedback_50mb(s: Server) -> str:
    body = json.dumps({"question": "q", "answer": "a" * (50 << 20), "rating": 1}).encode()
    r = httpx.post(s.url + "/api/feedback", content=(body[i:i + (1 << 20)] for i in range(0, len(body), 1 << 20)),
                   headers={"content-type": "application/json"}, timeout=120)  # chunked: no Content-Length to check
    return f"50 MB answer field, chunked: HTTP {r.status_code}"


def p5_export_without_login(s: Server) -> str:
    r = httpx.get(s.url + "/api/feedback/export")
    return f"GET /api/feedback/export without a token: HTTP {r.status_code}"


def p6_feedback_flood(s: Server) -> str:
    before = dir_mb(s.workdir / "data")
    body = {"question": "刷库", "answer": "x" * 100_000, "rating": 1}
    t = time.perf_counter()
    with httpx.Client(timeout=30) as c:
        codes = [c.post(s.url + "/api/feedback", json=body).status_code for _ in range(2000)]
    took = time.perf_counter() - t
    return (f"2,000 anonymous posts of 100 KB in {took:.1f} s: {codes.count(200)} stored, {codes.count(429)} × 429; "
            f"database {before:.1f} → {dir_mb(s.workdir / 'data'):.1f} MB")


def p7_gradio_upload(s: Server) -> str:
    r = httpx.post(s.url + "/gradio_api/upload", files={"files": ("big.bin", b"\0" * (50 << 20), "application/octet-stream")}, timeout=120)
    served = ""
    if r.status_code == 200:
        try:
            path = r.json()[0]
            served = f"; GET /gradio_api/file=… → {httpx.get(s.url + '/gradio_api/file=' + path, timeout=60).status_code}"
        except (ValueError, IndexError, KeyError):
            pass
    return f"50 MB POST /gradio_api/upload: HTTP {r.status_code}{served}"


def p8_docx_bomb(s: Server) -> str:
    data = docx(padding=1 << 30)
    before = s.rss()
    r = httpx.post(s.url + "/api/admin/policies", files={"file": ("bomb.docx", data)}, headers=AUTH, timeout=300)
    return f"{len(data) / 1024 / 1024:.1f} MB .docx unpacking to 1 GB: HTTP {r.status_code} {error_shape(r)}; RSS {before:.0f} → {s.rss():.0f} MB"


def p9_non_ascii_token(s: Server) -> str:
    r = httpx.post(s.url + "/api/admin/policies", files={"file": ("t.md", b"x")}, headers={"X-Admin-Token": "令牌".encode()})
    return f"non-ASCII admin token: HTTP {r.status_code}"


def p10_bad_docx(s: Server) -> str:
    out = []
    for name, data in (("malformed XML", docx(document_xml=MALFORMED)), ("billion laughs", docx(document_xml=LAUGHS))):
        r = httpx.post(s.url + "/api/admin/policies", files={"file": ("bad.docx", data)}, headers=AUTH, timeout=120)
        src = s.workdir / "bad.docx"
        src.write_bytes(data)
        cli = subprocess.run([str(EXE), "add", str(src)], env=s.env, capture_output=True, text=True, timeout=300)
        out.append(f"{name}: API {r.status_code}, CLI exit {cli.returncode} with {len(cli.stderr.strip().splitlines())} stderr line(s)"
                   f"{' (traceback)' if 'Traceback' in cli.stderr else ''}")
    return "; ".join(out)


def p11_two_build_index(workdir: Path) -> str:
    env = dict(os.environ, POLICY_INDEX_DIR=str(workdir / "bi-index"), POLICY_DATA_DIR=str(workdir / "bi-data"), POLICY_EMBEDDER="hash")
    procs = [subprocess.Popen([str(EXE), "build-index"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    why = next((e.strip().splitlines()[-1][:80] for p, e in zip(procs, errs) if p.returncode), "")
    return f"two build-index runs at once: exit codes {[p.returncode for p in procs]}{' — ' + why if why else ''}"


def p12_restart(workdir: Path) -> str:
    s = Server(workdir / "restart").start()
    try:
        cid = httpx.post(s.url + "/api/ask", json={"question": "模型券能补多少？"}, timeout=60).json()["conversation_id"]
    finally:
        s.stop()
    s.start()
    try:
        a = httpx.post(s.url + "/api/ask", json={"question": "这个归哪个部门管？", "conversation_id": cid}, timeout=60).json()
    finally:
        s.stop()
    return f"follow-up after a restart: {'context kept (市经信局)' if '市经信局' in a['answer'] else 'context lost' + (' (refused)' if a['refused'] else '')}"


def p13_eviction(s: Server) -> str:
    with httpx.Client(timeout=60) as c:
        cid = c.post(s.url + "/api/ask", json={"question": "模型券能补多少？"}).json()["conversation_id"]
        for _ in range(2240):
            c.post(s.url + "/api/ask", json={"question": "算力券", "conversation_id": secrets.token_hex(6)})
        a = c.post(s.url + "/api/ask", json={"question": "这个归哪个部门管？", "conversation_id": cid}).json()
    kept = "市经信局" in a["answer"]
    return f"2,240 requests with fresh ids, then the follow-up: {'answered (市经信局)' if kept else 'refused' if a['refused'] else 'context lost'}"


def p14_workers(workdir: Path) -> str:
    s = Server(workdir / "workers", workers=2)
    try:
        s.start()
    except (RuntimeError, TimeoutError) as exc:
        return f"serve --workers 2: does not start ({str(exc).strip().splitlines()[-1][:60]})"
    try:
        pids = set()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:  # concurrent connections spread over the workers
            for _ in range(25):
                pids.update(pool.map(lambda _: httpx.get(s.url + "/api/health").json().get("worker"), range(4)))
        return f"serve --workers 2: {len(pids - {None})} worker processes answering"
    finally:
        s.stop()


def p15_big_document(s: Server) -> str:
    text = "# 大型测试政策\n\n" + "\n".join(f"第{i}条 【措施{i}】对企业给予补贴。对个人给予奖励。（责任单位：市测试局{i % 7}）" for i in range(1, 10_001))
    r = httpx.post(s.url + "/api/admin/policies", files={"file": ("big.md", text.encode())}, data={"doc_id": "big"}, headers=AUTH,
                   timeout=600)
    t = time.perf_counter()
    page = httpx.get(s.url + "/api/clauses", timeout=120)
    took = time.perf_counter() - t
    return f"10,000-article document (upload HTTP {r.status_code}): GET /api/clauses {took:.2f} s, {len(page.content) / 1024 / 1024:.2f} MB"


def p16_long_title(s: Server) -> str:
    r = httpx.post(s.url + "/api/admin/policies", files={"file": ("title.md", TALENT.format(n=9).encode())},
                   data={"title": "长" * 100_000}, headers=AUTH, timeout=120)
    return f"100,000-character admin title: HTTP {r.status_code}"


def p17_error_shapes(s: Server) -> str:
    out = []
    for method, path in (("GET", "/api/no-such-route"), ("GET", "/api/ask"), ("DELETE", "/api/clauses")):
        r = httpx.request(method, s.url + path)
        out.append(f"{method} {path} → {r.status_code} {{{error_shape(r)}}}")
    return "; ".join(out)


def p18_no_token_no_file(s: Server) -> str:
    return f"no token and no file: HTTP {httpx.post(s.url + '/api/admin/policies').status_code}"


def p19_bare_authorization(s: Server) -> str:
    r = httpx.post(s.url + "/api/admin/policies", files={"file": ("bare.md", TALENT.format(n=7).encode())},
                   headers={"Authorization": TOKEN}, timeout=120)
    return f"`Authorization: <token>` without Bearer: HTTP {r.status_code}"


def p20_token_guesses(s: Server) -> str:
    with httpx.Client() as c:
        codes = [c.post(s.url + "/api/admin/policies", headers={"X-Admin-Token": f"guess-{i}"}).status_code for i in range(100)]
    counts = ", ".join(f"{n} × {code}" for code, n in sorted(collections.Counter(codes).items()))
    return f"100 wrong tokens from one client: {counts}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="re-run the probes of issue 13 against fresh loopback servers")
    ap.add_argument("--only", help="comma-separated probe ids, e.g. P1,P8")
    ap.add_argument("--json", type=Path, help="also write the results as JSON")
    args = ap.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    work = Path(tempfile.mkdtemp(prefix="probes-"))
    results: dict[str, str] = {}
    main_server = Server(work / "main", POLICY_ADMIN_RATE_PER_MINUTE="100000", POLICY_FEEDBACK_RATE_PER_MINUTE="100000")
    limits_server = Server(work / "limits")  # the default rate limits
    plan = [
        ("P1", main_server, p1_concurrent_uploads), ("P2", main_server, p2_chunked_ask), ("P3", main_server, p3_unauthenticated_upload),
        ("P4", main_server, p4_feedback_50mb), ("P5", main_server, p5_export_without_login), ("P6", limits_server, p6_feedback_flood),
        ("P7", main_server, p7_gradio_upload), ("P8", main_server, p8_docx_bomb), ("P9", main_server, p9_non_ascii_token),
        ("P10", main_server, p10_bad_docx), ("P11", None, p11_two_build_index), ("P12", None, p12_restart),
        ("P13", main_server, p13_eviction), ("P14", None, p14_workers), ("P15", main_server, p15_big_document),
        ("P16", main_server, p16_long_title), ("P17", main_server, p17_error_shapes), ("P18", main_server, p18_no_token_no_file),
        ("P19", main_server, p19_bare_authorization), ("P20", limits_server, p20_token_guesses),
    ]
    try:
        for pid, server, probe in plan:
            if only and pid not in only:
                continue
            try:
                if server is None:
                    results[pid] = probe(work)
                else:
                    if server.proc is None:
                        server.start()
                    results[pid] = probe(server)
            except Exception as exc:  # noqa: BLE001 - a probe that breaks is itself a result
                results[pid] = f"probe failed: {type(exc).__name__}: {str(exc)[:120]}"
                if server is not None and server.proc is not None and server.proc.poll() is not None:
                    results[pid] += " (server died)"
                    server.proc = None
            print(f"{pid}: {results[pid]}", flush=True)
    finally:
        main_server.stop()
        limits_server.stop()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
