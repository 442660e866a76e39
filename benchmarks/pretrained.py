"""Train, score and register a pretrained model with ganzoo's own configs (nothing else).

    python benchmarks/pretrained.py quickstart-digits
    python benchmarks/pretrained.py dcgan-mnist --data_dir ../shared/data [--steps 2000]
    python benchmarks/pretrained.py stargan-mnist-domains --data_dir ../shared/data
    python benchmarks/pretrained.py gan-cls-digits --data_dir ../shared/data
    python benchmarks/pretrained.py pix2pix-facades --data_dir ../shared/data
    python benchmarks/pretrained.py infogan-mnist --data_dir ../shared/data --seed 1 --dry_run --keep DIR
    python benchmarks/pretrained.py infogan-mnist --data_dir ../shared/data --from_kept DIR   # ship that run
    python benchmarks/pretrained.py --table      # every family's shipped models, from the metafiles

Runs ``python -m ganzoo fit --config <config>`` (with ``--trainer.max_steps`` when given), times it,
scores the final checkpoint's averaged generator *and* its raw generator at the same generator step
(the EMA comparison; StarGAN: its three figures on 2,000 test digits, ``ganzoo.metrics.domains``; translation
models: the shipped file's ``ganzoo evaluate`` on the paired test split, with the FCN-score on facades), strips it
to the generator and config (``ganzoo.zoo.strip_for_shipping``; float16 weights where the entry says ``half``), and
writes it into ``ganzoo/pretrained`` and its model card (the exact command, steps, wall time, hardware, date,
scores) into its family's metafile, from which the registry, the README and the card are regenerated. Prints the card. ``--from_kept`` ships a run kept with ``--keep`` without training it again,
scoring its checkpoint afresh with the entry's metrics.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import ganzoo
from ganzoo.checkpoints import checkpoint_class_path, file_sha256, load_checkpoint
from ganzoo.metrics.evaluate import evaluate
from ganzoo.zoo import copy_into_pretrained, strip_for_shipping

ROOT = Path(__file__).resolve().parents[1]
IMAGE_METRICS = "fid,kid,is,pr,1nn"
ENTRIES = {
    "quickstart-digits": {"config": "configs/quickstart.yaml", "data": "digits", "features": "mnist-cnn"},
    # the 15-minute CPU recipe (configs/dcgan/README.md): trains until the clock stops it
    "dcgan-mnist": {"config": "configs/dcgan/mnist_15min.yaml", "data": "mnist", "features": "mnist-cnn"},
    "dcgan-fashion-mnist": {
        "config": "configs/dcgan/fashion_mnist.yaml", "data": "fashion-mnist", "features": "fashion-mnist-cnn"},
    "wgan-gp-mnist": {"config": "configs/wgan_gp/mnist.yaml", "data": "mnist", "features": "mnist-cnn"},
    "gan-ring8": {"config": "configs/gan/ring8.yaml", "data": "ring8", "features": None},
    "cgan-mnist": {"config": "configs/cgan/mnist.yaml", "data": "mnist", "features": "mnist-cnn",
                   "metrics": IMAGE_METRICS + ",label_accuracy,intra_fid"},
    "acgan-mnist": {"config": "configs/acgan/mnist.yaml", "data": "mnist", "features": "mnist-cnn",
                    "metrics": IMAGE_METRICS + ",label_accuracy,intra_fid"},
    # the paper's G has a 1024 → 7·7·128 fully connected layer (6.4 M weights): float16 halves its 26 MB
    "infogan-mnist": {"config": "configs/infogan/mnist.yaml", "data": "mnist", "features": "mnist-cnn",
                      "metrics": IMAGE_METRICS + ",matched_accuracy,mutual_information", "half": True},
    # the 15-minute CPU recipe's winner (configs/dcgan/README.md): InfoGAN at base width 32, stopped by the clock
    "infogan-mnist-15min": {"config": "configs/infogan/mnist_15min.yaml", "data": "mnist", "features": "mnist-cnn",
                            "metrics": IMAGE_METRICS + ",matched_accuracy,mutual_information", "half": True},
    # translation models: a smaller generator than the configs' (base 16; the configs' base 32 is the ablation's)
    # so that the float16 file stays under 5 MB; scored from the shipped file itself
    "pix2pix-facades": {"config": "configs/pix2pix/facades.yaml", "data": "facades", "features": None,
                        "metrics": "translation", "half": True,
                        "overrides": ["--model.init_args.generator.init_args.base_channels", "16"]},
    "cyclegan-facades": {"config": "configs/cyclegan/facades.yaml", "data": "facades", "features": None,
                         "metrics": "translation", "half": True,
                         "overrides": ["--model.init_args.generator.init_args.base_channels", "16",
                                       "--model.init_args.inverse_generator.init_args.base_channels", "16"]},
    # the VAE for 15 minutes of the clock, the DCGAN recipe's budget (configs/vae/README.md: VAE vs GAN)
    # (its encoder ships too, for reconstructions: float16 keeps the file under 5 MB)
    "vae-mnist": {"config": "configs/vae/mnist_15min.yaml", "data": "mnist", "features": "mnist-cnn", "half": True},
    "stargan-mnist-domains": {"config": "configs/stargan/mnist_domains.yaml", "data": "mnist-domains",
                              "features": None, "metrics": "domains", "num_samples": 2000},
    # text-to-image: attribute agreement, caption retrieval and FID on the captioned test digits (metrics.captions)
    "gan-cls-digits": {"config": "configs/gan_cls/digits.yaml", "data": "captioned-digits", "features": None,
                       "metrics": "captions", "num_samples": 2000, "half": True},
}  # fmt: skip


def training_data_dir(entry: dict, data_dir: str) -> str:
    """The folder the entry's DataModule reads: the paired dataset's own folder for translation models
    (``DIR/facades``), the dataset root otherwise."""
    return str(Path(data_dir) / entry["data"]) if entry.get("metrics") == "translation" else data_dir


def translation_scores(checkpoint: Path, entry: dict, data_dir: str | None) -> dict:
    """``ganzoo evaluate`` of the file as it will ship (float16 where the entry says so) on the test pairs."""
    from ganzoo.commands import evaluate_command

    with tempfile.TemporaryDirectory() as tmp:
        shipped = strip_for_shipping(checkpoint, Path(tmp) / "shipped.ckpt", half=entry.get("half", False))
        return evaluate_command(["--ckpt", str(shipped), "--data", training_data_dir(entry, data_dir or ".")])


def domain_scores(model, data_dir: str | None, num_samples: int, averaged: bool) -> dict:  # noqa: ANN001
    """StarGAN's three figures on the first ``num_samples`` test digits of the domains it was trained on."""
    from ganzoo.metrics.domains import evaluate_trained_domains

    return evaluate_trained_domains(model, data_dir, num_samples, averaged=averaged)


