"""REST API (FastAPI) on the same server as the web UI, with OpenAPI docs at ``/docs``.

Owns request/response models, status codes and the translation of errors into JSON
(``{"error": message}``): 400 bad input, 401/403 admin token, 404 unknown clause or route,
405 method, 409 busy, 413 oversize body, 422 validation, 429 rate limit, 500 without a
traceback. Endpoints are sync functions where they compute, so FastAPI runs the CPU-bound
answer path in its thread pool and one slow request never blocks the loop. Body limits, rate
limits and the error shape of other layers (Gradio) are applied by ``guards`` around the app.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Annotated, Literal, Optional, Union

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StringConstraints, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import (BusyError, EmptyQueryError, PolicyError, UnknownClauseError, UnknownDocumentError)
from assistant.guards import MAX_BODY_BYTES, MAX_UPLOAD_BYTES, BodyLimit, ErrorShape, Gate, client_ip, error_text

log = logging.getLogger(__name__)
__all__ = ["MAX_BODY_BYTES", "MAX_UPLOAD_BYTES", "create_api"]
MAX_ANSWER_JSON_CHARS = 100_000
DEFAULT_PAGE = 50
MAX_PAGE = 200
ADMIN_FIELDS = {"doc_id": 64, "status": 16, "title": 200, "effective_from": 20, "effective_until": 20}
MAX_RULES_BYTES = 256 * 1024


class AskRequest(BaseModel):
    question: str = Field(..., description="问题", max_length=60_000)
    conversation_id: Optional[str] = Field(None, description="对话编号；同一编号的问题共享上下文", max_length=64)
    doc: Optional[str] = Field(None, description="只按这一份政策文件回答（文件编号或条款编号前缀，见 /api/documents）", max_length=64)


class CalculateRequest(BaseModel):
    clause_id: Optional[str] = Field(None, description="条款编号，如 1.3", max_length=32)
    rule_id: Optional[str] = Field(None, description="规则编号，如 1.3-2", max_length=32)
    base: Optional[str] = Field(None, description="计算基数，如 300万元、三百万", max_length=64)
    measure: Optional[str] = Field(None, description="门槛金额（与基数不同时）", max_length=64)
    level: Optional[str] = Field(None, description="档次（分级奖励用，如 国家级、A类）", max_length=32)
    count: int = Field(1, ge=1, le=100, description="获奖数量")


ShortKey = Annotated[str, StringConstraints(max_length=32)]
AmountText = Annotated[str, StringConstraints(max_length=64)]


class EligibilityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc: Optional[str] = Field(None, description="政策文件编号（默认第一份现行文件）；自测表见 GET /api/eligibility/form", max_length=64)
    answers: dict[ShortKey, Union[StrictBool, AmountText, StrictInt, StrictFloat, None]] = Field(
        default_factory=dict, max_length=100, description="按自测表的 key 填写：subject:…/condition:… 为 是/否/不确定（或 true/false），"
                                          "base:… 为金额（80万元；只写数字按万元计并说明），tier:… 为档次，units:…/periods:… 为数字")


class FeedbackRequest(BaseModel):
    question: str = Field(..., max_length=5000)
    answer: dict | str = Field(..., description=f"被评价的回答（文本或 JSON，序列化后不超过 {MAX_ANSWER_JSON_CHARS} 字符）")
    rating: Literal[1, -1]
    conversation_id: Optional[str] = Field(None, max_length=64)
    comment: Optional[str] = Field(None, max_length=2000)

    @field_validator("answer")
    @classmethod
    def _answer_size(cls, value):
        size = len(value) if isinstance(value, str) else len(json.dumps(value, ensure_ascii=False))
        if size > MAX_ANSWER_JSON_CHARS:
            raise ValueError(f"answer 过长（{size} 字符，上限 {MAX_ANSWER_JSON_CHARS}）")
        return value


def _status_for(err: PolicyError) -> int:
    if isinstance(err, (UnknownClauseError, UnknownDocumentError)):
        return 404
    if isinstance(err, BusyError):
        return 409
    return 400


# pydantic's error types in Chinese (the English ``msg`` never reaches a user)
_VALIDATION_ZH = {
    "json_invalid": "请求体不是有效的 JSON", "missing": "缺少必填字段", "string_type": "应为文本", "int_type": "应为整数",
    "int_parsing": "应为整数", "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false", "dict_type": "应为对象",
    "model_attributes_type": "应为 JSON 对象", "list_type": "应为列表", "literal_error": "取值不在允许范围内",
    "string_too_long": "过长", "string_too_short": "过短", "greater_than_equal": "数值过小", "less_than_equal": "数值过大",
    "greater_than": "数值过小", "less_than": "数值过大", "float_parsing": "应为数字", "float_type": "应为数字",
    "too_long": "项目过多", "union_tag_invalid": "类型不正确", "extra_forbidden": "不允许的字段",
}


def validation_zh(error: dict) -> str:
    """One pydantic error in Chinese, with its limit when it has one (``过长（上限 64）``)."""
    kind = error.get("type", "")
    text = _VALIDATION_ZH.get(kind, "格式不正确")
    ctx = error.get("ctx") or {}
    limit = ctx.get("max_length", ctx.get("le", ctx.get("ge", ctx.get("lt", ctx.get("gt")))))
    if limit is not None and kind not in ("json_invalid",):
        text += f"（限制：{limit}）"
    if kind == "literal_error" and ctx.get("expected"):
        text += f"，可选：{ctx['expected']}"
    return text


def mount_offline_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc from files on this machine (the PyPI package fastapi-offline ships
    them), so the API docs work without a network: nothing is fetched from a CDN."""
    from importlib.resources import files

    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    static = "/api-docs-assets"
    app.mount(static, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="api-docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="政策通 API 文档", swagger_js_url=f"{static}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{static}/swagger-ui.css", swagger_favicon_url=f"{static}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None})

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url, title="政策通 API 文档", redoc_js_url=f"{static}/redoc.standalone.js",
                              redoc_favicon_url=f"{static}/favicon.png", with_google_fonts=False)


