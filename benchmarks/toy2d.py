"""Mode coverage on ring8 and grid25 under PacGAN's protocol, over seeds; writes benchmarks/results/toy2d.md.

    python benchmarks/toy2d.py [--variants gan lsgan ...] [--seeds 0 1 2] [--workers 2] [--quick]
    python benchmarks/toy2d.py --variants pacgan --out benchmarks/results/toy2d_pacgan.md
    python benchmarks/toy2d.py --variants fgan:kl fgan:reverse_kl … --out benchmarks/results/toy2d_fgan.md

The default run trains the issue's variants and the plain GAN; ``pacgan`` (the GAN with a packed
discriminator, ``configs/pacgan/``) runs on its own, since its 30,000-step grid runs would take the
full run past an hour on 2 CPU cores.

Each run is ``python -m ganzoo fit --config configs/<variant>/<mixture>.yaml --seed_everything <seed>``
(``fgan:NAME``: ``configs/fgan/<mixture>.yaml --model.init_args.loss NAME``, an f-divergence of ``ganzoo.f_gan``);
its last ModeCoverage result (a run the NaN guard stops counts as 0 modes, "NaN at step N"; 2,500 samples, high quality = within 3σ of the nearest mode, modes
captured = modes with at least one high-quality sample, reverse KL of the mode histogram) is kept.
``--quick`` runs one seed at a tenth of the steps, to check the script. Runs go to ``--workers``
processes with one thread each (several multi-threaded torch processes on few cores slow each other
down many times over).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import torch
import yaml

from ganzoo.callbacks import ModeCoverage
from ganzoo.cli import GanzooCLI

ROOT = Path(__file__).resolve().parents[1]
MIXTURES = {"ring8": 8, "grid25": 25}
VARIANTS = ["gan", "lsgan", "wgan", "wgan_gp", "dragan", "sngan", "began", "minibatch", "unrolled_gan"]


def config_path(variant: str, mixture: str) -> Path:
    return ROOT / "configs" / variant.partition(":")[0] / f"{mixture}.yaml"


def run(variant: str, mixture: str, seed: int, max_steps: int | None, accelerator: str = "cpu") -> dict[str, float]:
    torch.set_num_threads(1)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as run_dir:
        args = ["fit", "--config", str(config_path(variant, mixture)), "--seed_everything", str(seed)]
        if ":" in variant:  # fgan:NAME
            args += ["--model.init_args.loss", variant.partition(":")[2]]
        args += ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]
        args += ["--trainer.logger", "false", "--trainer.default_root_dir", run_dir, "--trainer.accelerator", accelerator]
        if max_steps is not None:
            args += ["--trainer.max_steps", str(max_steps)]
        try:
            cli = GanzooCLI(args=args)
        except FloatingPointError as err:  # the NaN guard stopped a diverging run: no samples to score
            step = err.step  # ganzoo.models.nan_guard.non_finite_error
            minutes = (time.perf_counter() - start) / 60
            return dict(modes=0, high_quality=0.0, reverse_kl=math.inf, steps=step, diverged_at=step, minutes=minutes)
        (coverage,) = [c for c in cli.trainer.callbacks if isinstance(c, ModeCoverage)]
        steps = cli.trainer.global_step
    return dict(coverage.result, steps=steps, minutes=(time.perf_counter() - start) / 60)


def mean_std(values: list[float], digits: int = 1) -> str:
    if any(math.isinf(v) for v in values):  # reverse KL of a run that captured no mode
        return "inf"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def config_steps(variant: str, mixture: str) -> int:
    return int(yaml.safe_load(config_path(variant, mixture).read_text())["trainer"]["max_steps"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=VARIANTS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--mixtures", nargs="+", default=list(MIXTURES), choices=list(MIXTURES))
    parser.add_argument("--quick", action="store_true", help="one seed, a tenth of each config's steps")
    parser.add_argument("--workers", type=int, default=2, help="parallel runs, one thread each")
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--table_from", help="write the table of a finished run from its JSON instead of running")
    parser.add_argument("--wall_minutes", type=float, help="with --table_from: that run's wall time")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "toy2d.md"))
    args = parser.parse_args()
    seeds = args.seeds[:1] if args.quick else args.seeds
    start = time.perf_counter()
    results: dict[tuple[str, str, int], dict[str, float]] = {}
    if args.table_from:  # re-render a finished run's table
        results = {tuple(r.pop("run")): r for r in json.loads(Path(args.table_from).read_text())}
        minutes = args.wall_minutes
    else:
        steps = {(v, m): config_steps(v, m) for v in args.variants for m in args.mixtures}
        jobs = [(v, m, seed) for (v, m) in sorted(steps, key=steps.get, reverse=True) for seed in seeds]  # longest first
        raw = Path(args.out).with_suffix(".json")  # every finished run, as it finishes
        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {
                pool.submit(run, *job, steps[job[:2]] // 10 if args.quick else None, args.accelerator): job
                for job in jobs
            }
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                raw.write_text(json.dumps([{"run": list(job), **r} for job, r in results.items()], indent=1))
                print(futures[future], results[futures[future]], flush=True)
        minutes = (time.perf_counter() - start) / 60
    where = torch.cuda.get_device_name() if args.accelerator == "gpu" else "CPU"
    lines = [
        f"Seeds {seeds}; 2,500 samples; command: `python benchmarks/toy2d.py {'--quick ' if args.quick else ''}"
        f"--variants {' '.join(args.variants)} --seeds {' '.join(map(str, args.seeds))} "
        f"--mixtures {' '.join(args.mixtures)} --workers {args.workers} --accelerator {args.accelerator}`",
        "",
        "| variant | " + " | ".join(f"{m} G steps | {m} modes | {m} high-quality % | {m} reverse KL" for m in args.mixtures)
        + " | per-seed modes / HQ % | minutes per run |",
        "|---|" + "---|---|---|---|" * len(args.mixtures) + "---|---|",
    ]
    for variant in args.variants:
        cells, per_seed, run_minutes = [], [], []
        for mixture in args.mixtures:
            rows = [results[variant, mixture, seed] for seed in seeds]
            cells += [
                str(rows[0]["steps"]),
                mean_std([r["modes"] for r in rows]),
                mean_std([100 * r["high_quality"] for r in rows]),
                mean_std([r["reverse_kl"] for r in rows], 3),
            ]
            per_seed.append(f"{mixture}: " + ", ".join(
                f"NaN at step {r['diverged_at']}" if "diverged_at" in r else f"{r['modes']}/{100 * r['high_quality']:.1f}"
                for r in rows))  # fmt: skip
            run_minutes.append(f"{mixture} {statistics.mean(r['minutes'] for r in rows):.1f}")
        lines.append(f"| {variant} | " + " | ".join(cells) + f" | {'; '.join(per_seed)} | {', '.join(run_minutes)} |")
    lines.append(
        f"\nRun time: {minutes:.1f} min ({where}, {args.workers} worker processes of one "
        f"thread each, torch {torch.__version__})."
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
