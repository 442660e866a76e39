"""DCGAN under each precision: generator steps per second and whether training stays finite.

    python benchmarks/precision.py [--accelerator gpu] [--steps 200] [--precisions 32-true 16-mixed bf16-mixed]

Trains the quickstart DCGAN at 32×32 on the embedded digits, batch 128, for the same number of
generator steps under each precision and prints a table.
"""

from __future__ import annotations

import argparse

import lightning.pytorch as pl
import torch
from throughput import StepTimer

from ganzoo.data import DigitsDataModule
from ganzoo.models import DCGAN
from ganzoo.nets import DCGANDiscriminator, DCGANGenerator


def run(precision: str, accelerator: str, steps: int, warmup: int) -> dict:
    pl.seed_everything(0, verbose=False)
    model = DCGAN(
        DCGANGenerator(latent_dim=100, image_size=32, channels=1, base_channels=64),
        DCGANDiscriminator(image_size=32, channels=1, base_channels=64),
    )
    timer = StepTimer(warmup)
    trainer = pl.Trainer(
        max_steps=steps + warmup, accelerator=accelerator, devices=1, precision=precision, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, callbacks=[timer],
    )  # fmt: skip
    trainer.fit(model, DigitsDataModule(image_size=32, batch_size=128))
    scaler = getattr(trainer.precision_plugin, "scaler", None)
    return {
        "steps_per_s": steps / timer.elapsed,
        "d_loss": float(trainer.callback_metrics["d_loss"]),
        "g_loss": float(trainer.callback_metrics["g_loss"]),
        "finite": all(torch.isfinite(p).all() for p in model.parameters()),
        "scale": scaler.get_scale() if scaler is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--precisions", nargs="+", default=["32-true", "16-mixed", "bf16-mixed"])
    args = parser.parse_args()
    device = torch.cuda.get_device_name() if args.accelerator == "gpu" else "CPU"
    print(f"DCGAN 1×32×32, batch 128, {args.steps} timed generator steps; {device}")
    print("| precision | G steps/s | final d_loss | final g_loss | weights finite | grad-scaler scale |")
    print("|---|---|---|---|---|---|")
    for precision in args.precisions:
        r = run(precision, args.accelerator, args.steps, args.warmup)
        print(
            f"| {precision} | {r['steps_per_s']:.1f} | {r['d_loss']:.3f} | {r['g_loss']:.3f} | {r['finite']} | "
            f"{r['scale'] if r['scale'] is not None else '-'} |"
        )


if __name__ == "__main__":
    main()
