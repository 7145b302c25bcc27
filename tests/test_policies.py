import shutil

import pytest
from fastapi.testclient import TestClient

from assistant.pipeline import Conversation, Engine, ask
from assistant.bootstrap import open_retriever
from assistant.corpus import MANIFEST, load_corpus
from assistant.errors import ParseError
from assistant.policies import add_policy, safe_name
from assistant.settings import load_settings
from assistant.sidecar import sidecar_path
from tests.conftest import WUHAN

TALENT = """# 某市人才补贴办法

第一条 为吸引人才，制定本办法。
第二条 【补贴标准】对博士给予每月3000元生活补贴。对硕士给予每月2000元生活补贴。（责任单位：市人社局）
第三条 本办法自2025年3月1日起施行。
"""


@pytest.fixture
def env(tmp_path):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(WUHAN, corpus_dir)
    shutil.copy(sidecar_path(WUHAN), corpus_dir)
    settings = load_settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", data_dir=tmp_path / "data", embedder="hash")
    return settings, tmp_path


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def engine_for(settings):
    retriever, built = open_retriever(settings, quiet=True)
    return Engine(retriever.corpus, retriever), built


def test_second_document_is_namespaced_and_first_keeps_its_ids(env):
    settings, tmp = env
    before = load_corpus(settings.corpus_dir)
    r = add_policy(settings.corpus_dir, write(tmp, "talent.md", TALENT), doc_id="talent", status="in_force")
    assert (r.action, r.prefix, r.clauses) == ("added", "talent:", 4)
    after = load_corpus(settings.corpus_dir)
    first = [c for c in after.clauses if c.doc_id == before.documents[0].id]
    assert [(c.id, c.text, c.departments) for c in first] == [(c.id, c.text, c.departments) for c in before.clauses]
    assert [r for r in after.rules if not r.id.startswith("talent:")] == list(before.rules)
    assert after.get("talent:2.1").text == "对博士给予每月3000元生活补贴。"
    assert after.get("talent:第二条第一项").id == "talent:2.1"
    engine, _ = engine_for(settings)
    a = ask("我们是中小企业，去年算力服务费80万元，能补多少？", engine, Conversation())
    assert a.citations[0].clause_id == "3.4" and a.total_yuan == 200000


def test_readding_unchanged_file_is_a_no_op(env):
    settings, tmp = env
    src = write(tmp, "talent.md", TALENT)
    add_policy(settings.corpus_dir, src)
    manifest = (settings.corpus_dir / MANIFEST).read_text(encoding="utf-8")
    again = add_policy(settings.corpus_dir, src)
    assert again.action == "unchanged" and (settings.corpus_dir / MANIFEST).read_text(encoding="utf-8") == manifest
    assert add_policy(settings.corpus_dir, WUHAN).action == "unchanged"


def test_changed_file_reembeds_only_changed_clauses(env):
    settings, tmp = env
    src = write(tmp, "talent.md", TALENT)
    add_policy(settings.corpus_dir, src)
    _, built = engine_for(settings)
    assert built.manifest["nodes"] == 46
    src.write_text(TALENT.replace("3000元", "5000元"), encoding="utf-8")
    r = add_policy(settings.corpus_dir, src)
    assert r.action == "updated" and r.prefix == "talent:"
    _, rebuilt = engine_for(settings)
    assert (rebuilt.manifest["embedded"], rebuilt.manifest["reused"]) == (1, 45)


def test_superseded_document_is_browsable_but_not_used_for_answers(env):
    settings, tmp = env
    add_policy(settings.corpus_dir, write(tmp, "talent.md", TALENT), doc_id="talent", status="superseded")
    engine, _ = engine_for(settings)
    assert engine.corpus.get("talent:2.1")
    assert not engine.corpus.is_active("talent")
    a = ask("博士生活补贴每月多少", engine, Conversation())
    assert all(not c.clause_id.startswith("talent:") for c in a.citations)


