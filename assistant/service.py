"""What the web layer shares: the engine, conversations, feedback. Built once at start-up.

Owns the conversation store (bounded, least-recently-used) and plain-dict views of
clauses, hits and calculations for the REST API and the UI. The answer path itself
stays in ``answer``; this module only wires it to requests.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from assistant.pipeline import Conversation, Engine, ask
from assistant.corpus import Corpus
from assistant.feedback import FeedbackStore
from assistant.polish import Polisher
from assistant.settings import Settings
from assistant.types import Answer, Clause

MAX_CONVERSATIONS = 2000


class ConversationStore:
    def __init__(self, limit: int = MAX_CONVERSATIONS) -> None:
        self._items: OrderedDict[str, Conversation] = OrderedDict()
        self._lock = threading.Lock()
        self.limit = limit

    def get(self, conversation_id: str | None) -> Conversation:
        with self._lock:
            if conversation_id and conversation_id in self._items:
                self._items.move_to_end(conversation_id)
                return self._items[conversation_id]
            conv = Conversation(id=conversation_id) if conversation_id else Conversation()
            self._items[conv.id] = conv
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
            return conv

    def drop(self, conversation_id: str) -> None:
        with self._lock:
            self._items.pop(conversation_id, None)


@dataclass
class Service:
    settings: Settings
    engine: Engine
    conversations: ConversationStore
    feedback: FeedbackStore
    index_info: dict
    polisher: Polisher | None = None  # optional LLM polish, applied here at the edge
    _reload_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _repairing: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def corpus(self) -> Corpus:
        return self.engine.corpus

    def reload(self) -> dict:
        """Re-read the corpus and refresh the index (only changed clauses are re-embedded), then
        swap the engine in one assignment: requests in flight finish on the old one."""
        from assistant.bootstrap import open_retriever

        with self._reload_lock:
            retriever, built = open_retriever(self.settings, embedder=self.engine.retriever.embedder, quiet=True)
            self.engine = Engine(retriever.corpus, retriever)
            self.index_info = dict(built.manifest)
            if self.polisher is not None:
                self.polisher = replace(self.polisher, known=frozenset(c.id for c in retriever.corpus.clauses),
                                        departments=frozenset(retriever.corpus.departments))
        return self.index_info

    def ask(self, question: str, conversation_id: str | None = None, doc: str | None = None) -> Answer:
        answer = ask(question, self.engine, self.conversations.get(conversation_id), doc=doc)
        if answer.degraded:
            self._repair_in_background()
        if self.polisher is not None:
            answer = self.polisher.polish(answer)
        return answer

    def _repair_in_background(self) -> None:
        """Embedded index unreadable (corrupt files): rebuild it in the background while answers
        continue from keywords. A Chroma server that is down is not ours to rebuild: we wait for it."""
        if self.settings.chroma_url or self._repairing.is_set():
            return
        self._repairing.set()

        def run():
            try:
                self.reload()
            except Exception:  # noqa: BLE001 - the next degraded answer will try again
                pass
            finally:
                self._repairing.clear()

        threading.Thread(target=run, name="index-repair", daemon=True).start()

    def reset(self, conversation_id: str | None) -> None:
        """Forget a conversation entirely (新对话, the trash icon): facts, topic and pending question."""
        if conversation_id:
            self.conversations.drop(conversation_id)

    def ask_stream(self, question: str, conversation_id: str | None = None, doc: str | None = None):
        """Yield growing answer text; the last item is the final, verified ``Answer``.
        With an LLM configured only sentences of its rewrite that passed verification stream in
        (``Polisher.stream``); without one the composed answer is sent line by line."""
        answer = ask(question, self.engine, self.conversations.get(conversation_id), doc=doc)
        if answer.degraded:
            self._repair_in_background()
        if self.polisher is not None:
            yield from self.polisher.stream(answer)
            return
        shown = ""
        for line in answer.answer.split("\n"):
            shown += line + "\n"
            yield shown.strip()
        yield answer

    def clause_view(self, clause: Clause) -> dict:
        corpus = self.corpus
        doc = corpus.document_of(clause)
        article = corpus.article_of(clause)
        return {
            "clause_id": clause.id, "article": clause.article_title, "article_label": article.label,
            "text": clause.text, "departments": list(clause.departments),
            "document": doc.full_title, "status": doc.status.value, "status_label": doc.status.label,
            "citation": corpus.citation_text(clause),
            "article_clauses": [{"clause_id": c, "text": corpus.get(c).text} for c in article.clause_ids],
            "rules": [r.id for r in corpus.rules_for(clause.id)],
        }


def build_service(settings: Settings, *, quiet: bool = False) -> Service:
    from assistant.bootstrap import open_polisher, open_retriever

    retriever, built = open_retriever(settings, quiet=quiet)
    engine = Engine(retriever.corpus, retriever)
    store = FeedbackStore(settings.data_dir / "feedback.sqlite3")
    return Service(settings, engine, ConversationStore(), store, dict(built.manifest), open_polisher(settings, retriever.corpus))


def yuan(value: Decimal | int | None) -> int | None:
    return None if value is None else int(value)
