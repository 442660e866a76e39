"""Generator steps per second: ganzoo against a plain PyTorch loop with the same networks.

Both run in this process with the same networks, the same Adam(2e-4, β1 = 0.5) optimizers, batch size, data
and losses; with ``--ema`` both keep an EMA of G (ganzoo: ``GeneratorAveraging``; the plain loop: one
``torch._foreach_lerp_``). ``--nets dcgan``: G 100→256·7·7→128·14·14→1·28·28 and its mirror D on MNIST-sized
images; ``--nets ring8``: the ring8 MLPs (3 × 128 hidden) on 2-D points, where host overhead dominates the step
as it does on a GPU. The plain loop reads a ``TensorDataset`` as most loops do; ganzoo reads it the way its own
DataModules do (``InMemoryTensors``: one gather per batch, not one lookup per sample). Prints both rates and the
ratio. ``--bare-lightning`` adds a third loop: a bare ``LightningModule`` (manual optimization) doing exactly the
plain loop's step on ganzoo's data, the floor any Lightning-based loop stands on. Every loop runs with
``ganzoo.nvml``'s setting, as a script that does not import Lightning would (without the NVIDIA driver, Adam's
steps would otherwise retry loading NVML, in all three loops alike).

By default each loop runs on its own, one after the other. ``--paired`` alternates them step by step instead: after
every Lightning step, one plain step, each side timed on its own (``PairedPlainSteps``), so that a noisy machine's
drift meets both loops alike; on a GPU it waits for the device at every switch, which a host-bound loop would not.

    python benchmarks/throughput.py [--nets dcgan|ring8] [--ema] [--steps 60] [--warmup 10] [--batch-size 64]
                                    [--accelerator cpu|gpu] [--threads N] [--bare-lightning] [--paired]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from ganzoo import losses
from ganzoo.data.base import GANDataModule, InMemoryTensors, to_unit_range
from ganzoo.callbacks import GeneratorAveraging
from ganzoo.models import GAN
from ganzoo.nets import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from ganzoo.nvml import skip_nvml_probe_without_driver

EMA_DECAY = 0.999


def networks(nets: str) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    if nets == "ring8":
        return MLPGenerator(latent_dim=2, data_dim=2, hidden_dims=[128] * 3), MLPDiscriminator(2, [128] * 3)
    return (
        DCGANGenerator(latent_dim=100, image_size=28, channels=1, base_channels=128),
        DCGANDiscriminator(image_size=28, channels=1, base_channels=128),
    )


def training_data(nets: str, n: int) -> torch.Tensor:
    """uint8 MNIST-sized images (dcgan), or 2-D points on a ring of radius 1 (ring8)."""
    rng = torch.Generator().manual_seed(0)
    if nets == "ring8":
        angle = torch.randint(0, 8, (n,), generator=rng) * (torch.pi / 4)
        return torch.stack([angle.cos(), angle.sin()], 1) + 0.01 * torch.randn(n, 2, generator=rng)
    return torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=rng)


def prepare(batch: torch.Tensor) -> torch.Tensor:
    return to_unit_range(batch) if batch.dtype == torch.uint8 else batch


class InMemory(GANDataModule):
    """The data as ganzoo's own DataModules hold it (``InMemoryTensors``: one gather per batch)."""

    def __init__(self, data: torch.Tensor, batch_size: int):
        super().__init__(batch_size=batch_size)
        self.train_set = InMemoryTensors(data, torch.zeros(len(data), dtype=torch.long))
        self.shape = tuple(data.shape[1:])

    @property
    def data_shape(self) -> tuple[int, ...]:
        return self.shape


def plain_step(
    generator: torch.nn.Module, discriminator: torch.nn.Module, g_opt: Any, d_opt: Any, real: torch.Tensor,
    averaged: list[torch.Tensor], backward: Callable[[torch.Tensor], None] = torch.Tensor.backward,
) -> None:
    """One generator step as a plain loop writes it (the D step, then the G step; each draws its own noise, as
    Algorithm 1 does), then the EMA of G into ``averaged`` (empty: none). ``backward``: Lightning's in BareLightning."""
    latent_dim = generator.latent_dim
    with torch.no_grad():
        fake = generator(torch.randn(len(real), latent_dim, device=real.device))
    d_loss = losses.minimax_discriminator_loss(discriminator(real), discriminator(fake))
    d_opt.zero_grad(set_to_none=True)
    backward(d_loss)
    d_opt.step()
    discriminator.requires_grad_(False)
    fake = generator(torch.randn(len(real), latent_dim, device=real.device))
    g_loss = losses.non_saturating_generator_loss(discriminator(fake))
    g_opt.zero_grad(set_to_none=True)
    backward(g_loss)
    g_opt.step()
    discriminator.requires_grad_(True)
    if averaged:
        with torch.no_grad():
            torch._foreach_lerp_(averaged, [p.detach() for p in generator.parameters()], 1 - EMA_DECAY)


