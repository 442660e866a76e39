"""Paired image data for translation (pix2pix): each sample is a source image and the target it should become.

Two layouts, each with ``train/`` and ``test/`` splits under ``data_dir``:

* ``side_by_side`` (the pix2pix datasets, e.g. facades): one file per pair, two halves; ``left`` and
  ``right`` name what each half shows (facades: ``left: photo``, ``right: labels``).
* ``folders``: ``<split>/<name>/`` for each of the two names, pairs matched by file name.

The direction is named by what goes in and what comes out (``source: labels``, ``target: photo``), never an
A/B letter. Training batches get the papers' jitter on the device: resize to ``load_size`` (done once, when the
images are loaded), a random ``image_size`` crop and a random horizontal flip, the same for both images of a
pair (from the global RNG, which checkpoints keep, so resumed runs see the same crops). Test pairs are
resized straight to ``image_size``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.batch import Batch
from ganzoo.data.base import GANDataModule, to_unit_range
from ganzoo.data.images import IMAGE_EXTENSIONS, read_image

DATA_DIR_HINT = ": pass --data.init_args.data_dir (it holds train/ and test/)."
# the pix2pix authors' archives: each extracts to <name>/{train,val,test}/N.jpg
DOWNLOADS = {"facades": "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz"}


class PairedTensors(Dataset):
    """Source and target uint8 images in memory; a whole batch per lookup, as a named dict."""

    def __init__(self, sources: Tensor, targets: Tensor | None):
        self.sources, self.targets = sources, targets

    def __len__(self) -> int:
        return len(self.sources)

    def __getitems__(self, indices: list[int]) -> dict[str, Tensor]:
        index = torch.as_tensor(indices)
        if self.targets is None:  # unpaired: the DataModule draws the targets
            return {"images": self.sources[index]}
        return {"images": self.sources[index], "targets": self.targets[index]}


def image_files(folder: Path, missing: str = "") -> list[Path]:
    """The image files directly in ``folder``, sorted; a missing or empty folder is an error (``missing`` says
    what the user should pass instead)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"No folder {folder}{missing}")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not files:
        raise ValueError(f"{folder} holds no images ({', '.join(IMAGE_EXTENSIONS)}).")
    return files


def resize_image(image: Tensor, size: int) -> Tensor:
    """A uint8 (C, H, W) image resized to size × size (antialiased)."""
    from torchvision.transforms.v2.functional import resize

    return resize(image, [size, size], antialias=True)


def split_pair(image: Tensor, left: str, right: str, source: str, target: str) -> tuple[Tensor, Tensor]:
    """A side-by-side pair's (source, target) halves; ``left``/``right`` name what each half shows."""
    half = image.shape[-1] // 2
    halves = {left: image[..., :half], right: image[..., half : 2 * half]}
    return halves[source], halves[target]


