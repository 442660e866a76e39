"""InfoGAN (Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by Information Maximizing GANs").

G's input is noise z plus latent codes: a uniform categorical code c_cat (K values, one-hot) and
continuous codes c_cont ~ U(-1, 1). Q shares D's body and predicts the codes of a fake. Both players add
the variational mutual-information terms to their GAN losses:

    D, Q minimise  L_D + λ_cat CE(Q_cat(G(z, c)), c_cat) + λ_cont ½‖Q_cont(G(z, c)) − c_cont‖²
    G    minimises L_G + (the same two terms)

The continuous term is the NLL of a fixed-variance Gaussian Q up to a constant (the paper's choice).
λ_cat = 1, λ_cont = 0.1. The lower bound ``L_I = H(c_cat) − CE = ln K − CE`` (≤ ln K) is logged as
``mutual_information``. InfoGAN is unsupervised: the data's labels are not used; ``sample(labels=…)``
fixes the categorical code.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models.conditional import ClassConditional, network_classes
from ganzoo.models.gan import GAN


class InfoGAN(ClassConditional, GAN):
    """InfoGAN with a plain generator on ``[z, one_hot(c_cat), c_cont]`` and an ``InfoGANDiscriminator``.

    Args:
        lambda_cat, lambda_cont: weights of the categorical and continuous information terms.
        noise: the distribution of z, ``"normal"`` N(0, I) or ``"uniform"`` U(-1, 1) (the paper's code).
    """

    needs_labelled_data = False

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        lambda_cat: float = 1.0,
        lambda_cont: float = 0.1,
        noise: str = "normal",
        **kwargs: Any,
    ):
        if noise not in ("normal", "uniform"):
            raise ValueError(f"noise must be 'normal' or 'uniform', got {noise!r}")
        categorical = network_classes(discriminator, "discriminator")
        continuous = int(getattr(discriminator, "continuous_dim", 0))
        noise_dim = getattr(generator, "latent_dim", 0) - categorical - continuous
        if noise_dim < 1:
            raise ValueError(
                f"InfoGAN's generator takes noise and codes: its latent_dim ({getattr(generator, 'latent_dim', 0)}) must "
                f"exceed categorical_dim + continuous_dim ({categorical} + {continuous})"
            )
        super().__init__(generator, discriminator, **kwargs)
        self.num_classes, self.continuous_dim = categorical, continuous
        self.lambda_cat, self.lambda_cont, self.noise = lambda_cat, lambda_cont, noise

    @property
    def noise_dim(self) -> int:
        """Dimensions of the noise z alone (the generator takes z and the codes)."""
        return self.latent_dim - self.num_classes - self.continuous_dim

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """z ~ N(0, I) or U(-1, 1) (``noise``)."""
        if self.noise == "normal":
            return super().sample_noise(n, generator)
        return self.uniform(n, self.noise_dim, generator)

    def uniform(self, n: int, dim: int, generator: torch.Generator | None = None) -> Tensor:
        """U(-1, 1) samples; with a CPU ``generator`` the same on any device."""
        if generator is None:
            return torch.rand(n, dim, device=self.device) * 2 - 1
        return (torch.rand(n, dim, generator=generator) * 2 - 1).to(self.device)

    def sample_codes(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Continuous codes ~ U(-1, 1)."""
        return self.uniform(n, self.continuous_dim, generator)

    def sample_latent(
        self, n: int, generator: torch.Generator | None = None, labels: Any = None, codes: Any = None
    ) -> dict[str, Tensor]:
        """``labels`` fixes the categorical code, ``codes`` (n × continuous_dim, or one row for all) the others."""
        latent = super().sample_latent(n, generator, labels)
        if codes is None:
            latent["codes"] = self.sample_codes(n, generator)
        else:
            codes = torch.as_tensor(codes, dtype=torch.float32)
            codes = codes.expand(n, self.continuous_dim) if codes.shape == (self.continuous_dim,) else codes
            if codes.shape != (n, self.continuous_dim):
                raise ValueError(f"codes must be ({n}, {self.continuous_dim}) or ({self.continuous_dim},), got {tuple(codes.shape)}")
            latent["codes"] = codes.to(self.device)
        return latent

    def traversal_latent(self, code: int, values: Tensor, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        """One row per categorical value, ``len(values)`` columns: continuous code ``code`` runs through
        ``values`` while the noise and the other codes stay fixed (per row)."""
        if not 0 <= code < self.continuous_dim:
            raise ValueError(f"there are {self.continuous_dim} continuous codes (c1..c{self.continuous_dim}), got c{code + 1}")
        k, columns = self.num_classes, len(values)
        base = self.sample_latent(k, generator, labels=torch.arange(k))
        codes = base["codes"].repeat_interleave(columns, 0)
        codes[:, code] = values.to(codes).repeat(k)
        return {"z": base["z"].repeat_interleave(columns, 0), "labels": base["labels"].repeat_interleave(columns, 0),
                "codes": codes}  # fmt: skip

    def decode(self, network: nn.Module, latent: Any) -> Tensor:
        if not isinstance(latent, dict):
            raise ValueError("InfoGAN's latent is {'z', 'labels', 'codes'}: build it with sample_latent")
        one_hot = F.one_hot(latent["labels"].long(), self.num_classes).to(latent["z"].dtype)
        return network(torch.cat([latent["z"], one_hot, latent["codes"].to(latent["z"].dtype)], dim=1))

    def generate_fake(self, n: int) -> Batch:
        latent = self.sample_latent(n)
        return Batch(self.generate(latent), labels=latent["labels"], codes=latent["codes"])

    def score(self, batch: Batch) -> Tensor:
        return self.discriminate(batch.images)[0]

    def information_loss(self, code_logits: Tensor, code_means: Tensor, fake: Batch) -> Tensor:
        """λ_cat CE + λ_cont · continuous NLL, logging the bound L_I."""
        categorical = F.cross_entropy(code_logits, fake.labels)
        continuous = losses.continuous_code_loss(code_means, fake.codes) if self.continuous_dim else code_means.sum() * 0
        self.log_later(mutual_information=losses.categorical_mutual_information(code_logits.detach(), fake.labels),
                       continuous_code_loss=continuous)
        return self.lambda_cat * categorical + self.lambda_cont * continuous

    def adversarial_discriminator_loss(self, real: Batch, fake: Batch) -> Tensor:
        real_logits = self.discriminate(real.images)[0]
        fake_logits, code_logits, code_means = self.discriminate(fake.images)
        return self.discriminator_objective(real_logits, fake_logits) + self.information_loss(code_logits, code_means, fake)

    def generator_loss(self, fake: Batch, real: Batch) -> Tensor:
        fake_logits, code_logits, code_means = self.discriminate(fake.images)
        return self.generator_objective(fake_logits) + self.information_loss(code_logits, code_means, fake)

    def probe_discriminator(self, x: Tensor) -> None:
        self.discriminator(x)
