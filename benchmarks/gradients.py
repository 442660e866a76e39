"""What G's gradient looks like early in training, for variants whose MNIST runs learn at different speeds.

    python benchmarks/gradients.py --data-dir DIR [--steps 200] [--variants dcgan lsgan]

Each variant's ``configs/<variant>/mnist.yaml`` (seed 0, batch 64 for all) trains ``--steps`` generator steps; then, on
64 real digits and 64 samples of a fixed noise batch (networks in training mode, as in a step), it prints D's mean
output on real and fake images, the mean ‖∇ₓD(x)‖ over the fakes, G's loss and the norm of its gradient with respect
to G's parameters. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import tempfile

import torch

from ganzoo.cli import GanzooCLI
from ganzoo.data.base import default_data_dir, to_unit_range


def measure(variant: str, steps: int, data_dir: str) -> str:
    args = ["fit", "--config", f"configs/{variant}/mnist.yaml", "--data.init_args.data_dir", data_dir,
            "--data.init_args.download", "false", "--data.init_args.batch_size", "64", "--trainer.max_steps", str(steps),
            "--trainer.logger", "false", "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary",
            "false", "--trainer.default_root_dir", tempfile.mkdtemp(), "--seed_everything", "0"]  # fmt: skip
    cli = GanzooCLI(args=args)
    model = cli.model.train()
    generator, discriminator = model.generator, model.discriminator
    real = to_unit_range(next(iter(cli.datamodule.train_dataloader()))[0][:64])
    fake = generator(model.sample_noise(64, torch.Generator().manual_seed(1)))
    inputs = fake.detach().requires_grad_(True)
    fake_scores = discriminator(inputs).flatten()
    input_gradient = torch.autograd.grad(fake_scores.sum(), inputs)[0].flatten(1).norm(dim=1).mean()
    loss = model.objective.generator_loss(discriminator(fake).flatten())
    gradients = torch.autograd.grad(loss, list(generator.parameters()))
    gradient_norm = torch.sqrt(sum(g.pow(2).sum() for g in gradients))
    with torch.no_grad():
        real_scores = discriminator(real).flatten()
    return (f"| {variant} | {steps} | {real_scores.mean():.2f} | {fake_scores.mean():.2f} | {input_gradient:.2f} | "
            f"{loss.item():.3f} | {gradient_norm:.2f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(default_data_dir()), help="the folder holding MNIST/")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--variants", nargs="+", default=["dcgan", "lsgan"])
    args = parser.parse_args()
    print("| variant | generator steps | D(real) | D(fake) | ‖∇ₓD‖ on fakes | G loss | ‖∇θ G loss‖ |")
    print("|---|---|---|---|---|---|---|")
    for variant in args.variants:
        print(measure(variant, args.steps, args.data_dir), flush=True)


if __name__ == "__main__":
    main()
