"""What every ganzoo DataModule shares: where data lives, loaders sized per training step, uint8 → [-1, 1]."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from lightning.pytorch import LightningDataModule
from lightning.pytorch.strategies import ParallelStrategy
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, TensorDataset

from ganzoo.batch import Batch, StepGroup
from ganzoo.data.resumable import LoaderPosition, ResumableDataLoader
from ganzoo.data.step_groups import StepGroupLoader

DATA_ENV = "GANZOO_DATA"


def default_data_dir() -> Path:
    """``$GANZOO_DATA`` if set, else ``~/.cache/ganzoo/data``."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / ".cache" / "ganzoo" / "data")


def to_unit_range(images: Tensor) -> Tensor:
    """uint8 [0, 255] → float [-1, 1]; other dtypes pass through."""
    if images.dtype != torch.uint8:
        return images
    return images.float().div_(127.5).sub_(1.0)


class InMemoryTensors(TensorDataset):
    """A ``TensorDataset`` the DataLoader reads a whole batch at a time: one gather per tensor instead
    of ``batch_size`` item lookups and a per-sample collate (3 ms of a 25 ms ring8 GAN step, profiled on one thread).
    Batches are the same as ``TensorDataset``'s under the same sampler: a list of stacked tensors."""

    def __getitems__(self, indices: list[int]) -> list[Tensor]:
        # numpy makes the index from the sampler's list of ints in 5 µs, torch.as_tensor in 33 µs (256 ints)
        index = torch.from_numpy(np.asarray(indices, dtype=np.int64))
        return [tensor.index_select(0, index) for tensor in self.tensors]


def _already_collated(batch: list[Tensor]) -> list[Tensor]:
    return batch


class GANDataModule(LightningDataModule):
    """Base DataModule.

    Args:
        batch_size: samples per discriminator update. A training step receives
            ``real_batches_per_step × batch_size`` real samples, which the model splits into minibatches.
        num_workers: loader worker processes (persistent when > 0).
        data_dir: dataset root; default ``$GANZOO_DATA`` or ``~/.cache/ganzoo/data``.

    ``real_batches_per_step`` and ``steps_per_call`` (attributes, not arguments) are how many real minibatches one
    generator step of the model takes (a GAN's ``n_critic``) and how many generator steps one Lightning step runs
    (``ganzoo.data.step_groups``). ``GanzooCLI`` sets them from the model; left ``None`` (``Trainer.fit(model,
    datamodule)`` in Python), the trainer's model is asked when the loader is built.

    Random augmentation a subclass draws per batch goes in ``augment`` (applied per generator step).
    """

    real_batches_per_step: int | None = None  # (class defaults too, for subclasses that skip __init__)
    steps_per_call: int | None = None

    def __init__(self, batch_size: int = 64, num_workers: int = 0, data_dir: str | None = None):
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
        self.train_set: Dataset | None = None
        self.real_batches_per_step: int | None = None
        self.steps_per_call: int | None = None
        self.loader_position = LoaderPosition()  # saved in checkpoints by Lightning (ResumableDataLoader)

    @property
    def data_shape(self) -> tuple[int, ...]:
        """Shape of one sample, e.g. (C, H, W)."""
        raise NotImplementedError

    @property
    def num_classes(self) -> int | None:
        """How many classes the labels of the batches take (``None``: no labels). Conditional models check it."""
        return None

    def told(self, name: str) -> int:
        """``real_batches_per_step`` or ``steps_per_call``: as the CLI set it, else as the trainer's model declares."""
        value = getattr(self, name)
        if value is None:  # not told (Trainer.fit in Python): ask the model's declared interface
            value = getattr(getattr(self.trainer, "lightning_module", None), name, 1)
        return int(value)

    @property
    def samples_per_step(self) -> int:
        """Real samples one generator step takes: ``batch_size × real_batches_per_step``."""
        return self.batch_size * self.told("real_batches_per_step")

    def train_dataloader(self) -> DataLoader | StepGroupLoader:
        assert self.train_set is not None, "setup() builds the training set"
        batches = self.told("real_batches_per_step")
        per_step = self.batch_size * batches
        if len(self.train_set) < per_step:
            raise ValueError(
                f"The training set has {len(self.train_set)} samples, fewer than one training step needs "
                f"({per_step} = batch_size × {batches} real batches a step, the model's n_critic): lower "
                "--data.init_args.batch_size."
            )
        # Pinned memory lets the copy to the GPU run asynchronously (a pageable copy waits for the GPU).
        on_gpu = self.trainer is not None and self.trainer.strategy.root_device.type == "cuda"
        options = {
            "num_workers": self.num_workers,
            "pin_memory": on_gpu,
            "persistent_workers": self.num_workers > 0,
            "collate_fn": _already_collated if hasattr(type(self.train_set), "__getitems__") else None,
        }
        replicas = None
        if self.trainer is not None and isinstance(self.trainer.strategy, ParallelStrategy):  # DDP: shards
            seed = int(os.environ.get("PL_GLOBAL_SEED", 0))  # as Lightning seeds its DistributedSampler
            replicas = (self.trainer.world_size, self.trainer.global_rank, seed)
        # the same batches as shuffle=True (or Lightning's DistributedSampler), and a place in the shuffle that
        # checkpoints keep
        loader = ResumableDataLoader(self.train_set, per_step, self.loader_position, replicas, **options)
        steps_per_call = self.told("steps_per_call")
        if steps_per_call == 1:
            return loader
        return StepGroupLoader(loader, steps_per_call, lambda: self.trainer.global_step, lambda: self.trainer.max_steps)

    def on_after_batch_transfer(self, batch, dataloader_idx: int):  # noqa: ANN001
        """Images travel as uint8 and become float [-1, 1] on the device, in a named ``Batch``, augmented
        (``augment``) in training; a batch of several generator steps becomes a ``StepGroup`` whose parts are
        augmented when their steps come. (Called once per batch that reaches training: it counts the generator
        steps' batches for the resumable loader.)"""
        training = self.trainer is not None and self.trainer.training
        batch = Batch.from_loader(batch)
        grouped = training and self.told("steps_per_call") > 1  # a group of steps (fewer at an epoch's end)
        steps = max(1, len(batch) // self.samples_per_step) if grouped else 1
        if training:
            self.loader_position.consumed_batches += steps
        if batch.targets is not None:  # paired data: the targets are images too
            batch = replace(batch, targets=to_unit_range(batch.targets))
        batch = batch.with_images(to_unit_range(batch.images))
        if not training:
            return batch
        return self.augment(batch) if steps == 1 else StepGroup(batch, steps, self.augment)

    def augment(self, batch: Batch) -> Batch:
        """Random augmentation of one generator step's real data in training (none here; subclasses: crops,
        flips). Drawn from the global RNG, which checkpoints keep."""
        return batch
