"""Models that translate: image → image (pix2pix, CycleGAN, StarGAN). No latent, no ``sample``.

``translate(x, …)`` is their one entry point. What a translation model declares about itself, commands and
metrics read directly: ``multi_domain`` (StarGAN: ``translate(x, domains)``, with ``domains``/``num_domains``),
``two_way`` (CycleGAN: ``translate(x, inverse=True)`` runs the inverse generator) and ``pairs``, the training
data's naming (source, target, layout), kept in checkpoints so that ``ganzoo evaluate``/``translate`` read
test data the way the model was trained.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from ganzoo.models.generative import GenerativeModule, eval_mode, fmt_shape, network_device

PAIR_KEYS = ("source", "target", "layout", "left", "right", "channels")


def translation_grid(sources: Tensor, translated: Tensor, targets: Tensor) -> Tensor:
    """(source, translation, target) side by side, one pair per row; a one-channel image shown as gray."""
    parts = [sources.cpu(), translated.cpu(), targets.cpu()]
    channels = max(p.shape[1] for p in parts)
    parts = [p.expand(-1, channels, -1, -1) for p in parts]
    return torch.stack(parts, dim=1).flatten(0, 1)


def paired_grid_inputs(model: Any, n: int) -> tuple[dict[str, Tensor], int]:
    """The first ``n`` test pairs of a paired DataModule, for a triptych per row."""
    datamodule = model.trainer.datamodule
    if not hasattr(datamodule, "test_pairs"):
        raise ValueError(f"{type(model).__name__}'s sample grid shows test pairs: use a paired DataModule "
                         "(PairedImageDataModule or UnpairedImageDataModule)")  # fmt: skip
    sources, targets = datamodule.test_pairs()
    return {"source": sources[:n], "target": targets[:n]}, 3


class TranslatingModule(GenerativeModule):
    """A ``generator`` that maps source images to target images."""

    #: StarGAN: one generator for many target domains, ``translate(x, domains)``
    multi_domain: ClassVar[bool] = False
    #: CycleGAN: an inverse generator too, ``translate(x, inverse=True)``
    two_way: ClassVar[bool] = False
    #: the training data's naming and layout (PAIR_KEYS), or ``None`` (StarGAN, or not trained on pairs yet)
    pairs: dict[str, Any] | None = None

    def translate(self, x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """Translations of source images ``x`` in [-1, 1], without gradients."""
        raise NotImplementedError

    # ----------------------------------------------------------------- the data's naming, kept in checkpoints
    def setup(self, stage: str) -> None:
        super().setup(stage)
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        if not self.multi_domain and datamodule is not None and hasattr(datamodule, "source"):
            self.pairs = {key: getattr(datamodule, key) for key in PAIR_KEYS}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        if not self.multi_domain:
            checkpoint["ganzoo"]["pairs"] = self.pairs

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        self.pairs = (checkpoint.get("ganzoo") or {}).get("pairs") or self.pairs

    # ----------------------------------------------------------------- checks at setup
    def check_translator_shape(self, name: str, data_shape: tuple[int, ...]) -> Tensor:
        """The generator ``name`` must turn data-shaped images into data-shaped images; returns its probe."""
        network = getattr(self, name)
        probe = torch.zeros(2, *data_shape, device=network_device(network))
        with torch.no_grad(), eval_mode(network):
            try:
                made = tuple(network(probe).shape[1:])
            except RuntimeError as err:
                raise ValueError(
                    f"The {name} does not accept the data's shape {fmt_shape(data_shape)}: set its image_size/"
                    f"in_channels to match. ({str(err).splitlines()[0]})"
                ) from None
        if made != tuple(data_shape):
            raise ValueError(f"The data are {fmt_shape(data_shape)} but the {name} makes {fmt_shape(made)}")
        return probe