class PlainLoop:
    """The plain loop's state: its own networks, optimizers, ``TensorDataset`` loader and EMA copies; ``step()``
    reads the next batch (a new epoch when the loader runs out) and takes one generator step."""

    def __init__(self, data: torch.Tensor, batch_size: int, device: torch.device, nets: str, ema: bool):
        self.generator, self.discriminator = (m.to(device) for m in networks(nets))
        self.averaged = [p.detach().clone() for p in self.generator.parameters()] if ema else []
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.loader = DataLoader(TensorDataset(data), batch_size=batch_size, shuffle=True, drop_last=True)
        self.device, self.batches = device, iter(())

    def step(self) -> None:
        batch = next(self.batches, None)
        if batch is None:
            self.batches = iter(self.loader)
            batch = next(self.batches)
        real = prepare(batch[0].to(self.device))
        plain_step(self.generator, self.discriminator, self.g_opt, self.d_opt, real, self.averaged)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def plain_loop(
    data: torch.Tensor, steps: int, warmup: int, batch_size: int, device: torch.device, nets: str, ema: bool
) -> float:
    loop = PlainLoop(data, batch_size, device, nets, ema)
    for _ in range(warmup):
        loop.step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        loop.step()
    synchronize(device)
    return steps / (time.perf_counter() - start)


class BareLightning(pl.LightningModule):
    """The plain loop's step as a bare LightningModule: no ganzoo, only Lightning's loop around it."""

    def __init__(self, generator: torch.nn.Module, discriminator: torch.nn.Module, ema: bool):
        super().__init__()
        self.automatic_optimization = False
        self.generator, self.discriminator, self.ema = generator, discriminator, ema
        self.averaged: list[torch.Tensor] = []

    def on_train_start(self) -> None:  # the EMA's copies on the device the weights were moved to
        self.averaged = [p.detach().clone() for p in self.generator.parameters()] if self.ema else []

    def configure_optimizers(self):  # noqa: ANN201
        return [torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999))
                for net in (self.generator, self.discriminator)]  # fmt: skip

    def training_step(self, batch, batch_idx):  # noqa: ANN001, ANN201
        g_opt, d_opt = self.optimizers()
        plain_step(self.generator, self.discriminator, g_opt, d_opt, prepare(batch.images), self.averaged,
                   backward=self.manual_backward)


class StepTimer(pl.Callback):
    """Wall time from generator step ``warmup`` to the end of training, in ``elapsed``."""

    def __init__(self, warmup: int):
        self.warmup = warmup
        self.start = self.elapsed = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step == self.warmup:
            synchronize(pl_module.device)
            self.start = time.perf_counter()

    def on_train_end(self, trainer, pl_module):
        synchronize(pl_module.device)
        self.elapsed = time.perf_counter() - self.start


class PairedPlainSteps(pl.Callback):
    """Paired timing: after every Lightning step, one step of a ``PlainLoop``, each side timed on its own. The two
    sides alternate every few milliseconds, so this VM's drift (±15 % from run to run) meets both alike and cancels
    in the ratio. The Lightning side is everything from the end of one plain step to the end of the next Lightning
    step: the whole loop around the step (fetching, transfer, hooks, callbacks) and the step itself."""

    def __init__(self, plain: PlainLoop, warmup: int, optimizer_steps: int):
        self.plain, self.warmup, self.optimizer_steps = plain, warmup, optimizer_steps
        self.lightning_time = self.plain_time = 0.0
        self.timed_steps = 0
        self.plain_done: float | None = None  # when the last plain step ended

    def on_train_batch_end(self, trainer, pl_module, *args):
        synchronize(pl_module.device)
        lightning_done = time.perf_counter()
        timed = trainer.global_step // self.optimizer_steps > self.warmup and self.plain_done is not None
        if timed:
            self.lightning_time += lightning_done - self.plain_done
            self.timed_steps += 1
        self.plain.step()
        synchronize(pl_module.device)
        self.plain_done = time.perf_counter()
        if timed:
            self.plain_time += self.plain_done - lightning_done


def fit(model: pl.LightningModule, callbacks: list[pl.Callback], max_steps: int, accelerator: str,
        data: torch.Tensor, batch_size: int) -> None:  # fmt: skip
    """``max_steps`` optimizer steps of ``model`` on ``data`` (no logger, checkpoints, bar or summary)."""
    trainer = pl.Trainer(
        max_steps=max_steps,
        accelerator=accelerator,
        devices=1,
        precision="32-true",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
    )
    trainer.fit(model, InMemory(data, batch_size))


