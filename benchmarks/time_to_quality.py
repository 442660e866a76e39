"""Train a config for a wall-clock budget, then score what it reached: the time-to-quality table.

    python benchmarks/time_to_quality.py configs/dcgan/mnist_15min.yaml --data_dir ../shared/data \
        [--minutes 15] [--data mnist] [--features mnist-cnn] [--keep DIR] [--results FILE] [-- FIT OVERRIDES…]

Runs ``python -m ganzoo fit --config CONFIG --trainer.max_time 00:00:MM:00 --trainer.max_steps -1`` (plus any
overrides after ``--``), so the run trains for the budget however many generator steps that is, then scores the last
checkpoint's generator (the averaged copy where the run keeps one, and the raw one beside it) with ``ganzoo
evaluate``'s metrics: FID, KID, IS, precision/recall and 1-NN under the dataset's own ganzoo-trained features,
10,000 samples against the training split. Prints one markdown row (and appends it, with the scores as JSON, to ``--results``);
``--keep DIR`` keeps the checkpoint, the last grid and ``scores.json``, which ``benchmarks/pretrained.py NAME
--from_kept DIR`` registers as a pretrained model.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ganzoo
from ganzoo.checkpoints import load_checkpoint
from pretrained import averaged_and_raw_scores, keep_run, last_checkpoint

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("| command | generator steps | train wall | FID | precision | recall | 1-NN | raw G: FID / recall |\n"
          "|---|---|---|---|---|---|---|---|")  # fmt: skip


def fit_for(config: str, minutes: float, data_dir: str | None, overrides: list[str], run_dir: str) -> tuple[str, float]:
    """Train ``config`` for ``minutes`` of wall time; returns the command as a user would type it and the seconds."""
    fit = ["fit", "--config", config]
    if data_dir:
        fit += ["--data.init_args.data_dir", data_dir]
    seconds = round(minutes * 60)
    fit += ["--trainer.max_time", f"00:{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
            "--trainer.max_steps", "-1", *overrides]  # fmt: skip
    command = "python -m ganzoo " + shlex.join(fit)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ganzoo", *fit, "--trainer.default_root_dir", run_dir,
                    "--trainer.enable_progress_bar", "false"], cwd=ROOT, check=True)  # fmt: skip
    return command, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--minutes", type=float, default=15.0, help="the training budget (--trainer.max_time)")
    parser.add_argument("--data", default="mnist", help="the dataset ganzoo evaluate compares against")
    parser.add_argument("--features", default="mnist-cnn", help="the feature extractor of the metrics")
    parser.add_argument("--num_samples", type=int, default=10000)
    parser.add_argument("--keep", default=None,
                        help="keep the checkpoint, last grid and scores.json here (for pretrained.py --from_kept)")
    parser.add_argument("--results", default=None, help="append the row and the scores (JSON) to this file")
    args, overrides = parser.parse_known_args()
    overrides = [o for o in overrides if o != "--"]
    with tempfile.TemporaryDirectory() as run_dir:
        command, wall = fit_for(args.config, args.minutes, args.data_dir, overrides, run_dir)
        checkpoint = last_checkpoint(Path(run_dir))
        steps = int(load_checkpoint(checkpoint)["global_step"])
        model = ganzoo.load(checkpoint)
        options = {"data": args.data, "data_dir": args.data_dir, "features": args.features,
                   "metrics": "fid,kid,is,pr,1nn", "num_samples": args.num_samples}  # fmt: skip
        scores = averaged_and_raw_scores(model, options)
        if args.keep:
            keep_run(Path(args.keep), checkpoint, Path(run_dir), command, wall, scores)
    best, raw = scores["averaged"], scores.get("raw")
    raw_shown = f"{raw['fid']:.3f} / {raw['recall']:.3f}" if raw else "–"
    row = (f"| `{command}` | {steps} | {wall:.0f} s | {best['fid']:.3f} | {best['precision']:.3f} | "
           f"{best['recall']:.3f} | {best['one_nn']:.3f} | {raw_shown} |")  # fmt: skip
    print(HEADER + "\n" + row)
    if args.results:
        record = {"command": command, "generator_steps": steps, "wall_seconds": round(wall, 1),
                  "scores": {k: {m: v for m, v in s.items() if isinstance(v, (int, float))} for k, s in scores.items()}}
        with open(args.results, "a") as results:  # the row, then its record as a comment
            results.write(row + "\n<!-- " + json.dumps(record) + " -->\n")


if __name__ == "__main__":
    main()
