"""LightningDataModules: toy 2D mixtures, embedded digits, torchvision datasets, any image folder."""

from ganzoo.data.base import DATA_ENV, GANDataModule, default_data_dir
from ganzoo.data.images import (
    CIFAR10DataModule,
    DigitsDataModule,
    FashionMNISTDataModule,
    ImageFolderDataModule,
    MNISTDataModule,
    StackedMNISTDataModule,
)
from ganzoo.data.paired import PairedImageDataModule, UnpairedImageDataModule
from ganzoo.data.toy2d import GaussianMixture2D, Toy2DDataModule

__all__ = [
    "PairedImageDataModule",
    "UnpairedImageDataModule",
    "CIFAR10DataModule",
    "DATA_ENV",
    "DigitsDataModule",
    "FashionMNISTDataModule",
    "GANDataModule",
    "GaussianMixture2D",
    "ImageFolderDataModule",
    "MNISTDataModule",
    "StackedMNISTDataModule",
    "Toy2DDataModule",
    "default_data_dir",
]
