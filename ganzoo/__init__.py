"""ganzoo: a PyTorch Lightning model zoo of generative adversarial networks."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

__version__ = "0.1.0"


def _is_not_an_advert(record: logging.LogRecord) -> bool:
    """Lightning's "💡 Tip: … try installing litlogger/litmodels" lines are adverts, not diagnostics."""
    return not str(record.msg).startswith("💡 Tip")


for _name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero",
              "pytorch_lightning.utilities.rank_zero", "lightning_fabric.utilities.rank_zero"):
    logging.getLogger(_name).addFilter(_is_not_an_advert)
# Lightning 2.6's own pytree helper trips torch 2.14's LeafSpec deprecation on every run; nothing a user can act on.
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")


def list_models() -> list[dict[str, Any]]:
    """The pretrained models ganzoo registers, each a model card: name, command, steps, metrics, SHA-256.

    The GAN variants themselves are ``ganzoo.models.MODELS``.
    """
    from ganzoo.zoo import registry

    return [{"name": name, **card} for name, card in sorted(registry().items())]


def load(spec: str | Path, map_location: str = "cpu"):  # noqa: ANN201
    """A trained model in eval mode, sampling from its averaged generator when it has one.

    ``spec`` is a registered name (``"dcgan-mnist"``, see ``list_models()``), a local checkpoint path,
    an ``https://`` URL (downloaded once into the torch hub cache, SHA-256 checked), or a W&B artifact
    ``"wandb:entity/project/name:alias"``. Files are read with ``weights_only=True``; the model class
    is the one the checkpoint was saved from.
    """
    from ganzoo.models.generative import GenerativeModule
    from ganzoo.zoo import resolve

    return GenerativeModule.load_from_checkpoint(resolve(spec), map_location=map_location).eval()


__all__ = ["__version__", "list_models", "load"]
