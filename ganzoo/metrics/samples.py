"""Samples for scoring, the real side's and the generated side's: the pieces every metrics module (and the
metrics callback) shares. A leaf of ``ganzoo.metrics``: it imports only ``ganzoo.metrics.features``."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.metrics.features import to_uint8


def dataset_images(dataset: Any, indices: Tensor) -> Tensor:
    """uint8 images at ``indices`` of a dataset of (image, label) pairs (fast path for tensor datasets)."""
    tensors = getattr(dataset, "tensors", None)
    if tensors is not None:
        return tensors[0][indices]
    return torch.stack([torch.as_tensor(dataset[int(i)][0]) for i in indices])


@torch.no_grad()
def sample_generated(
    model: nn.Module,
    num_samples: int,
    seed: int,
    batch_size: int = 200,
    averaged: bool = True,
    labels: Tensor | None = None,
) -> Tensor:
    """``num_samples`` generated samples from a seeded latent stream, on the CPU (images as uint8).

    ``model``: a sampling model (``ganzoo.models.sampling.SamplingModule``), or any module with
    ``sample_noise(n, generator)`` and ``sample_from(noise)``. From the averaged generator when the model has
    one, unless ``averaged=False``; ``labels`` (one per sample) for conditional models.
    """
    from ganzoo.models.sampling import SamplingModule

    if labels is not None and not isinstance(model, SamplingModule):
        raise ValueError(f"{type(model).__name__} is not a sampling model: it takes no labels")
    rng = torch.Generator().manual_seed(seed)
    out = []
    kwargs = {} if averaged else {"averaged": False}
    for start in range(0, num_samples, batch_size):
        n = min(batch_size, num_samples - start)
        if not isinstance(model, SamplingModule):
            latent = model.sample_noise(n, rng)
        elif labels is None:
            latent = model.sample_latent(n, rng)
        else:
            latent = model.sample_latent(n, rng, labels=labels[start : start + n])
        samples = model.sample_from(latent, **kwargs).cpu()
        out.append(to_uint8(samples) if samples.ndim == 4 else samples.float())
    return torch.cat(out)
