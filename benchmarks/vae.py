"""The VAE measured: test NLL on dynamically binarised MNIST, and VAE vs GAN on the same metrics.

    python benchmarks/vae.py nll --model CKPT [--k 5000] [--limit N] [--data-dir DIR]
    python benchmarks/vae.py compare --model vae=CKPT --model dcgan=dcgan-mnist [--num 10000] [--data-dir DIR]
        [--dataset mnist|fashion-mnist]
    python benchmarks/vae.py digits [--steps 1 500 1000 1500 3000]
    python benchmarks/vae.py toy4

``nll``: on the 10,000 MNIST test digits, binarised once with seed 0 (the same test set for every model), the
negative ELBO (one draw per digit) and −log p(x) by importance sampling with k samples (Burda et al. 2016), in nats,
with the time each took. ``compare``: each model's ``num`` samples (seed 0) against as many real training digits
through ``ganzoo evaluate``'s metrics with the shipped classifier's features for the ``--dataset`` (FID, precision,
recall, 1-NN), and the sharpness of the samples (``ganzoo.metrics.sharpness``: the variance of their Laplacian) beside the real
digits'. ``digits``: configs/vae/digits.yaml (seed 0) trained for each step count, −ELBO on its 297 held-out digits,
beside a model that ignores z (each pixel's training mean: what a collapsed posterior reaches). ``toy4``:
configs/vae/toy4.yaml with and without its KL warm-up, and the non-saturating GAN with ring8's networks on the same
data and steps: modes captured and high-quality samples (within 3σ of a mode) of 2,500 samples. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import time

import torch

from ganzoo import load
from ganzoo.data import FashionMNISTDataModule, MNISTDataModule
from ganzoo.data.base import default_data_dir, to_unit_range
from ganzoo.metrics.evaluate import evaluate
from ganzoo.metrics.sharpness import sharpness


DATASETS = {"mnist": MNISTDataModule, "fashion-mnist": FashionMNISTDataModule}  # compare's --dataset
FEATURES = {"mnist": "mnist-cnn", "fashion-mnist": "fashion-mnist-cnn"}  # the shipped classifier for each


def dataset_images(data_dir: str | None, train: bool, limit: int | None = None, dataset: str = "mnist") -> torch.Tensor:
    data = DATASETS[dataset](data_dir=data_dir, download=False, train=train)
    data.setup()
    images = data.train_set.tensors[0]
    return to_unit_range(images[:limit] if limit else images)


def nll(args: argparse.Namespace) -> None:
    model = load(args.model).eval()
    images = dataset_images(args.data_dir, train=False, limit=args.limit)
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
    real = dataset_images(args.data_dir, train=True, limit=args.num, dataset=args.dataset)
    print(f"| model | FID | precision | recall | 1-NN accuracy | sharpness (Laplacian variance) | sharpness / real |")
    print("|---|---|---|---|---|---|---|")
    real_sharpness = sharpness(real)
    print(f"| real training images | – | – | – | – | {real_sharpness:.4f} | 1.00 |")
    grids = [real[:64]]
    for spec in args.model:
        name, _, path = spec.partition("=")
        model = load(path or name).eval()
        grids.append(model.sample(64, seed=0).cpu())
        scores = evaluate(model, "fid,pr,1nn", data=args.dataset, data_dir=args.data_dir, num_samples=args.num, seed=0,
                          features=FEATURES[args.dataset])  # fmt: skip
        value = sharpness(model.sample(args.num, seed=0))
        print(f"| {name} | {scores['fid']:.2f} | {scores['precision']:.3f} | {scores['recall']:.3f} | "
              f"{scores['one_nn']:.3f} | {value:.4f} | {value / real_sharpness:.2f} |")  # fmt: skip
    if args.figure:
        from torchvision.utils import make_grid, save_image

        panels = [make_grid(grid.add(1).div(2).clamp(0, 1), nrow=8, padding=2, pad_value=1.0) for grid in grids]
        gap = torch.ones(3, panels[0].shape[1], 12)
        save_image(torch.cat([p for panel in panels for p in (panel, gap)][:-1], dim=2), args.figure)
        print(f"wrote {args.figure}: real images, then each model's first 64 samples (seed 0), left to right")


def fit(config: str, *overrides: str):  # noqa: ANN201
    import tempfile

    from ganzoo.cli import GanzooCLI

    quiet = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false", "--trainer.logger", "false"]
    args = ["fit", "--config", config, *quiet, "--trainer.default_root_dir", tempfile.mkdtemp(), *overrides]
    return GanzooCLI(args=args)


def digits(args: argparse.Namespace) -> None:
    print("| steps | −ELBO, held-out digits (nats) | seconds |")
    print("|---|---|---|")
    for steps in args.steps:
        start = time.perf_counter()
        cli = fit("configs/vae/digits.yaml", "--trainer.max_steps", str(steps))
        seconds = time.perf_counter() - start
        print(f"| {steps:,} | {cli.model.negative_elbo(cli.datamodule.test_images()).mean().item():.1f} | {seconds:.0f} |")
    data = cli.datamodule
    pixel_means = (data.train_set.tensors[0].float() / 255).mean(0).clamp(1e-4, 1 - 1e-4)
    x = torch.bernoulli(data.test_images().add(1).div(2), generator=torch.Generator().manual_seed(0))
    ignores_z = -(x * pixel_means.log() + (1 - x) * (1 - pixel_means).log()).sum((1, 2, 3)).mean().item()
    print(f"| a model that ignores z (pixel means) | {ignores_z:.1f} | – |")


def toy4(args: argparse.Namespace) -> None:
    from ganzoo.callbacks import ModeCoverage

    runs = {
        "VAE (configs/vae/toy4.yaml)": ("configs/vae/toy4.yaml",),
        "VAE without the KL warm-up": ("configs/vae/toy4.yaml", "--model.init_args.kl_warmup_steps", "0"),
        "GAN (ring8's networks)": ("configs/gan/ring8.yaml", "--data.init_args.mixture", "grid", "--data.init_args.num_modes",
                                   "4", "--data.init_args.spacing", "2.0", "--data.init_args.std", "0.1", "--trainer.max_steps", "3000",
                                   "--model.init_args.g_lr_scheduler", "null", "--model.init_args.d_lr_scheduler", "null"),
    }  # fmt: skip
    print("| model | modes (of 4) | high-quality samples |")
    print("|---|---|---|")
    for name, (config, *overrides) in runs.items():
        cli = fit(config, *overrides)
        (coverage,) = [c for c in cli.trainer.callbacks if isinstance(c, ModeCoverage)]
        print(f"| {name} | {coverage.result['modes']} | {100 * coverage.result['high_quality']:.1f}% |")


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
    compare_parser.add_argument("--dataset", choices=sorted(DATASETS), default="mnist")
    compare_parser.add_argument("--figure", default=None, help="also write real digits and each model's samples here")
    digits_parser = commands.add_parser("digits", help="−ELBO on held-out digits by training steps")
    digits_parser.add_argument("--steps", type=int, nargs="+", default=[1, 500, 1000, 1500, 3000])
    commands.add_parser("toy4", help="modes and high-quality samples: VAE (with, without warm-up) and GAN")
    for sub in (nll_parser, compare_parser):
        sub.add_argument("--data-dir", default=str(default_data_dir()), help="the folder holding MNIST/ (FashionMNIST/)")
    args = parser.parse_args()
    {"nll": nll, "compare": compare, "digits": digits, "toy4": toy4}[args.command](args)


if __name__ == "__main__":
    main()
