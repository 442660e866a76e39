"""Models that sample: noise (and, for conditional models, labels or codes) → data.

``sample(n, seed, labels=…)`` draws a latent with ``sample_latent`` and decodes it with ``sample_from``;
``grid_inputs`` lays out a sample grid (one row per class for conditional models). Callbacks, ``ganzoo evaluate``
and ``ganzoo sample`` call only these, never the generator directly. GANs, conditional GANs and, next, the VAE
are sampling models; what they declare about themselves (``num_classes``, ``traversal_latent``) is asked of
them directly, never with ``hasattr``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.models.generative import GenerativeModule, Latent, eval_mode, fmt_shape, network_device, to_device


class SamplingModule(GenerativeModule):
    """A ``generator`` network that maps a latent to samples.

    Subclasses set ``self.generator`` (with ``latent_dim`` and, for images, ``output_shape``) and may override
    ``sample_latent``/``decode`` when the generator takes more than noise.
    """

    #: how many classes ``sample(labels=…)`` takes; ``None``: not class-conditional
    num_classes: int | None = None

    @property
    def latent_dim(self) -> int:
        """Dimensions of the generator's input."""
        return self.generator.latent_dim

    @property
    def noise_dim(self) -> int:
        """Dimensions of the noise z (InfoGAN: the generator's input less its codes)."""
        return self.latent_dim

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """z ~ N(0, I). With a ``torch.Generator`` (on the CPU) the same seed gives the same z on any device."""
        if generator is None:
            return torch.randn(n, self.noise_dim, device=self.device)
        return torch.randn(n, self.noise_dim, generator=generator).to(self.device)

    def sample_latent(self, n: int, generator: torch.Generator | None = None, labels: Any = None) -> Latent:
        """What the generator takes for ``n`` samples: noise here; conditional models add labels or codes."""
        if labels is not None:
            raise ValueError(f"{type(self).__name__} is not class-conditional: it takes no labels")
        return self.sample_noise(n, generator)

    def traversal_latent(self, code: int, values: Tensor, generator: torch.Generator | None = None) -> Latent:
        """A latent that runs continuous code ``code`` through ``values`` (InfoGAN); other models have none."""
        raise ValueError(f"{type(self).__name__} has no continuous codes to traverse; --traverse is for InfoGAN")

    def grid_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Latent, int | None]:
        """A latent for a sample grid and the grid's row length (``None``: square)."""
        return self.sample_latent(n, generator), None

    def grid_images(self, inputs: Latent, averaged: bool = True) -> Tensor:
        return self.sample_from(inputs, averaged=averaged)

    def decode(self, network: nn.Module, latent: Latent) -> Tensor:
        """``network(latent)``: how a generator network is called on a latent."""
        return network(latent)

    def sample(self, n: int, seed: int | None = None, averaged: bool = True, labels: Any = None) -> Tensor:
        """``n`` samples in eval mode (images in [-1, 1]); a seed makes them reproducible anywhere.

        From the averaged generator when there is one, unless ``averaged=False``. ``labels`` (conditional
        models): one class for all, or one per sample.
        """
        if n < 1:
            raise ValueError(f"sample needs n ≥ 1, got {n}")
        rng = torch.Generator().manual_seed(seed) if seed is not None else None
        return self.sample_from(self.sample_latent(n, rng, labels=labels), averaged=averaged)

    @torch.no_grad()
    def sample_from(self, latent: Latent, averaged: bool = True) -> Tensor:
        """The generator on ``latent`` in eval mode without gradients, restoring its mode afterwards.

        Uses the averaged generator (``GeneratorAveraging``) when there is one, unless ``averaged=False``.
        """
        generator = self.sampling_generator(averaged)
        with eval_mode(generator):
            return self.decode(generator, to_device(latent, self.device))

    def forward(self, latent: Latent) -> Tensor:
        return self.decode(self.generator, latent)

    def check_generator_shape(self, data_shape: tuple[int, ...]) -> None:
        """Fail at setup, naming both shapes, when the data and the generator disagree."""
        with torch.no_grad(), eval_mode(self.generator):
            latent = to_device(self.sample_latent(2), network_device(self.generator))  # the global RNG, as always
            fake_shape = tuple(self.decode(self.generator, latent).shape[1:])
        if fake_shape != data_shape:
            raise ValueError(
                f"The data are {fmt_shape(data_shape)} but the generator makes {fmt_shape(fake_shape)}: set the "
                "generator's and discriminator's image_size/channels to match the data (or resize the data "
                "with --data.init_args.image_size)."
            )