class PairedImageDataModule(GANDataModule):
    """Pairs for pix2pix-style translation; ``source`` → ``target`` named by what the images show.

    Args:
        data_dir: the dataset folder (with ``train/`` and ``test/``).
        source, target: the names of what goes in and what comes out (facades: ``labels`` → ``photo``).
        layout: ``side_by_side`` or ``folders`` (see the module's docstring).
        left, right: what the halves of a side-by-side image show (facades: ``photo``, ``labels``).
        image_size: side of the square images the networks see.
        load_size: training images are resized to this, then randomly cropped to ``image_size``
            (default: the papers' 286/256 ratio); equal to ``image_size``: no crop.
        flip: random horizontal flips in training.
        channels: 3 (RGB) or 1 (grayscale), for both images.
        download: fetch the pix2pix authors' archive named by ``data_dir``'s last part (``…/facades``) when it
            is not there.
    """

    def __init__(
        self,
        data_dir: str,
        source: str = "labels",
        target: str = "photo",
        layout: Literal["side_by_side", "folders"] = "side_by_side",
        left: str = "photo",
        right: str = "labels",
        image_size: int = 256,
        load_size: int | None = None,
        flip: bool = True,
        channels: int = 3,
        batch_size: int = 1,
        num_workers: int = 0,
        download: bool = False,
    ):
        super().__init__(batch_size=batch_size, num_workers=num_workers, data_dir=data_dir)
        if layout not in ("side_by_side", "folders"):
            raise ValueError(f"layout must be 'side_by_side' or 'folders', got {layout!r}")
        names = (left, right) if layout == "side_by_side" else (source, target)
        if source == target or source not in names or target not in names:
            raise ValueError(
                f"source and target must be the two different things the pairs show ({names[0]!r} and {names[1]!r} "
                f"here), got source={source!r}, target={target!r}"
            )
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels}")
        self.source, self.target, self.layout, self.left, self.right = source, target, layout, left, right
        self.image_size, self.flip, self.channels, self.download = image_size, flip, channels, download
        self.load_size = load_size or round(image_size * 286 / 256)
        if self.load_size < image_size:
            raise ValueError(f"load_size ({self.load_size}) must be at least image_size ({image_size})")
        self._test: tuple[Tensor, Tensor] | None = None

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def read_split(self, split: str, size: int) -> tuple[Tensor, Tensor]:
        """All pairs of ``split`` as uint8 (N, C, size, size) sources and targets."""
        sources, targets = [], []
        if self.layout == "side_by_side":
            names = (self.left, self.right, self.source, self.target)
            for path in image_files(self.data_dir / split, DATA_DIR_HINT):
                source, target = split_pair(read_image(path, self.channels), *names)
                sources.append(resize_image(source, size))
                targets.append(resize_image(target, size))
        else:
            source_files = image_files(self.data_dir / split / self.source, DATA_DIR_HINT)
            target_folder = self.data_dir / split / self.target
            for path in source_files:
                if not (target_folder / path.name).is_file():
                    raise ValueError(f"{path.name} is in {path.parent} but not in {target_folder}: pairs match by name")
                sources.append(resize_image(read_image(path, self.channels), size))
                targets.append(resize_image(read_image(target_folder / path.name, self.channels), size))
        return torch.stack(sources), torch.stack(targets)

    def setup(self, stage: str | None = None) -> None:
        self.fetch_if_missing()
        if self.train_set is None:
            self.train_set = PairedTensors(*self.read_split("train", self.load_size))

    def fetch_if_missing(self) -> None:
        if self.download and not (self.data_dir / "train").is_dir():
            from torchvision.datasets.utils import download_and_extract_archive

            url = DOWNLOADS.get(self.data_dir.name)
            if url is None:
                raise ValueError(f"download=true knows {sorted(DOWNLOADS)}; {self.data_dir.name!r} is not one of them")
            download_and_extract_archive(url, str(self.data_dir.parent))

    def test_pairs(self) -> tuple[Tensor, Tensor]:
        """The test split's (sources, targets) in [-1, 1] at ``image_size``, no jitter."""
        if self._test is None:
            sources, targets = self.read_split("test", self.image_size)
            self._test = to_unit_range(sources), to_unit_range(targets)
        return self._test

    def augment(self, batch: Batch) -> Batch:
        return self.jitter(batch)

    def jitter(self, batch: Batch) -> Batch:
        """One random crop and flip per pair, the same for its source and target (global RNG, on the device)."""
        n, size = len(batch), self.image_size
        images, targets = batch.images, batch.targets
        if self.load_size > size:  # drawn on the CPU: no wait for the device
            corners = torch.randint(0, self.load_size - size + 1, (n, 2)).tolist()
            images = torch.stack([x[:, i : i + size, j : j + size] for x, (i, j) in zip(images, corners)])
            targets = torch.stack([x[:, i : i + size, j : j + size] for x, (i, j) in zip(targets, corners)])
        if self.flip:
            flipped = (torch.rand(n) < 0.5).view(n, 1, 1, 1).to(images.device)
            images = torch.where(flipped, images.flip(-1), images)
            targets = torch.where(flipped, targets.flip(-1), targets)
        return Batch(images, targets=targets)


class UnpairedImageDataModule(PairedImageDataModule):
    """Two domains without pairs (CycleGAN): each training source image meets a target-domain image drawn at
    random (as the CycleGAN code's unaligned dataset does), so the two are shuffled each on its own.

    The same layouts and names as ``PairedImageDataModule``; a paired dataset (facades) serves with its pairs
    broken in training, and its test pairs still score the translations. In ``folders`` training images need not
    match by name (test images do, to be scored against each other).
    """

    def setup(self, stage: str | None = None) -> None:
        self.fetch_if_missing()
        if self.train_set is None:
            sources, self.target_images = self.read_split("train", self.load_size, paired=False)
            self.train_set = PairedTensors(sources, None)

    def read_split(self, split: str, size: int, paired: bool = True) -> tuple[Tensor, Tensor]:
        if paired or self.layout == "side_by_side":
            return super().read_split(split, size)
        folders = (self.data_dir / split / self.source, self.data_dir / split / self.target)
        sources, targets = ([resize_image(read_image(p, self.channels), size) for p in image_files(f, DATA_DIR_HINT)]
                            for f in folders)  # fmt: skip
        return torch.stack(sources), torch.stack(targets)

    def augment(self, batch: Batch) -> Batch:
        """A target-domain image drawn at random for each source image, then the pair's jitter."""
        drawn = torch.randint(len(self.target_images), (len(batch),))  # the CPU's global RNG: checkpointed
        targets = to_unit_range(self.target_images[drawn].to(batch.images.device))
        return super().augment(Batch(batch.images, targets=targets))
