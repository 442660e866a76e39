"""Mode coverage on ring8 and grid25 under PacGAN's protocol, over seeds; writes benchmarks/results/toy2d.md.

    python benchmarks/toy2d.py [--variants gan] [--seeds 0 1 2] [--quick]

Each run is ``python -m ganzoo fit --config configs/<variant>/<mixture>.yaml --seed_everything <seed>``;
its last ModeCoverage result (2,500 samples, high quality = within 3σ of the nearest mode, modes
captured = modes with at least one high-quality sample, reverse KL of the mode histogram) is kept.
``--quick`` runs one seed at a tenth of the steps, to check the script.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from ganzoo.callbacks import ModeCoverage
from ganzoo.cli import GanzooCLI

ROOT = Path(__file__).resolve().parents[1]
MIXTURES = {"ring8": 8, "grid25": 25}


def run(variant: str, mixture: str, seed: int, max_steps: int | None, accelerator: str = "cpu") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as run_dir:
        args = ["fit", "--config", str(ROOT / "configs" / variant / f"{mixture}.yaml"), "--seed_everything", str(seed)]
        args += ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]
        args += ["--trainer.logger", "false", "--trainer.default_root_dir", run_dir, "--trainer.accelerator", accelerator]
        if max_steps is not None:
            args += ["--trainer.max_steps", str(max_steps)]
        cli = GanzooCLI(args=args)
        (coverage,) = [c for c in cli.trainer.callbacks if isinstance(c, ModeCoverage)]
        return dict(coverage.result, steps=cli.trainer.global_step)


def mean_std(values: list[float], digits: int = 1) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["gan"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--mixtures", nargs="+", default=list(MIXTURES), choices=list(MIXTURES))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "toy2d.md"))
    args = parser.parse_args()
    seeds = args.seeds[:1] if args.quick else args.seeds
    start = time.perf_counter()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = [
        f"Seeds {seeds}; 2,500 samples; command: `python benchmarks/toy2d.py {'--quick ' if args.quick else ''}"
        f"--variants {' '.join(args.variants)} --seeds {' '.join(map(str, args.seeds))} "
        f"--mixtures {' '.join(args.mixtures)} --accelerator {args.accelerator}`",
        "",
        "| variant | G steps | " + " | ".join(f"{m} modes | {m} high-quality % | {m} reverse KL" for m in args.mixtures)
        + " | per-seed modes / HQ % |",
        "|---|---|" + "---|---|---|" * len(args.mixtures) + "---|",
    ]
    out.write_text("\n".join(header) + "\n")
    print("\n".join(header), flush=True)
    for variant in args.variants:  # a row is written as soon as it is measured
        cells, per_seed, steps = [], [], None
        for mixture in args.mixtures:
            results = [run(variant, mixture, seed, 300 if args.quick else None, args.accelerator) for seed in seeds]
            steps = results[0]["steps"]
            cells += [
                mean_std([r["modes"] for r in results]),
                mean_std([100 * r["high_quality"] for r in results]),
                mean_std([r["reverse_kl"] for r in results], 3),
            ]
            per_seed.append(f"{mixture}: " + ", ".join(f"{r['modes']}/{100 * r['high_quality']:.1f}" for r in results))
        row = f"| {variant} | {steps} | " + " | ".join(cells) + f" | {'; '.join(per_seed)} |"
        with out.open("a") as f:
            f.write(row + "\n")
        print(row, flush=True)
    where = torch.cuda.get_device_name() if args.accelerator == "gpu" else f"CPU, {torch.get_num_threads()} threads"
    footer = f"\nRun time: {(time.perf_counter() - start) / 60:.1f} min ({where}, torch {torch.__version__}).\n"
    with out.open("a") as f:
        f.write(footer)
    print(footer)


if __name__ == "__main__":
    main()
