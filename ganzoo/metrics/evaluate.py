"""Score a generator end to end: sample, quantise, extract features, compare with cached real statistics.

Real statistics (features, logits and the derived k-NN radii) are cached on disk under
``$GANZOO_CACHE/stats`` (default ``~/.cache/ganzoo/stats``), keyed by dataset, split, image size and
channels, preprocessing, extractor (name and weights hash), sample count and seed, so a second
evaluation against the same data only computes the generated side.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.atomic import atomic_save
from ganzoo.checkpoints import CheckpointError, load_file
from ganzoo.metrics.conditional import CONDITIONAL_METRICS, conditional_scores
from ganzoo.metrics.features import extract, get_extractor, load_domain_classifier, module_cache_id
from ganzoo.metrics.mode_coverage import mixture_mode_coverage, stacked_mnist_mode_coverage
from ganzoo.metrics.registry import METRICS, FeatureSet, compute_metrics, parse_metric_names
from ganzoo.metrics.samples import dataset_images, sample_generated

CACHE_ENV = "GANZOO_CACHE"
PREPROCESSING = "uint8 round((x+1)*127.5); real: dataset uint8 resized bilinear+antialias to the model's size"
IMAGE_DATASETS = {
    "mnist": "MNISTDataModule",
    "fashion-mnist": "FashionMNISTDataModule",
    "cifar10": "CIFAR10DataModule",
    "stacked-mnist": "StackedMNISTDataModule",
    "digits": "DigitsDataModule",
}
TOY_DATASETS = {"ring8": ("ring", 8), "grid25": ("grid", 25)}


def stats_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "ganzoo") / "stats"


def real_datamodule(data: str, data_dir: str | None, output_shape: Sequence[int], split: str) -> Any:
    """The DataModule of ``data`` (a dataset name or an image folder) at the generator's size."""
    import ganzoo.data as datamodules

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if data in TOY_DATASETS:
        mixture, modes = TOY_DATASETS[data]
        return datamodules.Toy2DDataModule(mixture=mixture, num_modes=modes)
    if len(output_shape) != 3:
        raise ValueError(f"the model makes {tuple(output_shape)}-shaped samples, not images: use data ring8 or grid25")
    channels, size = output_shape[0], output_shape[-1]
    if data in IMAGE_DATASETS:
        cls = getattr(datamodules, IMAGE_DATASETS[data])
        if data == "digits":
            return cls(image_size=size)
        kwargs = {"download": False, "train": split == "train"}
        return cls(data_dir=data_dir, image_size=size, **kwargs)
    if Path(data).expanduser().is_dir():
        return datamodules.ImageFolderDataModule(data_dir=data, image_size=size, channels=channels)
    raise ValueError(f"unknown data {data!r}: use one of {sorted([*IMAGE_DATASETS, *TOY_DATASETS])} or an image folder")


def sample_real(datamodule: Any, num_samples: int, seed: int, with_labels: bool = False) -> Any:
    """``num_samples`` real samples (uint8 images, or 2D points), a seeded random subset of the dataset;
    with ``with_labels`` also their labels."""
    datamodule.setup()
    dataset = datamodule.train_set
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:num_samples]
    if not with_labels:
        return dataset_images(dataset, order)
    tensors = getattr(dataset, "tensors", None)
    labels = tensors[1][order] if tensors is not None else torch.as_tensor([int(dataset[int(i)][1]) for i in order])
    return dataset_images(dataset, order), labels


def _cache_key(datamodule: Any, data: str, split: str, extractor_id: str, num_samples: int, seed: int) -> dict:
    return {
        "data": data if data in IMAGE_DATASETS or data in TOY_DATASETS else str(Path(data).expanduser().resolve()),
        "data_dir": str(getattr(datamodule, "data_dir", "")),
        "split": split,
        "shape": list(datamodule.data_shape),
        "preprocessing": PREPROCESSING,
        "extractor": extractor_id,
        "num_samples": num_samples,
        "seed": seed,
    }


class RealStatistics:
    """Real-side features in a file: loaded when the key matches, written after new derived values appear."""

    def __init__(self, key: dict, cache_dir: Path | None, use_cache: bool = True):
        self.key = key
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
        self.path = (cache_dir or stats_cache_dir()) / f"{digest}.pt"
        self.use_cache = use_cache
        self.loaded_extras: set[str] = set()

    def load(self) -> FeatureSet | None:
        if not (self.use_cache and self.path.exists()):
            return None
        try:
            saved = load_file(self.path)
        except CheckpointError:
            return None  # a damaged cache entry is recomputed and overwritten
        if not isinstance(saved, dict) or saved.get("key") != json.dumps(self.key, sort_keys=True):
            return None
        self.loaded_extras = set(saved["extras"])
        return FeatureSet(saved["features"], saved.get("logits"), dict(saved["extras"]))

    def save(self, real: FeatureSet) -> None:
        if not self.use_cache or (set(real.extras) <= self.loaded_extras and self.path.exists()):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {"key": json.dumps(self.key, sort_keys=True), "features": real.features, "logits": real.logits,
                  "extras": real.extras}  # fmt: skip
        atomic_save(record, self.path)


