"""What every ganzoo generative model shares, adversarial or not.

* **Sampling**: ``sample(n, seed, labels=…)`` draws a latent with ``sample_latent`` and decodes it with
  ``sample_from``; ``grid_latent`` lays out a sample grid (one row per class for conditional models).
  Callbacks, ``ganzoo evaluate`` and ``ganzoo sample`` call only these, never the generator directly.
* **The averaged copy** of the generator (``averaged_generator``, kept by ``GeneratorAveraging``).
* **Rebuildable hyperparameters** and **safe checkpoints** (``load_from_checkpoint`` with
  ``weights_only=True`` and a clear error for another model's file).
* **Generator-only shipping**: ``generator_side`` names the networks a shipped file keeps.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.plugins.io import TorchCheckpointIO
from torch import Tensor, nn

from ganzoo.atomic import AtomicCheckpointIO
from ganzoo.checkpoints import (
    CheckpointError,
    checkpoint_class_path,
    import_class,
    load_trusted_checkpoint,
    read_checkpoint_bytes,
)
from ganzoo.models.hparams import class_path
from ganzoo.nvml import skip_nvml_probe_without_driver
from ganzoo.rng import collect_all_ranks, restore_for_rank

Latent = Tensor | dict[str, Tensor]


class GenerativeModule(LightningModule):
    """Base of every ganzoo model: a ``generator`` network that maps a latent to samples.

    Subclasses set ``self.generator`` (with ``latent_dim`` and, for images, ``output_shape``) and
    may override ``sample_latent``/``decode`` when the generator takes more than noise.
    """

    #: the networks a shipped (sampling-only) file keeps
    generator_side: ClassVar[tuple[str, ...]] = ("generator",)

    def __init__(self) -> None:
        super().__init__()
        # Set by ganzoo.callbacks.GeneratorAveraging (an AveragedModel of the generator); saved in checkpoints.
        self.averaged_generator: nn.Module | None = None

    # ----------------------------------------------------------------- sampling
    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """z ~ N(0, I). With a ``torch.Generator`` (on the CPU) the same seed gives the same z on any device."""
        if generator is None:
            return torch.randn(n, self.latent_dim, device=self.device)
        return torch.randn(n, self.latent_dim, generator=generator).to(self.device)

    def sample_latent(self, n: int, generator: torch.Generator | None = None, labels: Any = None) -> Latent:
        """What the generator takes for ``n`` samples: noise here; conditional models add labels or codes."""
        if labels is not None:
            raise ValueError(f"{type(self).__name__} is not class-conditional: it takes no labels")
        return self.sample_noise(n, generator)

    def grid_latent(self, n: int, generator: torch.Generator | None = None) -> tuple[Latent, int | None]:
        """A latent for a sample grid and the grid's row length (``None``: square)."""
        return self.sample_latent(n, generator), None

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

    def sampling_generator(self, averaged: bool = True) -> nn.Module:
        """The averaged generator when there is one and ``averaged``, else the raw one."""
        use_average = averaged and self.averaged_generator is not None
        return self.averaged_generator.module if use_average else self.generator

    def grid_images(self, latent: Latent, averaged: bool = True) -> Tensor:
        """The images a sample grid shows for ``grid_latent``'s latent (translation models: triptychs)."""
        return self.sample_from(latent, averaged=averaged)

    def forward(self, latent: Latent) -> Tensor:
        return self.decode(self.generator, latent)

    # ----------------------------------------------------------------- checks at setup
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

    # ----------------------------------------------------------------- checkpoints
    def setup(self, stage: str) -> None:
        """Every checkpoint the trainer writes for this model is crash-safe (``ganzoo.atomic``); without the
        NVIDIA driver, optimizer steps stop probing for it (``ganzoo.nvml``)."""
        skip_nvml_probe_without_driver()
        if self._trainer is not None:
            if type(self.trainer.strategy.checkpoint_io) is TorchCheckpointIO:
                self.trainer.strategy.checkpoint_io = AtomicCheckpointIO()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """A shipped, generator-only file (``ganzoo.zoo.strip_for_shipping``) keeps this model's freshly
        initialised other networks; a checkpoint with an averaged generator gets one to load into; a resumed
        fit restores the random states the checkpoint was written with (``ganzoo.rng``)."""
        if (checkpoint.get("ganzoo") or {}).get("generator_only"):
            for name, module in self.named_children():
                if name not in self.generator_side and name != "averaged_generator":
                    for key, value in module.state_dict().items():
                        checkpoint["state_dict"].setdefault(f"{name}.{key}", value)
            self.shipped_generator_weights = checkpoint["ganzoo"].get("generator_weights", "raw")
            self.mark_generator_only()
        if self._trainer is not None and self.trainer.state.fn == "fit":  # resuming (not loading to sample)
            self._rng_to_restore = (checkpoint.get("ganzoo") or {}).get("rng")
        has_average = any(k.startswith("averaged_generator.") for k in checkpoint.get("state_dict", {}))
        if has_average and self.averaged_generator is None:
            from torch.optim.swa_utils import AveragedModel

            self.averaged_generator = AveragedModel(self.generator, use_buffers=True).requires_grad_(False)

    _rng_to_restore: list | None = None

    def on_fit_start(self) -> None:
        """A resumed fit continues every rank's random states from its checkpoint (after the strategy's setup,
        which seeds fresh runs per rank, and before the loader's first draw)."""
        if self._rng_to_restore:
            restore_for_rank(self._rng_to_restore, self.trainer.global_rank)
            self._rng_to_restore = None

    #: for a shipped file, which weights its generator holds ("averaged" or "raw"); None for a training checkpoint
    shipped_generator_weights: str | None = None

    def mark_generator_only(self) -> None:
        """Called when a generator-only file was loaded (adversarial models note their D is untrained)."""

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        from ganzoo import __version__

        # every rank's random states (a collective: Lightning builds the checkpoint on every rank)
        checkpoint["ganzoo"] = {"class_path": class_path(self), "version": __version__, "rng": collect_all_ranks()}

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls,
        checkpoint_path: Any,
        map_location: Any = None,
        hparams_file: Any = None,
        strict: bool | None = None,
        weights_only: bool = True,
        **kwargs: Any,
    ) -> GenerativeModule:
        """Lightning's loader, with ``weights_only=True``, a clear error for another model's checkpoint, and
        only ganzoo/torch/Lightning classes in the config it rebuilds from.

        Called on a base class it returns whichever model the checkpoint was saved from.
        """
        data = read_checkpoint_bytes(checkpoint_path)
        stored = checkpoint_class_path(load_trusted_checkpoint(data, str(checkpoint_path), weights_only=weights_only))
        if stored is None:
            raise CheckpointError(f"{checkpoint_path} was not saved by a ganzoo model: it names no model class.")
        saved_class = import_class(stored)
        if not issubclass(saved_class, cls):
            raise CheckpointError(
                f"{checkpoint_path} is a {stored} checkpoint, not a {class_path(cls)} one: load it with "
                f"{stored.rpartition('.')[2]}.load_from_checkpoint(...) or ganzoo.load({str(checkpoint_path)!r})."
            )
        # Lightning's loader, bound to the saved class (a base class alone would drop its class path)
        return super(GenerativeModule, saved_class).load_from_checkpoint(
            io.BytesIO(data), map_location, hparams_file, strict, weights_only=weights_only, **kwargs
        )


def to_device(latent: Latent, device: torch.device) -> Latent:
    if isinstance(latent, dict):
        return {k: v.to(device) for k, v in latent.items()}
    return latent.to(device)


def network_device(network: nn.Module) -> torch.device:
    """Where a network's weights are (the CPU for one without any)."""
    tensor = next(network.parameters(), None)
    tensor = tensor if tensor is not None else next(network.buffers(), None)
    return tensor.device if tensor is not None else torch.device("cpu")


def fmt_shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


@contextmanager
def eval_mode(*modules: nn.Module) -> Iterator[None]:
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)
