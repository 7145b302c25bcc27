"""Chroma adapter: the only module that imports chromadb.

Owns: opening an embedded ``PersistentClient`` under the index directory, or an
``HttpClient`` when ``POLICY_CHROMA_URL`` is set; creating collections with
``embedding_function=None`` and cosine space (embeddings always come from us: chroma's
default model would try to download); adding and querying clause vectors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence
from urllib.parse import urlparse

import numpy as np


class VectorStore(Protocol):
    def add(self, ids: Sequence[str], embeddings: np.ndarray, metadatas: Sequence[dict], documents: Sequence[str]) -> None: ...
    def query(self, embedding: np.ndarray, k: int) -> list[tuple[str, float]]: ...
    def count(self) -> int: ...


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_client(path: Path | None = None, url: str | None = None):
    """Embedded client under ``path``, or an HTTP client for ``url`` (server mode)."""
    import chromadb

    if url:
        u = urlparse(url if "://" in url else f"http://{url}")
        return chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000,
                                   ssl=u.scheme == "https", settings=_chroma_settings())
    assert path is not None
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


class ChromaStore:
    """One collection of clause vectors."""

    def __init__(self, client, name: str, create: bool = False) -> None:
        self.client = client
        self.name = name
        if create:
            try:
                client.delete_collection(name)
            except Exception:  # noqa: BLE001 - "does not exist" differs across chroma versions
                pass
            self.collection = client.create_collection(name, embedding_function=None,
                                                       metadata={"hnsw:space": "cosine"})
        else:
            self.collection = client.get_collection(name, embedding_function=None)

    def add(self, ids, embeddings, metadatas, documents) -> None:
        batch = 1000
        for i in range(0, len(ids), batch):
            self.collection.add(ids=list(ids[i:i + batch]), embeddings=np.asarray(embeddings[i:i + batch], dtype=np.float32).tolist(),
                                metadatas=list(metadatas[i:i + batch]), documents=list(documents[i:i + batch]))

    def query(self, embedding: np.ndarray, k: int) -> list[tuple[str, float]]:
        k = max(1, min(k, self.count_cached()))
        res = self.collection.query(query_embeddings=[np.asarray(embedding, dtype=np.float32).tolist()],
                                    n_results=k, include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]

    def count(self) -> int:
        self._count = self.collection.count()
        return self._count

    def count_cached(self) -> int:
        return getattr(self, "_count", None) or self.count()
