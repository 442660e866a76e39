"""Unrolled GAN (Metz, Poole, Pfau & Sohl-Dickstein 2017, "Unrolled Generative Adversarial Networks").

The generator minimises its loss against a discriminator looked K updates ahead,
``f_K(θ_G, θ_D) = f(θ_G, θ_D^K(θ_G, θ_D))`` with ``θ_D^{k+1} = θ_D^k - η ∇ L_D(θ_G, θ_D^k)``, and the
gradient flows through all K updates (``create_graph=True``; the network is evaluated with
``torch.func.functional_call`` on the unrolled weights). The unrolled updates repeat the
discriminator optimizer's own rule: ``torch.optim.Adam``'s (√v̂ + ε, each parameter group's own
settings), from its current moments, when D uses Adam; plain gradient descent with D's learning rates
otherwise. The real discriminator keeps its single ordinary update per step: unrolling never writes to
its weights, nor to its buffers (BatchNorm statistics, spectral-norm vectors), which it runs on copies of.
The unrolled updates descend the loss D trains on, its regularisers' penalties included (``regularizers``:
e.g. a gradient penalty).
"""

from __future__ import annotations

from collections.abc import Callable
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

    def twice_differentiated_networks(self) -> tuple[str, ...]:
        """G's loss differentiates through D's unrolled updates (double backward), which compiled code cannot."""
        return ("discriminator",)

    def generator_loss(self, fake: Batch, real: Batch) -> Tensor:
        """G's loss against D unrolled K steps on this step's last real minibatch and these fakes."""
        if self.unrolling_steps == 0:
            return super().generator_loss(fake, real)
        weights, buffers = self.unrolled_discriminator(real.images, fake.images)
        return self.generator_objective(functional_call(self.discriminator, (weights, buffers), (fake.images,)))

    def unrolled_discriminator(self, real: Tensor, fake: Tensor) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """θ_D^K as a differentiable function of ``fake`` (hence of θ_G), starting from D's weights, and the
        buffers the K updates moved: copies, so D's own BatchNorm statistics and spectral-norm vectors
        change only in its one real update per step."""
        names = [name for name, _ in self.discriminator.named_parameters()]
        weights = {name: p.detach().requires_grad_(True) for name, p in self.discriminator.named_parameters()}
        buffers = {name: b.clone() for name, b in self.discriminator.named_buffers()}
        rule = self.update_rule()
        for _ in range(self.unrolling_steps):
            d_loss = self.unrolled_discriminator_loss(weights, buffers, real, fake)
            grads = torch.autograd.grad(d_loss, [weights[n] for n in names], create_graph=True)
            weights = {name: rule(i, weights[name], grad) for i, (name, grad) in enumerate(zip(names, grads))}
        return weights, buffers

    def unrolled_discriminator_loss(self, weights: dict[str, Tensor], buffers: dict[str, Tensor], real: Tensor,
                                    fake: Tensor) -> Tensor:  # fmt: skip
        """The loss D trains on, at the unrolled weights: the objective plus every regulariser's weighted penalty
        (a gradient penalty inside the look-ahead makes G's gradient third order)."""

        def critic(images: Tensor) -> Tensor:
            return functional_call(self.discriminator, (weights, buffers), (images,))

        loss = self.discriminator_objective(critic(real), critic(fake))
        for regularizer in self.regularizers:
            loss = loss + regularizer.weight * regularizer.penalty(critic, real, fake)
        return loss

    def update_rule(self) -> Callable[[int, Tensor, Tensor], Tensor]:
        """D's optimizer's step as a differentiable function ``(index, θ, g) → θ'`` of the i-th parameter.

        ``torch.optim.Adam`` (with L2 ``weight_decay``): from its current moments and step count, per parameter
        group; any other optimizer: gradient descent with its group's learning rate."""
        optimizer = self.optimizer("discriminator").optimizer
        group_of = {id(p): group for group in optimizer.param_groups for p in group["params"]}
        parameters = list(self.discriminator.parameters())
        groups = [group_of[id(p)] for p in parameters]
        if not isinstance(optimizer, torch.optim.Adam):
            return lambda i, weight, grad: weight - groups[i]["lr"] * grad
        if any(group["amsgrad"] or group["maximize"] or isinstance(optimizer, torch.optim.AdamW) for group in groups):
            raise ValueError(
                "UnrolledGAN unrolls torch.optim.Adam without amsgrad/maximize, or other optimizers as gradient descent"
            )
        moments = []
        for p in parameters:
            state = optimizer.state.get(p, {})
            if "exp_avg" in state:
                moments.append([state["exp_avg"], state["exp_avg_sq"], float(state["step"])])
            else:
                moments.append([torch.zeros_like(p), torch.zeros_like(p), 0.0])

        def adam_step(i: int, weight: Tensor, grad: Tensor) -> Tensor:
            group, (m, v, step) = groups[i], moments[i]
            (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * weight
            m, v, step = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad * grad, step + 1
            moments[i] = [m, v, step]
            v_hat = v / (1 - beta2**step)
            # √v̂ with a zero derivative where v̂ = 0 (an unused parameter), where √ would give ∞ · 0 = NaN
            root = torch.where(v_hat > 0, v_hat.clamp_min(torch.finfo(v_hat.dtype).tiny).sqrt(), 0.0)
            return weight - lr / (1 - beta1**step) * m / (root + eps)

        return adam_step