def lightning_model(nets: str, ema: bool, bare: bool) -> tuple[pl.LightningModule, list[pl.Callback], int]:
    """ganzoo's GAN (with ``GeneratorAveraging`` for ``ema``), or with ``bare`` the ``BareLightning`` floor; its
    callbacks and how many optimizer steps Lightning counts per generator step."""
    generator, discriminator = networks(nets)
    if bare:  # Lightning counts both optimizers' steps of a bare module in global_step
        return BareLightning(generator, discriminator, ema), [], 2
    # non-saturating G, Adam(2e-4, β1 = 0.5): the plain loop's
    return GAN(generator, discriminator), [GeneratorAveraging(decay=EMA_DECAY)] if ema else [], 1


def lightning_loop(
    data: torch.Tensor, steps: int, warmup: int, batch_size: int, accelerator: str, nets: str, ema: bool,
    bare: bool = False,
) -> float:
    """Generator steps per second of ganzoo's GAN, or with ``bare`` of the ``BareLightning`` floor."""
    model, callbacks, optimizer_steps = lightning_model(nets, ema, bare)
    timer = StepTimer(optimizer_steps * warmup)
    fit(model, [timer, *callbacks], (steps + warmup) * optimizer_steps, accelerator, data, batch_size)
    return steps / timer.elapsed


def paired_loop(
    data: torch.Tensor, steps: int, warmup: int, batch_size: int, accelerator: str, nets: str, ema: bool,
    bare: bool = False,
) -> tuple[float, float]:
    """(Lightning, plain) generator steps per second, the two loops' steps alternating (``PairedPlainSteps``)."""
    model, callbacks, optimizer_steps = lightning_model(nets, ema, bare)
    device = torch.device("cuda" if accelerator == "gpu" else "cpu")
    paired = PairedPlainSteps(PlainLoop(data, batch_size, device, nets, ema), warmup, optimizer_steps)
    fit(model, [*callbacks, paired], (steps + warmup) * optimizer_steps, accelerator, data, batch_size)
    return paired.timed_steps / paired.lightning_time, paired.timed_steps / paired.plain_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--nets", default="dcgan", choices=["dcgan", "ring8"])
    parser.add_argument("--ema", action="store_true", help="both loops keep an EMA of G")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--bare-lightning", action="store_true", help="also time a bare LightningModule")
    parser.add_argument("--paired", action="store_true", help="alternate the plain loop's steps with Lightning's")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    skip_nvml_probe_without_driver()  # what ganzoo's setup does, here before the plain loop's first step too
    device = torch.device("cuda" if args.accelerator == "gpu" else "cpu")
    data = training_data(args.nets, args.batch_size * (args.steps + args.warmup + 1))
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"{args.nets}{' + EMA' if args.ema else ''}, batch {args.batch_size}, {args.steps} timed generator steps "
          f"after {args.warmup}; {name}")
    bare_columns = (" bare Lightning (G steps/s) | bare / plain |", "---|---|") if args.bare_lightning else ("", "")
    if args.bare_lightning and args.paired:
        bare_columns = (" plain, paired with bare |" + bare_columns[0], "---|" + bare_columns[1])
    print(f"| run | plain PyTorch (G steps/s) | ganzoo (G steps/s) | ganzoo / plain |{bare_columns[0]}")
    print(f"|---|---|---|---|{bare_columns[1]}")
    ratios, bare_ratios = [], []
    run = (args.steps, args.warmup, args.batch_size)
    for repeat in range(args.repeats):  # interleaved, so drift in machine load hits each loop alike
        if args.paired:
            ours, plain = paired_loop(data, *run, args.accelerator, args.nets, args.ema)
        else:
            plain = plain_loop(data, *run, device, args.nets, args.ema)
            ours = lightning_loop(data, *run, args.accelerator, args.nets, args.ema)
        ratios.append(ours / plain)
        row = f"| {repeat + 1} | {plain:.2f} | {ours:.2f} | {ours / plain:.3f} |"
        if args.bare_lightning:
            if args.paired:  # its own plain loop, paired with it
                bare, plain = paired_loop(data, *run, args.accelerator, args.nets, args.ema, bare=True)
                row += f" {plain:.2f} |"
            else:
                bare = lightning_loop(data, *run, args.accelerator, args.nets, args.ema, bare=True)
            bare_ratios.append(bare / plain)
            row += f" {bare:.2f} | {bare / plain:.3f} |"
        print(row, flush=True)
    print(f"median ratio ganzoo / plain: {statistics.median(ratios):.3f}")
    if bare_ratios:
        print(f"median ratio bare Lightning / plain: {statistics.median(bare_ratios):.3f}")


if __name__ == "__main__":
    main()
