"""Discriminator regularisers that compose with any GAN loss from the config.

Each adds ``weight × penalty`` to the discriminator's loss; the penalty functions themselves live in
``ganzoo.losses``. A regulariser receives the critic as a function of images (for a conditional
discriminator, with the real labels bound), the real and the fake batch:

```yaml
model:
  class_path: ganzoo.models.GAN
  init_args:
    loss: least_squares
    regularizers:
      - class_path: ganzoo.regularizers.GradientPenalty
        init_args: {weight: 10.0, at: interpolates}
```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from torch import Tensor, nn

from ganzoo import losses


class Regularizer:
    """Base: ``weight · penalty(critic, real, fake)``; ``name`` is what the training log calls it."""

    name = "penalty"
    uses_fakes = True  # False: the penalty looks at real data only
    per_sample = False  # True: a penalty on each sample's own gradient ∇ₓD(x)

    def __init__(self, weight: float = 10.0):
        if weight < 0:
            raise ValueError(f"a regulariser's weight must be ≥ 0, got {weight}")
        self.weight = weight

    def penalty(self, critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
        raise NotImplementedError


class GradientPenalty(Regularizer):
    """``λ·E[(‖∇ₓD(x̂)‖₂ − 1)²]`` at ``interpolates`` (WGAN-GP, Gulrajani et al. 2017: x̂ = αx + (1−α)G(z),
    α per sample) or ``perturbed_reals`` (DRAGAN, Kodali et al. 2017: by default the authors' code,
    x̂ = αx + (1−α)(x + c·std(x)·u), u ~ U[0, 1]; ``noise="paper"``: x̂ = x + δ, δ ~ N(0, c·I);
    c = ``perturbation``)."""

    name = "gradient_penalty"
    per_sample = True

    def __init__(
        self,
        weight: float = 10.0,
        at: Literal["interpolates", "perturbed_reals"] = "interpolates",
        perturbation: float = 0.5,
        noise: Literal["code", "paper"] = "code",
    ):
        super().__init__(weight)
        if at not in ("interpolates", "perturbed_reals"):
            raise ValueError(f"GradientPenalty.at must be 'interpolates' or 'perturbed_reals', got {at!r}")
        if noise not in ("code", "paper"):
            raise ValueError(f"GradientPenalty.noise must be 'code' or 'paper', got {noise!r}")
        self.at = at
        self.perturbation = perturbation
        self.noise = noise
        self.uses_fakes = at == "interpolates"

    def penalty(self, critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
        if self.at == "interpolates":
            return losses.gradient_penalty(critic, real, fake)
        return losses.dragan_penalty(critic, real, self.perturbation, noise=self.noise)


class R1Penalty(Regularizer):
    """R1 (Mescheder et al. 2018): ``(γ/2)·E‖∇ₓD(x)‖²`` at the real data; ``weight`` is γ."""

    name = "r1_penalty"
    uses_fakes = False
    per_sample = True

    def penalty(self, critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
        return 0.5 * losses.r1_penalty(critic, real)


def layers_that_mix_samples(discriminator: nn.Module) -> list[str]:
    """What in ``discriminator`` makes one sample's output depend on the others in its batch: BatchNorm,
    minibatch discrimination, packing (PacGAN). A per-sample gradient penalty is wrong through any of them."""
    from ganzoo.nets.minibatch import MinibatchDiscrimination

    found = []
    for module in discriminator.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            found.append("BatchNorm")
        elif isinstance(module, MinibatchDiscrimination):
            found.append("minibatch discrimination")
        if getattr(module, "pack", 1) > 1:
            found.append(f"packing (pack={module.pack})")
    return list(dict.fromkeys(found))


def check_per_sample_critic(discriminator: nn.Module, regularizers: list[Regularizer], model: str) -> None:
    """Refuse per-sample penalties on a discriminator that mixes the samples of a batch."""
    penalties = [r.name for r in regularizers if r.per_sample]
    mixing = layers_that_mix_samples(discriminator) if penalties else []
    if mixing:
        raise ValueError(
            f"{model}'s {' and '.join(penalties)} is per sample, but its discriminator mixes the samples of a batch "
            f"({', '.join(mixing)}): use a critic without BatchNorm, minibatch discrimination or packing "
            "(e.g. batch_norm: false, or a LayerNorm critic)."
        )
