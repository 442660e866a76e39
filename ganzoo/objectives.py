"""The adversarial objectives: each a named pair of terms on the discriminator's raw outputs.

An objective has a discriminator term ``discriminator_loss(real_scores, fake_scores)`` and a generator term
``generator_loss(fake_scores)`` (pure functions from ``ganzoo.losses``). ``GAN(loss=NAME)`` picks one from
``OBJECTIVES`` by name; adding an objective (an f-divergence, say) is one class here, registered with
``@register("name")``, and one test: no model changes.

```yaml
model:
  class_path: ganzoo.models.GAN
  init_args: {loss: hinge}          # cross_entropy | hinge | least_squares | wasserstein | the f-divergences (ganzoo.f_gan)
```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from torch import Tensor

from ganzoo import losses

OBJECTIVES: dict[str, type[Objective]] = {}


def register(name: str) -> Callable[[type[Objective]], type[Objective]]:
    """Class decorator: make an objective available as ``GAN(loss=name)``."""

    def add(cls: type[Objective]) -> type[Objective]:
        cls.name = name
        OBJECTIVES[name] = cls
        return cls

    return add


class Objective:
    """A two-player game on D's raw outputs (logits or critic values)."""

    name: ClassVar[str] = ""
    #: the generator terms a config may choose (``generator_loss``); the first is the default
    generator_losses: ClassVar[tuple[str, ...]] = ("default",)

    def __init__(self, generator_loss: str | None = None):
        if generator_loss is not None and generator_loss not in self.generator_losses:
            raise ValueError(
                f"loss={self.name!r} has a single generator loss (see ganzoo.objectives), not {generator_loss!r}: "
                "remove generator_loss"
                if self.generator_losses == ("default",)
                else f"generator_loss must be one of {list(self.generator_losses)} with loss={self.name!r}, got "
                f"{generator_loss!r}"
            )
        self.generator_loss_name = generator_loss or self.generator_losses[0]

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        raise NotImplementedError

    def generator_loss(self, fake_scores: Tensor) -> Tensor:
        raise NotImplementedError

    def monitored(self, real_scores: Tensor, fake_scores: Tensor) -> dict[str, Tensor]:
        """Values worth logging beside D's loss (WGAN: the Wasserstein estimate)."""
        return {}


@register("cross_entropy")
class CrossEntropy(Objective):
    """Goodfellow et al. 2014: D minimises ``-E[log D(x)] - E[log(1 - D(G(z)))]``; G the non-saturating
    ``-E[log D(G(z))]`` (default) or the minimax ``E[log(1 - D(G(z)))]``."""

    generator_losses = ("non_saturating", "minimax")

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return losses.minimax_discriminator_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores: Tensor) -> Tensor:
        return losses.GENERATOR_LOSSES[self.generator_loss_name](fake_scores)


@register("hinge")
class Hinge(Objective):
    """Lim & Ye 2017: D ``E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]``, G ``-E[D(G(z))]``."""

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return losses.hinge_discriminator_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores: Tensor) -> Tensor:
        return losses.hinge_generator_loss(fake_scores)


@register("least_squares")
class LeastSquares(Objective):
    """Mao et al. 2017: D ``½E[(D(x) - b)²] + ½E[(D(G(z)) - a)²]``, G ``½E[(D(G(z)) - c)²]``; the paper's 0-1
    coding a = 0, b = c = 1 by default."""

    def __init__(self, generator_loss: str | None = None, a: float = 0.0, b: float = 1.0, c: float = 1.0):
        super().__init__(generator_loss)
        self.a, self.b, self.c = a, b, c

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return losses.least_squares_discriminator_loss(real_scores, fake_scores, self.a, self.b)

    def generator_loss(self, fake_scores: Tensor) -> Tensor:
        return losses.least_squares_generator_loss(fake_scores, self.c)


@register("wasserstein")
class Wasserstein(Objective):
    """Arjovsky et al. 2017: the critic ``E[D(G(z))] - E[D(x)]``, G ``-E[D(G(z))]``; logs the estimate
    ``E[D(x)] - E[D(G(z))]`` of the Wasserstein distance (up to the critic's Lipschitz constant)."""

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return losses.wasserstein_critic_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores: Tensor) -> Tensor:
        return losses.wasserstein_generator_loss(fake_scores)

    def monitored(self, real_scores: Tensor, fake_scores: Tensor) -> dict[str, Tensor]:
        return {"wasserstein_estimate": real_scores.mean() - fake_scores.mean()}


def make_objective(name: str, **options: Any) -> Objective:
    """The objective registered as ``name``, or one clear error listing the names."""
    if name not in OBJECTIVES:
        raise ValueError(f"loss must be one of {sorted(OBJECTIVES)}, got {name!r}")
    return OBJECTIVES[name](**options)
