"""The random states training draws from (torch CPU and CUDA, numpy, Python), saved per rank in checkpoints.

A resumed run restores them where the checkpoint was written, so its noise, dropout and data order continue
exactly as an uninterrupted run's would. States are stored as tensors, ints and tuples only, so checkpoints
stay loadable with ``weights_only=True``.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
import torch.distributed as dist


def collect_rng_states() -> dict[str, Any]:
    """This process's random states."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        # this process's own device only: a resume may see other GPUs
        "cuda": [torch.cuda.get_rng_state()] if torch.cuda.is_available() and torch.cuda.is_initialized() else [],
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), int(position), int(has_gauss), float(cached)),
        "python": random.getstate(),
    }


def restore_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state(states["cuda"][0])
    kind, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))


def collect_all_ranks() -> list[dict[str, Any]]:
    """Every rank's states, index = rank (a collective under DDP: every rank must call it)."""
    mine = collect_rng_states()
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return [mine]
    everyone: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, mine)
    return everyone


def restore_for_rank(saved: list[dict[str, Any]], rank: int) -> bool:
    """Restore this rank's saved states; False when the checkpoint has none for it (another world size)."""
    if rank >= len(saved):
        return False
    restore_rng_states(saved[rank])
    return True