def caption_scores(model, data_dir: str | None, num_samples: int, averaged: bool) -> dict:  # noqa: ANN001
    """GAN-CLS's figures on the captioned test digits of the set it was trained on (seen and held-out captions)."""
    from ganzoo.metrics.captions import evaluate_trained_captions

    return evaluate_trained_captions(model, data_dir, num_samples, averaged=averaged)


def hardware() -> str:
    cpu = platform.processor() or platform.machine()
    return f"CPU ({cpu}), {torch.get_num_threads()} threads, torch {torch.__version__}"


def table() -> str:
    """Every family's shipped models in full (the cards' ``models`` blocks), from the metafiles."""
    import metafiles

    return "\n\n".join(f"{data['title']}\n\n{metafiles.render_models(data['models'])}"
                         for data in metafiles.load_all().values() if data.get("models"))


def main() -> None:
    if sys.argv[1:] == ["--table"]:
        print(table())
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(ENTRIES))
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--steps", type=int, default=None, help="generator steps (default: the config's)")
    parser.add_argument("--num_samples", type=int, default=10000)
    parser.add_argument("--dry_run", action="store_true", help="score and print, but do not register")
    parser.add_argument("--seed", type=int, default=None, help="seed_everything (default: the config's)")
    parser.add_argument("--keep", default=None, help="also copy the final checkpoint and last grid into this folder")
    parser.add_argument("--from_kept", default=None,
                        help="register the run a --keep folder holds instead of training: its last.ckpt, scored "
                             "again with the entry's metrics, and the command and wall time in its scores.json")
    args = parser.parse_args()
    entry = ENTRIES[args.name]
    samples = entry.get("num_samples", args.num_samples)
    options = {"data": entry["data"], "data_dir": args.data_dir, "num_samples": samples}
    if entry.get("metrics") in ("domains", "translation", "captions"):
        options["metrics"] = entry["metrics"]
    elif entry["features"]:
        options.update(features=entry["features"], metrics=entry.get("metrics", IMAGE_METRICS))
    else:
        options.update(metrics="modes", num_samples=2500)
    if args.from_kept:
        kept = json.loads((Path(args.from_kept) / "scores.json").read_text())  # how the run was made
        checkpoint = Path(args.from_kept) / "last.ckpt"
        scores = scores_of(checkpoint, entry, options, args.data_dir)  # the entry's metrics, not the kept ones
        register(args, entry, options, checkpoint, kept["command"], kept["wall_seconds"], scores)
        return
    with tempfile.TemporaryDirectory() as run_dir:
        fit = ["fit", "--config", entry["config"]]
        if args.data_dir and entry["data"] not in ("digits", "ring8"):
            fit += ["--data.init_args.data_dir", training_data_dir(entry, args.data_dir)]
        fit += entry.get("overrides", [])
        if args.steps:
            fit += ["--trainer.max_steps", str(args.steps)]
        if args.seed is not None:
            fit += ["--seed_everything", str(args.seed)]
        command = "python -m ganzoo " + shlex.join(fit)
        fit += ["--trainer.default_root_dir", run_dir, "--trainer.enable_progress_bar", "false"]
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ganzoo", *fit], cwd=ROOT, check=True)
        wall = time.perf_counter() - start
        checkpoint = last_checkpoint(Path(run_dir))
        scores = scores_of(checkpoint, entry, options, args.data_dir)
        if args.keep:
            keep_run(Path(args.keep), checkpoint, Path(run_dir), command, wall, scores)
        register(args, entry, options, checkpoint, command, wall, scores)


def last_checkpoint(run_dir: Path) -> Path:
    """The checkpoint a finished run wrote last."""
    return max(run_dir.rglob("*.ckpt"), key=lambda p: p.stat().st_mtime)


def scores_of(checkpoint: Path, entry: dict, options: dict, data_dir: str | None) -> dict:
    """The entry's scores of a finished run: its averaged generator and, where the model keeps both, the raw one."""
    model = ganzoo.load(checkpoint)
    if options["metrics"] == "translation":
        return {"averaged": translation_scores(checkpoint, entry, data_dir)}
    if options["metrics"] in ("domains", "captions"):
        score = domain_scores if options["metrics"] == "domains" else caption_scores
        return {kind: score(model, data_dir, options["num_samples"], kind == "averaged") for kind in ("averaged", "raw")}
    return averaged_and_raw_scores(model, options)


def averaged_and_raw_scores(model, options: dict) -> dict:  # noqa: ANN001
    """``evaluate`` of the averaged generator, and of the raw one at the same step where the model keeps both."""
    scores = {"averaged": evaluate(model, **options)}
    if model.averaged_generator is not None:
        scores["raw"] = evaluate(model, averaged=False, **options)
    return scores


def keep_run(keep: Path, checkpoint: Path, run_dir: Path, command: str, wall: float, scores: dict) -> None:
    """Copy a run's checkpoint and last grid into ``keep`` with ``scores.json``: what ``--from_kept`` registers."""
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(checkpoint, keep / "last.ckpt")
    grids = sorted(run_dir.rglob("samples/step_*.png"))
    if grids:
        shutil.copyfile(grids[-1], keep / "grid.png")
    (keep / "scores.json").write_text(json.dumps({"command": command, "wall_seconds": round(wall, 1),
                                                  "scores": scores}, indent=2, default=str) + "\n")  # fmt: skip


def evaluated_by(name: str, entry: dict, options: dict) -> str:
    """The ``ganzoo evaluate`` command that gives the card's scores."""
    if options["metrics"] == "translation":
        return f"ganzoo evaluate --ckpt {name} --data DIR/{entry['data']}"
    if options["metrics"] in ("domains", "captions"):
        return f"ganzoo evaluate --ckpt {name} --data_dir DIR --num_samples {options['num_samples']} (and --raw)"
    return (f"ganzoo evaluate --data {entry['data']} --features {entry['features']} --metrics {options['metrics']} "
            f"--num_samples {options['num_samples']} --split train --seed 0")


def register(args: argparse.Namespace, entry: dict, options: dict, checkpoint: Path, command: str, wall: float,
             scores: dict) -> None:  # fmt: skip
    """Print the model card and, unless --dry_run, ship the checkpoint's generator into the registry."""
    saved = load_checkpoint(checkpoint)  # read once: the class and the step (no model is built)
    card = {
        "class": checkpoint_class_path(saved).rpartition(".")[2],
        "command": command,
        "config": entry["config"],
        "generator_steps": int(saved["global_step"]),
        "wall_seconds": round(wall, 1),
        "hardware": hardware(),
        "evaluated": evaluated_by(args.name, entry, options),
        "scores": {k: {m: v for m, v in s.items() if isinstance(v, (int, float, list)) and m not in ("seed", "seconds")}
                   for k, s in scores.items()},
    }  # fmt: skip
    print(json.dumps(card, indent=2))
    if not args.dry_run:
        import metafiles

        with tempfile.TemporaryDirectory() as tmp:
            shipped = strip_for_shipping(checkpoint, Path(tmp) / f"{args.name}.ckpt", card, entry.get("half", False))
            path = copy_into_pretrained(args.name, shipped)
        family = family_of(entry["config"])
        registered = {"file": path.name, "sha256": file_sha256(path), "date": time.strftime("%Y-%m-%d"), **card}
        metafiles.record_model(family, args.name, registered)
        print(f"registered {args.name} in configs/{family}/metafile.yml (and the generated registry, README, card)")


def family_of(config: str) -> str:
    """The family whose metafile records a model of ``config`` (the quickstart is DCGAN's; loss variants the GAN's)."""
    import metafiles

    folder = Path(config).parent.name
    return folder if folder in metafiles.FAMILIES else ("dcgan" if folder == "configs" else "gan")


if __name__ == "__main__":
    main()
