"""REST API (FastAPI) on the same server as the web UI, with OpenAPI docs at ``/docs``.

Owns request/response models, status codes and the translation of errors into JSON
(``{"error": message}``): 400 bad input, 404 unknown clause, 413 oversize body, 422
validation, 500 without a traceback. Endpoints are sync functions, so FastAPI runs the
CPU-bound answer path in its thread pool and one slow request never blocks the loop.
"""

from __future__ import annotations

import logging
from typing import Literal, Optional, Union

from fastapi import FastAPI, File, Form, Header, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.middleware.base import BaseHTTPMiddleware

from assistant.errors import EmptyQueryError, PolicyError, UnknownClauseError, UnknownDocumentError

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024
MAX_UPLOAD_BYTES = 6 * 1024 * 1024


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


class EligibilityRequest(BaseModel):
    doc: Optional[str] = Field(None, description="政策文件编号（默认第一份现行文件）；自测表见 GET /api/eligibility/form", max_length=64)
    answers: dict[str, Union[bool, str, int, float, None]] = Field(
        default_factory=dict, description="按自测表的 key 填写：subject:…/condition:… 为 是/否/不确定（或 true/false），"
                                          "base:… 为金额（80万元；只写数字按万元计并说明），tier:… 为档次，units:…/periods:… 为数字")


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
    return 404 if isinstance(err, (UnknownClauseError, UnknownDocumentError)) else 400


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


def create_api(service) -> FastAPI:
    app = FastAPI(title="政策通 API", description="已收录政策文件的问答、条款查询、补贴测算、资格自测。所有回答都带条款引用。",
                  version="0.1.0", docs_url=None, redoc_url=None)
    mount_offline_docs(app)
    app.add_middleware(BodyLimit)

    @app.exception_handler(PolicyError)
    async def _policy_error(_: Request, err: PolicyError):
        return JSONResponse({"error": err.message}, status_code=_status_for(err))

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
