"""The exceptions this package raises on purpose, and nothing else.

    PolicyError                      base: every error a user may see
    ├── ParseError                   a policy file cannot be parsed (file, line)
    ├── AmountError                  an amount or percentage the user typed is unusable
    │   └── MissingFactError         a calculation needs a fact the user has not given (what to ask)
    ├── UnknownClauseError           a clause id that does not exist
    ├── UnknownDocumentError         a document id (or clause-id prefix) that does not exist
    ├── ReportError                  the PDF report cannot be rendered here (Markdown still can)
    ├── UnknownRuleError             a rule id / clause without a computable rule
    ├── EmptyQueryError              an empty or whitespace-only question / keyword
    ├── IndexStateError              the retrieval index is missing, stale or corrupt
    ├── BusyError                    another process holds the corpus or index lock too long
    ├── StorageError                 the database (SQLite file or PostgreSQL server) cannot be used
    └── GeneratorError               the optional LLM failed (polish keeps the deterministic answer)
        ├── DeadlineExceeded         its total deadline passed (the request was cut off)
        └── Cancelled                a newer request of the same conversation took its place

Each carries the offending value and a Chinese message that says what to do.
The CLI maps them to exit code 2 and one line; the web app to a JSON error.
Programming errors (bugs) are deliberately *not* wrapped: they must stay loud.
"""

from __future__ import annotations


class PolicyError(Exception):
    """Base class. ``str(err)`` is a message fit for an end user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ParseError(PolicyError):
    def __init__(self, file: str, line: int | None, reason: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"无法解析政策文件 {where}：{reason}")
        self.file = file
        self.line = line
        self.reason = reason


class AmountError(PolicyError):
    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"金额无法识别“{value}”：{reason}")
        self.value = value
        self.reason = reason


class MissingFactError(AmountError):
    """A rule cannot be computed without one more fact; ``need`` names it (for a clarifying question)."""

    def __init__(self, need: str, question: str) -> None:
        PolicyError.__init__(self, question)
        self.value = ""
        self.reason = question
        self.need = need


class UnknownClauseError(PolicyError):
    def __init__(self, clause_id: str, hint: str = "") -> None:
        msg = f"未找到条款“{clause_id}”"
        msg += f"；{hint}" if hint else "；请检查编号（如 3.4、第三条第四项），或按关键词、责任单位查找条款"
        super().__init__(msg)
        self.clause_id = clause_id


class UnknownDocumentError(PolicyError):
    def __init__(self, doc_id: str, known: str = "") -> None:
        super().__init__(f"未找到政策文件“{doc_id}”" + (f"；已收录的文件编号：{known}" if known else ""))
        self.doc_id = doc_id


class ReportError(PolicyError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"暂时无法生成 PDF 报告（{reason}），请下载 Markdown 版本")
        self.reason = reason


class UnknownRuleError(PolicyError):
    def __init__(self, ref: str, hint: str = "") -> None:
        msg = f"条款“{ref}”没有可计算的金额规则"
        if hint:
            msg += f"；{hint}"
        super().__init__(msg)
        self.ref = ref


class EmptyQueryError(PolicyError):
    def __init__(self, what: str = "问题") -> None:
        super().__init__(f"{what}不能为空，请输入内容后再试")
        self.what = what


class IndexStateError(PolicyError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"检索索引不可用（{path}）：{reason}")
        self.path = path
        self.reason = reason


class GeneratorError(PolicyError):
    def __init__(self, reason: str = "") -> None:
        super().__init__(f"润色服务出错：{reason}" if reason else "润色服务出错")
        self.reason = reason


class DeadlineExceeded(GeneratorError):
    def __init__(self) -> None:
        super().__init__("超过时限")


class Cancelled(GeneratorError):
    def __init__(self) -> None:
        super().__init__("已被同一对话的新请求取代")
class BusyError(PolicyError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what}，请稍后再试")
        self.what = what


class StorageError(PolicyError):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"数据库不可用（{where}）：{reason}")
        self.where = where
        self.reason = reason
