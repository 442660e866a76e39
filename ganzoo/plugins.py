"""Trainer plugins: crash-safe checkpoint writing.

``ganzoo fit`` (``GanzooCLI``) adds ``AtomicCheckpointIO`` to the Trainer's plugins unless a CheckpointIO is
given (``--trainer.plugins``, or a strategy built with its own). With Python's ``Trainer``, pass it yourself::

    Trainer(plugins=[AtomicCheckpointIO()])
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.plugins.io import TorchCheckpointIO

from ganzoo.atomic import atomic_save


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint IO with ``ganzoo.atomic.atomic_save`` for local paths: a checkpoint is either the
    previous file or the complete new one, whatever kills the write. Remote URLs and ``storage_options`` go
    through Lightning's own ``TorchCheckpointIO``."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        if storage_options is not None or "://" in str(path):
            return super().save_checkpoint(checkpoint, path, storage_options)
        atomic_save(checkpoint, path)


__all__ = ["AtomicCheckpointIO"]
