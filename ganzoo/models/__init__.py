"""One LightningModule per GAN variant, and the registry that names them."""

from ganzoo.models.base import GANModule
from ganzoo.models.began import BEGAN
from ganzoo.models.dcgan import DCGAN
from ganzoo.models.dragan import DRAGAN
from ganzoo.models.gan import GAN
from ganzoo.models.lsgan import LSGAN
from ganzoo.models.sngan import SNGAN
from ganzoo.models.unrolled import UnrolledGAN
from ganzoo.models.wgan import WGAN
from ganzoo.models.wgan_gp import WGANGP

# name → class: adding a variant is a model file, a config, a test and one line here.
MODELS: dict[str, type[GANModule]] = {
    "gan": GAN,
    "dcgan": DCGAN,
    "wgan": WGAN,
    "wgan_gp": WGANGP,
    "lsgan": LSGAN,
    "dragan": DRAGAN,
    "sngan": SNGAN,
    "began": BEGAN,
    "unrolled_gan": UnrolledGAN,
}

__all__ = ["BEGAN", "DCGAN", "DRAGAN", "GAN", "GANModule", "LSGAN", "MODELS", "SNGAN", "UnrolledGAN", "WGAN", "WGANGP"]
