"""SNGAN (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial Networks").

Every weight layer of the discriminator is divided by its largest singular value, estimated by one
power iteration per forward pass on the weight reshaped to C_out × (C_in·k_h·k_w)
(``torch.nn.utils.parametrizations.spectral_norm``), which bounds D's Lipschitz constant by 1.
The hinge loss is the default (Miyato et al.'s best CIFAR-10 results).
"""

from __future__ import annotations

from typing import Any, Literal

from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from ganzoo.models.gan import GAN

WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d)


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral-normalise the weight of every linear and convolutional layer (once)."""
    for layer in module.modules():
        if isinstance(layer, WEIGHT_LAYERS) and not parametrize.is_parametrized(layer, "weight"):
            spectral_norm(layer, dim=1 if isinstance(layer, nn.ConvTranspose2d) else 0)
    return module


class SNGAN(GAN):
    """GAN (hinge loss by default) whose discriminator is spectrally normalised."""

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        generator_loss: Literal["minimax", "non_saturating"] = "non_saturating",
        loss: Literal["cross_entropy", "hinge"] = "hinge",
        **kwargs: Any,
    ):
        super().__init__(generator, apply_spectral_norm(discriminator), generator_loss=generator_loss, loss=loss, **kwargs)
