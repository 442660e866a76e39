"""CycleGAN (Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks").

Two generators, G: source → target and F: target → source, and two discriminators, D_target and D_source,
trained without pairs. With least-squares adversarial losses (Mao et al. 2017):

    G, F minimise  (D_t(G(x)) − 1)² + (D_s(F(y)) − 1)²
                   + λ (|F(G(x)) − x| + |G(F(y)) − y|)                              cycle, λ = 10
                   + λ_id λ (|G(y) − y| + |F(x) − x|)                                identity, λ_id = 0.5
    D_t minimises  ½ ((D_t(y) − 1)² + D_t(ŷ)²),  D_s likewise on x and x̂

where ŷ, x̂ come from a 50-image history of generated images (Shrivastava et al. 2017, ``ImagePool``). One
optimizer updates both generators, another both discriminators: Adam(2e-4, β = (0.5, 0.999)). As in the authors'
code, each step updates the generators first and then the discriminators on those fakes (``generator_first``).
Fakes are a ``Batch`` shaped like the real one: ``images`` = F(y) (fake sources), ``targets`` = G(x).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from ganzoo.batch import Batch
from ganzoo.models.adversarial import AdversarialModule
from ganzoo.models.generative import eval_mode
from ganzoo.models.hparams import save_rebuildable_hyperparameters
from ganzoo.models.translating import TranslatingModule, paired_grid_inputs, translation_grid


class ImagePool:
    """A history of up to ``size`` generated images. Until full, a query returns its images and stores them;
    once full, each image is swapped with a stored one (which is returned instead) with probability ½.
    Draws come from the global RNG (checkpointed); the stored images are in ``state_dict``."""

    def __init__(self, size: int = 50):
        self.size = size
        self.images: list[Tensor] = []

    def query(self, images: Tensor) -> Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand(()) < 0.5:
                index = int(torch.randint(len(self.images), ()))
                out.append(self.images[index].to(image.device))
                self.images[index] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict[str, Any]:
        return {"size": self.size, "images": [image.cpu() for image in self.images]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.size, self.images = state["size"], list(state["images"])


class CycleGAN(AdversarialModule, TranslatingModule):
    """Unpaired translation: ``generator`` (source → target), ``inverse_generator`` (target → source),
    ``discriminator`` (judges target images) and ``source_discriminator``, each a single-image PatchGAN.

    Args:
        lambda_cycle: λ, the weight of each cycle-consistency L1 term (10).
        lambda_identity: λ_id; the identity terms weigh λ_id · λ (0.5 · 10).
        pool_size: the history of fakes each discriminator sees (50; 0: none).
        steps_per_call: generator steps per Lightning step, bit-identical to one at a time.
    """

    network_names: ClassVar[tuple[str, ...]] = (
        "generator", "inverse_generator", "discriminator", "source_discriminator",
    )  # fmt: skip
    optimizer_groups: ClassVar[dict[str, tuple[str, ...]]] = {
        "generators": ("generator", "inverse_generator"),
        "discriminators": ("discriminator", "source_discriminator"),
    }
    generator_group: ClassVar[str] = "generators"
    discriminator_group: ClassVar[str] = "discriminators"
    generator_first: ClassVar[bool] = True
    two_way: ClassVar[bool] = True
    generator_side: ClassVar[tuple[str, ...]] = ("generator", "inverse_generator")
    averaged_networks: ClassVar[tuple[str, ...]] = ("generator", "inverse_generator")

    def __init__(
        self,
        generator: nn.Module,
        inverse_generator: nn.Module,
        discriminator: nn.Module,
        source_discriminator: nn.Module,
        lambda_cycle: float = 10.0,
        lambda_identity: float = 0.5,
        pool_size: int = 50,
        g_optimizer: OptimizerCallable | None = None,
        d_optimizer: OptimizerCallable | None = None,
        g_lr_scheduler: LRSchedulerCallable | None = None,
        d_lr_scheduler: LRSchedulerCallable | None = None,
        gradient_clip_val: float | None = None,
        steps_per_call: int = 1,
    ):
        super().__init__(
            optimizers={"generators": g_optimizer, "discriminators": d_optimizer},
            lr_schedulers={"generators": g_lr_scheduler, "discriminators": d_lr_scheduler},
            gradient_clip_val=gradient_clip_val,
            steps_per_call=steps_per_call,
        )
        if lambda_cycle < 0 or lambda_identity < 0 or pool_size < 0:
            raise ValueError("lambda_cycle, lambda_identity and pool_size must be ≥ 0")
        self.generator, self.inverse_generator = generator, inverse_generator
        self.discriminator, self.source_discriminator = discriminator, source_discriminator
        self.lambda_cycle, self.lambda_identity, self.pool_size = lambda_cycle, lambda_identity, pool_size
        self.pools = {"target": ImagePool(pool_size), "source": ImagePool(pool_size)}
        save_rebuildable_hyperparameters(self)

    def translate(self, x: Tensor, dropout: bool | None = None, averaged: bool = True, inverse: bool = False) -> Tensor:
        """G(x) (source → target), or F(x) with ``inverse=True`` (target → source), without gradients and with
        normalisation in eval mode; the averaged G (or F) when there is one. (``dropout`` is accepted for the
        translation models' common interface: CycleGAN's generators run without dropout at test time.)"""
        generator = self.averaged_network("inverse_generator" if inverse else "generator", averaged)
        with torch.no_grad(), eval_mode(generator):
            return generator(x.to(self.device))

    def grid_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[dict[str, Tensor], int]:
        """The first ``n`` test pairs of a paired DataModule: a triptych per row."""
        return paired_grid_inputs(self, n)

    def grid_images(self, inputs: Any, averaged: bool = True) -> Tensor:
        """(source, G(source), target) side by side, one pair per row."""
        return translation_grid(inputs["source"], self.translate(inputs["source"], averaged=averaged), inputs["target"])

    # ----------------------------------------------------------------- the loop's hooks
    def check_batch(self, batch: Batch) -> None:
        if batch.targets is None:
            raise ValueError("CycleGAN trains on two domains: use UnpairedImageDataModule (or PairedImageDataModule)")

    def make_fake(self, real: Batch) -> Batch:
        """F(y) as fake sources and G(x) as fake targets."""
        fake_target = self.network("generator")(real.images)
        return Batch(self.network("inverse_generator")(real.targets), targets=fake_target)

    def generator_loss(self, fake: Batch, real: Batch) -> tuple[Tensor, dict[str, Tensor]]:
        """Adversarial (least squares), cycle and identity terms of both generators."""
        x, y, fake_x, fake_y = real.images, real.targets, fake.images, fake.targets
        g, f = self.network("generator"), self.network("inverse_generator")
        adversarial = (self.network("discriminator")(fake_y) - 1).pow(2).mean() + (
            self.network("source_discriminator")(fake_x) - 1
        ).pow(2).mean()
        cycle = (f(fake_y) - x).abs().mean() + (g(fake_x) - y).abs().mean()
        terms = {"adversarial": adversarial, "cycle": cycle}
        total = adversarial + self.lambda_cycle * cycle
        if self.lambda_identity > 0:
            terms["identity"] = (g(y) - y).abs().mean() + (f(x) - x).abs().mean()
            total = total + self.lambda_identity * self.lambda_cycle * terms["identity"]
        return total, terms

    def discriminator_loss(self, real: Batch, fake: Batch) -> Tensor:
        """½((D(real) − 1)² + D(pooled fake)²) for each discriminator, summed."""
        loss = 0
        judged = (("discriminator", "target", real.targets, fake.targets),
                  ("source_discriminator", "source", real.images, fake.images))  # fmt: skip
        for name, domain, real_images, fake_images in judged:
            pooled = self.pools[domain].query(fake_images)
            d = self.network(name)
            loss = loss + 0.5 * ((d(real_images) - 1).pow(2).mean() + d(pooled.detach()).pow(2).mean())
        return loss

    # ----------------------------------------------------------------- state beyond the weights
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["ganzoo"]["pools"] = {name: pool.state_dict() for name, pool in self.pools.items()}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        for name, state in ((checkpoint.get("ganzoo") or {}).get("pools") or {}).items():
            self.pools[name].load_state_dict(state)

    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:
        """Both generators must turn data-shaped images into data-shaped images."""
        for name in ("generator", "inverse_generator"):
            self.check_translator_shape(name, data_shape)
