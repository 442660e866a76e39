"""Does a text-to-image model follow its captions? Figures on the captioned digits (``ganzoo.data.captions``).

Each attribute of a caption is measured back from the image:

* **digit**: the shipped classifier of digits drawn in the domains (``mnist-domains-digits-cnn``);
* **colour**: the ink's mean colour (pixels whose brightest channel exceeds 0.25, weighted by it), the nearest
  of the set's colours by cosine similarity;
* **thickness**: two pixel statistics — the share of ink (brightest channel > 0.5) that survives a 3×3 binary
  erosion (thick strokes survive, thin ones vanish) and the mean ink brightness (area-averaged thin strokes are
  fainter) — classified by the nearest class mean in units of the pooled standard deviation, the means fitted on
  real training images.

Every measurement is validated on real test images first (``real_*`` figures: the ceilings). A model's figures:
per-attribute **agreement** (the share of samples whose measured attribute is the caption's), for the attribute
combinations seen in training and, apart, those held out; **caption retrieval** (a sample matches more of its own
caption's attributes than of a random caption of another set; ties count half) and the **FID** of the samples
against the real test images, in the domain classifier's features (``mnist-domains-cnn``).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.data.domains import COLOURS, MNISTDomainsDataModule
from ganzoo.metrics.domains import predict
from ganzoo.metrics.features import load_domain_classifier, to_uint8

DIGIT_CLASSIFIER, FEATURES = "mnist-domains-digits-cnn", "mnist-domains-cnn"


def ink(images: Tensor) -> Tensor:
    """(N, 1, H, W) ink in [0, 1]: the brightest channel (inks are primaries, or white, on black)."""
    return to_uint8(images).float().amax(1, keepdim=True) / 255


def measure_colour(images: Tensor, colours: list[str]) -> Tensor:
    """Index into ``colours`` of each image's ink colour (nearest by cosine similarity)."""
    pixels = to_uint8(images).float() / 255
    weight = pixels.amax(1, keepdim=True)  # the ink, as ``ink``
    weight = weight * (weight > 0.25)
    mean = (pixels * weight).sum((2, 3)) / weight.sum((2, 3)).clamp_min(1e-6)
    palette = torch.tensor([COLOURS[c] for c in colours], dtype=torch.float32)
    return (F.normalize(mean, dim=1) @ F.normalize(palette, dim=1).T).argmax(1)


def thickness_features(images: Tensor) -> Tensor:
    """(N, 2): the share of ink surviving a 3×3 erosion, and the mean brightness of the ink."""
    x = ink(images)
    strokes = (x > 0.5).float()
    eroded = -F.max_pool2d(-strokes, 3, 1, 1)
    survives = eroded.sum((1, 2, 3)) / strokes.sum((1, 2, 3)).clamp_min(1)
    inked = x > 0.2
    brightness = (x * inked).sum((1, 2, 3)) / inked.sum((1, 2, 3)).clamp_min(1)
    return torch.stack([survives, brightness], dim=1)


class ThicknessMeter:
    """Nearest class mean of ``thickness_features`` in pooled-standard-deviation units, fitted on real images."""

    def __init__(self, images: Tensor, thickness: Tensor, classes: int):
        features = thickness_features(images)
        present = [k for k in range(classes) if (thickness == k).any()]
        if len(present) != classes:
            raise ValueError("the real images to fit the thickness measurement lack some thickness")
        self.means = torch.stack([features[thickness == k].mean(0) for k in range(classes)])
        residual = features - self.means[thickness]
        self.scale = residual.std(0).clamp_min(1e-6)

    def __call__(self, images: Tensor) -> Tensor:
        distance = ((thickness_features(images)[:, None] - self.means[None]) / self.scale).norm(dim=2)
        return distance.argmin(1)


