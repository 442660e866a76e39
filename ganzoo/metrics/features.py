"""Feature extractors for the metrics, and the preprocessing each one applies.

Every extractor takes **uint8** images (N, C, H, W) and returns (N, D) float features from
``forward``; those that classify also have ``logits(images)`` (for IS). Generated images in
[-1, 1] are quantised first with ``to_uint8`` (``round((x + 1) · 127.5)``, clamped), so real and
generated images reach the extractor through the same 8-bit path.

* ``mnist-cnn`` / ``fashion-mnist-cnn``: :class:`DomainClassifier`, a small CNN ganzoo trains
  (``python -m ganzoo.metrics.train_classifier``) and ships. Preprocessing: ``x / 255``; grey
  1-channel images (3-channel images are averaged to grey); if not 28 × 28, bilinear resizing with
  antialiasing to 28 × 28; normalised to ``(x − 0.5) / 0.5``. Features: the 128-d global
  average pool before the last linear layer.
* ``inception``: torch-fidelity's Inception-v3 with the 2015-12-05 TensorFlow FID weights
  (downloaded on first use, or ``weights_path``). Preprocessing is torch-fidelity's: grey images
  repeated to 3 channels, TensorFlow-1.x-compatible bilinear resizing to 299 × 299, ``(x − 128) / 128``.
  Features: the 2048-d pool; logits: the 1008-way ``logits_unbiased`` (as torch-fidelity's IS).
* anything else: an ``nn.Module`` whose ``forward(uint8 images)`` returns (N, D) features.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.checkpoints import file_sha256, load_checkpoint, load_file

SHIPPED_CLASSIFIERS = {
    name: f"{name}.pt" for name in ("mnist-cnn", "fashion-mnist-cnn", "mnist-domains-cnn", "mnist-domains-digits-cnn")
}


def to_uint8(images: Tensor) -> Tensor:
    """Float images in [-1, 1] → uint8 [0, 255] by ``round((x + 1) · 127.5)``; uint8 passes through."""
    if images.dtype == torch.uint8:
        return images
    return images.detach().float().add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)


class DomainClassifier(nn.Module):
    """A small CNN classifier (about 130k parameters), used as a feature extractor.

    conv5×5(32) → BN → ReLU → maxpool → conv5×5(64) → BN → ReLU → maxpool → conv3×3(128) → BN → ReLU →
    global average pool (the 128-d features) → linear(num_classes).

    Args:
        num_classes: classes it was trained on.
        in_channels: 1 (grey) or 3 (RGB); images with the other count are averaged or repeated.
        image_size: side it was trained at; other sizes are resized (bilinear, antialiased).
        name: what it is called in cache keys and messages.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28, name: str = "domain-cnn"):
        super().__init__()
        self.num_classes, self.in_channels, self.image_size, self.name = num_classes, in_channels, image_size, name
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 32, 5, padding=2, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )  # fmt: skip
        self.head = nn.Linear(128, num_classes)

    def preprocess(self, images: Tensor) -> Tensor:
        """uint8 (N, C, H, W) → float (N, in_channels, image_size, image_size) in [-1, 1], as the module says."""
        if images.dtype != torch.uint8:
            raise TypeError(f"{self.name} takes uint8 images; quantise with ganzoo.metrics.features.to_uint8 first")
        x = images.float().div(255)
        if x.shape[1] != self.in_channels:
            x = x.mean(1, keepdim=True) if self.in_channels == 1 else x.expand(-1, self.in_channels, -1, -1)
        if x.shape[-2:] != (self.image_size, self.image_size):
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", antialias=True)
        return (x - 0.5) / 0.5

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        features = self.body(self.preprocess(images.to(self.head.weight.device)))
        return features, self.head(features)

    def forward(self, images: Tensor) -> Tensor:
        return self.features_and_logits(images)[0]

    def logits(self, images: Tensor) -> Tensor:
        return self.features_and_logits(images)[1]


def shipped_weights_path(name: str) -> Path:
    return Path(str(resources.files("ganzoo.metrics") / "weights" / SHIPPED_CLASSIFIERS[name]))


def load_domain_classifier(name: str | Path) -> DomainClassifier:
    """A classifier ganzoo ships (``mnist-cnn``, ``fashion-mnist-cnn``, ``mnist-domains-cnn``,
    ``mnist-domains-digits-cnn``) or a file written by
    ``python -m ganzoo.metrics.train_classifier --out FILE``, in eval mode without gradients. Loading it leaves
    the global RNG as it was."""
    if str(name) in SHIPPED_CLASSIFIERS:
        path = shipped_weights_path(str(name))
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: train it with `python -m ganzoo.metrics.train_classifier`")
    elif Path(name).suffix == ".pt":
        path = Path(name)
    else:
        raise ValueError(f"unknown classifier {name!r}; ganzoo ships {sorted(SHIPPED_CLASSIFIERS)}, or pass a .pt file")
    saved = load_checkpoint(path)
    with torch.random.fork_rng(devices=[]):  # the random initialisation, overwritten by the weights, draws nothing
        model = DomainClassifier(saved["num_classes"], saved["in_channels"], saved["image_size"], name=Path(path).stem)
    model.load_state_dict(saved["state_dict"])
    model.cache_id = f"{model.name}:{file_sha256(path)[:16]}"
    return model.eval().requires_grad_(False)


