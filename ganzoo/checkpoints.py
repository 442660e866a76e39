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


def load_file(source: str | Path | bytes, *, weights_only: bool = True) -> Any:
    """``torch.load`` on CPU with ``weights_only=True`` by default, turning failures into a ``CheckpointError``."""
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    data = source if isinstance(source, bytes) else read_checkpoint_bytes(source)
    try:
        checkpoint = torch.load(io.BytesIO(data), map_location="cpu", weights_only=weights_only)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{name} needs arbitrary code to unpickle, which weights_only loading refuses ({err}). "
            "Load it with weights_only=False only if you trust where it came from."
        ) from err
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as err:
        raise CheckpointError(f"{name} is not a readable PyTorch checkpoint (corrupt or truncated?): {err}") from err
    return checkpoint


def load_checkpoint(source: str | Path | bytes, *, weights_only: bool = True) -> dict[str, Any]:
    """``load_file`` of a dict with a ``state_dict`` (a Lightning or ganzoo checkpoint)."""
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    checkpoint = load_file(source, weights_only=weights_only)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{name} is not a Lightning checkpoint: it has no 'state_dict'.")
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
