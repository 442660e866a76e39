"""Captioned images for text-to-image models: digits whose captions a program can check, and users' own folders.

``CaptionedDigitsDataModule``: the MNIST domains of ``ganzoo.data.domains`` (stroke thickness × ink colour), each
image captioned from its three attributes — digit, thickness, colour — in several templates, so the text varies
for the same content ("a thick red seven", "the digit 7, drawn thick in red", "red, bold: 7"). Every attribute is
measurable back from the pixels (``ganzoo.metrics.captions``). ``held_out`` combinations ("7 thick red") are left
out of training, images and captions both, to ask whether the model composes attributes it saw apart.

``CaptionedImageFolderDataModule``: ``root/<name>.png`` (or .jpg) beside ``root/<name>.txt`` with one caption a
line, the layout of the CUB-200 and Oxford-102 caption sets (Reed et al. 2016).

Batches carry an attribute-set index as ``labels`` (for a folder: the image's index); in training each image gets
one of its set's captions at random as ``text`` and a caption of another set as ``wrong_text``, both as embeddings
from the model's ``text_encoder``, computed once per dataset and cached (``ganzoo.text.embed_cached``).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from pathlib import Path
from typing import Any, Literal

import torch
from torch import Tensor

from ganzoo.batch import Batch
from ganzoo.data.base import GANDataModule, InMemoryTensors
from ganzoo.data.domains import MNISTDomainsDataModule
from ganzoo.data.images import read_image, resize_uint8
from ganzoo.text import HashingBagOfWords, embed_cached

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
THICKNESS_WORDS = {"thin": ("thin", "fine", "light"), "original": ("regular", "plain", "normal"),
                   "thick": ("thick", "bold", "heavy")}  # fmt: skip
TEMPLATES = (
    "a {thickness} {colour} {word}",
    "the digit {digit}, drawn {thickness} in {colour}",
    "{colour}, {thickness}: {digit}",
    "a {word} written in {thickness} {colour} strokes",
    "{thickness} {colour} number {digit}",
    "a {colour} {word} with {thickness} lines",
)


def caption(digit: int, thickness: str, colour: str, template: int) -> str:
    """Template ``template`` for one attribute set (its thickness synonym cycles with the template)."""
    words = THICKNESS_WORDS[thickness]
    return TEMPLATES[template].format(
        digit=digit, word=NUMBER_WORDS[digit], thickness=words[template % len(words)], colour=colour
    )


class CaptionTable:
    """Mixin for a DataModule whose ``labels`` index caption sets: ``captions()`` lists each set's captions;
    ``augment`` gives each training image a random caption of its set and one of another set (global RNG)."""

    training_sets: Tensor | None = None  # the sets whose captions training may show (None: all)
    trainer: Any

    def captions(self) -> list[list[str]]:
        raise NotImplementedError

    def caption_table(self, encoder: Callable | None = None) -> tuple[Tensor, Tensor]:
        """Float (sets, most captions, dim) embeddings (padded with zeros) and each set's caption count."""
        encoder = encoder or self.text_encoder()
        key = getattr(encoder, "cache_key", None) or id(encoder)
        if getattr(self, "_table_key", None) != key:
            per_set = self.captions()
            flat = [text for texts in per_set for text in texts]
            embeddings, _ = embed_cached(encoder, flat)
            table = torch.zeros(len(per_set), max(len(t) for t in per_set), embeddings.shape[1])
            counts = torch.tensor([len(t) for t in per_set])
            start = 0
            for index, texts in enumerate(per_set):
                table[index, : len(texts)] = embeddings[start : start + len(texts)]
                start += len(texts)
            self._table, self._table_key = (table, counts), key
        return self._table

    def text_encoder(self) -> Callable:
        """The encoder of the model being trained (its ``text_encoder``), else the default bag of words."""
        model = getattr(getattr(self, "trainer", None), "lightning_module", None)
        encoder = getattr(model, "text_encoder", None)
        if encoder is None:
            encoder = self.__dict__.setdefault("_default_encoder", HashingBagOfWords())
        return encoder

    def augment(self, batch: Batch) -> Batch:
        """``text``: a random caption of each image's set; ``wrong_text``: a random caption of another set that
        training may show. Drawn on the CPU from the global RNG (checkpoints keep it)."""
        table, counts = self.caption_table()
        sets = batch.labels.cpu()
        n = len(sets)
        allowed = self.training_sets if self.training_sets is not None else torch.arange(len(table))
        if len(allowed) < 2:
            raise ValueError("captioned training needs at least two caption sets: a wrong caption needs another set")
        others = self.wrong_sets(sets, allowed)
        right = table[sets, (torch.rand(n) * counts[sets]).long()]
        wrong = table[others, (torch.rand(n) * counts[others]).long()]
        device = batch.images.device
        return Batch(batch.images, labels=batch.labels, text=right.to(device), wrong_text=wrong.to(device))


    def wrong_sets(self, sets: Tensor, allowed: Tensor) -> Tensor:
        """For each set, one of the ``allowed`` sets other than itself, uniformly."""
        return other_sets(sets, allowed)