def default_doc(corpus) -> str:
    """The document a request without ``doc`` refers to: the first one in force (else the first)."""
    return next((d.id for d in corpus.documents if corpus.is_active(d.id)), corpus.documents[0].id)


class AdminDenied(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_admin(expected: str | None, headers) -> None:
    """Raise ``AdminDenied`` unless the request carries the admin token: ``Authorization: Bearer <token>``
    or ``X-Admin-Token: <token>``. Runs before the body is read."""
    if not expected:
        raise AdminDenied(403, "管理接口未启用：请设置 POLICY_ADMIN_TOKEN")
    auth = headers.get("authorization")
    if auth is not None:
        scheme, _, credentials = auth.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise AdminDenied(401, "Authorization 请求头应为“Bearer <令牌>”")
        given = credentials.strip()
    else:
        given = headers.get("x-admin-token") or ""
    # Header values arrive as latin-1 text; compare bytes so any character is just a wrong token.
    if not given or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise AdminDenied(401, "管理令牌无效")


def admin_actor(request: Request) -> str:
    """Who made an admin change, as far as we can tell: an optional ``X-Admin-User`` name."""
    name = (request.headers.get("x-admin-user") or "").strip()[:64]
    return f"api:{name}" if name else "api"


def create_api(service) -> FastAPI:
    app = FastAPI(title="政策通 API", description="已收录政策文件的问答、条款查询、补贴测算、资格自测。所有回答都带条款引用。",
                  version="0.1.0", docs_url=None, redoc_url=None)
    mount_offline_docs(app)
    # Outermost first: error shape around everything, then the byte counter, then the gate.
    app.add_middleware(Gate, service=service)
    app.add_middleware(BodyLimit)
    app.add_middleware(ErrorShape)

    @app.exception_handler(PolicyError)
    async def _policy_error(_: Request, err: PolicyError):
        return JSONResponse({"error": err.message}, status_code=_status_for(err))

    @app.exception_handler(AdminDenied)
    async def _admin_denied(request: Request, err: AdminDenied):
        log.warning("admin request refused (%s) from %s", err.status, client_ip(request.scope))
        return JSONResponse({"error": err.message}, status_code=err.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, err: StarletteHTTPException):
        return JSONResponse({"error": error_text(err.status_code, err.detail, request.scope)}, status_code=err.status_code,
                            headers=getattr(err, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError):
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", []) if x != "body")
        return JSONResponse({"error": f"请求参数不正确：{where} {validation_zh(first)}".strip(), "details": [
            {"loc": list(e.get("loc", [])), "msg": validation_zh(e)} for e in err.errors()]}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, err: Exception):
        log.exception("unexpected error")
        return JSONResponse({"error": "服务器内部错误，请稍后再试"}, status_code=500)

    @app.post("/api/ask", summary="问答（带条款引用与测算）")
    def api_ask(req: AskRequest) -> dict:
        return service.ask(req.question, req.conversation_id, doc=req.doc).to_dict()

    @app.delete("/api/conversations/{conversation_id}", summary="结束对话：清除该对话的事实、话题和待答问题")
    def api_reset(conversation_id: str) -> dict:
        service.reset(conversation_id)
        return {"conversation_id": conversation_id, "reset": True}

    @app.get("/api/clauses", summary="条款列表（分页）；可按责任单位或关键词筛选")
    def api_clauses(dept: Optional[str] = Query(None, max_length=50), keyword: Optional[str] = Query(None, max_length=100),
                    limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE, description=f"每页条数（默认 {DEFAULT_PAGE}，最多 {MAX_PAGE}）"),
                    offset: int = Query(0, ge=0, description="跳过前多少条")) -> dict:
        corpus = service.corpus
        if dept is not None:
            clauses = corpus.by_department(dept)
        elif keyword is not None:
            clauses = corpus.by_keyword(keyword)
        else:
            clauses = corpus.clauses
        page = clauses[offset:offset + limit]
        return {"clauses": [service.clause_view(c) for c in page], "count": len(page), "total": len(clauses),
                "limit": limit, "offset": offset}

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

    def _self_check(req: EligibilityRequest):
        from assistant.eligibility import check, parse_answers, self_check_form

        corpus = service.corpus
        form = self_check_form(corpus, req.doc or default_doc(corpus))
        answers = parse_answers(form, dict(req.answers))
        return form, answers, check(form, answers, corpus)

    @app.get("/api/eligibility/form", summary="资格自测表：由该文件的规则得出的问题（主体、条件、金额、档次…）")
    def api_eligibility_form(doc: Optional[str] = Query(None, max_length=64)) -> dict:
        from assistant.eligibility import self_check_form

        return self_check_form(service.corpus, doc or default_doc(service.corpus)).to_dict()

    @app.post("/api/eligibility", summary="资格自测")
    def api_eligibility(req: EligibilityRequest) -> dict:
        from assistant.eligibility import total_is_upper_bound, total_yuan
        from assistant.report import build_report, report_markdown

        form, answers, results = _self_check(req)
        return {"doc_id": form.doc_id, "measures": [m.to_dict() for m in results], "total_yuan": total_yuan(results),
                "total_is_upper_bound": total_is_upper_bound(results), "notes": list(answers.notes),
                "report_markdown": report_markdown(build_report(form, answers, results, service.corpus))}

    @app.post("/api/eligibility/report", summary="资格自测报告下载（PDF 或 Markdown）",
              responses={200: {"content": {"application/pdf": {}, "text/markdown": {}}}})
    def api_eligibility_report(req: EligibilityRequest, format: Literal["pdf", "md"] = Query("pdf")) -> Response:
        from urllib.parse import quote

        from assistant.report import build_report, report_markdown, report_pdf

        form, answers, results = _self_check(req)
        report = build_report(form, answers, results, service.corpus)
        name = quote(f"资格自测报告.{format}")
        headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
        if format == "md":
            return Response(report_markdown(report), media_type="text/markdown; charset=utf-8", headers=headers)
        return Response(report_pdf(report), media_type="application/pdf", headers=headers)

    @app.post("/api/feedback", summary="对回答点赞/点踩（每个 IP 限速）")
    def api_feedback(req: FeedbackRequest) -> dict:
        if not req.question.strip():
            raise EmptyQueryError()
        fid = service.store.add_feedback(question=req.question, answer=req.answer, rating=req.rating,
                                         conversation_id=req.conversation_id, comment=req.comment)
        return {"id": fid}

    @app.get("/api/feedback/export", summary="（管理）导出反馈（JSONL，流式）；需管理令牌",
             response_class=StreamingResponse, responses={200: {"content": {"application/x-ndjson": {}}}})
    def api_feedback_export(request: Request):
        check_admin(service.settings.admin_token, request.headers)
        return StreamingResponse(service.store.iter_feedback_jsonl(), media_type="application/x-ndjson; charset=utf-8")

    @app.get("/api/admin/audit", summary="（管理）管理操作日志，最新的在前；需管理令牌")
    def api_audit(request: Request, limit: int = Query(100, ge=1, le=1000)) -> dict:
        check_admin(service.settings.admin_token, request.headers)
        return {"entries": service.store.audit_log(limit)}

    @app.post("/api/admin/policies", summary="（管理）添加或更新政策文件；需管理令牌",
              description="multipart/form-data：`file`（必填），可选 `rules`（规则补充文件 .rules.toml，与文件一起校验、一起保存）、"
                          "`doc_id`、`status`（draft/in_force/superseded）、`title`、`effective_from`、`effective_until`。令牌放在 `Authorization: Bearer <令牌>` 或 `X-Admin-Token`；"
                          "可选 `X-Admin-User` 记入管理日志。令牌在读取请求体之前校验。",
              openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                  "type": "object", "required": ["file"],
                  "properties": {"file": {"type": "string", "format": "binary"}, "rules": {"type": "string", "format": "binary"},
                                 **{k: {"type": "string", "maxLength": n} for k, n in ADMIN_FIELDS.items()}}}}}}})
    async def api_add_policy(request: Request) -> JSONResponse:
        import tempfile
        from pathlib import Path

        from starlette.datastructures import UploadFile

        from assistant.parser import MAX_FILE_BYTES

        check_admin(service.settings.admin_token, request.headers)  # before a byte of the body is read
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return JSONResponse({"error": "请求应为 multipart/form-data，文件字段名为 file"}, status_code=400)
        async with request.form(max_files=2, max_fields=len(ADMIN_FIELDS), max_part_size=4096) as form:
            unknown = sorted(set(form) - set(ADMIN_FIELDS) - {"file", "rules"})
            if unknown:
                return JSONResponse({"error": f"未知字段：{'、'.join(unknown)}"}, status_code=400)
            fields: dict[str, str | None] = {}
            for key, limit in ADMIN_FIELDS.items():
                value = form.get(key)
                if value is not None and not isinstance(value, str):
                    return JSONResponse({"error": f"字段 {key} 应为文本"}, status_code=400)
                if value is not None and len(value) > limit:
                    return JSONResponse({"error": f"字段 {key} 过长（上限 {limit} 字）"}, status_code=400)
                fields[key] = value or None
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                return JSONResponse({"error": "缺少文件字段 file"}, status_code=400)
            data = await upload.read(MAX_FILE_BYTES + 1)
            filename = upload.filename or "upload.txt"
            rules_upload = form.get("rules")
            if rules_upload is not None and not isinstance(rules_upload, UploadFile):
                return JSONResponse({"error": "字段 rules 应为规则补充文件（.rules.toml）"}, status_code=400)
            rules_data = await rules_upload.read(MAX_RULES_BYTES + 1) if rules_upload is not None else None
        if len(data) > MAX_FILE_BYTES:
            return JSONResponse({"error": f"文件过大（上限 {MAX_FILE_BYTES // 1024 // 1024} MB）"}, status_code=413)
        if rules_data is not None and len(rules_data) > MAX_RULES_BYTES:
            return JSONResponse({"error": f"规则补充文件过大（上限 {MAX_RULES_BYTES // 1024} KB）"}, status_code=413)

        def add() -> tuple:
            with tempfile.TemporaryDirectory(prefix="policy-upload-") as tmp:
                src = Path(tmp) / "upload"
                src.write_bytes(data)
                rules_file = None
                if rules_data is not None:  # validated against the uploaded document, carried along with it
                    rules_file = Path(tmp) / "rules.toml"
                    rules_file.write_bytes(rules_data)
                return service.add_policy(src, filename=filename, actor=admin_actor(request), client=client_ip(request.scope),
                                          rules_file=rules_file, **fields)

        result, info = await run_in_threadpool(add)
        from assistant.views import coverage_line

        return JSONResponse({"action": result.action, "doc_id": result.doc_id, "file": result.file, "clauses": result.clauses,
                             "prefix": result.prefix, "message": result.message(), "coverage": coverage_line(service.corpus, result.doc_id),
                             "index": {"nodes": info.get("nodes"), "embedded": info.get("embedded"), "reused": info.get("reused")}})

    @app.get("/api/admin/coverage", summary="（管理）每份政策文件的金额规则覆盖：每个条款可计算/需人工核对/未写明金额及原因；需管理令牌")
    def api_coverage(request: Request, doc: Optional[str] = Query(None, max_length=64)) -> dict:
        from assistant.views import coverage_report

        check_admin(service.settings.admin_token, request.headers)
        corpus = service.corpus
        ids = [doc] if doc else [d.id for d in corpus.documents]
        return {"documents": [coverage_report(corpus, d) for d in ids]}

    @app.get("/admin", include_in_schema=False)
    def admin_page() -> HTMLResponse:
        from assistant.admin_page import ADMIN_HTML

        return HTMLResponse(ADMIN_HTML)

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
        import os

        hits, degraded = service.engine.retriever.search_ex("算力服务券", 1)
        doc = service.corpus.documents[0]
        return {"status": "degraded" if degraded else "ok", "degraded": degraded, "worker": os.getpid(),
                "storage": service.store.backend, "clauses": len(service.corpus.clauses),
                "rules": len(service.corpus.rules), "embedder": service.index_info.get("fingerprint", {}).get("embedder"),
                "index_built_at": service.index_info.get("built_at"), "document": doc.full_title, "status_label": doc.status.label}

    @app.api_route("/api/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False)
    def api_unknown(request: Request, rest: str) -> JSONResponse:
        """Last API route: an unknown /api/ path is a JSON 404 (or 405 when another method exists) here,
        instead of falling through to the UI mounted at /."""
        from fastapi.routing import APIRoute
        from starlette.routing import Match

        allowed = sorted({m for r in app.routes if isinstance(r, APIRoute) and r.endpoint is not api_unknown
                          and r.matches(request.scope)[0] is Match.PARTIAL for m in r.methods})
        if allowed:
            return JSONResponse({"error": error_text(405, None, request.scope)}, status_code=405, headers={"Allow": ", ".join(allowed)})
        return JSONResponse({"error": error_text(404, None, request.scope)}, status_code=404)

    return app
