"""Hostile .docx uploads: a decompression bomb, malformed XML, entity expansion ("billion laughs").
Each must end in the documented one-line ParseError (CLI: stderr, exit 2), never a traceback or 500."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import ParseError
from assistant.parser import MAX_DOCX_UNPACKED_BYTES, parse_file
from tests.conftest import CORPUS_DIR, WUHAN
from tests.helpers import BILLION_LAUGHS, MALFORMED_XML, docx_bomb, docx_bytes, docx_with_document_xml

HOSTILE = {
    "bomb": (lambda: docx_bomb(256 << 20), "解压后过大"),
    "malformed": (lambda: docx_with_document_xml(MALFORMED_XML), "不是有效的 .docx 文件"),
    "laughs": (lambda: docx_with_document_xml(BILLION_LAUGHS), "不是有效的 .docx 文件"),
}


def test_a_real_docx_still_parses(tmp_path):
    p = tmp_path / "ok.docx"
    p.write_bytes(docx_bytes())
    assert parse_file(p).clauses[0].text == "对企业给予1000元补贴。"


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_docx_is_a_parse_error(tmp_path, kind):
    make, words = HOSTILE[kind]
    p = tmp_path / f"{kind}.docx"
    p.write_bytes(make())
    assert p.stat().st_size < 5 * 1024 * 1024
    with pytest.raises(ParseError, match=words):
        parse_file(p)


def test_bomb_is_refused_from_declared_sizes_without_unpacking(tmp_path, monkeypatch):
    import docx

    p = tmp_path / "bomb.docx"
    p.write_bytes(docx_bomb(MAX_DOCX_UNPACKED_BYTES + (1 << 20)))
    monkeypatch.setattr(docx, "Document", lambda *a, **k: pytest.fail("python-docx opened a bomb"))
    with pytest.raises(ParseError, match="解压后过大"):
        parse_file(p)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_cli_add_of_hostile_docx_prints_one_line_and_exits_2(tmp_path, kind):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(WUHAN, corpus_dir)
    shutil.copy(CORPUS_DIR / "policies.json", corpus_dir)
    src = tmp_path / f"{kind}.docx"
    src.write_bytes(HOSTILE[kind][0]())
    env = dict(os.environ, POLICY_CORPUS_DIR=str(corpus_dir), POLICY_INDEX_DIR=str(tmp_path / "index"),
               POLICY_DATA_DIR=str(tmp_path / "data"), POLICY_EMBEDDER="hash")
    exe = Path(sys.executable).parent / "policy-assistant"
    r = subprocess.run([str(exe), "add", str(src)], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("错误：无法解析政策文件") and HOSTILE[kind][1] in r.stderr
    assert sorted(p.name for p in corpus_dir.iterdir() if p.name != ".policies.lock") == sorted([WUHAN.name, "policies.json"])
