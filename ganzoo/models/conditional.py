"""What class-conditional models share: labels in the latent, in fakes, in grids and at the data boundary.

The latent of a conditional model is ``{"z": noise, "labels": classes}``; ``sample(n, labels=3)`` or
``labels=[…]`` fixes the classes, and without labels they are drawn uniformly. Grids have one row per
class. At setup the DataModule's ``num_classes`` must equal the model's, and the data must have labels.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.batch import Batch


def parse_labels(labels: Any, n: int, num_classes: int) -> Tensor:
    """``labels`` as ``n`` int64 classes: one class for all, or one per sample; a clear error otherwise."""
    try:
        labels = torch.as_tensor(labels)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"labels must be integers in [0, {num_classes - 1}], got {labels!r}") from None
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"labels must be integers in [0, {num_classes - 1}], got {labels.dtype}")
    if labels.ndim == 0:
        labels = labels.expand(n)
    if labels.shape != (n,):
        raise ValueError(f"labels must be one class or one per sample ({n}), got shape {tuple(labels.shape)}")
    if n and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"labels must be in [0, {num_classes - 1}], got {int(labels.min())}..{int(labels.max())}")
    return labels.long()


def data_labels_range(datamodule: Any) -> tuple[int, int] | None:
    """(min, max) of an in-memory dataset's labels; ``None`` when the dataset is not held as tensors."""
    tensors = getattr(getattr(datamodule, "train_set", None), "tensors", None)
    if tensors is None or len(tensors) < 2 or len(tensors[1]) == 0:
        return None
    return int(tensors[1].min()), int(tensors[1].max())


class ClassConditional:
    """Mixin for a ``GANModule`` whose generator takes ``(z, labels)``; set ``self.num_classes``."""

    num_classes: int
    needs_labelled_data = True

    def sample_labels(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Uniform classes; from ``generator`` (CPU) when given, else the global RNG on the model's device."""
        if generator is None:
            return torch.randint(self.num_classes, (n,), device=self.device)
        return torch.randint(self.num_classes, (n,), generator=generator).to(self.device)

    def sample_latent(self, n: int, generator: torch.Generator | None = None, labels: Any = None) -> dict[str, Tensor]:
        z = self.sample_noise(n, generator)
        y = self.sample_labels(n, generator) if labels is None else parse_labels(labels, n, self.num_classes)
        return {"z": z, "labels": y.to(self.device)}

    def grid_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[dict[str, Tensor], int]:
        """One row per class, ``n // num_classes`` samples each (at least one)."""
        per_class = max(1, n // self.num_classes)
        labels = torch.arange(self.num_classes).repeat_interleave(per_class)
        return self.sample_latent(len(labels), generator, labels=labels), per_class

    def decode(self, network: nn.Module, latent: Any) -> Tensor:
        if not isinstance(latent, dict):
            raise ValueError(f"{type(self).__name__} is class-conditional: give a latent {{'z', 'labels'}} (sample_latent)")
        return network(latent["z"], latent["labels"])

    def generate_fake(self, n: int) -> Batch:
        latent = self.sample_latent(n)
        return Batch(self.generate(latent), labels=latent["labels"])

    def check_batch(self, batch: Batch) -> None:
        if self.needs_labelled_data and batch.labels is None:
            raise ValueError(f"{type(self).__name__} needs labels in the data, but the batch has images only.")

    def check_data_classes(self, num_classes: int | None) -> None:
        name = type(self).__name__
        if not self.needs_labelled_data:
            return
        if not num_classes:
            raise ValueError(
                f"{name} needs labelled data, but the DataModule reports no classes (a flat image folder?): "
                "use a dataset with labels or an image folder with one subfolder per class."
            )
        if num_classes != self.num_classes:
            raise ValueError(
                f"The data have {num_classes} classes but {name}'s networks were built for {self.num_classes}: "
                f"set num_classes: {num_classes} in the generator and the discriminator."
            )
        span = data_labels_range(getattr(self.trainer, "datamodule", None))
        if span is not None and (span[0] < 0 or span[1] >= self.num_classes):
            raise ValueError(f"The data's labels run {span[0]}..{span[1]}, outside [0, {self.num_classes - 1}].")


def network_classes(network: nn.Module, role: str) -> int:
    """A network's ``num_classes`` (or ``categorical_dim``), or a clear error."""
    value = getattr(network, "num_classes", None) or getattr(network, "categorical_dim", None)
    if not value:
        raise ValueError(f"the {role} {type(network).__name__} has no num_classes: use a conditional network")
    return int(value)


def check_same_classes(generator: nn.Module, discriminator: nn.Module) -> int:
    g, d = network_classes(generator, "generator"), network_classes(discriminator, "discriminator")
    if g != d:
        raise ValueError(f"the generator has {g} classes and the discriminator {d}: set the same num_classes in both")
    return g
