"""Train every image variant on MNIST from its config, put their final sample grids side by side, score each.

    python benchmarks/mnist_grids.py --data-dir DIR [--steps 5000] [--accelerator gpu] [--parallel 9]
    python benchmarks/mnist_grids.py --data-dir DIR --score_only [--out mnist_runs]   # runs already in --out

Each variant runs ``python -m ganzoo fit --config configs/<variant>/mnist.yaml`` with the given
number of generator steps (in parallel processes; ``fgan:NAME`` runs ``configs/fgan/mnist.yaml`` with the
f-divergence ``NAME``, into ``<out>/fgan_NAME``); the last grid of each (64 samples of the fixed
seed-0 noise) goes into one labelled figure, ``<out>/mnist_grids.png``. Each final checkpoint is then
scored as ``ganzoo evaluate`` does (``mnist-cnn`` features, FID, KID, IS, precision/recall, 1-NN;
``--num_samples`` real training digits against as many samples, seed 0, averaged generator where the
config keeps one) and the table, with wall times, goes to ``<out>/mnist_scores.md``. ``--score_only``
skips training and scores (and draws) the runs already in ``--out``; a run's wall time is the one
``train`` recorded in ``<out>/<variant>/wall_seconds.txt``, else the time from its config file to
its last checkpoint.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ["dcgan", "wgan", "wgan_gp", "lsgan", "dragan", "sngan", "began", "minibatch", "unrolled_gan"]


def finished_run(variant: str, run_dir: Path) -> tuple[str, float, int, Path | None, Path | None]:
    """(variant, wall seconds, exit code, last grid, last checkpoint) of a run directory."""
    grids = sorted((run_dir / "samples").glob("*.png")) if (run_dir / "samples").exists() else []
    checkpoints = sorted(run_dir.rglob("*.ckpt"), key=lambda p: p.stat().st_mtime)
    if (run_dir / "wall_seconds.txt").exists():
        elapsed = float((run_dir / "wall_seconds.txt").read_text())
    elif checkpoints and (run_dir / "config.yaml").exists():
        elapsed = checkpoints[-1].stat().st_mtime - (run_dir / "config.yaml").stat().st_mtime
    else:
        elapsed = float("nan")
    return variant, elapsed, 0 if checkpoints else 1, grids[-1] if grids else None, checkpoints[-1] if checkpoints else None


def run_steps(checkpoint: Path | None, default: int) -> int:
    """Generator steps of a run, from its Lightning checkpoint's name (``...step=500.ckpt``)."""
    match = re.search(r"step=(\d+)", checkpoint.name) if checkpoint else None
    return int(match.group(1)) if match else default


def run_dir_of(variant: str, out: str) -> Path:
    return Path(out) / variant.replace(":", "_")


def fit_command(variant: str) -> list[str]:
    """``ganzoo fit`` of a variant's MNIST config; ``fgan:NAME``: the f-GAN config with divergence ``NAME``."""
    if variant.startswith("fgan:"):
        config = ROOT / "configs" / "fgan" / "mnist.yaml"
        return ["--config", str(config), "--model.init_args.loss", variant.split(":", 1)[1]]
    return ["--config", str(ROOT / "configs" / variant / "mnist.yaml")]


def train(variant: str, args: argparse.Namespace) -> tuple[str, float, int, Path | None, Path | None]:
    run_dir = run_dir_of(variant, args.out)
    command = [sys.executable, "-m", "ganzoo", "fit", *fit_command(variant)]
    command += ["--trainer.max_steps", str(args.steps), "--trainer.accelerator", args.accelerator]
    command += ["--trainer.default_root_dir", str(run_dir), "--trainer.logger", "false"]
    command += ["--trainer.enable_progress_bar", "false"]
    command += ["--data.init_args.data_dir", args.data_dir, "--data.init_args.download", "false"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        print(f"{variant} failed:\n{result.stderr[-2000:]}", flush=True)
        return variant, elapsed, result.returncode, None, None
    (run_dir / "wall_seconds.txt").write_text(f"{elapsed:.1f}\n")
    return finished_run(variant, run_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--accelerator", default="cpu")
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--variants", nargs="+", default=VARIANTS, help="config folders, or fgan:NAME")
    parser.add_argument("--out", default="mnist_runs")
    parser.add_argument("--num_samples", type=int, default=10000, help="real and generated digits per score")
    parser.add_argument("--score_only", action="store_true", help="score the runs already in --out, train nothing")
    args = parser.parse_args()
    if args.score_only:
        results = [finished_run(v, run_dir_of(v, args.out)) for v in args.variants if run_dir_of(v, args.out).exists()]
    else:
        with ThreadPoolExecutor(args.parallel) as pool:
            results = list(pool.map(lambda v: train(v, args), args.variants))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    done = [r for r in results if r[3] is not None]
    columns = min(3, len(done))
    rows = -(-len(done) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.5 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (variant, elapsed, _, grid, checkpoint) in zip(axes.flat, done):
        ax.imshow(Image.open(grid), cmap="gray")
        ax.set_title(f"{variant} ({run_steps(checkpoint, args.steps)} G steps)", fontsize=10)
    fig.tight_layout()
    fig.savefig(Path(args.out) / "mnist_grids.png", dpi=100)
    import torch

    import ganzoo
    from ganzoo.metrics.evaluate import evaluate
    from pretrained import IMAGE_METRICS  # the scores the pretrained cards publish

    where = torch.cuda.get_device_name() if args.accelerator == "gpu" else "CPU"
    lines = [
        f"Command: `python benchmarks/mnist_grids.py --steps {args.steps} --accelerator {args.accelerator} "
        f"--parallel {args.parallel} --num_samples {args.num_samples}` ({where}, torch {torch.__version__}); "
        f"`mnist-cnn` features, {args.num_samples} real training digits against {args.num_samples} samples, seed 0",
        "",
        "| variant | generator steps | wall time (s) | FID | KID | IS | precision | recall | 1-NN | generator |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, elapsed, code, _, checkpoint in results:
        if code != 0 or checkpoint is None:
            lines.append(f"| {variant} | {args.steps} | {elapsed:.0f} | failed (exit code {code}) | | | | | | |")
            continue
        score = evaluate(ganzoo.load(checkpoint), IMAGE_METRICS, data="mnist", data_dir=args.data_dir,
                     num_samples=args.num_samples, features="mnist-cnn")  # fmt: skip
        lines.append(
            f"| {variant} | {run_steps(checkpoint, args.steps)} | {elapsed:.0f} | {score['fid']:.3f} | {score['kid']:.4f} | "
            f"{score['is']:.2f} | {score['precision']:.3f} | {score['recall']:.3f} | {score['one_nn']:.3f} | "
            f"{score['generator']} |"
        )
    (Path(args.out) / "mnist_scores.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
