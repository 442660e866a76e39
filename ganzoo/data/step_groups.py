"""Several generator steps' data per loader batch (a model's ``steps_per_call``), read exactly as one step's.

Lightning's per-batch machinery (fetching, hooks, the loop, the optimizer wrappers' bookkeeping) costs about a
millisecond a batch; with ``steps_per_call: K`` a model runs K generator steps per Lightning step and pays it
once. ``StepGroupLoader`` concatenates K consecutive batches of the one-step loader, so the samples, their order
and every epoch's random draws are those of K = 1:

* groups end on multiples of K generator steps, and at the end of each epoch (a shorter group), so a new epoch
  starts after the same generator step as with K = 1, and its draws (the shuffle's seed, the loader's base seed)
  come between the same two steps;
* a DataModule's random augmentation (crops, flips, drawn targets) is not applied to the group but to each step's
  part when that step comes (``ganzoo.batch.StepGroup``), so its draws interleave with the model's as with K = 1.

Where the loader reads in this process from a dataset that fetches many indices at once (``__getitems__``: ganzoo's
in-memory tensors and paired images), a group's indices are read in one fetch (one gather) instead of K fetches and
a join: the same samples in the same order, without the K − 1 extra fetches (33 µs a generator step on ring8).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor


def concat(batches: list[Any]) -> Any:
    """Loader batches (tensors, or lists, tuples or dicts of them) joined along the first dimension."""
    first = batches[0]
    if first is None:
        return None
    if isinstance(first, Tensor):
        return torch.cat(batches)
    if isinstance(first, dict):
        return {key: concat([batch[key] for batch in batches]) for key in first}
    if isinstance(first, (list, tuple)):
        return type(first)(concat(list(parts)) for parts in zip(*batches))
    raise TypeError(f"cannot join loader batches of type {type(first).__name__}")


class StepGroupLoader:
    """Groups of up to ``steps_per_call`` consecutive batches of ``loader``, concatenated.

    ``steps_done()`` is the generator steps taken when an epoch starts (the trainer's ``global_step``): the
    epoch's first group is shortened so that groups end on multiples of ``steps_per_call``, and a group never
    runs past ``max_steps()`` (the trainer's; -1: no limit), so no step's data is read and left unused. No
    length: the last group of an epoch is shorter, and Lightning ends the epoch when the groups run out. The loader's place in
    its shuffle (``state_dict``/``load_state_dict``, Lightning's resumable-loader protocol) counts one-step
    batches, so a checkpoint resumes under any ``steps_per_call``.
    """

    def __init__(self, loader: Any, steps_per_call: int, steps_done: Callable[[], int], max_steps: Callable[[], int]):
        if steps_per_call < 1:
            raise ValueError(f"steps_per_call must be at least 1, got {steps_per_call}")
        self.loader, self.steps_per_call = loader, steps_per_call
        self.steps_done, self.max_steps = steps_done, max_steps

    def __iter__(self) -> Iterator[Any]:
        """The groups of one epoch. A generator: nothing runs until the first group is asked for, so Lightning's
        check that the loader is iterable (an ``iter()`` it never reads) draws no random numbers."""
        iterator = iter(self.loader)  # the loader's own draws (its base seed, the epoch's shuffle), as with K = 1
        k, step, last = self.steps_per_call, self.steps_done(), self.max_steps()
        pin = bool(getattr(self.loader, "pin_memory", False))  # the loader pins its batches; a group is pinned anew
        fetch_at_once = self.fetches_groups()
        if fetch_at_once:  # the batches' indices, drawn as the loader's iterator would have drawn them
            iterator = iter(self.loader.batch_sampler)
        while True:
            size = k - step % k  # groups end on multiples of K
            if 0 <= last - step < size:
                size = max(last - step, 1)  # and at max_steps (past it, Lightning stops before using the group)
            batches = list(itertools.islice(iterator, size))
            if not batches:
                return
            step += len(batches)
            if fetch_at_once:
                group = self.loader.collate_fn(self.loader.dataset.__getitems__(list(itertools.chain(*batches))))
            else:
                group = concat(batches) if len(batches) > 1 else batches[0]
            yield pin_tensors(group) if pin and (fetch_at_once or len(batches) > 1) else group

    def fetches_groups(self) -> bool:
        """Whether a group is read in one fetch: the loader reads in this process (no workers), in batches of
        indices, from a dataset with ``__getitems__`` (which the loader's own fetch would call with each batch)."""
        loader = self.loader
        return (
            getattr(loader, "num_workers", 1) == 0
            and getattr(loader, "batch_sampler", None) is not None
            and callable(getattr(getattr(loader, "dataset", None), "__getitems__", None))
        )

    def state_dict(self) -> dict[str, Any]:
        return self.loader.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.loader.load_state_dict(state)


def pin_tensors(batch: Any) -> Any:
    if isinstance(batch, Tensor):
        return batch.pin_memory()
    if isinstance(batch, dict):
        return {key: pin_tensors(value) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(pin_tensors(value) for value in batch)
    return batch
