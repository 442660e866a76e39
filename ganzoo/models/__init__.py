"""One LightningModule per variant, and the registry that names them.

``GenerativeModule`` (averaging, checkpoints, shipping) has two kinds: ``SamplingModule`` (noise → data: the GAN
family, conditional GANs, the VAE) and ``TranslatingModule`` (image → image: pix2pix, CycleGAN, StarGAN).
``AdversarialModule`` (named networks and optimizer groups, DDP routing, NaN guard, and the one training loop
with its hooks) is mixed into both: ``GANModule(AdversarialModule, SamplingModule)`` is the GAN family's base,
``Pix2Pix(AdversarialModule, TranslatingModule)`` a translator's.
"""

from ganzoo.models.acgan import ACGAN
from ganzoo.models.adversarial import AdversarialModule
from ganzoo.models.base import GANModule
from ganzoo.models.began import BEGAN
from ganzoo.models.cgan import CGAN
from ganzoo.models.cyclegan import CycleGAN
from ganzoo.models.dcgan import DCGAN
from ganzoo.models.dragan import DRAGAN
from ganzoo.models.gan import GAN
from ganzoo.models.gan_cls import GANCLS
from ganzoo.models.generative import GenerativeModule
from ganzoo.models.infogan import InfoGAN
from ganzoo.models.lsgan import LSGAN
from ganzoo.models.pix2pix import Pix2Pix
from ganzoo.models.sampling import SamplingModule
from ganzoo.models.sngan import SNGAN
from ganzoo.models.stargan import StarGAN
from ganzoo.models.translating import TranslatingModule
from ganzoo.models.unrolled import UnrolledGAN
from ganzoo.models.vae import VAE
from ganzoo.models.wgan import WGAN
from ganzoo.models.wgan_gp import WGANGP

# name → class: adding a variant is a model file, a config, a test and one line here.
MODELS: dict[str, type[GenerativeModule]] = {
    "gan": GAN,
    "dcgan": DCGAN,
    "wgan": WGAN,
    "wgan_gp": WGANGP,
    "lsgan": LSGAN,
    "dragan": DRAGAN,
    "sngan": SNGAN,
    "began": BEGAN,
    "unrolled_gan": UnrolledGAN,
    "cgan": CGAN,
    "acgan": ACGAN,
    "infogan": InfoGAN,
    "pix2pix": Pix2Pix,
    "cyclegan": CycleGAN,
    "stargan": StarGAN,
    "vae": VAE,
    "gan_cls": GANCLS,
}

__all__ = [
    "ACGAN", "BEGAN", "CGAN", "CycleGAN", "DCGAN", "InfoGAN", "DRAGAN", "GAN", "GANCLS", "LSGAN", "MODELS", "Pix2Pix", "SNGAN", "StarGAN", "WGAN", "WGANGP",
    "AdversarialModule", "GANModule", "GenerativeModule", "SamplingModule", "TranslatingModule", "UnrolledGAN", "VAE",
]  # fmt: skip