def classifier_card(name: str) -> dict[str, object]:
    """What was recorded beside a shipped classifier: dataset, test accuracy, training command."""
    saved = load_checkpoint(shipped_weights_path(name))
    return {k: v for k, v in saved.items() if k != "state_dict"}


class InceptionFeatures(nn.Module):
    """torch-fidelity's Inception-v3 (``inception-v3-compat``), 2048-d features and 1008-way logits.

    Args:
        weights_path: a local copy of the FID weights (``weights-inception-2015-12-05-6726825d.pth``);
            ``None`` downloads them on first use (torch hub cache). The file is first read with
            ``weights_only=True``, so a file that holds more than tensors is refused.
    """

    def __init__(self, weights_path: str | Path | None = None):
        super().__init__()
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        if weights_path is not None:
            load_file(weights_path)  # refuses non-tensor pickles and corrupt files before torch-fidelity reads it
        try:
            with torch.random.fork_rng(devices=[]):  # as load_domain_classifier: the init draws nothing globally
                self.net = FeatureExtractorInceptionV3(
                    "inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=weights_path
                )
        except OSError as err:
            raise RuntimeError(
                f"Could not get the Inception-v3 FID weights ({err}). Without internet, download "
                "weights-inception-2015-12-05-6726825d.pth elsewhere and pass its path as weights_path."
            ) from None
        self.cache_id = "inception-v3-compat:" + (file_sha256(weights_path)[:16] if weights_path else "2015-12-05")

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        if images.dtype != torch.uint8:
            raise TypeError("inception takes uint8 images; quantise with ganzoo.metrics.features.to_uint8 first")
        if images.shape[1] == 1:
            images = images.repeat(1, 3, 1, 1)
        features, logits = self.net(images.to(self.net.fc.weight.device))
        return features, logits

    def forward(self, images: Tensor) -> Tensor:
        return self.features_and_logits(images)[0]

    def logits(self, images: Tensor) -> Tensor:
        return self.features_and_logits(images)[1]


def module_cache_id(extractor: nn.Module) -> str:
    """A key that changes when the extractor's class or weights change."""
    if getattr(extractor, "cache_id", None):
        return str(extractor.cache_id)
    digest = hashlib.sha256(f"{type(extractor).__module__}.{type(extractor).__qualname__}".encode())
    for name, tensor in sorted(extractor.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return f"{type(extractor).__qualname__}:{digest.hexdigest()[:16]}"


def get_extractor(spec: str | nn.Module, weights_path: str | Path | None = None) -> nn.Module:
    """An extractor from a name (``mnist-cnn``, ``fashion-mnist-cnn``, ``inception``), a classifier file
    from ``train_classifier --out``, or a module; in eval mode. Building one leaves the global RNG as it was
    (``load_domain_classifier``, ``InceptionFeatures``), so a metrics callback does not change the run it watches."""
    if isinstance(spec, nn.Module):
        return spec.eval().requires_grad_(False)
    if spec in SHIPPED_CLASSIFIERS or str(spec).endswith(".pt"):
        return load_domain_classifier(spec)
    if spec == "inception":
        return InceptionFeatures(weights_path).eval()
    raise ValueError(
        f"unknown feature extractor {spec!r}: use one of {sorted([*SHIPPED_CLASSIFIERS, 'inception'])}, a .pt file "
        "from train_classifier, or an nn.Module whose forward(uint8 images) returns features"
    )


@torch.no_grad()
def extract(extractor: nn.Module, images: Tensor, batch_size: int = 200) -> tuple[Tensor, Tensor | None]:
    """(features, logits or None) of uint8 or [-1, 1] images, in batches, on the extractor's device; CPU float32 out."""
    features, logits = [], []
    with_logits = hasattr(extractor, "features_and_logits")
    for start in range(0, len(images), batch_size):
        batch = to_uint8(images[start : start + batch_size])
        if with_logits:
            f, lg = extractor.features_and_logits(batch)
            logits.append(lg.float().cpu())
        else:
            f = extractor(batch)
        features.append(f.float().cpu().flatten(1))
    return torch.cat(features), (torch.cat(logits) if with_logits else None)


__all__ = [
    "DomainClassifier",
    "InceptionFeatures",
    "extract",
    "get_extractor",
    "load_domain_classifier",
    "module_cache_id",
    "to_uint8",
]
