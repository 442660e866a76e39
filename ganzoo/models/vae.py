"""The variational autoencoder (Kingma & Welling 2014), the explicit-density model GANs are measured against.

An encoder gives q(z|x) = N(μ(x), diag σ²(x)); a decoder (the model's ``generator``) gives p(x|z); the prior is
p(z) = N(0, I). Training maximises the evidence lower bound

    ELBO(x) = E_q[log p(x|z)] − β_t · KL(q(z|x) ‖ p(z)),   z = μ + σ ⊙ ε, ε ~ N(0, I)  (the reparameterisation trick),

with the Gaussian KL in closed form, β = 1 for the VAE, β ≠ 1 for the β-VAE (Higgins et al. 2017), and β_t rising
linearly from 0 over ``kl_warmup_steps`` (KL warm-up; Sønderby et al. 2016). The likelihood is ``bernoulli`` (logits
per pixel; images are binarised afresh each step, "dynamically binarised MNIST") or ``gaussian`` (means per
dimension and a learned scale per dimension). Scores: ``negative_elbo`` and ``importance_weighted_nll`` (Burda et
al. 2016; k = 5,000 is the standard test NLL). It samples, averages, ships and is evaluated as the GANs are:
``sample`` decodes z ~ p(z) to the decoder's mean, in ganzoo's [-1, 1].
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from ganzoo.batch import Batch
from ganzoo.models.generative import eval_mode, fmt_shape
from ganzoo.models.hparams import class_path, save_rebuildable_hyperparameters
from ganzoo.models.sampling import SamplingModule

LOG_2PI = math.log(2 * math.pi)


def gaussian_kl(mean: Tensor, log_variance: Tensor) -> Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − log σ_j² − 1), one value per row."""
    return 0.5 * (mean.pow(2) + log_variance.exp() - log_variance - 1).sum(1)


def gaussian_log_density(z: Tensor, mean: Tensor, log_variance: Tensor) -> Tensor:
    """log N(z; μ, diag σ²) summed over the last dimension."""
    return -0.5 * (LOG_2PI + log_variance + (z - mean).pow(2) / log_variance.exp()).sum(-1)


class GaussianScale(nn.Module):
    """The learned log standard deviation of a Gaussian decoder, one per data dimension (the decoder's side)."""

    def __init__(self, data_shape: tuple[int, ...]):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(data_shape))