class AttributeReader:
    """Reads (digit, thickness index, colour index) from images of a ``CaptionedDigitsDataModule``'s domains."""

    def __init__(self, data: Any, digit_classifier: Any = DIGIT_CLASSIFIER, fit_images: int = 6000):
        self.thicknesses, self.colours = list(data.thicknesses), list(data.colours)
        if isinstance(digit_classifier, str):
            digit_classifier = load_domain_classifier(digit_classifier)
        self.digit_classifier = digit_classifier
        train = MNISTDomainsDataModule(data.data_dir, self.thicknesses, self.colours, data.seed, fit_images, download=False)
        images, domains = train.load()
        self.thickness = ThicknessMeter(images, domains // len(self.colours), len(self.thicknesses))

    @torch.no_grad()
    def read(self, images: Tensor, batch_size: int = 500) -> Tensor:
        """(N, 3) int64: digit, thickness index, colour index."""
        images = to_uint8(images).cpu()
        digits = predict(self.digit_classifier, images, batch_size)
        return torch.stack([digits, self.thickness(images), measure_colour(images, self.colours)], dim=1)


def set_attributes(data: Any, sets: Tensor) -> Tensor:
    """(N, 3) digit, thickness index, colour index of caption sets."""
    rows = [data.attributes(int(s)) for s in sets]
    return torch.tensor([[d, data.thicknesses.index(t), data.colours.index(c)] for d, t, c in rows])


def agreement(read: Tensor, wanted: Tensor, prefix: str) -> dict[str, float]:
    names = ("digit", "thickness", "colour")
    result = {f"{prefix}{name}_agreement": float((read[:, k] == wanted[:, k]).float().mean()) for k, name in enumerate(names)}
    result[f"{prefix}all_agreement"] = float((read == wanted).all(1).float().mean())
    return result


def retrieval(read: Tensor, own: Tensor, other: Tensor) -> float:
    """The share of images matching more attributes of their own caption than of another's (ties: half)."""
    own_score, other_score = (read == own).sum(1), (read == other).sum(1)
    return float(((own_score > other_score).float() + 0.5 * (own_score == other_score).float()).mean())


@torch.no_grad()
def evaluate_captions(
    model: Any, data: Any, num_samples: int = 2000, seed: int = 0, reader: AttributeReader | None = None,
    features: Any = FEATURES, averaged: bool = True, batch_size: int = 250,
) -> dict[str, float]:  # fmt: skip
    """The figures above for ``model`` on ``data`` (a ``CaptionedDigitsDataModule``): one sample per test image,
    for a caption of its set (templates in turn), plus the same number for the held-out combinations."""
    from ganzoo.data.captions import caption, other_sets
    from ganzoo.metrics.fid import fid

    reader = reader or AttributeReader(data)
    images, sets = data.test_set_captioned(num_samples)
    rng = torch.Generator().manual_seed(seed)
    held = torch.tensor(sorted(set(range(data.num_sets)) - set(data.training_sets.tolist())), dtype=torch.long)
    seen_sets = sets[torch.isin(sets, data.training_sets)]
    all_sets = torch.cat([seen_sets, held.repeat(-(-len(seen_sets) // max(len(held), 1)))[: len(seen_sets)]]) \
        if len(held) else seen_sets  # fmt: skip
    templates = torch.arange(len(all_sets)) % len(data.captions()[0])
    texts = [caption(*data.attributes(int(s)), int(t)) for s, t in zip(all_sets, templates)]
    samples = torch.cat([model.sample(len(texts[i : i + batch_size]), seed=seed + i, averaged=averaged, text=texts[i : i + batch_size]).cpu()
                         for i in range(0, len(texts), batch_size)])  # fmt: skip
    read_fake, read_real = reader.read(samples), reader.read(images)
    wanted, real_wanted = set_attributes(data, all_sets), set_attributes(data, sets)
    seen = torch.isin(all_sets, data.training_sets)
    others = other_sets(all_sets, data.training_sets, rng)
    result = {**agreement(read_fake[seen], wanted[seen], ""), **agreement(read_real, real_wanted, "real_")}
    if (~seen).any():
        result.update(agreement(read_fake[~seen], wanted[~seen], "held_out_"))
        result["held_out_samples"] = int((~seen).sum())
    result["caption_retrieval"] = retrieval(read_fake[seen], wanted[seen], set_attributes(data, others[seen]))
    real_others = set_attributes(data, other_sets(sets, data.training_sets, rng))
    result["real_caption_retrieval"] = retrieval(read_real, real_wanted, real_others)
    extractor = load_domain_classifier(features) if isinstance(features, str) else features
    result["fid"] = fid(extractor(to_uint8(images)), extractor(to_uint8(samples[seen])))
    result["samples"] = int(seen.sum())
    return result


def evaluate_trained_captions(model: Any, data_dir: str | None, n: int, seed: int = 0, averaged: bool = True) -> dict[str, float]:
    """``evaluate_captions`` on the captioned digits ``model`` was trained on (its checkpoint says which)."""
    from ganzoo.checkpoints import import_class

    spec = getattr(model, "caption_data", None) or {}
    if not spec:
        raise ValueError(f"{type(model).__name__} was not trained on captioned digits: nothing to measure captions on")
    data = import_class(spec["class_path"])(data_dir, **spec["init_args"], download=False)
    return evaluate_captions(model, data, n, seed, averaged=averaged)
