"""Generator steps per second of DCGAN on MNIST-sized data: ganzoo against a plain PyTorch loop.

Both run in this process with the same networks (G 100→256·7·7→128·14·14→1·28·28 and its mirror D),
the same Adam(2e-4, β1 = 0.5) optimizers, batch size, data and losses. Prints both rates and the ratio.

    python benchmarks/throughput.py [--steps 60] [--warmup 10] [--batch-size 64] [--accelerator cpu|gpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from ganzoo import losses
from ganzoo.data.base import GANDataModule, to_unit_range
from ganzoo.models import DCGAN
from ganzoo.nets import DCGANDiscriminator, DCGANGenerator


def networks() -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    return (
        DCGANGenerator(latent_dim=100, image_size=28, channels=1, base_channels=128),
        DCGANDiscriminator(image_size=28, channels=1, base_channels=128),
    )


def mnist_sized_images(n: int) -> torch.Tensor:
    return torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


class InMemory(GANDataModule):
    def __init__(self, images: torch.Tensor, batch_size: int):
        super().__init__(batch_size=batch_size)
        self.train_set = TensorDataset(images, torch.zeros(len(images), dtype=torch.long))

    @property
    def data_shape(self) -> tuple[int, ...]:
        return (1, 28, 28)


def plain_loop(images: torch.Tensor, steps: int, warmup: int, batch_size: int, device: torch.device) -> float:
    generator, discriminator = (m.to(device) for m in networks())
    g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = DataLoader(TensorDataset(images), batch_size=batch_size, shuffle=True, drop_last=True)
    step, start = 0, 0.0
    while step < steps + warmup:
        for (batch,) in loader:
            if step == warmup:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
            real = to_unit_range(batch.to(device))
            with torch.no_grad():  # Algorithm 1: the D step and the G step each draw their own noise
                fake = generator(torch.randn(len(real), 100, device=device))
            d_loss = losses.minimax_discriminator_loss(discriminator(real), discriminator(fake))
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
            for p in discriminator.parameters():
                p.requires_grad_(False)
            fake = generator(torch.randn(len(real), 100, device=device))
            g_loss = losses.non_saturating_generator_loss(discriminator(fake))
            g_opt.zero_grad(set_to_none=True)
            g_loss.backward()
            g_opt.step()
            for p in discriminator.parameters():
                p.requires_grad_(True)
            step += 1
            if step == steps + warmup:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


class StepTimer(pl.Callback):
    """Wall time from generator step ``warmup`` to the end of training, in ``elapsed``."""

    def __init__(self, warmup: int):
        self.warmup = warmup
        self.start = self.elapsed = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step == self.warmup:
            if pl_module.device.type == "cuda":
                torch.cuda.synchronize()
            self.start = time.perf_counter()

    def on_train_end(self, trainer, pl_module):
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize()
        self.elapsed = time.perf_counter() - self.start


def ganzoo_loop(images: torch.Tensor, steps: int, warmup: int, batch_size: int, accelerator: str, precision: str) -> float:
    generator, discriminator = networks()
    model = DCGAN(generator, discriminator)
    timer = StepTimer(warmup)
    trainer = pl.Trainer(
        max_steps=steps + warmup,
        accelerator=accelerator,
        devices=1,
        precision=precision,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[timer],
    )
    trainer.fit(model, InMemory(images, batch_size))
    return steps / timer.elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    device = torch.device("cuda" if args.accelerator == "gpu" else "cpu")
    images = mnist_sized_images(args.batch_size * (args.steps + args.warmup + 1))
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"DCGAN, 1×28×28, batch {args.batch_size}, {args.steps} timed generator steps after {args.warmup}; {name}")
    print("| run | plain PyTorch (G steps/s) | ganzoo (G steps/s) | ganzoo / plain |")
    print("|---|---|---|---|")
    ratios = []
    for repeat in range(args.repeats):  # interleaved, so drift in machine load hits both
        plain = plain_loop(images, args.steps, args.warmup, args.batch_size, device)
        ours = ganzoo_loop(images, args.steps, args.warmup, args.batch_size, args.accelerator, "32-true")
        ratios.append(ours / plain)
        print(f"| {repeat + 1} | {plain:.2f} | {ours:.2f} | {ours / plain:.3f} |")
    print(f"median ratio ganzoo / plain: {statistics.median(ratios):.3f} (target ≥ 0.95)")


if __name__ == "__main__":
    main()
