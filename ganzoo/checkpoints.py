"""Reading checkpoints safely: ``weights_only=True`` and one clear error per failure."""

from __future__ import annotations

import hashlib
import importlib
import io
import pickle
import sys
import zipfile
from pathlib import Path
from typing import Any

import torch


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt, untrusted, or of another model class."""


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_checkpoint_bytes(path: str | Path) -> bytes:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}: check the path (runs save them under <run dir>/checkpoints/).")
    return path.read_bytes()


def looks_like_torch_file(data: bytes) -> bool:
    """torch.save writes a zip archive (or, before torch 1.6, a pickle: protocol 2+ starts with 0x80)."""
    return zipfile.is_zipfile(io.BytesIO(data)) or data[:1] == b"\x80"


def load_file(source: str | Path | bytes, *, weights_only: bool = True, name: str | None = None) -> Any:
    """``torch.load`` on CPU with ``weights_only=True`` by default, turning failures into a ``CheckpointError``
    that names the file (``name``, for bytes read from one)."""
    name = name or ("<bytes>" if isinstance(source, bytes) else str(source))
    data = source if isinstance(source, bytes) else read_checkpoint_bytes(source)
    if not data:
        raise CheckpointError(f"{name} is empty (0 bytes): an interrupted copy or download?")
    try:
        checkpoint = torch.load(io.BytesIO(data), map_location="cpu", weights_only=weights_only)
    except pickle.UnpicklingError as err:
        if not looks_like_torch_file(data):
            raise CheckpointError(
                f"{name} is not a PyTorch checkpoint (corrupt, truncated, or another kind of file)"
            ) from err
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        reason = next((line for line in lines if "GLOBAL" in line or "global" in line), None)
        if reason is None:  # not a refused class: a pickle broken on the way
            raise unreadable(name, lines[-1] if lines else type(err).__name__) from err
        raise CheckpointError(
            f"{name} needs arbitrary code to unpickle, which weights_only loading refuses ({reason}). "
            "Load it with weights_only=False only if you trust where it came from."
        ) from err
    except Exception as err:  # noqa: BLE001 -- bytes that start like a pickle can fail anywhere in it (KeyError…)
        raise unreadable(name, " ".join(str(err).split()) or type(err).__name__) from err
    return checkpoint


def unreadable(name: str, reason: str) -> CheckpointError:
    """The one error for a file torch.load cannot read."""
    return CheckpointError(f"{name} is not a readable PyTorch checkpoint (corrupt or truncated?): {reason}")


def load_checkpoint(
    source: str | Path | bytes, *, weights_only: bool = True, name: str | None = None
) -> dict[str, Any]:
    """``load_file`` of a dict with a ``state_dict`` (a Lightning or ganzoo checkpoint)."""
    name = name or ("<bytes>" if isinstance(source, bytes) else str(source))
    checkpoint = load_file(source, weights_only=weights_only, name=name)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{name} is not a Lightning checkpoint: it has no 'state_dict'.")
    return checkpoint


def load_trusted_checkpoint(source: str | Path | bytes, name: str, *, weights_only: bool = True) -> dict[str, Any]:
    """``load_checkpoint`` and, when loading weights only, ``check_config_is_trusted``: what every path that
    rebuilds a model from a file (``load_from_checkpoint``, ``--ckpt_path``) reads it with."""
    checkpoint = load_checkpoint(source, weights_only=weights_only, name=name)
    if weights_only:  # weights_only=False: the caller trusts the file, and its classes
        check_config_is_trusted(checkpoint, name)
    return checkpoint


def checkpoint_class_path(checkpoint: dict[str, Any]) -> str | None:
    """The model class a checkpoint was saved from, as 'module.Class'."""
    meta = checkpoint.get("ganzoo") or {}
    return meta.get("class_path") or (checkpoint.get("hyper_parameters") or {}).get("_class_path")


def import_class(class_path: str) -> type:
    """Resolve a class named in a checkpoint: only ganzoo's own or modules already imported."""
    module_name, _, name = class_path.rpartition(".")
    if module_name not in sys.modules and module_name.split(".")[0] != "ganzoo":
        raise CheckpointError(
            f"The checkpoint names the class {class_path!r} from a module that is not imported; "
            "import that module yourself first if you trust the checkpoint."
        )
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as err:
        raise CheckpointError(f"The checkpoint's model class {class_path!r} cannot be imported: {err}") from err


TRUSTED_PACKAGES = ("ganzoo", "torch", "lightning", "pytorch_lightning")
TRUSTED_INSTANTIATORS = ("lightning.pytorch.cli.instantiate_module",)


def check_config_is_trusted(checkpoint: dict[str, Any], name: str = "the checkpoint") -> None:
    """A checkpoint's config names classes (``class_path``) that loading will build: only ganzoo's, torch's and
    Lightning's (or your own networks, optimizers and schedulers, once you have imported them) and Lightning's own
    instantiator pass; anything else means the file was tampered with."""
    hparams = checkpoint.get("hyper_parameters") or {}
    instantiator = hparams.get("_instantiator")
    if instantiator is not None and instantiator not in TRUSTED_INSTANTIATORS:
        raise CheckpointError(f"{name} names the instantiator {instantiator!r}, not ganzoo's: tampered with? Refused.")
    for path in _class_paths(hparams):
        if not _is_trusted_class(path):
            raise CheckpointError(
                f"{name} asks to build {path!r}, neither a class of {', '.join(TRUSTED_PACKAGES)} nor a network, "
                "optimizer or scheduler class of a module you have imported: tampered with? Refused "
                "(import the module that defines it if you trust the file, or pass weights_only=False)."
            )


def _is_trusted_class(path: Any) -> bool:
    """A class of ganzoo, torch or Lightning; or (your own) an ``nn.Module``, optimizer or LR scheduler class
    from a module already imported (as Lightning requires of the model class itself)."""
    if not isinstance(path, str):
        return False
    if path.split(".")[0] in TRUSTED_PACKAGES:
        return True
    module_name, _, name = path.rpartition(".")
    found = getattr(sys.modules.get(module_name), name, None)
    trusted_bases = (torch.nn.Module, torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler)
    return isinstance(found, type) and issubclass(found, trusted_bases)


def _class_paths(value: Any) -> list[Any]:
    if isinstance(value, dict):
        found = [value["class_path"]] if "class_path" in value else []
        found += [value["_class_path"]] if "_class_path" in value else []
        return found + [p for v in value.values() for p in _class_paths(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _class_paths(v)]
    return []
