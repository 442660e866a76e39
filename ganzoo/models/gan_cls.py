"""GAN-CLS and GAN-INT (Reed et al. 2016, "Generative Adversarial Text to Image Synthesis").

G(z, φ(t)) draws an image for a caption's embedding φ(t); a matching-aware D judges (image, text) pairs. D sees
three kinds: a real image with its own text (s_r), a real image with the text of another attribute set (s_w),
and a fake with the right text (s_f), and its loss is the objective's D loss averaged over the two negatives,
``½ [L_D(s_r, s_w) + L_D(s_r, s_f)]``, which for the cross-entropy objective is the paper's Algorithm 1:
``L_D = −log s_r − ½ [log(1 − s_w) + log(1 − s_f)]``. G plays the objective's generator term on s_f.

GAN-INT (``interpolation_weight > 0``): G also draws for β·φ(t₁) + (1 − β)·φ(t₂), the interpolation of two
training captions of different sets (β = 0.5 in the paper), and adds ``interpolation_weight`` × its generator term
on those fakes: D has learned what matches, and G must fill in between the captions it saw.

Sampling takes text: ``sample(n, text="a thick red seven")``, one caption per sample, or embeddings. Without
text it draws from ``captions`` (by default up to 1,000 of the training data's, kept in the checkpoint).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.batch import Batch
from ganzoo.models.gan import GAN
from ganzoo.text import HashingBagOfWords, check_captions, embed_cached

MAX_SAMPLING_CAPTIONS = 1000


class GANCLS(GAN):
    """Text-to-image GAN with a matching-aware discriminator (GAN-CLS), optionally GAN-INT.

    Args:
        generator: ``generator(z, text)``, e.g. ``ganzoo.nets.TextConditionalGenerator``.
        discriminator: ``discriminator(x, text)``, e.g. ``ganzoo.nets.TextConditionalDiscriminator``.
        text_encoder: an ``nn.Module`` mapping a list of captions to (N, dim) embeddings; default
            ``ganzoo.text.HashingBagOfWords`` of the generator's ``text_dim``.
        interpolation_weight: GAN-INT's weight on fakes for interpolated captions (0: GAN-CLS alone).
        interpolation_beta: β of the interpolation β·φ(t₁) + (1 − β)·φ(t₂).
        captions: what ``sample`` draws from without text (default: the training data's, set at fit).
        grid_captions: one row of the sample grid each (default: the first of ``captions`` of 8 sets).
        caption_data: what rebuilds the captioned test data for ``ganzoo evaluate`` (set at fit).
        (the rest as ``GAN``: ``loss``, ``regularizers``, optimizers, ``n_critic``, …)
    """

    text_conditional = True

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        text_encoder: nn.Module | None = None,
        interpolation_weight: float = 0.0,
        interpolation_beta: float = 0.5,
        captions: list[str] | None = None,
        grid_captions: list[str] | None = None,
        caption_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        encoder = text_encoder if text_encoder is not None else HashingBagOfWords(getattr(generator, "text_dim", 256))
        dims = {"generator": getattr(generator, "text_dim", None), "discriminator": getattr(discriminator, "text_dim", None),
                "text encoder": getattr(encoder, "embedding_dim", None)}  # fmt: skip
        if None in dims.values() or len(set(dims.values())) != 1:
            raise ValueError(f"the text sizes must agree: {dims}; set text_dim in both networks to the encoder's size")
        if interpolation_weight < 0 or not 0 <= interpolation_beta <= 1:
            raise ValueError("interpolation_weight must be ≥ 0 and interpolation_beta in [0, 1]")
        super().__init__(generator, discriminator, **kwargs)
        self.text_encoder = encoder
        self.interpolation_weight, self.interpolation_beta = interpolation_weight, interpolation_beta
        self.captions = check_captions(captions) if captions else None
        self.grid_captions = check_captions(grid_captions) if grid_captions else None
        self.caption_data = caption_data
        self._caption_embeddings: Tensor | None = None

    # ----------------------------------------------------------------- text in, embeddings out
    @torch.no_grad()
    def embed(self, captions: Any) -> Tensor:
        """Captions (a string or a list) → (N, dim) embeddings on the model's device."""
        return torch.as_tensor(self.text_encoder(check_captions(captions)), dtype=torch.float32).to(self.device)

    def caption_embeddings(self) -> Tensor:
        """The embeddings of ``captions`` (through the cache: computed once per encoder and caption list)."""
        if not self.captions:
            raise ValueError(f"{type(self).__name__} has no captions to draw from: give text (--text or text=…)")
        if self._caption_embeddings is None or self._caption_embeddings.device != self.device:
            self._caption_embeddings = embed_cached(self.text_encoder, self.captions)[0].to(self.device)
        return self._caption_embeddings

    def text_for(self, n: int, text: Any, generator: torch.Generator | None = None) -> Tensor:
        """(n, dim) embeddings: of ``text`` (one caption for all, one per sample, or embeddings), else drawn."""
        if text is None:
            bank = self.caption_embeddings()
            index = torch.randint(len(bank), (n,), generator=generator) if generator is not None else \
                torch.randint(len(bank), (n,), device=bank.device)  # fmt: skip
            return bank[index.to(bank.device)]
        if isinstance(text, Tensor):
            embeddings = text.to(self.device, torch.float32)
        else:
            captions = check_captions(text)
            if len(captions) not in (1, n):
                raise ValueError(f"give one caption for all {n} samples or one per sample, got {len(captions)}")
            embeddings = self.embed(captions).expand(n, -1) if len(captions) == 1 else self.embed(captions)
        if embeddings.shape != (n, self.generator.text_dim):
            raise ValueError(f"text embeddings must be ({n}, {self.generator.text_dim}), got {tuple(embeddings.shape)}")
        return embeddings

    # ----------------------------------------------------------------- sampling
    def sample_latent(self, n: int, generator: torch.Generator | None = None, labels: Any = None, text: Any = None) -> dict[str, Tensor]:
        if labels is not None:
            raise ValueError(f"{type(self).__name__} is conditioned on text, not labels: give text")
        return {"z": self.sample_noise(n, generator), "text": self.text_for(n, text, generator)}

    def sample(self, n: int, seed: int | None = None, averaged: bool = True, labels: Any = None, text: Any = None) -> Tensor:
        """``n`` samples for ``text`` (one caption, one per sample, or none: drawn from ``captions``)."""
        if n < 1:
            raise ValueError(f"sample needs n ≥ 1, got {n}")
        rng = torch.Generator().manual_seed(seed) if seed is not None else None
        return self.sample_from(self.sample_latent(n, rng, labels=labels, text=text), averaged=averaged)

    def decode(self, network: nn.Module, latent: Any) -> Tensor:
        if not isinstance(latent, dict):
            raise ValueError(f"{type(self).__name__} is text-conditional: give a latent {{'z', 'text'}} (sample_latent)")
        return network(latent["z"], latent["text"])

    def grid_captions_or_default(self) -> list[str]:
        if self.grid_captions:
            return self.grid_captions
        captions = self.captions or []
        return captions[:: max(1, len(captions) // 8)][:8]

    def grid_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[dict[str, Tensor], int]:
        """One row per grid caption, ``n // rows`` samples each (at least one)."""
        captions = self.grid_captions_or_default()
        per_row = max(1, n // max(1, len(captions)))
        rows = [c for c in captions for _ in range(per_row)]
        return self.sample_latent(len(rows), generator, text=rows), per_row

    # ----------------------------------------------------------------- training
    def setup(self, stage: str) -> None:
        """Before the checks of ``GAN.setup``: without ``captions``, take the training data's (training sets only,
        up to 1,000, evenly spread), which the checkpoint then keeps, as it keeps what rebuilds the test data."""
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        if not self.captions and datamodule is not None and hasattr(datamodule, "captions"):
            per_set = datamodule.captions()
            allowed = getattr(datamodule, "training_sets", None)
            sets = range(len(per_set)) if allowed is None else allowed.tolist()
            flat = [text for s in sets for text in per_set[s]]
            self.captions = flat[:: max(1, -(-len(flat) // MAX_SAMPLING_CAPTIONS))]
            self.hparams["captions"] = self.captions
        if datamodule is not None and hasattr(datamodule, "domain_spec"):
            self.caption_data = self.hparams["caption_data"] = datamodule.domain_spec()
        super().setup(stage)

    def check_batch(self, batch: Batch) -> None:
        if batch.text is None or batch.wrong_text is None:
            raise ValueError(
                f"{type(self).__name__} needs captioned data (text in the batch): use CaptionedDigitsDataModule or "
                "CaptionedImageFolderDataModule"
            )

    def probe_discriminator(self, x: Tensor) -> None:
        self.discriminator(x, torch.zeros(len(x), self.discriminator.text_dim, device=x.device))

    def score(self, batch: Batch) -> Tensor:
        return self.discriminate(batch.images, batch.text)

    def make_fake(self, real: Batch) -> Batch:
        """Fakes for the real batch's own captions."""
        text = real.text
        return Batch(self.generate({"z": self.sample_noise(len(real)), "text": text}), text=text)

    def adversarial_discriminator_loss(self, real: Batch, fake: Batch) -> Tensor:
        """½ [L_D(s_r, s_w) + L_D(s_r, s_f)]: the right pair against the wrong text and against the fake."""
        real_logits = self.score(real)
        wrong_logits = self.score(Batch(real.images, text=real.wrong_text))
        fake_logits = self.score(fake)
        self.log_later(**self.objective.monitored(real_logits, fake_logits), d_wrong=wrong_logits.mean())
        return matching_aware_loss(self.discriminator_objective, real_logits, wrong_logits, fake_logits)

    def generator_loss(self, fake: Batch, real: Batch) -> Tensor:
        loss = self.generator_objective(self.score(fake))
        if self.interpolation_weight > 0:
            beta = self.interpolation_beta
            between = beta * real.text + (1 - beta) * real.wrong_text
            fake_between = Batch(self.generate({"z": self.sample_noise(len(real)), "text": between}), text=between)
            interpolated = self.generator_objective(self.score(fake_between))
            self.log_later(g_interpolated=interpolated)
            loss = loss + self.interpolation_weight * interpolated
        return loss


def matching_aware_loss(discriminator_objective: Any, real_logits: Tensor, wrong_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """GAN-CLS's D loss for any objective: ½ [L_D(s_r, s_w) + L_D(s_r, s_f)] (Reed et al. 2016, Algorithm 1)."""
    return 0.5 * (discriminator_objective(real_logits, wrong_logits) + discriminator_objective(real_logits, fake_logits))