def other_sets(sets: Tensor, allowed: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """For each set, a random one of the sorted ``allowed`` sets other than itself (any of them for a set not in
    ``allowed``): its place in ``allowed`` shifted by 1 … len − 1, drawn from ``generator`` or the global RNG."""
    position = torch.searchsorted(allowed, sets)
    return allowed[(position + torch.randint(1, len(allowed), (len(sets),), generator=generator)) % len(allowed)]


def parse_combination(text: str) -> tuple[int, str, str]:
    """``"7 thick red"`` → (7, "thick", "red"), or a clear error."""
    parts = str(text).split()
    if len(parts) != 3 or not parts[0].isdigit() or int(parts[0]) > 9:
        raise ValueError(f"a held-out combination is 'DIGIT THICKNESS COLOUR', e.g. '7 thick red', got {text!r}")
    return int(parts[0]), parts[1], parts[2]


class CaptionedDigitsDataModule(CaptionTable, MNISTDomainsDataModule):
    """MNIST digits in thickness × colour domains with generated captions; ``labels`` index (digit, domain) sets.

    Args:
        held_out: attribute combinations left out of training, as ``"DIGIT THICKNESS COLOUR"``.
        wrong_captions: ``another_set`` (the paper's: a caption of any other set) or ``one_attribute`` (a caption
            whose set differs in exactly one attribute, each attribute as often: a discriminator that rejects
            every wrong caption must then check the digit too, not only the colour that most sets differ in).
        (the rest as ``MNISTDomainsDataModule``)
    """

    def __init__(
        self,
        data_dir: str | None = None,
        thicknesses: list[str] = ("thin", "thick"),  # type: ignore[assignment]
        colours: list[str] = ("red", "green", "blue"),  # type: ignore[assignment]
        seed: int = 0,
        limit: int | None = None,
        download: bool = True,
        train: bool = True,
        batch_size: int = 64,
        num_workers: int = 0,
        held_out: list[str] = (),  # type: ignore[assignment]
        wrong_captions: Literal["another_set", "one_attribute"] = "another_set",
    ):
        super().__init__(data_dir, thicknesses, colours, seed, limit, download, train, batch_size, num_workers)
        if wrong_captions not in ("another_set", "one_attribute"):
            raise ValueError(f"wrong_captions must be 'another_set' or 'one_attribute', got {wrong_captions!r}")
        self.wrong_captions = wrong_captions
        self.held_out = [" ".join(map(str, parse_combination(c))) for c in held_out]
        for digit, thickness, colour in map(parse_combination, self.held_out):
            if thickness not in self.thicknesses or colour not in self.colours:
                raise ValueError(f"held-out {digit} {thickness} {colour}: not one of this set's domains")
        held = {self.set_index(*parse_combination(c)) for c in self.held_out}
        self.training_sets = torch.tensor([s for s in range(self.num_sets) if s not in held])

    @property
    def num_sets(self) -> int:
        return 10 * len(self.domain_names)

    def set_index(self, digit: int, thickness: str, colour: str) -> int:
        """The caption set of one (digit, thickness, colour): ``digit × domains + domain``."""
        return digit * len(self.domain_names) + self.domain_names.index(f"{thickness}-{colour}")

    def attributes(self, index: int) -> tuple[int, str, str]:
        """(digit, thickness, colour) of caption set ``index``."""
        digit, domain = divmod(index, len(self.domain_names))
        thickness, colour = list(product(self.thicknesses, self.colours))[domain]
        return digit, thickness, colour

    def captions(self) -> list[list[str]]:
        return [[caption(*self.attributes(s), t) for t in range(len(TEMPLATES))] for s in range(self.num_sets)]

    def wrong_sets(self, sets: Tensor, allowed: Tensor) -> Tensor:
        if self.wrong_captions == "another_set":
            return super().wrong_sets(sets, allowed)
        n, sizes = len(sets), torch.tensor([10, len(self.thicknesses), len(self.colours)])
        digit, domain = sets // len(self.domain_names), sets % len(self.domain_names)
        values = torch.stack([digit, domain // len(self.colours), domain % len(self.colours)], 1)
        changed = torch.randint(3, (n,))  # which attribute differs, then a value other than its own
        shift = (torch.rand(n) * (sizes[changed] - 1)).long() + 1
        values[torch.arange(n), changed] = (values[torch.arange(n), changed] + shift) % sizes[changed]
        others = values[:, 0] * len(self.domain_names) + values[:, 1] * len(self.colours) + values[:, 2]
        unseen = ~torch.isin(others, allowed)  # a held-out combination: any other training set instead
        return torch.where(unseen, super().wrong_sets(sets, allowed), others)

    def domain_spec(self) -> dict[str, Any]:
        spec = super().domain_spec()
        spec["init_args"]["held_out"] = list(self.held_out)
        return spec

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            images, domains = self.load()
            sets = self.digits * len(self.domain_names) + domains
            kept = torch.isin(sets, self.training_sets)  # held-out combinations never reach training
            self.train_set = InMemoryTensors(images[kept], sets[kept])

    def test_set_captioned(self, n: int | None = None) -> tuple[Tensor, Tensor]:
        """The first ``n`` test images (uint8, every combination, held-out ones too) and their caption sets."""
        images, domains, digits = self.test_set(n)
        return images, digits * len(self.domain_names) + domains


class CaptionedImageFolderDataModule(CaptionTable, GANDataModule):
    """``root/*.png|jpg`` each with ``root/<stem>.txt`` (one caption a line); ``labels`` are image indices.

    Args:
        root: the folder. image_size: square side the images are resized to. channels: 1 or 3.
    """

    def __init__(self, root: str, image_size: int = 64, channels: int = 3, batch_size: int = 64, num_workers: int = 0):
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        self.root, self.image_size, self.channels = Path(root).expanduser(), image_size, channels
        self._captions: list[list[str]] | None = None

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def files(self) -> list[tuple[Path, Path]]:
        if not self.root.is_dir():
            raise ValueError(f"caption folder {self.root} does not exist: give a folder of images with .txt captions")
        images = sorted(p for p in self.root.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        missing = [p.name for p in images if not p.with_suffix(".txt").is_file()]
        if not images or missing:
            raise ValueError(f"{self.root}: every image needs a .txt of captions beside it; "
                             f"{'no images' if not images else 'none for ' + ', '.join(missing[:3])}")  # fmt: skip
        return [(p, p.with_suffix(".txt")) for p in images]

    def captions(self) -> list[list[str]]:
        if self._captions is None:
            per_image = []
            for _, text_file in self.files():
                lines = [line.strip() for line in text_file.read_text(errors="replace").splitlines() if line.strip()]
                if not lines:
                    raise ValueError(f"{text_file} has no caption: one caption a line")
                per_image.append(lines)
            self._captions = per_image
        return self._captions

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            files = self.files()
            images = torch.stack([resize_uint8(read_image(p, self.channels)[None], self.image_size)[0] for p, _ in files])
            self.train_set = InMemoryTensors(images, torch.arange(len(files)))
