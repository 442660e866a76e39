"""CelebA with selected binary attributes as StarGAN's domains (Liu et al. 2015; Choi et al. 2018).

torchvision's layout under ``data_dir``: ``celeba/img_align_celeba/*.jpg``, ``celeba/list_attr_celeba.txt`` (a
count, the 40 attribute names, then one row per file of ±1) and ``celeba/list_eval_partition.txt`` (file → 0
train, 1 valid, 2 test). ``download: true`` fetches them with torchvision (Google Drive; needs ``gdown``). Images
are read from disk per batch: centre-cropped to ``crop_size`` (178, the authors'), resized to ``image_size`` (128),
flipped at random in training (on the device, from the checkpointed RNG). Labels are the selected attributes as
0/1 floats, so StarGAN's domain loss is the binary cross-entropy over attributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.batch import Batch
from ganzoo.data.base import GANDataModule
from ganzoo.data.images import read_image

STARGAN_ATTRIBUTES = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]
SPLITS = {"train": 0, "valid": 1, "test": 2}


def read_attributes(folder: Path) -> tuple[list[str], dict[str, list[int]]]:
    """``list_attr_celeba.txt`` → (attribute names, file → ±1 values); a malformed file is a one-line error."""
    path = folder / "list_attr_celeba.txt"
    try:
        lines = path.read_text().splitlines()
        names = lines[1].split()
        rows = {}
        for number, line in enumerate(lines[2:], start=3):
            parts = line.split()
            if len(parts) != len(names) + 1:
                raise ValueError(f"line {number} has {len(parts) - 1} values for {len(names)} attributes")
            rows[parts[0]] = [int(v) for v in parts[1:]]
    except (IndexError, ValueError) as err:
        raise ValueError(f"{path} is not CelebA's attribute list ({err})") from None
    return names, rows


def read_partition(folder: Path) -> dict[str, int]:
    """``list_eval_partition.txt`` → file → 0/1/2 (train/valid/test)."""
    path = folder / "list_eval_partition.txt"
    try:
        rows = (line.split() for line in path.read_text().splitlines() if line.strip())
        return {name: int(split) for name, split in rows}
    except ValueError as err:
        raise ValueError(f"{path} is not CelebA's partition list ({err})") from None


class CelebAFaces(Dataset):
    """Face files with their attribute rows; each item a dict of a uint8 image and 0/1 float labels."""

    def __init__(self, files: list[Path], labels: Tensor, crop_size: int, image_size: int):
        from torchvision.transforms import v2

        self.files, self.labels = files, labels
        self.transform = v2.Compose([v2.CenterCrop(crop_size), v2.Resize(image_size, antialias=True)])

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        return {"images": self.transform(read_image(self.files[index], 3)), "labels": self.labels[index]}


class CelebADataModule(GANDataModule):
    """CelebA faces with ``attributes`` as multi-label domains (default: StarGAN's hair colours, sex and age).

    Args:
        data_dir: the folder holding ``celeba/`` (torchvision's layout; default ``$GANZOO_DATA``).
        attributes: CelebA attribute names, each one domain bit.
        image_size, crop_size: centre crop, then resize (178 → 128 in the paper).
        split: ``train``, ``valid`` or ``test``.
        flip: random horizontal flips in training.
        download: fetch CelebA with torchvision when it is missing.
    """

    multi_label = True

    def __init__(
        self,
        data_dir: str | None = None,
        attributes: list[str] = tuple(STARGAN_ATTRIBUTES),  # type: ignore[assignment]
        image_size: int = 128,
        crop_size: int = 178,
        split: str = "train",
        flip: bool = True,
        download: bool = False,
        batch_size: int = 16,
        num_workers: int = 4,
    ):
        super().__init__(batch_size=batch_size, num_workers=num_workers, data_dir=data_dir)
        if split not in SPLITS:
            raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
        if not attributes:
            raise ValueError("attributes must name at least one CelebA attribute")
        self.attributes, self.image_size, self.crop_size = list(attributes), image_size, crop_size
        self.split, self.flip, self.download = split, flip, download

    @property
    def folder(self) -> Path:
        return self.data_dir / "celeba"

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (3, self.image_size, self.image_size)

    @property
    def num_classes(self) -> int:
        return len(self.attributes)

    @property
    def domain_names(self) -> list[str]:
        return list(self.attributes)

    def domain_spec(self) -> dict[str, Any]:
        options = {"attributes": self.attributes, "image_size": self.image_size, "crop_size": self.crop_size}
        return {"class_path": f"{type(self).__module__}.{type(self).__name__}", "init_args": options}

    def prepare_data(self) -> None:
        if self.download and not (self.folder / "list_attr_celeba.txt").exists():
            import torchvision

            try:
                torchvision.datasets.CelebA(str(self.data_dir), split="all", target_type="attr", download=True)
            except (OSError, RuntimeError) as err:
                raise RuntimeError(
                    f"Could not download CelebA into {self.data_dir} ({err}); put it there in torchvision's layout "
                    "(celeba/img_align_celeba, list_attr_celeba.txt, …)."
                ) from None

    def faces(self, split: str) -> CelebAFaces:
        """The faces of ``split`` with the selected attributes."""
        images = self.folder / "img_align_celeba"
        if not images.is_dir():
            raise FileNotFoundError(
                f"No CelebA under {self.data_dir} (expected {images}): pass --data.init_args.data_dir with the folder "
                "holding celeba/, or download: true"
            )
        names, rows = read_attributes(self.folder)
        unknown = [a for a in self.attributes if a not in names]
        if unknown:
            raise ValueError(f"unknown CelebA attributes {unknown}; choose from {names}")
        columns = [names.index(a) for a in self.attributes]
        partition = read_partition(self.folder)
        chosen = sorted(f for f, s in partition.items() if s == SPLITS[split] and f in rows)
        if not chosen:
            raise ValueError(f"CelebA's partition list has no {split} images with attributes")
        labels = torch.tensor([[rows[f][c] > 0 for c in columns] for f in chosen], dtype=torch.float32)
        return CelebAFaces([images / f for f in chosen], labels, self.crop_size, self.image_size)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = self.faces(self.split)

    def test_domains(self, n: int = 8) -> tuple[Tensor, Tensor]:
        """Sources for sample grids: the first ``n`` test faces in [-1, 1] and their attributes."""
        test = self.faces("test")
        items = [test[i] for i in range(min(n, len(test)))]
        images = torch.stack([item["images"] for item in items]).float().div(127.5).sub(1)
        return images, torch.stack([item["labels"] for item in items])

    def augment(self, batch: Batch) -> Batch:
        """A random horizontal flip per face (the authors' training transform)."""
        if self.flip:
            flipped = torch.rand(len(batch), device=batch.images.device) < 0.5
            batch = batch.with_images(torch.where(flipped.view(-1, 1, 1, 1), batch.images.flip(-1), batch.images))
        return batch
