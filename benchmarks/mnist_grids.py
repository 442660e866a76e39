"""Train every image variant on MNIST from its config and put their final sample grids side by side.

    python benchmarks/mnist_grids.py --data-dir DIR [--steps 5000] [--accelerator gpu] [--parallel 9]

Each variant runs ``python -m ganzoo fit --config configs/<variant>/mnist.yaml`` with the given
number of generator steps (in parallel processes); the last grid of each (64 samples of the fixed
seed-0 noise) goes into one labelled figure, ``<out>/mnist_grids.png``, with wall times printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ["dcgan", "wgan", "wgan_gp", "lsgan", "dragan", "sngan", "began", "minibatch", "unrolled_gan"]


def train(variant: str, args: argparse.Namespace) -> tuple[str, float, int, Path | None]:
    run_dir = Path(args.out) / variant
    command = [sys.executable, "-m", "ganzoo", "fit", "--config", str(ROOT / "configs" / variant / "mnist.yaml")]
    command += ["--trainer.max_steps", str(args.steps), "--trainer.accelerator", args.accelerator]
    command += ["--trainer.default_root_dir", str(run_dir), "--trainer.logger", "false"]
    command += ["--trainer.enable_progress_bar", "false", "--trainer.enable_checkpointing", "false"]
    command += ["--data.init_args.data_dir", args.data_dir, "--data.init_args.download", "false"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    elapsed = time.perf_counter() - start
    grids = sorted((run_dir / "samples").glob("*.png")) if (run_dir / "samples").exists() else []
    if result.returncode != 0:
        print(f"{variant} failed:\n{result.stderr[-2000:]}", flush=True)
    return variant, elapsed, result.returncode, grids[-1] if grids else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--accelerator", default="cpu")
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--variants", nargs="+", default=VARIANTS)
    parser.add_argument("--out", default="mnist_runs")
    args = parser.parse_args()
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
    for ax, (variant, elapsed, _, grid) in zip(axes.flat, done):
        ax.imshow(Image.open(grid), cmap="gray")
        ax.set_title(f"{variant} ({args.steps} G steps)", fontsize=10)
    fig.tight_layout()
    fig.savefig(Path(args.out) / "mnist_grids.png", dpi=100)
    print("| variant | generator steps | wall time (s) | exit code |")
    print("|---|---|---|---|")
    for variant, elapsed, code, _ in results:
        print(f"| {variant} | {args.steps} | {elapsed:.0f} | {code} |")


if __name__ == "__main__":
    main()
