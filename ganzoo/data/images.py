"""Image DataModules. Images are held as uint8 (N, C, H, W) and become float [-1, 1] on the device."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.data.base import GANDataModule, InMemoryTensors, to_unit_range


def resize_uint8(images: Tensor, size: int) -> Tensor:
    """Resize a uint8 (N, C, H, W) batch to size × size, bilinear with antialiasing, back to uint8."""
    if images.shape[-2:] == (size, size):
        return images
    out = F.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return out.round_().clamp_(0, 255).to(torch.uint8)


class InMemoryImageDataModule(GANDataModule):
    """Base for datasets small enough to keep in memory as one uint8 tensor.

    Args:
        image_size: side to resize to; default the dataset's own.
    """

    native_size: int = 0
    channels: int = 1
    classes: int | None = 10  # what the labels count: digits 0-9, clothing types, CIFAR-10 classes

    @property
    def num_classes(self) -> int | None:
        return self.classes

    def __init__(
        self, image_size: int | None = None, batch_size: int = 64, num_workers: int = 0, data_dir: str | None = None
    ):
        super().__init__(batch_size=batch_size, num_workers=num_workers, data_dir=data_dir)
        if image_size is not None and image_size < 1:
            raise ValueError(f"image_size must be positive, got {image_size}")
        self.image_size = image_size or self.native_size

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def load(self) -> tuple[Tensor, Tensor]:
        """uint8 images (N, C, H, W) at the native size and int64 labels."""
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            images, labels = self.load()
            self.train_set = InMemoryTensors(resize_uint8(images, self.image_size), labels)


class DigitsDataModule(InMemoryImageDataModule):
    """The 1,797 8×8 handwritten digits that scikit-learn ships (no download), resized to ``image_size``."""

    native_size = 8

    def __init__(self, image_size: int = 16, batch_size: int = 64, num_workers: int = 0, test_size: int = 0):
        super().__init__(image_size=image_size, batch_size=batch_size, num_workers=num_workers)
        if not 0 <= test_size < 1797:
            raise ValueError(f"test_size must be between 0 and 1,796 of the 1,797 digits, got {test_size}")
        self.test_size = test_size

    def load(self) -> tuple[Tensor, Tensor]:
        """The first 1,797 − ``test_size`` digits; the last ``test_size`` are held out (``test_images``)."""
        images, labels = self.all_digits()
        return images[: len(images) - self.test_size], labels[: len(labels) - self.test_size]

    def test_images(self) -> Tensor:
        """The held-out digits at ``image_size``, in ganzoo's [-1, 1]."""
        images = self.all_digits()[0]
        return to_unit_range(resize_uint8(images[len(images) - self.test_size :], self.image_size))

    @staticmethod
    def all_digits() -> tuple[Tensor, Tensor]:
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = torch.from_numpy(digits.images).float().mul(255 / 16).round().to(torch.uint8)
        return images.unsqueeze(1), torch.from_numpy(digits.target).long()


class TorchvisionDataModule(InMemoryImageDataModule):
    """A torchvision dataset under ``data_dir`` (downloaded there when ``download`` and a network allow).

    Args:
        download: fetch the files if they are missing.
        train: the training split (else the test split).
    """

    dataset_name = ""

    def __init__(
        self,
        data_dir: str | None = None,
        image_size: int | None = None,
        download: bool = True,
        train: bool = True,
        batch_size: int = 64,
        num_workers: int = 0,
    ):
        super().__init__(image_size=image_size, batch_size=batch_size, num_workers=num_workers, data_dir=data_dir)
        self.download = download
        self.train = train

    def _dataset(self, download: bool) -> Any:
        import torchvision

        cls = getattr(torchvision.datasets, self.dataset_name)
        try:
            return cls(str(self.data_dir), train=self.train, download=download)
        except RuntimeError as err:
            if "not found" in str(err).lower():
                raise FileNotFoundError(
                    f"{self.dataset_name} is not under {self.data_dir}. Pass --data.init_args.data_dir with the folder "
                    f"that holds it (torchvision layout), set $GANZOO_DATA, or allow download=true with internet."
                ) from None
            raise
        except OSError as err:  # URLError, timeouts, refused connections
            raise RuntimeError(
                f"Could not download {self.dataset_name} into {self.data_dir} ({err}). Without internet, put the "
                f"files there in torchvision's layout and pass --data.init_args.data_dir."
            ) from None

    def prepare_data(self) -> None:
        if self.download:
            self._dataset(download=True)

    def load(self) -> tuple[Tensor, Tensor]:
        dataset = self._dataset(download=False)
        images = torch.as_tensor(dataset.data)
        images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
        return images.contiguous(), torch.as_tensor(dataset.targets).long()