class VAE(SamplingModule):
    """Encoder q(z|x), decoder p(x|z) (``generator``), prior N(0, I); trained on the negative ELBO.

    Args:
        encoder: x → (μ, log σ²), each (N, latent_dim) (``ganzoo.nets.MLPEncoder``, ``ConvEncoder``).
        decoder: z → one value per data dimension (``ganzoo.nets.MLPDecoder``, ``ConvDecoder``), with ``latent_dim``.
        likelihood: ``bernoulli`` (data in [0, 1], i.e. ganzoo's [-1, 1] images; binarised afresh each step) or
            ``gaussian`` (any real data; a learned scale per dimension).
        beta: weight of the KL term (1: the VAE; β-VAE otherwise).
        kl_warmup_steps: steps over which the KL weight rises linearly from 0 to ``beta`` (0: none).
        optimizer: optimizer factory over all parameters; default Adam(1e-3).
        lr_scheduler: optional scheduler factory, stepped every training step.
    """

    generator_side: ClassVar[tuple[str, ...]] = ("generator", "encoder", "likelihood_scale")

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        likelihood: Literal["bernoulli", "gaussian"] = "bernoulli",
        beta: float = 1.0,
        kl_warmup_steps: int = 0,
        optimizer: OptimizerCallable | None = None,
        lr_scheduler: LRSchedulerCallable | None = None,
    ):
        super().__init__()
        if likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")
        if beta < 0 or kl_warmup_steps < 0:
            raise ValueError(f"beta and kl_warmup_steps must be ≥ 0, got beta={beta}, kl_warmup_steps={kl_warmup_steps}")
        if not hasattr(decoder, "latent_dim"):
            raise ValueError(f"{class_path(decoder)} has no 'latent_dim' attribute: ganzoo needs it to draw z.")
        encoder_dim = getattr(encoder, "latent_dim", decoder.latent_dim)
        if encoder_dim != decoder.latent_dim:
            raise ValueError(
                f"The encoder gives a {encoder_dim}-dimensional z but the decoder takes {decoder.latent_dim}: "
                "set both latent_dim to the same value."
            )
        self.encoder = encoder
        self.generator = decoder
        self.likelihood = likelihood
        self.beta = beta
        self.kl_warmup_steps = kl_warmup_steps
        self.optimizer_factory = optimizer or functools.partial(torch.optim.Adam, lr=1e-3)  # (picklable: DDP spawn)
        self.scheduler_factory = lr_scheduler
        shape = tuple(getattr(decoder, "output_shape", ()))
        self.likelihood_scale = GaussianScale(shape) if likelihood == "gaussian" and shape else None
        if likelihood == "gaussian" and not shape:
            raise ValueError(f"A gaussian likelihood needs the decoder's output_shape; {class_path(decoder)} has none.")
        save_rebuildable_hyperparameters(self)

    # ----------------------------------------------------------------- the model's parts
    def data_for_likelihood(
        self, images: Tensor, binarize: bool = True, generator: torch.Generator | None = None
    ) -> Tensor:
        """What p(x|z) scores: Bernoulli: [-1, 1] → [0, 1], drawn to {0, 1} when ``binarize`` (from ``generator``, a
        CPU one, when given); Gaussian: as is."""
        if self.likelihood == "gaussian":
            return images
        probabilities = images.add(1).div(2)
        if not binarize:
            return probabilities
        if generator is None:
            return torch.bernoulli(probabilities)
        return torch.bernoulli(probabilities.cpu(), generator=generator).to(probabilities.device)

    def check_bernoulli_range(self, images: Tensor) -> None:
        low, high = float(images.min()), float(images.max())
        if low < -1 - 1e-6 or high > 1 + 1e-6:
            raise ValueError(
                f"A Bernoulli decoder needs data in [0, 1] (ganzoo's [-1, 1] images), but these values span "
                f"[{low:.3g}, {high:.3g}]: set --model.init_args.likelihood gaussian for real-valued data."
            )

    def log_likelihood(self, decoded: Tensor, x: Tensor) -> Tensor:
        """log p(x|z) summed over data dimensions; ``decoded`` holds logits (Bernoulli) or means (Gaussian).
        Leading dimensions of ``decoded`` beyond ``x``'s broadcast (importance samples)."""
        dims = tuple(range(-len(x.shape[1:]), 0))
        if self.likelihood == "bernoulli":
            return -F.binary_cross_entropy_with_logits(decoded, x.expand_as(decoded), reduction="none").sum(dims)
        log_scale = self.likelihood_scale.log_scale
        return -0.5 * (LOG_2PI + 2 * log_scale + ((x - decoded) / log_scale.exp()).pow(2)).sum(dims)

    def decode(self, network: nn.Module, latent: Tensor) -> Tensor:
        """The decoder's mean in ganzoo's data range: Bernoulli probabilities mapped to [-1, 1]; Gaussian means."""
        decoded = network(latent)
        return decoded.sigmoid().mul(2).sub(1) if self.likelihood == "bernoulli" else decoded

    def kl_weight(self) -> float:
        """β_t: ``beta``, reached linearly over ``kl_warmup_steps``."""
        if self.kl_warmup_steps == 0:
            return self.beta
        return self.beta * min(1.0, self.global_step / self.kl_warmup_steps)

    def elbo_terms(self, x: Tensor, decoder: nn.Module | None = None) -> tuple[Tensor, Tensor]:
        """(E_q[log p(x|z)] by one reparameterised draw, KL(q(z|x) ‖ p(z))), one value per sample of ``x``
        (already in the likelihood's range)."""
        mean, log_variance = self.encoder(x)
        z = mean + (0.5 * log_variance).exp() * torch.randn_like(mean)
        reconstruction = self.log_likelihood((decoder or self.generator)(z), x)
        return reconstruction, gaussian_kl(mean, log_variance)

    # ----------------------------------------------------------------- training
    def training_step(self, batch: Batch, batch_index: int) -> Tensor:
        if self.global_step == 0 and self.likelihood == "bernoulli":
            self.check_bernoulli_range(batch.images)
        reconstruction, kl = self.elbo_terms(self.data_for_likelihood(batch.images))
        loss = (self.kl_weight() * kl - reconstruction).mean()
        self.log_dict({"loss/negative_elbo": (kl - reconstruction).mean(), "loss/kl": kl.mean()}, prog_bar=False)
        self.log("loss/train", loss, prog_bar=True)
        return loss

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": self.scheduler_factory(optimizer), "interval": "step"}}

    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:
        shape = tuple(getattr(self.generator, "output_shape", data_shape))
        if shape != data_shape:
            raise ValueError(
                f"The data are {fmt_shape(data_shape)} but the decoder makes {fmt_shape(shape)}: set the encoder's "
                "and decoder's data shape (image_size/channels) to match the data."
            )

    # ----------------------------------------------------------------- scores and uses
    @torch.no_grad()
    def negative_elbo(self, images: Tensor, seed: int = 0, averaged: bool = True, batch_size: int = 500) -> Tensor:
        """−ELBO per sample of ``images`` (ganzoo's range) in nats, one reparameterised draw each; Bernoulli data
        are binarised with ``seed`` (the same test set for every model)."""
        return -self._per_sample(images, seed, averaged, batch_size, lambda x, decoder: sum_terms(self.elbo_terms(x, decoder)))

    @torch.no_grad()
    def importance_weighted_nll(
        self, images: Tensor, k: int = 5000, seed: int = 0, averaged: bool = True, batch_size: int = 500
    ) -> Tensor:
        """−log p(x) estimated with k importance samples from q (Burda et al. 2016), per sample, in nats:
        −log (1/k) Σ_i p(x, z_i) / q(z_i|x). It is an upper bound on the NLL that tightens as k grows; k = 1 is −ELBO."""
        if k < 1:
            raise ValueError(f"The importance-weighted bound needs k ≥ 1 samples, got {k}")
        return -self._per_sample(images, seed, averaged, batch_size, lambda x, decoder: self._log_weights(x, decoder, k))

    def _log_weights(self, x: Tensor, decoder: nn.Module, k: int) -> Tensor:
        """log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x) for each row of ``x``, k drawn in chunks to bound memory."""
        mean, log_variance = self.encoder(x)
        chunk = max(1, 250_000 // max(1, x[0].numel()) // max(1, len(x)))
        log_weights = []
        for start in range(0, k, chunk):
            n = min(chunk, k - start)
            z = mean + (0.5 * log_variance).exp() * torch.randn(n, *mean.shape, device=mean.device)
            decoded = decoder(z.flatten(0, 1)).unflatten(0, (n, len(x)))
            prior = -0.5 * (LOG_2PI + z.pow(2)).sum(-1)
            log_weights.append(self.log_likelihood(decoded, x) + prior - gaussian_log_density(z, mean, log_variance))
        return torch.logsumexp(torch.cat(log_weights), 0) - math.log(k)

    def _per_sample(self, images: Tensor, seed: int, averaged: bool, batch_size: int, score: Any) -> Tensor:
        decoder = self.sampling_generator(averaged)
        generator = torch.Generator().manual_seed(seed)
        fork = [images.device] if images.device.type == "cuda" else []
        with eval_mode(self.encoder, decoder), torch.random.fork_rng(devices=fork):
            torch.manual_seed(seed)
            if self.likelihood == "bernoulli":
                self.check_bernoulli_range(images)
            x = self.data_for_likelihood(images, generator=generator).to(self.device)
            return torch.cat([score(part, decoder) for part in x.split(batch_size)]).cpu()

    @torch.no_grad()
    def reconstruct(self, images: Tensor, averaged: bool = True) -> Tensor:
        """The decoder's mean at the posterior mean μ(x), for images in ganzoo's range."""
        decoder = self.sampling_generator(averaged)
        with eval_mode(self.encoder, decoder):
            x = self.data_for_likelihood(images.to(self.device), binarize=False)
            return self.decode(decoder, self.encoder(x)[0])

    @torch.no_grad()
    def posterior_means(self, images: Tensor) -> Tensor:
        """μ(x) for each input (the scatter of posterior means on toy data)."""
        with eval_mode(self.encoder):
            return self.encoder(self.data_for_likelihood(images.to(self.device), binarize=False))[0]

    @torch.no_grad()
    def interpolate(self, first: Tensor, second: Tensor, steps: int = 8, averaged: bool = True) -> Tensor:
        """Decoded points on the line between two inputs' posterior means: ``steps`` per pair, pair after pair."""
        start, end = self.posterior_means(first), self.posterior_means(second)
        weights = torch.linspace(0, 1, steps, device=start.device).view(1, steps, 1)
        line = (start.unsqueeze(1) * (1 - weights) + end.unsqueeze(1) * weights).flatten(0, 1)
        return self.sample_from(line, averaged=averaged)


def sum_terms(terms: tuple[Tensor, Tensor]) -> Tensor:
    reconstruction, kl = terms
    return reconstruction - kl
