"""Mode coverage of a 2D Gaussian mixture, as VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018) count it.

A sample is *high quality* when it lies within ``threshold`` standard deviations of its nearest
mode; a mode is *captured* when at least one high-quality sample is nearest to it. The reverse KL
compares the histogram of high-quality samples over modes, p, with the uniform mixture weights
u: ``KL(p ‖ u) = Σ_k p_k log(p_k / u_k)`` (0 when every mode gets its share).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def kl_to_uniform(counts: Tensor) -> float:
    """``KL(p ‖ u) = Σ_k p_k log(p_k · K)`` of the histogram ``counts`` over K modes; inf when it is empty."""
    counts = counts.double()
    if counts.sum() == 0:
        return math.inf
    p = counts / counts.sum()
    p = p[p > 0]
    return float((p * (p * len(counts)).log()).sum())


def mixture_mode_coverage(samples: Tensor, means: Tensor, std: float, threshold: float = 3.0) -> dict[str, float]:
    """``modes`` captured, ``high_quality`` fraction in [0, 1], and ``reverse_kl`` of the mode histogram."""
    samples = samples.detach().float().cpu()
    means = means.float().cpu()
    distances = torch.cdist(samples, means)
    nearest_distance, nearest_mode = distances.min(dim=1)
    high_quality = nearest_distance <= threshold * std
    counts = torch.bincount(nearest_mode[high_quality], minlength=len(means))
    return {
        "modes": int((counts > 0).sum()),
        "high_quality": float(high_quality.float().mean()),
        "reverse_kl": kl_to_uniform(counts),
    }


def stacked_mnist_mode_coverage(channel_labels: Tensor, num_classes: int = 10) -> dict[str, float]:
    """Mode coverage on Stacked MNIST (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

    ``channel_labels`` is (N, 3): the digit a classifier reads in each channel. The mode is the
    triple, one of 10³ = 1,000. Returns ``modes`` (modes with at least one sample) and ``kl``,
    ``KL(p ‖ u) = Σ_k p_k log(p_k · 1000)`` of the mode histogram p against the uniform u.
    """
    if channel_labels.ndim != 2:
        raise ValueError(f"expected (N, channels) labels, got shape {tuple(channel_labels.shape)}")
    channels = channel_labels.shape[1]
    weights = num_classes ** torch.arange(channels - 1, -1, -1)
    modes = (channel_labels.long().cpu() * weights).sum(1)
    total_modes = num_classes**channels
    counts = torch.bincount(modes, minlength=total_modes)
    return {"modes": int((counts > 0).sum()), "kl": kl_to_uniform(counts)}
