"""The pix2pix paper's "FCN-score" on CMP facades (Isola et al. 2017, section 4.2): a segmentation network trained
on real photos (photo → label map) reads generated photos; the better it recovers the label map the photo was
made from, the more the photo looks like a real facade to it. Real test photos give the ceiling.

ganzoo trains and ships its own network (the paper used an FCN-8s on Cityscapes): a U-Net (``UNetGenerator`` with
logits, base 8, no dropout) on the 400 facades training photos at 64 px, Adam, pix2pix's jitter (resize to 72,
random 64-px crops) and random flips:

    python -m ganzoo.metrics.fcn_score --data_dir ../shared/data/facades

Label maps are colour images (a jet palette over CMP's 12 classes, JPEG-compressed); each pixel's class is its
nearest palette colour, read at the label map's full size (a resized map blends neighbouring colours) and then
resized by nearest class. The palette is found once by k-means on the training label maps (started from jet at
k/12) and saved with the weights. Scores over all test pixels, from one confusion matrix: per-pixel accuracy,
per-class accuracy (mean over classes of recall) and mean IoU, as the paper's Table 1.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.atomic import atomic_save
from ganzoo.checkpoints import load_checkpoint

if TYPE_CHECKING:
    from ganzoo.models.translating import TranslatingModule

CLASSES = ("background", "facade", "window", "door", "cornice", "sill", "balcony", "blind", "deco", "molding",
           "pillar", "shop")  # fmt: skip
SHIPPED = "facades-fcn.pt"


def shipped_path() -> Path:
    return Path(str(resources.files("ganzoo.metrics") / "weights" / SHIPPED))


def find_palette(label_maps: Tensor, iterations: int = 20, samples: int = 400_000, seed: int = 0) -> Tensor:
    """The 12 label colours (12, 3) of uint8 label maps (N, 3, H, W): k-means from jet at k/12, k = 1..12."""
    from ganzoo.extras import require

    colormaps = require("matplotlib", "Training the FCN-score segmenter (its palette starts from matplotlib's jet)").colormaps

    pixels = label_maps.permute(0, 2, 3, 1).reshape(-1, 3).float()
    pixels = pixels[torch.randperm(len(pixels), generator=torch.Generator().manual_seed(seed))[:samples]]
    centres = torch.tensor([colormaps["jet"](k / 12)[:3] for k in range(1, 13)], dtype=torch.float32) * 255
    for _ in range(iterations):
        nearest = torch.cdist(pixels, centres).argmin(1)
        for k in range(len(centres)):
            if (nearest == k).any():
                centres[k] = pixels[nearest == k].mean(0)
    return centres


def label_indices(label_maps: Tensor, palette: Tensor) -> Tensor:
    """Colour label maps (N, 3, H, W; uint8, or floats in [-1, 1]) → class indices (N, H, W): nearest colour."""
    pixels = label_maps.float() if label_maps.dtype == torch.uint8 else label_maps.float().add(1).mul(127.5)
    n, _, h, w = pixels.shape
    flat = pixels.permute(0, 2, 3, 1).reshape(-1, 3)
    return torch.cat([torch.cdist(part, palette.to(part)).argmin(1) for part in flat.split(1 << 20)]).view(n, h, w)


class FacadesSegmenter(nn.Module):
    """Photo in [-1, 1] → class logits per pixel, and the palette that turns label maps into classes."""

    def __init__(self, image_size: int = 64, base_channels: int = 8):
        super().__init__()
        from ganzoo.nets.translation import UNetGenerator

        self.image_size, self.base_channels = image_size, base_channels
        self.net = UNetGenerator(image_size, 3, len(CLASSES), base_channels, dropout=0.0, tanh=False)
        self.register_buffer("palette", torch.zeros(len(CLASSES), 3))

    def forward(self, photos: Tensor) -> Tensor:
        if photos.shape[-1] != self.image_size:
            photos = F.interpolate(photos, size=(self.image_size, self.image_size), mode="bilinear", antialias=True)
        return self.net(photos)


def load_segmenter(path: str | Path | None = None) -> FacadesSegmenter:
    """The shipped segmentation network (or one saved by this module's training), in eval mode."""
    path = Path(path) if path else shipped_path()
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: train it with `python -m ganzoo.metrics.fcn_score --data_dir …`")
    saved = load_checkpoint(path)
    model = FacadesSegmenter(saved["image_size"], saved["base_channels"])
    model.load_state_dict(saved["state_dict"])
    return model.eval().requires_grad_(False)


@torch.no_grad()
def label_classes(label_maps: Tensor, palette: Tensor, size: int) -> Tensor:
    """Class maps (N, size, size) of label maps: classified at their own size, then resized by nearest class (a
    resized label map blends neighbouring colours, and a blend of two jet colours is a third class's)."""
    classes = label_indices(label_maps, palette)
    if classes.shape[-1] != size:
        classes = F.interpolate(classes[:, None].float(), size=(size, size), mode="nearest")[:, 0].long()
    return classes


def fcn_scores(
    segmenter: FacadesSegmenter, photos: Tensor, label_maps: Tensor, batch_size: int = 64
) -> dict[str, float]:
    """Per-pixel accuracy, per-class accuracy and mean IoU of the segmenter on ``photos`` (N, 3, H, W in [-1, 1])
    against the classes of ``label_maps`` (the photos' label maps, best at their full size), at the segmenter's
    size."""
    truth = label_classes(label_maps, segmenter.palette.cpu(), segmenter.image_size)
    device = segmenter.palette.device
    predicted = torch.cat([segmenter(photos[i : i + batch_size].float().to(device)).argmax(1).cpu()
                           for i in range(0, len(photos), batch_size)])  # fmt: skip
    return {f"fcn_{name}": value for name, value in segmentation_scores(predicted, truth).items()}


def segmentation_scores(predicted: Tensor, truth: Tensor) -> dict[str, float]:
    """Per-pixel accuracy, per-class accuracy (mean recall over the classes present) and mean IoU of class maps
    (over the classes present in the truth; a class only ever predicted is left out, where the pix2pix authors'
    evaluation counts it as 0)."""
    predicted, truth = predicted.flatten().long(), truth.flatten().long()
    k = len(CLASSES)
    confusion = torch.bincount(truth * k + predicted, minlength=k * k).view(k, k).double()
    present = confusion.sum(1) > 0
    hits = confusion.diag()
    union = confusion.sum(1) + confusion.sum(0) - hits
    return {
        "per_pixel_accuracy": float(hits.sum() / confusion.sum()),
        "per_class_accuracy": float((hits[present] / confusion.sum(1)[present]).mean()),
        "mean_iou": float((hits[present] / union[present]).mean()),
    }


def evaluate_facades(model: TranslatingModule, labels: Tensor, photos: Tensor, segmenter: FacadesSegmenter | None = None,
                     full_labels: Tensor | None = None, seed: int = 0) -> dict[str, float]:  # fmt: skip
    """A labels → photo model on facades test pairs (uint8, the model's size): the FCN-score of its photos
    (test-time dropout on and off), of the real photos (the ceiling; ``…_of_real_…``: the model's score over it, as
    the paper's Cityscapes ratio 0.66 / 0.80) and of the mean test photo (input-blind); for
    CycleGAN also its photo → labels translations read as label maps against the true ones (its paper's photo →
    labels score). ``full_labels``: the same label maps at full size, for the truth (default: ``labels``)."""
    from ganzoo.data.base import to_unit_range
    from ganzoo.metrics.paired import translate_all

    segmenter = segmenter or load_segmenter()
    truth = labels if full_labels is None else full_labels
    sources, real = to_unit_range(labels), to_unit_range(photos)
    ceiling = fcn_scores(segmenter, real, truth)
    result = {}
    for dropout in (True, False):
        made = translate_all(model, sources, dropout, seed=seed)
        switch = "on" if dropout else "off"
        for name, value in fcn_scores(segmenter, made, truth).items():
            result[f"{name}_dropout_{switch}"] = value
            result[f"{name}_of_real_dropout_{switch}"] = value / ceiling[name]  # the share of the ceiling
    result.update({f"real_{name}": value for name, value in ceiling.items()})
    blind = fcn_scores(segmenter, real.mean(0, keepdim=True).expand_as(real), truth)
    result.update({f"mean_photo_{name}": value for name, value in blind.items()})
    if model.two_way:  # CycleGAN
        made_labels = translate_all(model, real, None, seed=seed, inverse=True)
        palette = segmenter.palette.cpu()
        truth_classes = label_classes(truth, palette, labels.shape[-1])
        scores = segmentation_scores(label_indices(made_labels, palette), truth_classes)
        result.update({f"photo_to_labels_{name}": value for name, value in scores.items()})
    return result


def train(args: argparse.Namespace) -> dict[str, Any]:
    from ganzoo.data.paired import PairedImageDataModule

    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    data = PairedImageDataModule(args.data_dir, source="photo", target="labels", image_size=args.image_size)
    load_size = round(args.image_size * 286 / 256)  # pix2pix's jitter: resize, then random crops
    photos = data.read_split("train", load_size)[0]
    test_photos = data.read_split("test", args.image_size)[0]
    test_labels = data.read_split("test", 256)[1]
    full_labels = data.read_split("train", 256)[1]
    model = FacadesSegmenter(args.image_size, args.base_channels)
    model.palette.copy_(find_palette(full_labels))
    targets = label_classes(full_labels, model.palette, load_size)
    x = photos.float().div(127.5).sub(1)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.steps)
    start = time.perf_counter()
    model.train()
    for step in range(args.steps):
        index = torch.randint(len(x), (args.batch_size,), generator=generator)
        top, left = torch.randint(load_size - args.image_size + 1, (2,), generator=generator).tolist()
        window = (..., slice(top, top + args.image_size), slice(left, left + args.image_size))
        batch, target = x[index][window], targets[index][window]
        flip = torch.rand(len(index), generator=generator) < 0.5
        batch = torch.where(flip.view(-1, 1, 1, 1), batch.flip(-1), batch)
        target = torch.where(flip.view(-1, 1, 1), target.flip(-1), target)
        loss = F.cross_entropy(model(batch), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if (step + 1) % 500 == 0:
            seconds = time.perf_counter() - start
            print(f"step {step + 1}/{args.steps}: loss {loss.item():.4f} ({seconds:.0f} s)", flush=True)
    model.eval()
    card = {
        "image_size": args.image_size,
        "base_channels": args.base_channels,
        "classes": list(CLASSES),
        "real_test_photos": fcn_scores(model, test_photos.float().div(127.5).sub(1), test_labels),
        "command": "python -m ganzoo.metrics.fcn_score " + shlex.join(sys.argv[1:]),
        "train_seconds": round(time.perf_counter() - start, 1),
        "torch": str(torch.__version__),
    }
    out = Path(args.out) if args.out else shipped_path()
    atomic_save({"state_dict": model.state_dict(), **card}, out)
    print(f"saved {out} ({out.stat().st_size / 1e6:.2f} MB): {card}")
    return card


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m ganzoo.metrics.fcn_score", description=__doc__.split("\n")[0])
    parser.add_argument("--data_dir", required=True, help="the facades folder (train/ and test/, photo | labels)")
    parser.add_argument("--out", default=None, help="where to save (default: the shipped weights of ganzoo)")
    parser.add_argument("--image_size", type=int, default=64)
    parser.add_argument("--base_channels", type=int, default=8)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    return train(parser.parse_args(argv))


if __name__ == "__main__":
    main()
