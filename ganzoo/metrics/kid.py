"""Kernel Inception Distance (Bińkowski et al. 2018): the unbiased MMD² estimate with the cubic
polynomial kernel ``k(x, y) = (xᵀy / D + 1)³``, averaged over random subsets.

For subsets X, Y of m samples each:
``MMD²_u = Σ_{i≠j} k(xᵢ, xⱼ) / (m(m−1)) + Σ_{i≠j} k(yᵢ, yⱼ) / (m(m−1)) − 2 Σ_{i,j} k(xᵢ, yⱼ) / m²``.
Subsets are drawn without replacement by ``numpy.random.RandomState(seed)``, first from ``a`` then
from ``b`` each round, as torch-fidelity draws them, so the two agree on the same features. Kernel
matrices are computed in float32 (as torch-fidelity does) and summed in float64.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def polynomial_kernel(x: Tensor, y: Tensor, degree: int = 3, coef0: float = 1.0) -> Tensor:
    """``(xᵀy / D + coef0) ** degree`` for every pair of rows."""
    return (x @ y.T / x.shape[1] + coef0) ** degree


def mmd2_unbiased(x: Tensor, y: Tensor) -> Tensor:
    """The unbiased MMD² of subsets ``x``, ``y`` (m × D each; diagonals of k_xx, k_yy excluded), a 0-d float64
    tensor on their device: kernels in float32, sums in float64."""
    m = len(x)
    k_xx, k_xy, k_yy = polynomial_kernel(x, x), polynomial_kernel(x, y), polynomial_kernel(y, y)
    within = sum(k.sum(dtype=torch.float64) - k.diagonal().sum(dtype=torch.float64) for k in (k_xx, k_yy))
    return within / (m * (m - 1)) - 2 * k_xy.mean(dtype=torch.float64)


def kid(a: Tensor, b: Tensor, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> dict[str, float]:
    """``kid`` (mean) and ``kid_std`` of MMD² over ``subsets`` random subsets of ``subset_size``, computed on the
    features' device and read back once (not once per subset)."""
    n = min(len(a), len(b))
    if n < 2:
        raise ValueError(f"KID needs at least 2 samples on each side, got {len(a)} and {len(b)}")
    subset_size = min(subset_size, n)
    a, b = a.detach().float(), b.detach().float().to(a.device)
    rng = np.random.RandomState(seed)
    values = []
    for _ in range(subsets):
        x = a[torch.from_numpy(rng.choice(len(a), subset_size, replace=False)).to(a.device)]
        y = b[torch.from_numpy(rng.choice(len(b), subset_size, replace=False)).to(a.device)]
        values.append(mmd2_unbiased(x, y))
    values = torch.stack(values).cpu().numpy()
    return {"kid": float(np.mean(values)), "kid_std": float(np.std(values))}
