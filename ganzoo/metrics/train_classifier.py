"""Train a domain classifier for offline metrics: ``python -m ganzoo.metrics.train_classifier``.

    python -m ganzoo.metrics.train_classifier --dataset mnist --data_dir ../shared/data
    python -m ganzoo.metrics.train_classifier --dataset fashion-mnist --data_dir ../shared/data
    python -m ganzoo.metrics.train_classifier --dataset mnist-domains --data_dir ../shared/data
    python -m ganzoo.metrics.train_classifier --dataset mnist-domains-digits --data_dir ../shared/data
    python -m ganzoo.metrics.train_classifier --dataset folder --data_dir PATH --out my-cnn.pt

MNIST and Fashion-MNIST use their train/test splits (torchvision layout under ``data_dir``); an image
folder (one subfolder per class) holds out a seeded 10% as its test set. Adam with a cosine
schedule, random shifts of up to ``--shift`` pixels. The file saved holds the weights and a card: dataset, test
accuracy, this command, seconds, torch version. ``--out`` defaults to the shipped path.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.atomic import atomic_save
from ganzoo.metrics.features import DomainClassifier, shipped_weights_path

DATASETS = {"mnist": "MNISTDataModule", "fashion-mnist": "FashionMNISTDataModule"}
# MNIST in StarGAN's six domains (ganzoo.data.domains): one classifier of the domain, one of the digit
DOMAIN_DATASETS = {"mnist-domains": "domains", "mnist-domains-digits": "digits"}


def load_split(dataset: str, data_dir: str, image_size: int, seed: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """uint8 train images, train labels, test images, test labels."""
    import ganzoo.data as data

    if dataset in DOMAIN_DATASETS:
        from ganzoo.data.domains import MNISTDomainsDataModule

        splits = [MNISTDomainsDataModule(data_dir, download=False, train=train) for train in (True, False)]
        labelled = []
        for split in splits:
            images, domains = split.load()
            labelled += [images, domains if DOMAIN_DATASETS[dataset] == "domains" else split.digits]
        return tuple(labelled)  # type: ignore[return-value]
    if dataset in DATASETS:
        cls = getattr(data, DATASETS[dataset])
        train = cls(data_dir=data_dir, image_size=image_size, download=False)
        test = cls(data_dir=data_dir, image_size=image_size, download=False, train=False)
        train.setup(), test.setup()
        return (*train.train_set.tensors, *test.train_set.tensors)
    folder = data.ImageFolderDataModule(data_dir=data_dir, image_size=image_size)
    folder.setup()
    images, labels = zip(*(folder.train_set[i] for i in range(len(folder.train_set))))
    images, labels = torch.stack(images), torch.as_tensor(labels)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    n_test = max(1, len(images) // 10)
    test, train = order[:n_test], order[n_test:]
    return images[train], labels[train], images[test], labels[test]


def random_shift(x: Tensor, pixels: int, generator: torch.Generator) -> Tensor:
    """Shift each image by up to ``pixels`` in x and y (zero padding)."""
    padded = F.pad(x, [pixels] * 4)
    size = x.shape[-1]
    dx, dy = torch.randint(0, 2 * pixels + 1, (2,), generator=generator).tolist()
    return padded[..., dy : dy + size, dx : dx + size]


@torch.no_grad()
def accuracy(model: DomainClassifier, images: Tensor, labels: Tensor) -> float:
    model.eval()
    predictions = torch.cat([model.logits(images[i : i + 1000]).argmax(1) for i in range(0, len(images), 1000)])
    return float((predictions == labels).float().mean())


def train(args: argparse.Namespace) -> dict[str, object]:
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    train_x, train_y, test_x, test_y = load_split(args.dataset, args.data_dir, args.image_size, args.seed)
    num_classes = int(max(train_y.max(), test_y.max())) + 1
    name = f"{args.dataset}-cnn"
    model = DomainClassifier(num_classes, in_channels=train_x.shape[1], image_size=args.image_size, name=name)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * (len(train_x) // args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        for i in range(len(train_x) // args.batch_size):
            index = order[i * args.batch_size : (i + 1) * args.batch_size]
            x = model.preprocess(train_x[index])
            x = random_shift(x, args.shift, generator) if args.shift else x
            loss = F.cross_entropy(model.head(model.body(x)), train_y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss.item():.4f}, test accuracy "
              f"{accuracy(model, test_x, test_y):.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
    card = {
        "dataset": args.dataset,
        "num_classes": num_classes,
        "in_channels": int(train_x.shape[1]),
        "image_size": args.image_size,
        "test_accuracy": accuracy(model, test_x, test_y),
        "test_samples": len(test_x),
        "command": "python -m ganzoo.metrics.train_classifier " + shlex.join(sys.argv[1:]),
        "train_seconds": round(time.perf_counter() - start, 1),
        "torch": str(torch.__version__),
    }
    out = Path(args.out) if args.out else shipped_weights_path(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_save({"state_dict": model.state_dict(), **card}, out)
    print(f"saved {out} ({out.stat().st_size / 1e6:.2f} MB): {card}")
    return card


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m ganzoo.metrics.train_classifier", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=[*DATASETS, *DOMAIN_DATASETS, "folder"], required=True)
    parser.add_argument("--data_dir", required=True, help="torchvision root (mnist, fashion-mnist) or an image folder")
    parser.add_argument("--out", default=None, help="where to save (default: the shipped weights of ganzoo)")
    parser.add_argument("--image_size", type=int, default=28)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--shift", type=int, default=2, help="random shifts of up to this many pixels (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    return train(parser.parse_args(argv))


if __name__ == "__main__":
    main()
