"""Minibatch discrimination (Salimans et al. 2016, "Improved Techniques for Training GANs", §3.2).

Features f(x_i) ∈ R^A are multiplied by a tensor T ∈ R^{A×B×C} into M_i ∈ R^{B×C}. For each of the
B kernels, ``c_b(x_i, x_j) = exp(-‖M_{i,b} - M_{j,b}‖_L1)`` and ``o(x_i)_b = Σ_{j≠i} c_b(x_i, x_j)``.
The layer returns ``[f(x_i), o(x_i)]``: a batch of near-identical samples (mode collapse) gets
large o, a diverse batch small o, and the discriminator can tell them apart.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MinibatchDiscrimination(nn.Module):
    """``in_features`` → ``in_features + num_kernels`` (B = num_kernels, C = kernel_dim)."""

    def __init__(self, in_features: int, num_kernels: int = 32, kernel_dim: int = 16):
        super().__init__()
        self.in_features = in_features
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim
        self.T = nn.Parameter(torch.randn(in_features, num_kernels * kernel_dim) * 0.1)

    def closeness(self, features: Tensor) -> Tensor:
        """o(x) ∈ R^{N×B}: for each sample and kernel, Σ over the other samples of exp(-L1 distance)."""
        m = (features @ self.T).view(-1, self.num_kernels, self.kernel_dim).transpose(0, 1)  # B × N × C
        l1 = torch.cdist(m, m, p=1)  # B × N × N, without the N × N × B × C differences
        return torch.exp(-l1).sum(2).T - 1  # minus the j = i term, exp(0) = 1

    def forward(self, features: Tensor) -> Tensor:
        return torch.cat([features, self.closeness(features)], dim=1)
