"""Multi-domain digits for StarGAN: MNIST drawn in stroke-thickness and colour domains, offline and measurable.

Thickness is changed by grey-scale morphology, as Morpho-MNIST (Castro et al. 2019) thins and thickens MNIST:
each digit is upsampled 4× (bilinear), eroded with a 5×5 (``thin``) or dilated with a 7×7 (``thick``) max filter
and area-averaged back to 28 × 28, so strokes lose about 0.5 px or gain about 0.75 px a side (``original``: as
MNIST draws it). The ink x ∈ [0, 1] is then coloured: the pixel becomes x·rgb on black. A domain is one
(thickness, colour) pair, named ``thick-red``; every image gets one domain, drawn once from a seeded generator
(the test split from another seed), so the set is fixed. Batches carry the domain as ``labels``; the digits are
kept (``digits``) to score whether a translation kept its content.
"""

from __future__ import annotations

from itertools import product
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.data.images import MNISTDataModule

COLOURS = {
    "white": (1, 1, 1), "red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1),
    "yellow": (1, 1, 0), "cyan": (0, 1, 1), "magenta": (1, 0, 1),
}  # fmt: skip
THICKNESSES = ("thin", "original", "thick")
UPSAMPLE = 4


def change_thickness(digits: Tensor, thickness: str, chunk: int = 2000) -> Tensor:
    """Float (N, 1, H, W) ink in [0, 1] thinned (5×5 erosion at 4×), thickened (7×7 dilation at 4×) or kept."""
    if thickness not in THICKNESSES:
        raise ValueError(f"thickness must be one of {list(THICKNESSES)}, got {thickness!r}")
    if thickness == "original":
        return digits
    size, out = digits.shape[-1], []
    for part in digits.split(chunk):
        large = F.interpolate(part, scale_factor=UPSAMPLE, mode="bilinear", align_corners=False)
        if thickness == "thin":
            large = -F.max_pool2d(-large, 5, 1, 2)
        else:
            large = F.max_pool2d(large, 7, 1, 3)
        out.append(F.interpolate(large, size=(size, size), mode="area"))
    return torch.cat(out)


def draw_in_domain(digits: Tensor, thickness: str, colour: str) -> Tensor:
    """uint8 (N, 1, H, W) grey digits → uint8 (N, 3, H, W) digits of that thickness and colour."""
    if colour not in COLOURS:
        raise ValueError(f"colour must be one of {sorted(COLOURS)}, got {colour!r}")
    ink = change_thickness(digits.float() / 255, thickness)
    rgb = torch.tensor(COLOURS[colour], dtype=torch.float32).view(1, 3, 1, 1)
    return (ink * rgb * 255).round().clamp(0, 255).to(torch.uint8)


class MNISTDomainsDataModule(MNISTDataModule):
    """MNIST in ``len(thicknesses) × len(colours)`` domains (default 6: thin/thick × red/green/blue), 3 × 28 × 28.

    Args:
        thicknesses: from ``thin``, ``original``, ``thick``.
        colours: from ``white``, ``red``, ``green``, ``blue``, ``yellow``, ``cyan``, ``magenta``.
        seed: draws each image's domain (the test split uses ``seed + 1``).
        limit: keep only the first ``limit`` images of the split (quick runs and tests).
        (the rest as ``MNISTDataModule``)
    """

    channels = 3

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
    ):
        super().__init__(data_dir, None, download, train, batch_size, num_workers)
        thicknesses, colours = list(thicknesses), list(colours)
        unknown = [t for t in thicknesses if t not in THICKNESSES] + [c for c in colours if c not in COLOURS]
        if unknown or not thicknesses or not colours:
            raise ValueError(
                f"unknown or missing domains {unknown}: thicknesses from {list(THICKNESSES)}, "
                f"colours from {sorted(COLOURS)}"
            )
        repeated = len(set(thicknesses)) < len(thicknesses) or len(set(colours)) < len(colours)
        if repeated or len(thicknesses) * len(colours) < 2:
            raise ValueError("thicknesses and colours must not repeat and must make at least two domains")
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        self.thicknesses, self.colours, self.seed, self.limit = thicknesses, colours, seed, limit
        self.digits: Tensor | None = None

    @property
    def domain_names(self) -> list[str]:
        """``thickness-colour`` for each domain index."""
        return [f"{t}-{c}" for t, c in product(self.thicknesses, self.colours)]

    @property
    def num_classes(self) -> int:
        return len(self.domain_names)

    def domain_spec(self) -> dict[str, Any]:
        """What rebuilds this set's test split (kept in a StarGAN checkpoint for ``ganzoo evaluate``)."""
        return {"class_path": f"{type(self).__module__}.{type(self).__name__}",
                "init_args": {"thicknesses": self.thicknesses, "colours": self.colours, "seed": self.seed}}  # fmt: skip

    def load(self) -> tuple[Tensor, Tensor]:
        """uint8 (N, 3, 28, 28) images in their domains and int64 domain labels; ``self.digits`` the digits."""
        grey, self.digits = (t[: self.limit] for t in self.load_digits())
        generator = torch.Generator().manual_seed(self.seed + (0 if self.train else 1))
        domains = torch.randint(self.num_classes, (len(grey),), generator=generator)
        images = torch.empty(len(grey), 3, *grey.shape[-2:], dtype=torch.uint8)
        for index, (thickness, colour) in enumerate(product(self.thicknesses, self.colours)):
            chosen = domains == index
            images[chosen] = draw_in_domain(grey[chosen], thickness, colour)
        return images, domains

    def load_digits(self) -> tuple[Tensor, Tensor]:
        """The grey uint8 digits (N, 1, 28, 28) and their labels: MNIST's split."""
        return super().load()

    def test_set(self, n: int | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """The first ``n`` test images (uint8), their domains and digits, drawn as this module draws them."""
        test = type(self)(self.data_dir, self.thicknesses, self.colours, self.seed, n, download=False, train=False)
        images, domains = test.load()
        return images[:n], domains[:n], test.digits[:n]

    def test_domains(self) -> tuple[Tensor, Tensor]:
        """Sources for sample grids: one test image of each domain, as [-1, 1] floats, and their domains."""
        images, domains, _ = self.test_set(2000)
        missing = [name for d, name in enumerate(self.domain_names) if not (domains == d).any()]
        if missing:
            raise ValueError(f"the test split has no image of the domains {missing}: use fewer domains")
        first = torch.tensor([int((domains == d).nonzero()[0]) for d in range(self.num_classes)])
        return images[first].float().div(127.5).sub(1), domains[first]
