"""A training loader whose place in the shuffle is saved in checkpoints, so a resumed run reads the same batches.

``ResumableRandomSampler`` draws each epoch's permutation exactly as ``RandomSampler`` does (a seed from the
global torch RNG, then ``randperm``), so an uninterrupted run is unchanged; it remembers that seed.
``ResumableDataLoader`` implements Lightning's ``state_dict``/``load_state_dict``: the epoch's seed and how many
batches training has consumed (counted by the DataModule when a batch reaches the model, not when the loader
prefetches it). After ``load_state_dict`` the next epoch starts at that seed and position without touching
the global RNG (whose own state the model restores: ``GenerativeModule.on_fit_start``).

Under DDP, ``ResumableDistributedSampler`` is Lightning's ``DistributedSampler`` (the same shards, seeded by
``PL_GLOBAL_SEED`` and the epoch) with the same saved position: every rank consumes as many batches, so rank 0's
count, saved in the checkpoint, is every rank's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader, DistributedSampler, Sampler


def draw_epoch_seed() -> int:
    """The seed of an epoch's permutation, drawn from the global torch RNG as ``RandomSampler`` draws it."""
    return int(torch.empty((), dtype=torch.int64).random_().item())


@dataclass
class LoaderPosition:
    """Where training is in the current epoch's shuffle."""

    seed: int | None = None
    consumed_batches: int = 0
    resume_from: tuple[int, int] | None = None  # (seed, batches) to continue from at the next iter()


class ResumableRandomSampler(Sampler[int]):
    """``RandomSampler`` (without replacement) that can start an epoch at a saved seed and offset."""

    def __init__(self, num_samples: int, batch_size: int, position: LoaderPosition):
        self.num_samples, self.batch_size, self.position = num_samples, batch_size, position

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        position = self.position
        if position.resume_from is not None:
            seed, skip = position.resume_from
            position.resume_from = None
        else:
            seed, skip = draw_epoch_seed(), 0
        position.seed, position.consumed_batches = seed, skip
        generator = torch.Generator()
        generator.manual_seed(seed)
        # a list's own iterator: the batch sampler's next() per index runs in C, not through a generator's frame
        return iter(torch.randperm(self.num_samples, generator=generator)[skip * self.batch_size :].tolist())


class ResumableDistributedSampler(DistributedSampler):
    """``DistributedSampler(shuffle=True)`` that can start an epoch at a saved offset (``position.seed`` holds
    the epoch: the permutation is fixed by the sampler's seed and the epoch, drawn from no global RNG)."""

    def __init__(self, dataset: Any, num_replicas: int, rank: int, seed: int, batch_size: int, position: LoaderPosition):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed)
        self.batch_size, self.position = batch_size, position

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        position = self.position
        skip = position.resume_from[1] if position.resume_from is not None else 0
        position.resume_from = None
        position.seed, position.consumed_batches = self.epoch, skip
        return iter(indices[skip * self.batch_size :])


class ResumableDataLoader(DataLoader):
    """A shuffling ``DataLoader`` (``drop_last``) over a ``ResumableRandomSampler``, resumable by Lightning;
    ``replicas=(num_replicas, rank, seed)`` shards it for DDP (``ResumableDistributedSampler``)."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        position: LoaderPosition | None = None,
        replicas: tuple[int, int, int] | None = None,
        **kwargs: Any,
    ):
        self.position = position or LoaderPosition()
        self.replicas = replicas
        if replicas is None:
            sampler: Sampler = ResumableRandomSampler(len(dataset), batch_size, self.position)
        else:
            sampler = ResumableDistributedSampler(dataset, *replicas, batch_size=batch_size, position=self.position)
        super().__init__(dataset, batch_size=batch_size, sampler=sampler, drop_last=True, **kwargs)
        self._after_load = False

    def __iter__(self) -> Any:
        """The first iterator after ``load_state_dict`` draws from the global RNG only what the uninterrupted run
        drew there. (Every new DataLoader iterator draws a base seed for workers; a persistent one is reused.)"""
        if not self._after_load:
            return super().__iter__()
        self._after_load = False
        if self.position.resume_from is None and not self.persistent_workers:
            return super().__iter__()  # a fresh epoch on a fresh iterator: the same draws as uninterrupted
        if self.position.resume_from is None and self.replicas is None:
            self.position.resume_from = (draw_epoch_seed(), 0)  # reused workers: only the epoch's seed was drawn
        state = torch.get_rng_state()  # mid-epoch the uninterrupted run drew nothing here
        iterator = super().__iter__()
        torch.set_rng_state(state)
        return iterator

    @property
    def kind(self) -> str:
        return "random" if self.replicas is None else f"distributed/{self.replicas[0]}"

    def state_dict(self) -> dict[str, Any]:
        return {"sampler": self.kind, "seed": self.position.seed, "consumed_batches": self.position.consumed_batches}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue where ``state`` was saved; a state of another sampler (a run resumed on another number of
        processes) cannot say where that is, and the epoch starts over."""
        seed, consumed = state.get("seed"), int(state.get("consumed_batches", 0))
        if seed is None or state.get("sampler") != self.kind:
            return
        mid_epoch = consumed < len(self)  # else the epoch was used up: the next one draws its seed, as it would have
        self.position.resume_from = (int(seed), consumed) if mid_epoch else None
        if isinstance(self.sampler, ResumableDistributedSampler):  # Lightning sets the epoch only after iter()
            self.sampler.set_epoch(int(seed) + (0 if mid_epoch else 1))
        self._after_load = True
