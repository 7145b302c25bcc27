"""Shared test helpers: the engine over small written policies, a free port, real servers (`chroma run`, PostgreSQL,
`policy-assistant serve`), hostile .docx files."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.2)
    raise TimeoutError(f"port {port} did not open")


@contextlib.contextmanager
def chroma_server(path: Path, port: int | None = None):
    """A real Chroma server on loopback, stopped on exit."""
    port = port or free_port()
    exe = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def pg_tool(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, else Debian's /usr/lib/postgresql/<version>/bin (newest)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


@contextlib.contextmanager
def postgres_server(port: int | None = None):
    """A throwaway PostgreSQL server on loopback: ``initdb`` + ``pg_ctl`` in a temporary folder, no system service.

    PostgreSQL refuses to run as root; as root (CI) it runs as the ``postgres`` system user that Debian's
    package creates (``nobody`` if there is none), in a folder handed to that user."""
    initdb, pg_ctl = pg_tool("initdb"), pg_tool("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("PostgreSQL is not installed: `make test` installs it (apt-get install postgresql)")
    port = port or free_port()
    base = Path(tempfile.mkdtemp(prefix="policy-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(base, user)
        as_user = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", user, "--"]
    data = base / "data"
    run = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    subprocess.run(as_user + [initdb, "-D", str(data), "-A", "trust", "-U", "policy", "-E", "UTF8", "--locale=C", "--no-sync"], **run)
    subprocess.run(as_user + [pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60",
                              "-o", f"-h 127.0.0.1 -p {port} -k {base} -F", "start"], **run)
    try:
        yield f"postgresql://policy@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@contextlib.contextmanager
def app_server(env: dict, *, workers: int = 1, port: int | None = None, timeout: float = 180.0):
    """``policy-assistant serve`` on loopback with ``env`` added to this environment; stopped on exit."""
    import urllib.request

    port = port or free_port()
    exe = Path(sys.executable).parent / "policy-assistant"
    log = tempfile.TemporaryFile()
    extra = ["--workers", str(workers)] if workers != 1 else []
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), *extra], env=dict(os.environ, **env),
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(url + "/api/health", timeout=5)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"server did not start: {log.read().decode(errors='replace')[-2000:]}") from None
                time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


# ------------------------------------------------------------------ hostile .docx files


def docx_bytes(paragraphs=("某市测试办法", "第一条 对企业给予1000元补贴。（责任单位：市测试局）")) -> bytes:
    import io

    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def docx_with_document_xml(xml: bytes) -> bytes:
    """A real .docx whose word/document.xml is replaced by ``xml``."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, xml if info.filename == "word/document.xml" else src.read(info.filename))
    return out.getvalue()


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
                  + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                  b'<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>')
MALFORMED_XML = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'


def docx_bomb(unpacked_bytes: int = 1 << 30) -> bytes:
    """A .docx whose word/document.xml is well-formed and ``unpacked_bytes`` long (1 GiB packs to ~1 MB)."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    head = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
    para = b"a" * (1 << 20)  # one huge text node: long runs deflate ~1000:1
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                z.writestr(info.filename, src.read(info.filename))
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(head)
            for _ in range(unpacked_bytes // len(para)):
                f.write(para)
            f.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return out.getvalue()


def written_engine(folder, docs):
    """The whole engine over small written policies, with the cheap hash embedder (routing is the subject, not the
    model). ``docs``: (file name, text, document id, clause-id prefix) each, the first document first."""
    from assistant.bootstrap import open_retriever
    from assistant.corpus import Corpus
    from assistant.parser import parse_file
    from assistant.pipeline import Engine
    from assistant.settings import load_settings

    parsed = []
    for name, text, doc_id, prefix in docs:
        (folder / name).write_text(text, encoding="utf-8")
        parsed.append(parse_file(folder / name, doc_id=doc_id, id_prefix=prefix))
    corpus = Corpus.from_documents(parsed)
    retriever, _ = open_retriever(load_settings(index_dir=folder / "index", embedder="hash"), corpus=corpus, quiet=True)
    return Engine(corpus, retriever)
