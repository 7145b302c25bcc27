"""llama-index face of retrieval: the hybrid retriever as a ``BaseRetriever``, and the
llama-index default pipeline used as a baseline. The only module importing llama_index
(besides the embedding wrapper in ``embedders``).

Nothing here touches llama-index's global ``Settings``: the embedding model is always
passed as ``embed_model=``.
"""

from __future__ import annotations

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant.embedders import LlamaIndexEmbedding


class LlamaHybridRetriever(BaseRetriever):
    """Wraps ``HybridRetriever``: one node per clause, metadata carries id, article, departments."""

    def __init__(self, retriever, k: int = 5) -> None:
        super().__init__()
        self._retriever = retriever
        self._k = k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        out = []
        for h in self._retriever.search(query_bundle.query_str, self._k):
            node = TextNode(id_=h.clause.id, text=h.clause.text, metadata={
                "clause_id": h.clause.id, "article": h.clause.article_title,
                "departments": "、".join(h.clause.departments), "sources": "+".join(h.sources)})
            out.append(NodeWithScore(node=node, score=h.score))
        return out


def llama_default_retriever(corpus, embedder, top_k: int = 10):
    """Baseline: each policy file as one Document, ``SentenceSplitter()`` defaults, in-memory
    ``VectorStoreIndex`` with the same embedder. Returns ``search(query) -> [clause ids]``:
    each retrieved chunk is mapped to the clauses whose text it contains, in text order."""
    embed = LlamaIndexEmbedding(embedder)
    docs = []
    for d in corpus.documents:
        docs.append(Document(text="\n".join(c.text for c in d.clauses), metadata={"doc": d.id}))
    nodes = SentenceSplitter().get_nodes_from_documents(docs)
    index = VectorStoreIndex(nodes, embed_model=embed)
    retriever = index.as_retriever(similarity_top_k=top_k)
    clauses = list(corpus.clauses)

    def search(query: str) -> list[str]:
        ranked: list[str] = []
        for nws in retriever.retrieve(query):
            chunk = nws.node.get_content()
            for c in clauses:
                if (c.text[:20] in chunk or c.text[-20:] in chunk) and c.id not in ranked:
                    ranked.append(c.id)
        return ranked

    return search
