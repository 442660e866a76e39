"""Unrolled GAN (Metz, Poole, Pfau & Sohl-Dickstein 2017, "Unrolled Generative Adversarial Networks").

The generator minimises its loss against a discriminator looked K updates ahead,
``f_K(θ_G, θ_D) = f(θ_G, θ_D^K(θ_G, θ_D))`` with ``θ_D^{k+1} = θ_D^k - η ∇ L_D(θ_G, θ_D^k)``, and the
gradient flows through all K updates (``create_graph=True``; the network is evaluated with
``torch.func.functional_call`` on the unrolled weights). The unrolled updates repeat the
discriminator optimizer's own rule: Adam's, from its current moments, when D uses Adam; plain
gradient descent with D's learning rate otherwise. The real discriminator keeps its single
ordinary update per step: unrolling never writes to its weights.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.func import functional_call

from ganzoo.batch import Batch
from ganzoo.models.gan import GAN


class UnrolledGAN(GAN):
    """GAN whose generator differentiates through ``unrolling_steps`` (K) discriminator updates."""

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        unrolling_steps: int = 5,
        generator_loss: Literal["minimax", "non_saturating"] = "non_saturating",
        loss: Literal["cross_entropy", "hinge"] = "cross_entropy",
        **kwargs: Any,
    ):
        if unrolling_steps < 0:
            raise ValueError(f"unrolling_steps must be ≥ 0, got {unrolling_steps}")
        super().__init__(generator, discriminator, generator_loss=generator_loss, loss=loss, **kwargs)
        self.unrolling_steps = unrolling_steps

    def generator_loss(self, fake: Batch, real: Batch) -> Tensor:
        """G's loss against D unrolled K steps on this step's last real minibatch and these fakes."""
        if self.unrolling_steps == 0:
            return super().generator_loss(fake, real)
        weights = self.unrolled_discriminator_weights(real.images, fake.images)
        buffers = dict(self.discriminator.named_buffers())
        return self.generator_objective(functional_call(self.discriminator, (weights, buffers), (fake.images,)))

    def unrolled_discriminator_weights(self, real: Tensor, fake: Tensor) -> dict[str, Tensor]:
        """θ_D^K as a differentiable function of ``fake`` (hence of θ_G), starting from D's weights."""
        names = [name for name, _ in self.discriminator.named_parameters()]
        weights = {name: p.detach().requires_grad_(True) for name, p in self.discriminator.named_parameters()}
        buffers = dict(self.discriminator.named_buffers())
        optimizer = self.optimizer("discriminator").optimizer
        group = optimizer.param_groups[0]
        state = [optimizer.state.get(p, {}) for p in self.discriminator.parameters()]
        adam = isinstance(optimizer, torch.optim.Adam) and all("exp_avg" in s for s in state)
        moments = [(s["exp_avg"], s["exp_avg_sq"], float(s["step"])) for s in state] if adam else None
        for k in range(self.unrolling_steps):
            d_loss = self.discriminator_objective(
                functional_call(self.discriminator, (weights, buffers), (real,)),
                functional_call(self.discriminator, (weights, buffers), (fake,)),
            )
            grads = torch.autograd.grad(d_loss, [weights[n] for n in names], create_graph=True)
            new_weights, new_moments = {}, []
            for i, (name, grad) in enumerate(zip(names, grads)):
                if adam:
                    beta1, beta2 = group["betas"]
                    m, v, step = moments[i]
                    m, v, step = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad * grad, step + 1
                    m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
                    # eps inside the root keeps the second derivative finite where v̂ = 0
                    new_weights[name] = weights[name] - group["lr"] * m_hat / (torch.sqrt(v_hat + group["eps"] ** 2))
                    new_moments.append((m, v, step))
                else:
                    new_weights[name] = weights[name] - group["lr"] * grad
            weights, moments = new_weights, (new_moments if adam else None)
        return weights
