"""Architectures only: ``nn.Module`` classes with no training logic.

Convention: every constructor argument is stored as an attribute of the same name, so a
checkpoint can record how to rebuild the network (see ``ganzoo.models.hparams``). Generators expose
``latent_dim`` and ``output_shape``; discriminators expose ``input_shape``.
"""

from ganzoo.nets.began import BEGANAutoencoder, BEGANDecoder, MLPAutoencoder
from ganzoo.nets.conditional import (
    AuxiliaryClassifierDiscriminator,
    ConditionalDCGANDiscriminator,
    ConditionalDCGANGenerator,
    InfoGANDiscriminator,
)
from ganzoo.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from ganzoo.nets.minibatch import MinibatchDiscrimination
from ganzoo.nets.mlp import MLPDiscriminator, MLPGenerator
from ganzoo.nets.translation import PatchDiscriminator, ResNetTranslator, UNetGenerator
from ganzoo.nets.stargan import StarGANDiscriminator, StarGANGenerator
from ganzoo.nets.text_to_image import TextConditionalDiscriminator, TextConditionalGenerator
from ganzoo.nets.vae import ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder
from ganzoo.nets.sngan import ResNetDiscriminator, ResNetGenerator, SNGANDiscriminator, SNGANGenerator

__all__ = [
    "ConvDecoder",
    "ConvEncoder",
    "MLPDecoder",
    "MLPEncoder",
    "PatchDiscriminator",
    "StarGANDiscriminator",
    "StarGANGenerator",
    "TextConditionalDiscriminator",
    "TextConditionalGenerator",
    "ResNetTranslator",
    "UNetGenerator",
    "AuxiliaryClassifierDiscriminator",
    "ConditionalDCGANDiscriminator",
    "ConditionalDCGANGenerator",
    "InfoGANDiscriminator",
    "BEGANAutoencoder",
    "BEGANDecoder",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPAutoencoder",
    "MLPDiscriminator",
    "MLPGenerator",
    "MinibatchDiscrimination",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "SNGANDiscriminator",
    "SNGANGenerator",
]
