"""The VAE measured: test NLL on dynamically binarised MNIST, and VAE vs GAN on the same metrics.

    python benchmarks/vae.py nll --model CKPT [--k 5000] [--limit N] [--data-dir DIR]
    python benchmarks/vae.py compare --model vae=CKPT --model dcgan=dcgan-mnist [--num 10000] [--data-dir DIR]

``nll``: on the 10,000 MNIST test digits, binarised once with seed 0 (the same test set for every model), the
negative ELBO (one draw per digit) and −log p(x) by importance sampling with k samples (Burda et al. 2016), in nats,
with the time each took. ``compare``: each model's ``num`` samples (seed 0) against as many real training digits
through ``ganzoo evaluate``'s metrics with the shipped MNIST classifier's features (FID, precision, recall, 1-NN),
and the sharpness of the samples (``ganzoo.metrics.sharpness``: the variance of their Laplacian) beside the real
digits'. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import time

import torch

from ganzoo import load
from ganzoo.data import MNISTDataModule
from ganzoo.data.base import default_data_dir, to_unit_range
from ganzoo.metrics.evaluate import evaluate
from ganzoo.metrics.sharpness import sharpness


def mnist_images(data_dir: str | None, train: bool, limit: int | None = None) -> torch.Tensor:
    data = MNISTDataModule(data_dir=data_dir, download=False, train=train)
    data.setup()
    images = data.train_set.tensors[0]
    return to_unit_range(images[:limit] if limit else images)


def nll(args: argparse.Namespace) -> None:
    model = load(args.model).eval()
    images = mnist_images(args.data_dir, train=False, limit=args.limit)
    torch.manual_seed(0)
    start = time.perf_counter()
    negative_elbo = model.negative_elbo(images).mean().item()
    elbo_seconds = time.perf_counter() - start
    start = time.perf_counter()
    iwae = model.importance_weighted_nll(images, k=args.k, batch_size=args.batch_size).mean().item()
    iwae_seconds = time.perf_counter() - start
    print(f"| model | test digits | −ELBO (nats) | NLL, IWAE k = {args.k} (nats) | seconds (ELBO / IWAE) |")
    print("|---|---|---|---|---|")
    print(f"| {args.model} | {len(images):,} | {negative_elbo:.2f} | {iwae:.2f} | {elbo_seconds:.1f} / {iwae_seconds:.0f} |")


def compare(args: argparse.Namespace) -> None:
    real = mnist_images(args.data_dir, train=True, limit=args.num)
    print(f"| model | FID | precision | recall | 1-NN accuracy | sharpness (Laplacian variance) | sharpness / real |")
    print("|---|---|---|---|---|---|---|")
    real_sharpness = sharpness(real)
    print(f"| real training digits | – | – | – | – | {real_sharpness:.4f} | 1.00 |")
    for spec in args.model:
        name, _, path = spec.partition("=")
        model = load(path or name).eval()
        scores = evaluate(model, "fid,pr,1nn", data="mnist", data_dir=args.data_dir, num_samples=args.num, seed=0)
        value = sharpness(model.sample(args.num, seed=0))
        print(f"| {name} | {scores['fid']:.2f} | {scores['precision']:.3f} | {scores['recall']:.3f} | "
              f"{scores['one_nn_accuracy']:.3f} | {value:.4f} | {value / real_sharpness:.2f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    nll_parser = commands.add_parser("nll", help="test −ELBO and IWAE NLL on binarised MNIST")
    nll_parser.add_argument("--model", required=True, help="a VAE checkpoint or registered name")
    nll_parser.add_argument("--k", type=int, default=5000)
    nll_parser.add_argument("--limit", type=int, default=None, help="the first N test digits only")
    nll_parser.add_argument("--batch-size", type=int, default=100)
    compare_parser = commands.add_parser("compare", help="FID, precision, recall, 1-NN and sharpness side by side")
    compare_parser.add_argument("--model", action="append", required=True, help="NAME=SPEC (repeat)")
    compare_parser.add_argument("--num", type=int, default=10000)
    for sub in (nll_parser, compare_parser):
        sub.add_argument("--data-dir", default=str(default_data_dir()), help="the folder holding MNIST/")
    args = parser.parse_args()
    {"nll": nll, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
