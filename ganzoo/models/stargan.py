"""StarGAN (Choi et al. 2018, "StarGAN: Unified Generative Adversarial Networks for Multi-Domain Image-to-Image
Translation").

One generator G(x, c) translates an image x of domain c' into any target domain c; a discriminator gives a patch
map of critic values D_src(x) and domain logits D_cls(x). With target domains drawn by shuffling the batch's own
labels (the authors' code), and x̂ between real and translated images (WGAN-GP):

    D minimises  −E[D_src(x)] + E[D_src(G(x, c))] + λ_gp E[(‖∇D_src(x̂)‖₂ − 1)²] + λ_cls L_cls(D_cls(x), c')
    G minimises  −E[D_src(G(x, c))] + λ_cls L_cls(D_cls(G(x, c)), c) + λ_rec E|x − G(G(x, c), c')|

λ_gp = 10, λ_cls = 1, λ_rec = 10, n_critic = 5, Adam(1e-4, β = (0.5, 0.999)). Not in the paper, ``lambda_identity``
adds λ_id E|G(x, c') − x| to G's loss (translating into the image's own domain changes nothing: CycleGAN's
identity term, Taigman et al. 2017): on the offline digit domains the paper's losses alone let G swap digits (an
involution, 1 ↔ 8, that reconstruction cannot see; see configs/stargan/README.md). L_cls is the cross-entropy of the
domain (one label per image: RaFD, the offline digit domains) or, for binary attributes (CelebA), the binary
cross-entropy summed over attributes. ``translate(x, domains)`` runs G; domains by index, name or code.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models.adversarial import AdversarialModule
from ganzoo.models.generative import eval_mode, fmt_shape, network_device
from ganzoo.models.hparams import adam, save_rebuildable_hyperparameters
from ganzoo.models.translating import TranslatingModule
from ganzoo.regularizers import GradientPenalty, check_per_sample_critic


def domain_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """L_cls: cross-entropy for one domain per image (int labels), or the binary cross-entropy summed over
    attributes and averaged over images (float 0/1 labels, the authors' CelebA loss)."""
    if labels.is_floating_point():
        return F.binary_cross_entropy_with_logits(logits, labels, reduction="sum") / len(logits)
    return F.cross_entropy(logits, labels)


HAIR_COLOURS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair")


class StarGAN(AdversarialModule, TranslatingModule):
    """Multi-domain translation with one generator conditioned on the target domain.

    Args:
        generator: G(x, code) (``ganzoo.nets.StarGANGenerator``).
        discriminator: D(x) → (patch critic values, domain logits) (``ganzoo.nets.StarGANDiscriminator``).
        lambda_cls, lambda_rec, gp_weight: λ_cls (1), λ_rec (10) and λ_gp (10).
        lambda_identity: λ_id of the identity term (0: the paper).
        n_critic: discriminator updates per generator update, each on its own real minibatch (5).
        steps_per_call: generator steps per Lightning step, bit-identical to one at a time.
        g_optimizer, d_optimizer, g_lr_scheduler, d_lr_scheduler: as for every GAN (the paper: Adam(1e-4,
            β = (0.5, 0.999)), then ``ganzoo.schedules.LinearDecay``).
    """

    multi_domain: ClassVar[bool] = True

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        lambda_cls: float = 1.0,
        lambda_rec: float = 10.0,
        gp_weight: float = 10.0,
        lambda_identity: float = 0.0,
        n_critic: int = 5,
        g_optimizer: OptimizerCallable | None = None,
        d_optimizer: OptimizerCallable | None = None,
        g_lr_scheduler: LRSchedulerCallable | None = None,
        d_lr_scheduler: LRSchedulerCallable | None = None,
        gradient_clip_val: float | None = None,
        steps_per_call: int = 1,
    ):
        super().__init__(
            optimizers={"generator": g_optimizer or adam(1e-4), "discriminator": d_optimizer or adam(1e-4)},
            lr_schedulers={"generator": g_lr_scheduler, "discriminator": d_lr_scheduler},
            gradient_clip_val=gradient_clip_val,
            steps_per_call=steps_per_call,
        )
        if min(lambda_cls, lambda_rec, gp_weight, lambda_identity) < 0:
            raise ValueError(f"lambda_cls, lambda_rec, gp_weight and lambda_identity must be ≥ 0, got {lambda_cls}, "
                             f"{lambda_rec}, {gp_weight}, {lambda_identity}")  # fmt: skip
        if n_critic < 1:
            raise ValueError(f"n_critic must be at least 1, got {n_critic}")
        g_domains, d_domains = (getattr(net, "num_domains", None) for net in (generator, discriminator))
        if not g_domains or g_domains != d_domains:
            raise ValueError(
                f"the generator has {g_domains} domains and the discriminator {d_domains}: use StarGAN networks "
                "with the same num_domains"
            )
        self.penalty = GradientPenalty(gp_weight)
        check_per_sample_critic(discriminator, [self.penalty], "StarGAN")
        self.generator, self.discriminator = generator, discriminator
        self.num_domains, self.n_critic = int(g_domains), n_critic
        self.lambda_cls, self.lambda_rec, self.gp_weight = lambda_cls, lambda_rec, gp_weight
        self.lambda_identity = lambda_identity
        save_rebuildable_hyperparameters(self)

    #: the training data's domains: {"names": [...], "multi_label": bool, "data": how to rebuild its test split},
    #: kept in checkpoints for ``ganzoo translate --target-domain NAME`` and ``ganzoo evaluate``
    domains: dict[str, Any] | None = None

    # ----------------------------------------------------------------- domains
    def domain_code(self, labels: Tensor) -> Tensor:
        """Labels as G's code: a one-hot row per domain index, or the 0/1 attribute rows themselves (checked once,
        by ``parse_domains`` for users' domains and by the DataModule for the data's)."""
        if labels.is_floating_point():
            return labels
        return F.one_hot(labels.long(), self.num_domains).float()

    @property
    def multi_label(self) -> bool:
        """Whether the domains are independent binary attributes (CelebA) rather than one class per image."""
        return bool((self.domains or {}).get("multi_label"))

    def parse_domains(self, domains: Any, n: int) -> Tensor:
        """Target domains for ``n`` images: a name, an index, or one per image; for attribute domains, the names
        to set (``"Blond_Hair,Male"``, the others cleared) or 0/1 rows (one for all, or one per image)."""
        names = list((self.domains or {}).get("names") or [])
        if isinstance(domains, str):
            wanted = [name.strip() for name in domains.split(",")] if self.multi_label else [domains]
            unknown = [name for name in wanted if name not in names]
            if unknown:
                known = names or "no names"
                raise ValueError(f"unknown domain {', '.join(map(repr, unknown))}; this model knows {known}")
            domains = [float(name in wanted) for name in names] if self.multi_label else names.index(domains)
        labels = torch.as_tensor(domains)
        if self.multi_label or labels.is_floating_point():
            labels = labels.float()
            labels = labels.expand(n, -1) if labels.ndim == 1 else labels
            if labels.shape != (n, self.num_domains) or not ((labels == 0) | (labels == 1)).all():
                raise ValueError(f"attribute domains are 0/1 rows of {self.num_domains}, one for all {n} images or "
                                 f"one per image; got shape {tuple(labels.shape)}")  # fmt: skip
            return labels.to(self.device)
        labels = labels.expand(n) if labels.ndim == 0 else labels
        if labels.ndim != 1 or len(labels) != n:
            shape = tuple(labels.shape)
            raise ValueError(f"give one target domain for all {n} images or one per image, got shape {shape}")
        if n and (int(labels.min()) < 0 or int(labels.max()) >= self.num_domains):
            raise ValueError(f"domain labels must be one index in [0, {self.num_domains - 1}] per image")
        return labels.long().to(self.device)

    # ----------------------------------------------------------------- translating
    def translate(self, x: Tensor, domains: Any, dropout: bool | None = None, averaged: bool = True) -> Tensor:
        """G(x, c) for images in [-1, 1] without gradients; ``domains`` as ``parse_domains`` reads them
        (``dropout`` is accepted for the translation models' common interface: StarGAN has none)."""
        code = self.domain_code(self.parse_domains(domains, len(x)))
        generator = self.sampling_generator(averaged)
        with torch.no_grad(), eval_mode(generator):
            return generator(x.to(self.device), code)

    def grid_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[dict[str, Tensor], int]:
        """One test image of each domain (a DataModule with ``test_domains``): a row each."""
        datamodule = self.trainer.datamodule
        if not hasattr(datamodule, "test_domains"):
            raise ValueError("StarGAN's sample grid needs a multi-domain DataModule (e.g. MNISTDomainsDataModule)")
        images, labels = datamodule.test_domains()
        return {"images": images[:n], "labels": labels[:n]}, self.num_domains + 1

    def grid_images(self, inputs: Any, averaged: bool = True) -> Tensor:
        """Each row: the source, then its translation into every domain (attributes: ``changed_attribute``)."""
        images, labels = inputs["images"], inputs["labels"]
        columns = [images.cpu()]
        for d in range(self.num_domains):
            target = self.changed_attribute(labels, d) if labels.is_floating_point() else torch.full_like(labels, d)
            columns.append(self.translate(images, target, averaged=averaged).float().cpu())
        return torch.stack(columns, dim=1).flatten(0, 1)

    def changed_attribute(self, labels: Tensor, d: int) -> Tensor:
        """Attribute rows with attribute ``d`` changed: a hair colour is set and the other hair colours cleared
        (hair colours exclude each other, the authors' ``create_labels``); any other attribute is flipped."""
        target = labels.clone()
        names = (self.domains or {}).get("names") or []
        hair = [i for i, name in enumerate(names) if name in HAIR_COLOURS]
        if d in hair:
            target[:, hair] = 0
            target[:, d] = 1
        else:
            target[:, d] = 1 - target[:, d]
        return target

    # ----------------------------------------------------------------- losses
    def target_labels(self, labels: Tensor) -> Tensor:
        """Target domains: the batch's labels in a random order (the authors' code)."""
        return labels[torch.randperm(len(labels), device=labels.device)]

    def check_batch(self, batch: Batch) -> None:
        if batch.labels is None:
            raise ValueError("StarGAN needs each image's domain: use a multi-domain DataModule (labels in the batches)")

    def make_fake(self, real: Batch) -> Batch:
        """G(x, c) for target domains c drawn by ``target_labels``; the fakes' ``labels`` are those targets."""
        target = self.target_labels(real.labels)
        return Batch(self.network("generator")(real.images, self.domain_code(target)), labels=target)

    def discriminator_loss(self, real: Batch, fake: Batch) -> tuple[Tensor, dict[str, Tensor]]:
        discriminator = self.network("discriminator")
        real_scores, real_logits = discriminator(real.images)
        fake_scores = discriminator(fake.images)[0]
        adversarial = losses.wasserstein_critic_loss(real_scores, fake_scores)
        classification = domain_loss(real_logits, real.labels)
        penalty = self.penalty.penalty(lambda x: discriminator(x)[0], real.images, fake.images)
        total = adversarial + self.gp_weight * penalty + self.lambda_cls * classification
        return total, {"d_adversarial": adversarial, "d_domain": classification, "gradient_penalty": penalty}

    def generator_loss(self, fake: Batch, real: Batch) -> tuple[Tensor, dict[str, Tensor]]:
        generator = self.network("generator")
        fake_scores, fake_logits = self.network("discriminator")(fake.images)
        adversarial = losses.wasserstein_generator_loss(fake_scores)
        classification = domain_loss(fake_logits, fake.labels)
        own_domain = self.domain_code(real.labels)
        reconstruction = (generator(fake.images, own_domain) - real.images).abs().mean()
        total = adversarial + self.lambda_cls * classification + self.lambda_rec * reconstruction
        parts = {"g_adversarial": adversarial, "g_domain": classification, "reconstruction": reconstruction}
        if self.lambda_identity > 0:
            parts["identity"] = (generator(real.images, own_domain) - real.images).abs().mean()
            total = total + self.lambda_identity * parts["identity"]
        return total, parts

    # ----------------------------------------------------------------- the data's domains
    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        if datamodule is not None and hasattr(datamodule, "domain_names"):  # a multi-domain DataModule
            spec = datamodule.domain_spec() if hasattr(datamodule, "domain_spec") else None
            self.domains = {"names": list(datamodule.domain_names), "data": spec,
                            "multi_label": bool(getattr(datamodule, "multi_label", False))}  # fmt: skip

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["ganzoo"]["domains"] = self.domains

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        self.domains = (checkpoint.get("ganzoo") or {}).get("domains") or self.domains

    def check_data_classes(self, num_classes: int | None) -> None:
        if not num_classes:
            raise ValueError("StarGAN needs each image's domain, but the DataModule reports none: use a multi-domain "
                             "DataModule (MNISTDomainsDataModule, CelebADataModule)")  # fmt: skip
        if num_classes != self.num_domains:
            raise ValueError(
                f"The data have {num_classes} domains but StarGAN's networks were built for {self.num_domains}: "
                f"set num_domains: {num_classes} in the generator and the discriminator."
            )

    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:
        """G must turn data-shaped images into data-shaped images, and D take them."""
        device = network_device(self.generator)
        probe = torch.zeros(2, *data_shape, device=device)
        code = torch.zeros(2, self.num_domains, device=device)
        try:
            with torch.no_grad(), eval_mode(self.generator, self.discriminator):
                made = tuple(self.generator(probe, code).shape[1:])
                self.discriminator(probe.to(network_device(self.discriminator)))
        except RuntimeError as err:
            raise ValueError(
                f"StarGAN's networks do not accept the data's shape {fmt_shape(data_shape)}: set their image_size/"
                f"channels to match. ({str(err).splitlines()[0]})"
            ) from None
        if made != tuple(data_shape):
            raise ValueError(f"The data are {fmt_shape(data_shape)} but the generator makes {fmt_shape(made)}")
