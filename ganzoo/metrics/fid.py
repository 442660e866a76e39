"""Fréchet distance between Gaussians fitted to two feature sets (FID, Heusel et al. 2017).

ganzoo fits (and caches) the Gaussians; torch-fidelity computes the distance.

``FID = ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2 (Σ_r Σ_g)^½)``, all in float64. ``Tr((Σ_r Σ_g)^½)`` is the sum
of the square roots of the eigenvalues of ``Σ_r Σ_g`` (real and non-negative for two covariance
matrices, up to rounding), which avoids an explicit matrix square root.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_fidelity.metric_fid import KEY_METRIC_FID, fid_statistics_to_metric


def gaussian_statistics(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and unbiased covariance (N − 1) of (N, D) features, in float64."""
    features = features.detach().to(torch.float64).cpu()
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"FID needs (N ≥ 2, D) features, got shape {tuple(features.shape)}")
    return features.mean(0), torch.cov(features.T)


def frechet_distance(mu_a: Tensor, sigma_a: Tensor, mu_b: Tensor, sigma_b: Tensor) -> float:
    """‖μ_a − μ_b‖² + Tr(Σ_a) + Tr(Σ_b) − 2 Σᵢ √λᵢ(Σ_a Σ_b), by torch-fidelity's ``fid_statistics_to_metric``."""
    mu_a, mu_b, sigma_a, sigma_b = (t.to(torch.float64).cpu() for t in (mu_a, mu_b, sigma_a, sigma_b))
    if mu_a.shape != mu_b.shape or sigma_a.shape != sigma_b.shape:
        raise ValueError(f"feature dimensions differ: {tuple(mu_a.shape)} vs {tuple(mu_b.shape)}")
    statistics = [{"mu": mu.numpy(), "sigma": sigma.numpy()} for mu, sigma in ((mu_a, sigma_a), (mu_b, sigma_b))]
    return fid_statistics_to_metric(*statistics, verbose=False)[KEY_METRIC_FID]


def fid(real: Tensor, fake: Tensor) -> float:
    """FID between two (N, D) feature sets."""
    return frechet_distance(*gaussian_statistics(real), *gaussian_statistics(fake))