class MNISTDataModule(TorchvisionDataModule):
    """MNIST, 60,000 training digits, 1 × 28 × 28."""

    dataset_name, native_size, channels = "MNIST", 28, 1


class FashionMNISTDataModule(TorchvisionDataModule):
    """Fashion-MNIST, 60,000 training images of clothing, 1 × 28 × 28."""

    dataset_name, native_size, channels = "FashionMNIST", 28, 1


class StackedDigits(Dataset):
    """Three digits as the three channels of one image; the label is the mode, 100·a + 10·b + c.

    The triples are drawn once, with replacement, from a seeded generator, so the dataset is fixed.
    """

    def __init__(self, images: Tensor, labels: Tensor, length: int, seed: int = 0):
        if images.shape[1] != 1:
            raise ValueError(f"stacking needs 1-channel digits, got {images.shape[1]} channels")
        self.images, self.labels = images, labels
        self.triples = torch.randint(len(images), (length, 3), generator=torch.Generator().manual_seed(seed))

    def __len__(self) -> int:
        return len(self.triples)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        triple = self.triples[index]
        digits = self.labels[triple]
        return self.images[triple, 0], digits[0] * 100 + digits[1] * 10 + digits[2]


class StackedMNISTDataModule(MNISTDataModule):
    """Stacked MNIST (VEEGAN, Srivastava et al. 2017): 3 × 28 × 28 images whose channels are three
    random MNIST digits, 1,000 modes. ``length`` stacked images, drawn with ``seed``."""

    channels = 3
    classes = 1000  # the label is the mode, 100·a + 10·b + c

    def __init__(
        self,
        data_dir: str | None = None,
        image_size: int | None = None,
        length: int = 60000,
        seed: int = 0,
        download: bool = True,
        train: bool = True,
        batch_size: int = 64,
        num_workers: int = 0,
    ):
        super().__init__(data_dir, image_size, download, train, batch_size, num_workers)
        self.length, self.seed = length, seed

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            images, labels = self.load()
            self.train_set = StackedDigits(resize_uint8(images, self.image_size), labels, self.length, self.seed)


class CIFAR10DataModule(TorchvisionDataModule):
    """CIFAR-10, 50,000 training images, 3 × 32 × 32."""

    dataset_name, native_size, channels = "CIFAR10", 32, 3


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm")


def read_image(path: Path, channels: int) -> Tensor:
    """An image file as a uint8 (C, H, W) tensor, grayscale for ``channels == 1``; an unreadable file is a
    ``ValueError`` that names it."""
    from PIL import Image, UnidentifiedImageError
    from torchvision.transforms.v2.functional import pil_to_tensor

    try:
        with Image.open(path) as image:
            return pil_to_tensor(image.convert("L" if channels == 1 else "RGB"))
    except (OSError, UnidentifiedImageError) as err:
        raise ValueError(f"Cannot read image {path}: {err}. Remove or replace the file.") from None


class ImageFiles(Dataset):
    """Every image file under ``root`` (recursively); the first-level subfolder, if any, is the label."""

    def __init__(self, root: Path, image_size: int, channels: int):
        from torchvision.transforms import v2

        if not root.is_dir():
            raise FileNotFoundError(f"Image folder {root} does not exist: pass --data.init_args.data_dir.")
        self.files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
        if not self.files:
            raise ValueError(f"Image folder {root} holds no images ({', '.join(IMAGE_EXTENSIONS)}).")
        classes = sorted({p.relative_to(root).parts[0] for p in self.files if len(p.relative_to(root).parts) > 1})
        self.class_index = {c: i for i, c in enumerate(classes)}
        self.root, self.channels = root, channels
        self.transform = v2.Compose([v2.Resize(image_size, antialias=True), v2.CenterCrop(image_size)])

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        path = self.files[index]
        pixels = self.transform(read_image(path, self.channels))
        parts = path.relative_to(self.root).parts
        return pixels, self.class_index.get(parts[0], 0) if len(parts) > 1 else 0


class ImageFolderDataModule(GANDataModule):
    """Any folder of images (flat, or one subfolder per class), resized and centre-cropped to ``image_size``.

    Args:
        data_dir: the folder (required).
        image_size: side of the square images the networks see.
        channels: 3 (RGB) or 1 (grayscale).
    """

    def __init__(
        self, data_dir: str, image_size: int = 64, channels: int = 3, batch_size: int = 64, num_workers: int = 2
    ):
        super().__init__(batch_size=batch_size, num_workers=num_workers, data_dir=data_dir)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels}")
        self.image_size = image_size
        self.channels = channels

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    @property
    def num_classes(self) -> int | None:
        """The number of class subfolders (known after ``setup``); ``None`` for a flat folder."""
        return len(self.train_set.class_index) or None if self.train_set is not None else None

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = ImageFiles(self.data_dir, self.image_size, self.channels)
