"""ganzoo: a PyTorch Lightning model zoo of generative adversarial networks."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"


def list_models() -> list[str]:
    """Names of the GAN variants ganzoo implements (``ganzoo.models.MODELS``)."""
    from ganzoo.models import MODELS

    return sorted(MODELS)


def load(spec: str | Path, map_location: str = "cpu"):  # noqa: ANN201
    """A trained model, in eval mode, from a local checkpoint path.

    The checkpoint is read with ``weights_only=True``; its model class is the one it was saved from.
    """
    from ganzoo.models.base import GANModule

    return GANModule.load_from_checkpoint(spec, map_location=map_location).eval()


__all__ = ["__version__", "list_models", "load"]
