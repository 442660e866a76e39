"""2D Gaussian mixtures used to study mode collapse (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

``ring``: ``num_modes`` Gaussians evenly on a circle (8 on radius 1 with σ = 0.01: "ring8").
``grid``: a √K × √K grid with spacing 2 centred at 0 (25 with means in {-4,-2,0,2,4}², σ = 0.05: "grid25").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from ganzoo.data.base import GANDataModule, InMemoryTensors


@dataclass(frozen=True)
class GaussianMixture2D:
    """Equal-weight isotropic Gaussians with ``means`` (K × 2) and standard deviation ``std``."""

    means: Tensor
    std: float

    @classmethod
    def ring(cls, num_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture2D:
        angles = torch.arange(num_modes, dtype=torch.float64) * (2 * math.pi / num_modes)
        return cls(torch.stack([radius * angles.cos(), radius * angles.sin()], 1).float(), std)

    @classmethod
    def grid(cls, num_modes: int = 25, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture2D:
        side = math.isqrt(num_modes)
        if side * side != num_modes:
            raise ValueError(f"A grid mixture needs a square number of modes, got {num_modes}")
        axis = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
        return cls(torch.cartesian_prod(axis, axis), std)

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """``n`` points and the index of the mode each came from."""
        modes = torch.randint(len(self.means), (n,), generator=generator)
        points = self.means[modes] + self.std * torch.randn(n, 2, generator=generator)
        return points, modes


class Toy2DDataModule(GANDataModule):
    """A fixed, seeded sample of a 2D Gaussian mixture.

    Args:
        mixture: ``ring`` or ``grid``.
        num_modes: 8 for ring8, 25 for grid25.
        std: standard deviation of each mode (default 0.01 for ring, 0.05 for grid).
        radius: ring radius; spacing: grid spacing.
        num_samples: training points drawn once with ``seed``.
    """

    def __init__(
        self,
        mixture: Literal["ring", "grid"] = "ring",
        num_modes: int = 8,
        std: float | None = None,
        radius: float = 1.0,
        spacing: float = 2.0,
        num_samples: int = 100_000,
        seed: int = 0,
        batch_size: int = 256,
        num_workers: int = 0,
    ):
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        if mixture == "ring":
            self.mixture = GaussianMixture2D.ring(num_modes, radius, 0.01 if std is None else std)
        elif mixture == "grid":
            self.mixture = GaussianMixture2D.grid(num_modes, spacing, 0.05 if std is None else std)
        else:
            raise ValueError(f"mixture must be 'ring' or 'grid', got {mixture!r}")
        self.num_samples = num_samples
        self.seed = seed

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (2,)

    @property
    def num_classes(self) -> int:
        """The labels are the mixture component each point was drawn from."""
        return len(self.mixture.means)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            points, modes = self.mixture.sample(self.num_samples, torch.Generator().manual_seed(self.seed))
            self.train_set = InMemoryTensors(points, modes)
