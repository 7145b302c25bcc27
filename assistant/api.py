"""REST API (FastAPI) on the same server as the web UI, with OpenAPI docs at ``/docs``.

Owns request/response models, status codes and the translation of errors into JSON
(``{"error": message}``): 400 bad input, 404 unknown clause, 413 oversize body, 422
validation, 500 without a traceback. Endpoints are sync functions, so FastAPI runs the
CPU-bound answer path in its thread pool and one slow request never blocks the loop.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Literal, Optional

from fastapi import FastAPI, File, Form, Header, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.middleware.base import BaseHTTPMiddleware

from assistant.errors import AmountError, EmptyQueryError, PolicyError, UnknownClauseError, UnknownRuleError

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024
MAX_UPLOAD_BYTES = 6 * 1024 * 1024


class AskRequest(BaseModel):
    question: str = Field(..., description="问题", max_length=60_000)
    conversation_id: Optional[str] = Field(None, description="对话编号；同一编号的问题共享上下文", max_length=64)


class CalculateRequest(BaseModel):
    clause_id: Optional[str] = Field(None, description="条款编号，如 1.3", max_length=32)
    rule_id: Optional[str] = Field(None, description="规则编号，如 1.3-2", max_length=32)
    base: Optional[str] = Field(None, description="计算基数，如 300万元、三百万", max_length=64)
    measure: Optional[str] = Field(None, description="门槛金额（与基数不同时）", max_length=64)
    level: Optional[Literal["国家级", "省级"]] = None
    count: int = Field(1, ge=1, le=100, description="获奖数量")


class EligibilityRequest(BaseModel):
    is_sme: Optional[bool] = Field(None, description="是否中小企业")
    amounts: dict[str, str] = Field(default_factory=dict, description="金额，键为计算基数：数据交易额、算力服务费用、模型采购费用、研发成本、项目总投入、实际服务总额、贷款本金损失")
    flags: dict[str, Optional[bool]] = Field(default_factory=dict, description="是/否事实：first_listing、open_source、lead_vertical_model …")
    level: Optional[Literal["国家级", "省级"]] = None


class FeedbackRequest(BaseModel):
    question: str = Field(..., max_length=60_000)
    answer: dict | str
    rating: Literal[1, -1]
    conversation_id: Optional[str] = Field(None, max_length=64)
    comment: Optional[str] = Field(None, max_length=2000)


class BodyLimit(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        if request.url.path.startswith("/api/"):
            limit = MAX_UPLOAD_BYTES if request.url.path.startswith("/api/admin/") else MAX_BODY_BYTES
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > limit:
                return JSONResponse({"error": f"请求体过大（上限 {limit // 1024} KB）"}, status_code=413)
        return await call_next(request)


def _status_for(err: PolicyError) -> int:
    return 404 if isinstance(err, (UnknownClauseError,)) else 400


def create_api(service) -> FastAPI:
    app = FastAPI(title="政策通 API", description="武汉市数智经济政策：问答、条款、测算、资格自测。所有回答都带条款引用。",
                  version="0.1.0")
    app.add_middleware(BodyLimit)

    @app.exception_handler(PolicyError)
    async def _policy_error(_: Request, err: PolicyError):
        return JSONResponse({"error": err.message}, status_code=_status_for(err))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError):
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", []) if x != "body")
        return JSONResponse({"error": f"请求参数不正确：{where} {first.get('msg', '')}".strip(), "details": [
            {"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in err.errors()]}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, err: Exception):
        log.exception("unexpected error")
        return JSONResponse({"error": "服务器内部错误，请稍后再试"}, status_code=500)

    @app.post("/api/ask", summary="问答（带条款引用与测算）")
    def api_ask(req: AskRequest) -> dict:
        return service.ask(req.question, req.conversation_id).to_dict()

    @app.get("/api/clauses", summary="条款列表；可按责任单位或关键词筛选")
    def api_clauses(dept: Optional[str] = Query(None, max_length=50), keyword: Optional[str] = Query(None, max_length=100)) -> dict:
        corpus = service.corpus
        if dept is not None:
            clauses = corpus.by_department(dept)
        elif keyword is not None:
            clauses = corpus.by_keyword(keyword)
        else:
            clauses = list(corpus.clauses)
        return {"clauses": [service.clause_view(c) for c in clauses], "count": len(clauses)}

    @app.get("/api/clauses/{clause_id}", summary="单个条款（含所在条全文与可朗读引文）")
    def api_clause(clause_id: str) -> dict:
        return service.clause_view(service.corpus.get(clause_id))

    @app.get("/api/search", summary="混合检索")
    def api_search(q: str = Query(..., max_length=2000), k: int = Query(5, ge=1, le=50)) -> dict:
        hits, degraded = service.engine.retriever.search_ex(q, k)
        return {"query": q, "degraded": degraded, "hits": [
            {"clause_id": h.clause.id, "score": round(h.score, 6), "sources": list(h.sources), "article": h.clause.article_title,
             "text": h.clause.text, "departments": list(h.clause.departments)} for h in hits]}

    @app.post("/api/calculate", summary="补贴测算")
    def api_calculate(req: CalculateRequest) -> dict:
        from assistant.amounts import parse_amount
        from assistant.calculator import calculate
        from assistant.views import pick_rule

        base = parse_amount(req.base) if req.base is not None else None
        measure = parse_amount(req.measure) if req.measure is not None else None
        rule = pick_rule(service.corpus, clause=req.clause_id, rule_id=req.rule_id, has_base=base is not None)
        calc = calculate(rule, base, measure=measure, level=req.level, count=req.count)
        clause = service.corpus.get(rule.clause_id)
        out = calc.to_dict()
        out.update({"rule_name": rule.name, "clause_text": clause.text, "departments": list(clause.departments),
                    "notes": list(rule.notes)})
        return out

    @app.post("/api/eligibility", summary="资格自测")
    def api_eligibility(req: EligibilityRequest) -> dict:
        from assistant.amounts import parse_amount
        from assistant.eligibility import FLAGS, Profile, check, report_markdown, total_yuan

        unknown_flags = set(req.flags) - set(FLAGS)
        if unknown_flags:
            raise UnknownRuleError("、".join(sorted(unknown_flags)), f"可用的选项：{'、'.join(FLAGS)}")
        valid_bases = {r.base_key for r in service.corpus.rules if r.base_key}
        amounts: dict[str, Decimal] = {}
        for key, text in req.amounts.items():
            if key not in valid_bases:
                raise AmountError(key, f"未知的金额类型，可用：{'、'.join(sorted(valid_bases))}")
            if text is not None and str(text).strip():
                amounts[key] = parse_amount(text)
        facts = dict(req.flags)
        facts["is_sme"] = req.is_sme
        profile = Profile(amounts, facts, req.level)
        results = check(profile, service.corpus)
        return {"measures": [m.to_dict() for m in results], "total_yuan": total_yuan(results),
                "report_markdown": report_markdown(results, service.corpus, profile)}

    @app.post("/api/feedback", summary="对回答点赞/点踩")
    def api_feedback(req: FeedbackRequest) -> dict:
        if not req.question.strip():
            raise EmptyQueryError()
        fid = service.feedback.add(question=req.question, answer=req.answer, rating=req.rating,
                                   conversation_id=req.conversation_id, comment=req.comment)
        return {"id": fid}

    @app.get("/api/feedback/export", summary="导出反馈（JSONL）", response_class=PlainTextResponse)
    def api_feedback_export() -> str:
        return service.feedback.export_jsonl()

    @app.post("/api/admin/policies", summary="（管理）添加或更新政策文件；需 POLICY_ADMIN_TOKEN")
    def api_add_policy(file: UploadFile = File(...), doc_id: Optional[str] = Form(None), status: Optional[str] = Form(None),
                       title: Optional[str] = Form(None), effective_from: Optional[str] = Form(None),
                       effective_until: Optional[str] = Form(None), authorization: Optional[str] = Header(None),
                       x_admin_token: Optional[str] = Header(None)) -> JSONResponse:
        import hmac
        import tempfile
        from pathlib import Path

        from assistant.parser import MAX_FILE_BYTES
        from assistant.policies import add_policy

        expected = service.settings.admin_token
        if not expected:
            return JSONResponse({"error": "管理接口未启用：请设置 POLICY_ADMIN_TOKEN"}, status_code=403)
        given = x_admin_token or (authorization or "").removeprefix("Bearer ").strip()
        if not given or not hmac.compare_digest(given, expected):
            return JSONResponse({"error": "管理令牌无效"}, status_code=401)
        data = file.file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return JSONResponse({"error": f"文件过大（上限 {MAX_FILE_BYTES // 1024 // 1024} MB）"}, status_code=413)
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "upload"
            src.write_bytes(data)
            result = add_policy(service.settings.corpus_dir, src, filename=file.filename or "upload.txt", doc_id=doc_id,
                                status=status, title=title, effective_from=effective_from, effective_until=effective_until)
        info = service.reload() if result.action != "unchanged" else service.index_info
        return JSONResponse({"action": result.action, "doc_id": result.doc_id, "file": result.file, "clauses": result.clauses,
                             "prefix": result.prefix, "message": result.message(),
                             "index": {"nodes": info.get("nodes"), "embedded": info.get("embedded"), "reused": info.get("reused")}})

    @app.get("/api/documents", summary="已收录的政策文件及状态")
    def api_documents() -> dict:
        corpus = service.corpus
        return {"documents": [{"id": d.id, "title": d.full_title, "status": d.status.value, "status_label": d.status.label,
                               "effective_from": d.effective_from, "effective_until": d.effective_until,
                               "validity": d.validity, "dates_state": d.dates_state.value, "trial": d.trial,
                               "level": d.level, "region": d.region, "departments": list(d.departments),
                               "active": corpus.is_active(d.id), "clauses": len(d.clauses)} for d in corpus.documents]}

    @app.get("/api/health", summary="健康检查")
    def api_health() -> dict:
        hits, degraded = service.engine.retriever.search_ex("算力服务券", 1)
        doc = service.corpus.documents[0]
        return {"status": "degraded" if degraded else "ok", "degraded": degraded, "clauses": len(service.corpus.clauses),
                "rules": len(service.corpus.rules), "embedder": service.index_info.get("fingerprint", {}).get("embedder"),
                "index_built_at": service.index_info.get("built_at"), "document": doc.full_title, "status_label": doc.status.label}

    return app
