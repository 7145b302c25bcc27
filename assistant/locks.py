"""Cross-process locks; the only module that imports filelock.

Owns two locks, both plain files beside the data they guard:

- the corpus lock (``corpus/.policies.lock``): one writer at a time changes ``corpus/`` and
  ``policies.json`` *and* refreshes the index, across threads, worker processes, app nodes that
  share the folder, and the CLI;
- the index build lock (``index/.build.lock``): one build at a time per index folder, so two
  ``build-index`` runs (or two workers starting together) never delete each other's work.

Both are re-entrant within a thread (one lock object per path, counted per thread), so code
holding the corpus lock can call code that takes it again. What is done under them is decided
by ``policies`` and ``index``, not here. Lock order, where both are held: corpus, then index.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from assistant.errors import BusyError

CORPUS_LOCK = ".policies.lock"
INDEX_LOCK = ".build.lock"
CORPUS_WAIT_S = 300.0  # an add waits this long for another add + index rebuild to finish
INDEX_WAIT_S = 900.0  # a full re-embedding of a large corpus can take minutes


def _lock(path: Path) -> FileLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path), is_singleton=True)


@contextlib.contextmanager
def hold(path: Path, *, timeout: float, what: str) -> Iterator[None]:
    """Hold the lock at ``path``; ``BusyError`` if it is not free within ``timeout`` seconds."""
    lock = _lock(Path(path))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise BusyError(what) from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def try_hold(path: Path) -> Iterator[bool]:
    """Take the lock only if it is free right now; yields whether it was taken.

    A folder we cannot write to (a read-only corpus) cannot change either: yields True."""
    try:
        lock = _lock(Path(path))
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    except OSError:
        yield True
        return
    try:
        yield True
    finally:
        lock.release()


def corpus_lock(corpus_dir: Path, timeout: float = CORPUS_WAIT_S):
    return hold(Path(corpus_dir) / CORPUS_LOCK, timeout=timeout, what="另一项政策更新正在进行")


@contextlib.contextmanager
def reading_corpus(corpus_dir: Path, timeout: float = CORPUS_WAIT_S) -> Iterator[None]:
    """For readers (a worker starting): wait for a change in progress to finish. A read-only
    corpus folder cannot be changed, and has no lock file to take: then read it as it is."""
    try:
        cm = corpus_lock(corpus_dir, timeout)
        cm.__enter__()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        cm.__exit__(None, None, None)


def index_lock(index_dir: Path, timeout: float = INDEX_WAIT_S):
    return hold(Path(index_dir) / INDEX_LOCK, timeout=timeout, what="另一次索引构建正在进行")
