"""Optional LLM polish of a finished answer, applied at the edge (service, CLI), never inside the pipeline.

The LLM may change wording and order only. ``Polisher`` sends the deterministic answer
to a ``Generator`` (the adapter is ``llm.OpenAICompatible``; tests pass fakes or a
scripted server), and:

- asks for at most ``max_tokens_for(draft)`` tokens, about the draft's length;
- holds one *total* deadline (``llm_timeout_s``) across connecting and streaming; when it
  passes the generator cuts the HTTP stream client-side, so the server stops generating;
- keeps one request in flight per conversation: a newer one cancels the older;
- strips prompt echoes at the start or end of the output;
- verifies the stream sentence by sentence (``verify.verify`` with the deterministic
  answer as reference) before any sentence is yielded, stops at the first unfaithful
  sentence, and checks the whole rewrite (nothing dropped) before it is used.

The result is the same ``Answer`` with ``llm`` set to ``"used"`` (the rewrite replaced
the text), ``"rejected"`` (with ``llm_findings``), ``"timeout"`` or ``"error"`` (the
deterministic text, with a note), or ``"off"``. Everything else (citations, amounts,
conditions, questions, notes) always comes from the deterministic answer.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator, Protocol

from assistant import phrases
from assistant.errors import Cancelled, DeadlineExceeded
from assistant.types import Answer, Finding
from assistant.verify import MARK_AFTER_QUESTION_MARK, Sources, sources_for, verify

MIN_TOKENS, MAX_TOKENS = 128, 2048
_CANCEL_WAIT_S = 1.0  # how long a new request waits for the cancelled one of its conversation to let go


class Generator(Protocol):
    """Streams a chat completion as text deltas.

    Must return by ``deadline`` (``time.monotonic()`` seconds) or when ``cancel`` is set,
    raising ``errors.DeadlineExceeded`` / ``errors.Cancelled`` after closing the request,
    and raise ``errors.GeneratorError`` for transport or server errors.
    """

    def stream(self, messages: list[dict], *, max_tokens: int, deadline: float,
               cancel: threading.Event | None = None) -> Iterator[str]: ...


def max_tokens_for(draft: str) -> int:
    """Room for a rewrite about as long as the draft (Chinese runs ~1–1.5 tokens a character).

    >>> max_tokens_for("短"), max_tokens_for("字" * 400), max_tokens_for("字" * 5000)
    (128, 664, 2048)
    """
    return max(MIN_TOKENS, min(MAX_TOKENS, int(len(draft) * 1.5) + 64))


def messages_for(answer: Answer) -> list[dict]:
    return [{"role": "system", "content": phrases.LLM_SYSTEM},
            {"role": "user", "content": phrases.LLM_USER.format(question=answer.question, draft=answer.answer)}]


_LEADING_PROMPT = re.compile(r"^\s*用户问题[:：].*?请输出润色后的回答[:：]?[ \t]*\n?", re.S)
_LEADING_ECHO = re.compile(r"^\s*(?:好的[，,。！!]?\s*)?(?:以下是|下面是|这是)?\s*(?:润色|改写|优化)(?:后|过)?的?(?:回答|版本|结果|内容)?\s*[:：][ \t]*\n?")
_TRAILING_ECHO = re.compile(r"\n?[ \t]*(?:请输出)?润色后的回答[:：]?\s*$")


def strip_leading_echo(text: str) -> tuple[str, int]:
    """The text without a copy of the prompt or an "以下是润色后的回答：" lead-in, and how much was cut."""
    m = _LEADING_PROMPT.match(text) or _LEADING_ECHO.match(text)
    return (text[m.end():], m.end()) if m and m.end() else (text, 0)


def strip_echo(text: str) -> str:
    """Both ends: ``strip_echo("润色后的回答：\\n可得20万元。\\n请输出润色后的回答：") == "可得20万元。"``."""
    return _TRAILING_ECHO.sub("", strip_leading_echo(text)[0]).strip()


_DONE_SENTENCE = re.compile(rf"[。！!；;\n]|[？?](?!{MARK_AFTER_QUESTION_MARK})")


def _complete_upto(text: str) -> int:
    """End of the last complete sentence; a final "？" waits (it may be "？待确认", a status mark)."""
    end = 0
    for m in _DONE_SENTENCE.finditer(text):
        if m.group() in "？?" and m.end() == len(text.rstrip()):
            break
        end = m.end()
    return end


@dataclass
class _Flight:
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class Polisher:
    """Polish answers with ``generator`` within ``timeout_s`` (total), checked against the answer itself.

    ``known`` (all clause ids) and ``departments`` (all department names) make the check
    spot ids and departments that do not exist or are not the cited clauses' own.
    """

    generator: Generator
    timeout_s: float
    known: frozenset[str] | None = None
    departments: frozenset[str] = frozenset()
    _flights: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def polish(self, answer: Answer) -> Answer:
        """The polished answer, shown only after the whole check."""
        final = answer
        for item in self.stream(answer):
            final = item
        return final

    def stream(self, answer: Answer) -> Iterator[str | Answer]:
        """Yield verified text as it grows (``str``); the last item is the final ``Answer``."""
        if answer.refused or not answer.answer.strip():
            yield answer
            return
        sources = sources_for(answer, known=self.known, all_departments=self.departments)
        deadline = time.monotonic() + self.timeout_s
        key = answer.conversation_id
        flight = self._begin(key)
        try:
            yield from self._run(answer, sources, deadline, flight.cancel)
        finally:
            self._end(key, flight)

    def _run(self, answer: Answer, sources: Sources, deadline: float, cancel: threading.Event) -> Iterator[str | Answer]:
        raw, shown, lead = "", "", None
        chunks = self.generator.stream(messages_for(answer), max_tokens=max_tokens_for(answer.answer), deadline=deadline, cancel=cancel)
        try:
            for delta in chunks:
                raw += delta
                if lead is None:
                    if _complete_upto(raw) == 0:
                        continue
                    lead = strip_leading_echo(raw)[1]
                text = raw[lead:]
                upto = _complete_upto(text)
                if upto <= len(shown):
                    continue
                findings = _new_findings(text[:upto], len(shown), sources, answer)
                if findings:
                    yield _fallback(answer, "rejected", findings)
                    return
                grew = text[:upto].strip() != shown.strip()
                shown = text[:upto]
                if grew:
                    yield shown.strip()
        except (DeadlineExceeded, Cancelled) as exc:
            yield _fallback(answer, "timeout" if isinstance(exc, DeadlineExceeded) else "error")
            return
        except Exception:  # noqa: BLE001 - any transport, protocol or server failure: keep the deterministic answer
            yield _fallback(answer, "error")
            return
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        text = strip_echo(raw[lead or 0:])
        findings = verify(text, sources, reference=answer)
        if findings:
            yield _fallback(answer, "rejected", findings)
            return
        yield replace(answer, answer=text, llm="used")

    def _begin(self, key: str | None) -> _Flight:
        flight = _Flight()
        if key is None:
            return flight
        with self._lock:
            previous = self._flights.get(key)
            self._flights[key] = flight
        if previous is not None:
            previous.cancel.set()  # its generator cuts the connection within a few milliseconds
            previous.done.wait(_CANCEL_WAIT_S)
        return flight

    def _end(self, key: str | None, flight: _Flight) -> None:
        flight.done.set()
        if key is None:
            return
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]


def _new_findings(text: str, start: int, sources: Sources, reference: Answer) -> list[Finding]:
    """Findings about ``text[start:]``, read in the context of what was already shown."""
    return [f for f in verify(text, sources, reference=reference, complete=False) if f.start >= start or f.end > start]


_NOTES = {"rejected": phrases.LLM_REJECTED_NOTE, "timeout": phrases.LLM_TIMEOUT_NOTE, "error": phrases.LLM_FALLBACK_NOTE}


def _fallback(answer: Answer, status: str, findings: Iterable[Finding] = ()) -> Answer:
    return replace(answer, notes=answer.notes + (_NOTES[status],), llm=status, llm_findings=tuple(findings))

