"""Optional LLM phrasing through an OpenAI-compatible server (vLLM, llama.cpp, Ollama, a cloud API).

The only module that imports llama-index's LLM client. The LLM never decides content:
it rewrites the composed answer, and its output must pass the same ``verify`` as the
deterministic answer (every number sourced, every cited id kept) or the deterministic
answer is returned with a note. Timeouts and transport errors fall back the same way.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant import phrases
from assistant.types import Answer

_IDS = re.compile(r"\[([^\[\]]+)\]")


def make_llm(settings):
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(model=settings.llm_model, api_base=settings.llm_base_url, api_key=settings.llm_api_key or "none",
                      is_chat_model=True, timeout=settings.llm_timeout_s, max_retries=0, temperature=0.1)


def _messages(answer: Answer):
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="system", content=phrases.LLM_SYSTEM),
            ChatMessage(role="user", content=phrases.LLM_USER.format(question=answer.question, draft=answer.answer))]


def rephrase(llm, answer: Answer, corpus=None) -> Answer:
    """The LLM's rewrite if it passes verification, else ``answer`` with a fallback note."""
    try:
        text = llm.chat(_messages(answer)).message.content or ""
    except Exception:  # noqa: BLE001 - any transport/timeout/server error means: keep the deterministic answer
        return replace(answer, notes=answer.notes + (phrases.LLM_FALLBACK_NOTE,))
    return accept_or_fallback(answer, text)


def stream_rephrase(llm, answer: Answer):
    """Yield growing text for the web app; the last item is the verified final ``Answer``."""
    buf = ""
    try:
        for chunk in llm.stream_chat(_messages(answer)):
            buf += chunk.delta or ""
            yield buf
    except Exception:  # noqa: BLE001
        yield replace(answer, notes=answer.notes + (phrases.LLM_FALLBACK_NOTE,))
        return
    yield accept_or_fallback(answer, buf)


def accept_or_fallback(answer: Answer, text: str) -> Answer:
    from assistant.verify import sourced_numbers, unsourced_numbers

    text = (text or "").strip()
    if not text:
        return replace(answer, notes=answer.notes + (phrases.LLM_FALLBACK_NOTE,))
    cited = {c.clause_id for c in answer.citations}
    ids_in_text = set(_IDS.findall(text))
    draft_ids = set(_IDS.findall(answer.answer))
    if not draft_ids <= ids_in_text or not ids_in_text <= (cited | draft_ids):
        return replace(answer, notes=answer.notes + (phrases.LLM_FALLBACK_NOTE,))
    if unsourced_numbers(text, sourced_numbers(answer)):
        return replace(answer, notes=answer.notes + (phrases.LLM_FALLBACK_NOTE,))
    return replace(answer, answer=text)