def stacked_channel_labels(images: Tensor, classifier: nn.Module) -> Tensor:
    """The digit ``classifier`` reads in each channel of uint8 (N, 3, H, W) images → (N, 3)."""
    with torch.no_grad():
        return torch.stack(
            [torch.cat([classifier.logits(images[i : i + 1000, c : c + 1]).argmax(1).cpu()
                        for i in range(0, len(images), 1000)]) for c in range(images.shape[1])],
            dim=1,
        )  # fmt: skip


def warn_fewer(data: str, split: str, available: int, requested: int) -> None:
    warnings.warn(
        f"{data} ({split}) has {available} images, fewer than num_samples={requested}: scoring {available} real "
        f"and {available} generated",
        stacklevel=3,
    )


def generator_label(model: torch.nn.Module, averaged: bool) -> str:
    """Which generator is scored: "averaged", "raw", or for a shipped file the weights it holds."""
    if averaged and getattr(model, "averaged_generator", None) is not None:
        return "averaged"
    shipped = getattr(model, "shipped_generator_weights", None)
    return f"{shipped} (shipped file)" if shipped else "raw"


def evaluate(
    model: nn.Module,
    metrics: str | Sequence[str] = "fid",
    *,
    data: str,
    data_dir: str | None = None,
    split: str = "train",
    num_samples: int = 10000,
    num_real: int | None = None,
    features: str | nn.Module = "mnist-cnn",
    weights_path: str | None = None,
    seed: int = 0,
    batch_size: int = 200,
    device: str | torch.device = "cpu",
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    averaged: bool = True,
) -> dict[str, Any]:
    """Scores of ``model`` (a ganzoo GAN or anything with ``sample_noise``/``sample_from``/``generator``).

    ``metrics``: names from ``ganzoo.metrics.METRICS`` and ``modes`` (mixture coverage for ring8/grid25,
    Stacked MNIST coverage read by ``mnist-cnn`` for stacked-mnist). The real side is a seeded random
    subset of ``num_samples`` (at most the whole split) from ``data``'s ``split``; the generated side as many samples
    drawn with ``seed``, from the averaged generator when there is one (``averaged=False``: the raw one).
    ``num_real`` sets the real side's count on its own (the usual protocol: the whole training split, e.g. 60,000,
    against 10,000 generated; the 1-NN test then uses the first ``num_samples`` of them, a balanced pair).
    """
    names = parse_metric_names(metrics)
    if "modes" in names and data not in ("stacked-mnist", *TOY_DATASETS):
        raise ValueError("'modes' for images is Stacked MNIST's: use data stacked-mnist (or ring8/grid25 for 2D)")
    start = time.perf_counter()
    model = model.to(device).eval()
    datamodule = real_datamodule(data, data_dir, model.generator.output_shape, split)
    result: dict[str, Any] = {"data": data, "split": split, "num_samples": num_samples, "seed": seed}
    result["generator"] = generator_label(model, averaged)

    if data in TOY_DATASETS:
        unknown = [n for n in names if n != "modes"]
        if unknown:
            raise ValueError(f"2D mixtures are scored by 'modes' only, not {unknown}")
        points = sample_generated(model, num_samples, seed, batch_size, averaged)
        mixture = datamodule.mixture
        result.update(mixture_mode_coverage(points, mixture.means, mixture.std))
        result["seconds"] = round(time.perf_counter() - start, 3)
        return result

    feature_names = [n for n in names if n in METRICS]
    conditional_names = [n for n in names if n in CONDITIONAL_METRICS]
    if feature_names or conditional_names:  # one extractor: its features for FID & co., its logits for classes
        extractor = get_extractor(features, weights_path).to(device)
    if conditional_names:
        real = sample_real(datamodule, num_samples, seed, with_labels=True) if "intra_fid" in conditional_names else None
        n = min(num_samples, len(real[0])) if real is not None else num_samples
        result.update(conditional_scores(model, conditional_names, extractor, real, n, seed, batch_size, averaged))
    fake_images = None
    if feature_names:
        result["features"] = module_cache_id(extractor)
        real_count = num_samples if num_real is None else num_real
        stats = RealStatistics(
            _cache_key(datamodule, data, split, result["features"], real_count, seed),
            Path(cache_dir) if cache_dir else None,
            use_cache,
        )
        real = stats.load()
        result["real_statistics"] = "cached" if real is not None else "computed"
        if real is None:
            real = FeatureSet(*extract(extractor, sample_real(datamodule, real_count, seed), batch_size))
        if num_real is None:  # a split smaller than num_samples gives both sides its size: 1-NN assumes n + n
            if len(real.features) < num_samples:
                warn_fewer(data, split, len(real.features), num_samples)
            num_samples = result["num_samples"] = len(real.features)
        else:
            result["num_real"] = len(real.features)
        fake_images = sample_generated(model, num_samples, seed, batch_size, averaged)
        fake = FeatureSet(*extract(extractor, fake_images, batch_size))
        result.update(compute_metrics(feature_names, real, fake))
        stats.save(real)
    if "modes" in names:
        if fake_images is None:
            datamodule.setup()
            if len(datamodule.train_set) < num_samples:
                warn_fewer(data, split, len(datamodule.train_set), num_samples)
            num_samples = result["num_samples"] = min(num_samples, len(datamodule.train_set))
            fake_images = sample_generated(model, num_samples, seed, batch_size, averaged)
        classifier = load_domain_classifier("mnist-cnn").to(device)
        result.update(stacked_mnist_mode_coverage(stacked_channel_labels(fake_images, classifier)))
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result
