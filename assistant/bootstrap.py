"""Wiring: settings → corpus, embedder, index, retriever. The one place they are assembled.

The CLI and the web app call ``open_retriever(settings)``; tests and the eval runner
assemble the same pieces with other embedders or directories.
"""

from __future__ import annotations

import sys
from typing import Callable

from assistant.corpus import Corpus, load_corpus
from assistant.settings import Settings


def make_settings_embedder(settings: Settings, background: bool = False):
    from assistant.embedders import make_embedder

    return make_embedder(settings.embedder, settings.embedder_model_path, background=background)


def console_progress() -> tuple[Callable[[str, int, int], None], Callable[[], None]]:
    """A rich progress bar on stderr (quiet when stderr is not a terminal, except one line per stage)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=console, transient=False, disable=not console.is_terminal)
    tasks: dict[str, int] = {}
    said: set[str] = set()

    def report(stage: str, done: int, total: int) -> None:
        if not console.is_terminal:
            if stage not in said:
                said.add(stage)
                print(f"[索引] {stage}：共 {total} 条…", file=sys.stderr)
            return
        if stage not in tasks:
            if not bar.live.is_started:
                bar.start()
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)

    def close() -> None:
        if bar.live.is_started:
            bar.stop()

    return report, close


def open_retriever(settings: Settings, *, corpus: Corpus | None = None, embedder=None, quiet: bool = False,
                   force_rebuild: bool = False):
    """Load the corpus and embedder, open (or build) the index, return a ``HybridRetriever``."""
    from assistant.index import build_index, ensure_index
    from assistant.retrieval import HybridRetriever

    import threading

    from assistant.text import warm_up

    # Model weights, the jieba dictionary and the index load in parallel: a cold `ask` stays fast.
    threading.Thread(target=warm_up, name="jieba-warm-up", daemon=True).start()
    embedder = embedder or make_settings_embedder(settings, background=True)
    corpus = corpus or load_corpus(settings.corpus_dir)
    from assistant.lexicon import build_lexicon
    from assistant.text import add_words

    # The corpus's own terms (measure names, bases, departments …) become whole words for jieba
    # before anything is tokenised, so the BM25 index and the questions agree.
    lexicon = build_lexicon(corpus)
    add_words(lexicon.words())
    report, close = console_progress() if not quiet else ((lambda *_: None), (lambda: None))
    notify = (lambda m: print(f"[索引] {m}", file=sys.stderr)) if not quiet else None
    try:
        if force_rebuild:
            built = build_index(settings.index_dir, corpus, embedder, chroma_url=settings.chroma_url, progress=report)
        else:
            built = ensure_index(settings.index_dir, corpus, embedder, chroma_url=settings.chroma_url,
                                 progress=report, notify=notify)
    finally:
        close()
    return HybridRetriever(corpus, embedder, built.store, built.keyword, lexicon=lexicon), built


def open_polisher(settings: Settings, corpus):
    """The optional LLM polish (``polish.Polisher`` over ``llm.OpenAICompatible``), or None when not configured."""
    if not (settings.llm_base_url and settings.llm_model):
        return None
    from assistant.llm import OpenAICompatible
    from assistant.polish import Polisher

    generator = OpenAICompatible(settings.llm_base_url, settings.llm_model, settings.llm_api_key)
    return Polisher(generator, settings.llm_timeout_s, frozenset(c.id for c in corpus.clauses), frozenset(corpus.departments))
