"""One LightningModule per GAN variant, and the registry that names them."""

from ganzoo.models.base import GANModule
from ganzoo.models.dcgan import DCGAN
from ganzoo.models.gan import GAN

# name → class: adding a variant is a model file, a config, a test and one line here.
MODELS: dict[str, type[GANModule]] = {
    "gan": GAN,
    "dcgan": DCGAN,
}

__all__ = ["DCGAN", "GAN", "GANModule", "MODELS"]
