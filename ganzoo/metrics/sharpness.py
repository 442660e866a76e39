"""Sharpness of images as the variance of their Laplacian (Pech-Pacheco et al. 2000, the usual focus measure).

The 3×3 Laplacian [[0, 1, 0], [1, −4, 1], [0, 1, 0]] responds to edges and fine detail and not to smooth regions,
so blurring an image lowers the variance of its Laplacian: per image, over its valid (unpadded) pixels and
channels, in [0, 1] grey levels; the score is its mean over the images. Compare a model's with the real data's:
a ratio below 1 is blur (a VAE's means), above 1 noise or speckle.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def laplacian_variance(images: Tensor) -> Tensor:
    """Variance of the Laplacian of each image (N, C, H, W) in ganzoo's [-1, 1], measured in [0, 1] units: (N,)."""
    if images.ndim != 4 or min(images.shape[-2:]) < 3:
        raise ValueError(f"sharpness needs images (N, C, H, W) of at least 3×3 pixels, got shape {tuple(images.shape)}")
    unit = images.float().add(1).div(2)
    channels = unit.shape[1]
    kernel = LAPLACIAN.to(unit.device).expand(channels, 1, 3, 3)
    response = F.conv2d(unit, kernel, groups=channels)
    return response.flatten(1).var(1)


def sharpness(images: Tensor) -> float:
    """The mean over images of ``laplacian_variance``."""
    return float(laplacian_variance(images).mean())
