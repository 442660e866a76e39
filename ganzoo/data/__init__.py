"""LightningDataModules: toy 2D mixtures, embedded digits, torchvision datasets, any image folder, paired and
unpaired translation data, multi-domain digits and CelebA."""

from ganzoo.data.base import DATA_ENV, GANDataModule, default_data_dir
from ganzoo.data.images import (
    CIFAR10DataModule,
    DigitsDataModule,
    FashionMNISTDataModule,
    ImageFolderDataModule,
    MNISTDataModule,
    StackedMNISTDataModule,
)
from ganzoo.data.captions import CaptionedDigitsDataModule, CaptionedImageFolderDataModule
from ganzoo.data.celeba import CelebADataModule
from ganzoo.data.domains import MNISTDomainsDataModule
from ganzoo.data.paired import PairedImageDataModule, UnpairedImageDataModule
from ganzoo.data.toy2d import GaussianMixture2D, Toy2DDataModule

__all__ = [
    "PairedImageDataModule",
    "UnpairedImageDataModule",
    "CIFAR10DataModule",
    "CaptionedDigitsDataModule",
    "CaptionedImageFolderDataModule",
    "CelebADataModule",
    "DATA_ENV",
    "DigitsDataModule",
    "FashionMNISTDataModule",
    "GANDataModule",
    "GaussianMixture2D",
    "ImageFolderDataModule",
    "MNISTDataModule",
    "MNISTDomainsDataModule",
    "StackedMNISTDataModule",
    "Toy2DDataModule",
    "default_data_dir",
]
