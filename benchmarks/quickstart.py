"""Train the quickstart (DCGAN on the embedded digits) and judge its samples.

    python benchmarks/quickstart.py [--steps 1500] [--seed 0]

Prints wall time, the share of 1,000 samples that an SVM fitted on the real digits classifies with
probability ≥ 0.5 (real digits: > 99%, noise: 0%), and the judged class histogram.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ganzoo.cli import GanzooCLI
from ganzoo.metrics import digits_confidence

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as run_dir:
        start = time.perf_counter()
        cli = GanzooCLI(
            args=["fit", "--config", str(ROOT / "configs/quickstart.yaml"), "--seed_everything", str(args.seed)]
            + ["--trainer.max_steps", str(args.steps), "--trainer.enable_progress_bar", "false"]
            + ["--trainer.logger", "false", "--trainer.default_root_dir", run_dir]
        )
        elapsed = time.perf_counter() - start
    result = digits_confidence(cli.model.sample(1000, seed=0))
    print(f"quickstart DCGAN, {args.steps} generator steps, seed {args.seed}: {elapsed:.0f} s")
    print(f"confidently digits: {100 * result['confident']:.1f}%   classes: {result['classes']}")


if __name__ == "__main__":
    main()