def test_expired_document_is_not_active(env):
    settings, tmp = env
    add_policy(settings.corpus_dir, write(tmp, "talent.md", TALENT), effective_until="2020年1月1日")
    corpus = load_corpus(settings.corpus_dir)
    assert not corpus.is_active(corpus.documents[1].id) and corpus.is_active(corpus.documents[0].id)


@pytest.mark.parametrize("name,expected", [("../../etc/passwd.txt", "passwd.txt"), ("a/b\\c.md", "c.md"), ("人才 政策!.docx", "人才-政策.docx")])
def test_file_names_cannot_escape_the_corpus(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["x.exe", "noext", ".txt.sh"])
def test_unsupported_types_are_refused(name):
    with pytest.raises(ParseError):
        safe_name(name)


def test_failed_add_leaves_corpus_and_manifest_as_they_were(env):
    settings, tmp = env
    def files():
        return sorted(p.name for p in settings.corpus_dir.iterdir() if p.name != ".policies.lock")

    before = files()
    with pytest.raises(ParseError) as info:
        add_policy(settings.corpus_dir, write(tmp, "bad.txt", "标题\n\n没有任何条款的文字。\n"))
    assert "bad.txt" in str(info.value)
    assert files() == before


def test_oversize_file_is_refused(env):
    settings, tmp = env
    big = tmp / "big.txt"
    big.write_bytes(b"a" * (5 * 1024 * 1024 + 1))
    with pytest.raises(ParseError, match="过大"):
        add_policy(settings.corpus_dir, big)


def test_bad_status_and_dates_are_refused(env):
    settings, tmp = env
    src = write(tmp, "talent.md", TALENT)
    with pytest.raises(ParseError):
        add_policy(settings.corpus_dir, src, status="maybe")
    with pytest.raises(ParseError):
        add_policy(settings.corpus_dir, src, effective_until="next year")


@pytest.fixture
def admin_client(env):

    from assistant.api import create_api
    from assistant.service import build_service

    settings, tmp = env
    settings = settings.model_copy(update={"admin_token": "s3cret"})
    service = build_service(settings, quiet=True)
    return TestClient(create_api(service)), service


def test_admin_endpoint_requires_token(admin_client):
    client, service = admin_client
    files = {"file": ("talent.md", TALENT.encode(), "text/markdown")}
    assert client.post("/api/admin/policies", files=files).status_code == 401
    assert client.post("/api/admin/policies", files=files, headers={"X-Admin-Token": "wrong"}).status_code == 401


def test_admin_endpoint_disabled_without_configured_token(env):
    from assistant.api import create_api
    from assistant.service import build_service

    settings, _ = env
    client = TestClient(create_api(build_service(settings, quiet=True)))
    r = client.post("/api/admin/policies", files={"file": ("talent.md", TALENT.encode())}, headers={"X-Admin-Token": "x"})
    assert r.status_code == 403 and "POLICY_ADMIN_TOKEN" in r.json()["error"]


def test_admin_add_makes_the_document_answerable(admin_client):
    client, service = admin_client
    r = client.post("/api/admin/policies", files={"file": ("../talent.md", TALENT.encode(), "text/markdown")},
                    data={"doc_id": "talent", "status": "in_force"}, headers={"Authorization": "Bearer s3cret"})
    d = r.json()
    assert r.status_code == 200 and d["action"] == "added" and d["file"] == "talent.md"
    assert d["index"]["reused"] == 42 and d["index"]["embedded"] == 4
    assert client.get("/api/clauses/talent:2.1").json()["text"] == "对博士给予每月3000元生活补贴。"
    docs = client.get("/api/documents").json()["documents"]
    assert [x["id"] for x in docs][1] == "talent" and docs[1]["active"]
    assert (docs[1]["level"], docs[1]["region"], docs[1]["dates_state"], docs[1]["departments"]) == ("市", "某市", "known", ["市人社局"])
    bad = client.post("/api/admin/policies", files={"file": ("bad.txt", "标题\n无条款。\n".encode())}, headers={"X-Admin-Token": "s3cret"})
    assert bad.status_code == 400 and "bad.txt" in bad.json()["error"]
