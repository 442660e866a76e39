"""Pretrained models: the registry, loading by name/path/URL/W&B artifact, and shipping a checkpoint.

A registry entry (``ganzoo/pretrained/registry.json``) is a model card: the file shipped in the package
(or a URL for files too big to ship), its SHA-256, the exact command that trained it, generator steps,
wall time, hardware and measured scores. Every file is checked against its SHA-256 before it is read,
and read with ``weights_only=True``.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.parse
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from ganzoo.atomic import atomic_save, atomic_write_bytes
from ganzoo.checkpoints import CheckpointError, file_sha256, load_checkpoint
from ganzoo.extras import require

PRETRAINED = "pretrained"


def _pretrained_dir() -> Path:
    return Path(str(resources.files("ganzoo") / PRETRAINED))


def registry() -> dict[str, dict[str, Any]]:
    """Name → model card of every registered pretrained model."""
    path = _pretrained_dir() / "registry.json"
    return json.loads(path.read_text()) if path.exists() else {}


def check_sha256(path: Path, expected: str, source: str, *, delete_on_mismatch: bool = False) -> None:
    """Refuse a file whose SHA-256 is not ``expected``; a downloaded copy is deleted so it is fetched again."""
    actual = file_sha256(path)
    if actual != expected.lower():
        if delete_on_mismatch:
            path.unlink()
        raise CheckpointError(
            f"SHA-256 mismatch for {source}: expected {expected}, got {actual}. The file is corrupt or not the "
            "one registered; delete it and download again."
        )


def hub_cache_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / "ganzoo"


def download(url: str, sha256: str | None = None) -> Path:
    """A URL's file in the torch hub cache (downloaded once), checked against ``sha256`` when given.

    Without an explicit hash, a file name ending ``-<hex prefix>.ckpt`` (torch hub's convention) is
    checked against that prefix of its SHA-256.
    """
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("https", "http"):
        raise ValueError(f"only http(s) URLs can be downloaded, got {url!r}")
    name = Path(parsed.path).name or "model.ckpt"
    target = hub_cache_dir() / (f"{sha256[:12]}-{name}" if sha256 else name)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            partial = Path(tmp) / name
            try:
                torch.hub.download_url_to_file(url, str(partial), progress=False)
            except OSError as err:  # URLError, HTTPError, timeouts
                raise RuntimeError(f"Could not download {url}: {err}") from None
            os.replace(partial, target)
    if sha256:
        check_sha256(target, sha256, url, delete_on_mismatch=True)
    else:
        stem = Path(name).stem
        prefix = stem.rpartition("-")[2]
        if "-" in stem and len(prefix) >= 8 and all(c in "0123456789abcdef" for c in prefix.lower()):
            if not file_sha256(target).startswith(prefix.lower()):
                target.unlink()
                raise CheckpointError(f"SHA-256 of {url} does not start with {prefix} as its name says: corrupt download")
    return target


def wandb_artifact(spec: str) -> Path:
    """The checkpoint file of a W&B artifact ``entity/project/name:alias`` (downloaded by wandb)."""
    wandb = require("wandb", f"Fetching the W&B artifact {spec!r}")
    try:
        artifact = wandb.Api().artifact(spec, type="model")
        folder = Path(artifact.download())
    except Exception as err:  # noqa: BLE001 - wandb raises many types (auth, comm, not found)
        raise RuntimeError(
            f"Could not fetch the W&B artifact {spec!r}: {err}. Log in with `wandb login` (or set WANDB_API_KEY); "
            "artifacts cannot be fetched in offline mode."
        ) from None
    files = sorted(folder.rglob("*.ckpt"))
    if not files:
        raise CheckpointError(f"The W&B artifact {spec!r} holds no .ckpt file (found {sorted(os.listdir(folder))})")
    return files[0]


def resolve(spec: str | Path) -> Path:
    """A local file for a registry name, a path, an http(s) URL, or ``wandb:entity/project/name:alias``."""
    text = str(spec)
    entries = registry()
    if text in entries:
        entry = entries[text]
        if not entry.get("file"):
            return download(entry["url"], entry["sha256"])  # checked there
        path = _pretrained_dir() / entry["file"]
        check_sha256(path, entry["sha256"], f"registry entry {text!r}")
        return path
    if text.startswith(("https://", "http://")):
        return download(text)
    if text.startswith("wandb:"):
        return wandb_artifact(text.removeprefix("wandb:"))
    path = Path(text).expanduser()
    if not path.exists() and "/" not in text and not text.endswith(".ckpt"):
        raise ValueError(f"{text!r} is neither a file nor a registered model; registered: {sorted(entries)}")
    return path


TRAINING_STATE = ("rng", "pools")  # checkpoint["ganzoo"] entries only a resumed run needs (CycleGAN's image pools)


def strip_for_shipping(
    source: str | Path, target: str | Path, card: dict[str, Any] | None = None, half: bool = False
) -> Path:
    """Write a sampling-only copy of a checkpoint: the generator side (averaged weights where the run kept
    them) and the config; no discriminator, optimizer or loop state. ``half`` stores floating-point weights
    as float16 (half the file; loading casts them back to the model's float32)."""
    checkpoint = load_checkpoint(source)
    state = checkpoint["state_dict"]
    side = _generator_side(checkpoint)
    kept = {k: v.clone() for k, v in state.items() if k.split(".")[0] in side}
    averaged = []
    for name in side:  # an averaged network's weights replace the raw network's (CycleGAN: both generators)
        prefix = f"averaged_{name}.module."
        weights = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
        if weights:
            kept = {k: v for k, v in kept.items() if not k.startswith(f"{name}.")}
            kept.update({f"{name}.{k}": v.clone() for k, v in weights.items()})
            averaged.append(name)
    if half:
        kept = {k: v.half() if v.is_floating_point() else v for k, v in kept.items()}
    shipped = {
        "state_dict": kept,
        "hyper_parameters": checkpoint.get("hyper_parameters", {}),
        "hparams_name": checkpoint.get("hparams_name"),
        "pytorch-lightning_version": checkpoint.get("pytorch-lightning_version"),
        "global_step": checkpoint.get("global_step"),
        "ganzoo": {**{k: v for k, v in checkpoint.get("ganzoo", {}).items() if k not in TRAINING_STATE},
                   "generator_only": True,
                   "generator_weights": "averaged" if "generator" in averaged else "raw", "card": card or {},
                   "stored_dtype": "float16" if half else "float32"},  # fmt: skip
    }
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(shipped, target)
    return target


def _generator_side(checkpoint: dict[str, Any]) -> tuple[str, ...]:
    """The networks the checkpoint's model class ships (``GenerativeModule.generator_side``)."""
    from ganzoo.checkpoints import checkpoint_class_path, import_class
    from ganzoo.models.generative import GenerativeModule

    stored = checkpoint_class_path(checkpoint)
    cls = import_class(stored) if stored else None
    return tuple(cls.generator_side) if isinstance(cls, type) and issubclass(cls, GenerativeModule) else ("generator",)


def copy_into_pretrained(name: str, shipped: Path) -> Path:
    """Put a shipped file into ``ganzoo/pretrained`` (its card goes into its family's metafile, from which
    ``registry.json`` is generated: ``benchmarks/metafiles.py``)."""
    folder = _pretrained_dir()
    folder.mkdir(exist_ok=True)
    atomic_write_bytes(Path(shipped).read_bytes(), folder / f"{name}.ckpt")
    return folder / f"{name}.ckpt"
