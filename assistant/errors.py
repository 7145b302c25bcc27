"""The exceptions this package raises on purpose, and nothing else.

    PolicyError                      base: every error a user may see
    ├── ParseError                   a policy file cannot be parsed (file, line)
    ├── AmountError                  an amount or percentage the user typed is unusable
    ├── UnknownClauseError           a clause id that does not exist
    ├── UnknownRuleError             a rule id / clause without a computable rule
    ├── EmptyQueryError              an empty or whitespace-only question / keyword
    ├── IndexStateError              the retrieval index is missing, stale or corrupt
    ├── BusyError                    another process holds the corpus or index lock too long
    └── StorageError                 the database (SQLite file or PostgreSQL server) cannot be used

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


class UnknownClauseError(PolicyError):
    def __init__(self, clause_id: str, hint: str = "") -> None:
        msg = f"未找到条款“{clause_id}”"
        msg += f"；{hint}" if hint else "；可用 policy-assistant lookup --keyword 关键词 查找条款编号"
        super().__init__(msg)
        self.clause_id = clause_id


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


class BusyError(PolicyError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what}，请稍后再试")
        self.what = what


class StorageError(PolicyError):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"数据库不可用（{where}）：{reason}")
        self.where = where
        self.reason = reason
