"""Generator steps per second: ganzoo against a plain PyTorch loop with the same networks.

Both run in this process with the same networks, the same Adam(2e-4, β1 = 0.5) optimizers, batch size, data
and losses; with ``--ema`` both keep an EMA of G (ganzoo: ``GeneratorAveraging``; the plain loop: one
``torch._foreach_lerp_``). ``--nets dcgan``: G 100→256·7·7→128·14·14→1·28·28 and its mirror D on MNIST-sized
images; ``--nets ring8``: the ring8 MLPs (3 × 128 hidden) on 2-D points, where host overhead dominates the step
as it does on a GPU. The plain loop is the fastest honest one (``plain_loop.py``): its data, prepared, stay on the
device and each batch is one gather through a per-epoch ``torch.randperm``; the figures use it (``--plain-loader
dataloader``: a ``DataLoader`` read sample by sample instead, as most scripts do, and as figures before it did).
ganzoo reads the data the way its own DataModules do (``InMemoryTensors``: one gather per batch on the host, then
the copy to the device). ``--steps-per-call K`` builds ganzoo's GAN with ``steps_per_call=K``: K generator steps
per Lightning step. Every figure counts generator steps (``trainer.global_step``), never Lightning steps;
``--steps`` and ``--warmup`` are generator steps, the warm-up rounded up to a multiple of K so that timing starts
where a Lightning step does. Prints each loop's rate and the ratio. ``--bare-lightning`` adds a third loop: a bare
``LightningModule`` (manual optimization) doing exactly the plain loop's step on ganzoo's data, one step per
Lightning step whatever K (the floor any Lightning-based loop stands on at K = 1). Every loop runs with
``ganzoo.nvml``'s setting, as a script that does not import Lightning would (without the NVIDIA driver, Adam's
steps would otherwise retry loading NVML, in all three loops alike).

By default each loop runs on its own, one after the other. ``--paired`` alternates them instead: after every
Lightning step, as many plain steps as it took generator steps (K), each side timed on its own
(``PairedPlainSteps``), so that a noisy machine's drift meets both loops alike; on a GPU it waits for the device
at every switch, which a host-bound loop would not.

    python benchmarks/throughput.py [--nets dcgan|ring8] [--ema] [--steps 60] [--warmup 10] [--batch-size 64]
                                    [--steps-per-call K] [--accelerator cpu|gpu] [--threads N] [--bare-lightning]
                                    [--paired] [--plain-loader device|dataloader]
"""

from __future__ import annotations

import argparse
import statistics
import time

import lightning.pytorch as pl
import torch
from plain_loop import (
    EMA_DECAY, PLAIN_LOADERS, PlainLoop, networks, plain_loop, plain_step, prepare, synchronize, training_data,
)

from ganzoo.callbacks import GeneratorAveraging
from ganzoo.data.base import GANDataModule, InMemoryTensors
from ganzoo.models import GAN
from ganzoo.nvml import skip_nvml_probe_without_driver


class InMemory(GANDataModule):
    """The data as ganzoo's own DataModules hold it (``InMemoryTensors``: one gather per batch)."""

    def __init__(self, data: torch.Tensor, batch_size: int):
        super().__init__(batch_size=batch_size)
        self.train_set = InMemoryTensors(data, torch.zeros(len(data), dtype=torch.long))
        self.shape = tuple(data.shape[1:])

    @property
    def data_shape(self) -> tuple[int, ...]:
        return self.shape


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
    """Generator steps per second after a warm-up: timing starts with the first Lightning step that begins at or
    after generator step ``warmup`` and ends with training; ``steps`` generator steps (``trainer.global_step``,
    however many a Lightning step takes) in ``elapsed`` seconds, ``rate`` = ``steps / elapsed``.
    ``optimizer_steps``: what ``global_step`` counts per generator step (2 for ``BareLightning``'s two optimizers)."""

    def __init__(self, warmup: int, optimizer_steps: int = 1):
        self.warmup, self.optimizer_steps = warmup, optimizer_steps
        self.start = self.elapsed = 0.0
        self.first: int | None = None  # the generator step timing started at
        self.steps = 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.first is None and trainer.global_step // self.optimizer_steps >= self.warmup:
            synchronize(pl_module.device)
            self.start, self.first = time.perf_counter(), trainer.global_step // self.optimizer_steps

    def on_train_end(self, trainer, pl_module):
        synchronize(pl_module.device)
        self.elapsed = time.perf_counter() - self.start
        self.steps = trainer.global_step // self.optimizer_steps - self.first if self.first is not None else 0

    @property
    def rate(self) -> float:
        return self.steps / self.elapsed


class PairedPlainSteps(pl.Callback):
    """Paired timing: after every Lightning step, as many steps of a ``PlainLoop`` as that Lightning step took
    generator steps (K with ``steps_per_call: K``), each side timed on its own. The two sides alternate every few
    milliseconds, so this VM's drift (±15 % from run to run) meets both alike and cancels in the ratio. The Lightning
    side is everything from the end of one plain step to the end of the next Lightning step: the whole loop around
    the step (fetching, transfer, hooks, callbacks) and the step itself. Timed: the Lightning steps that begin at or
    after generator step ``warmup`` and their plain steps; ``timed_steps`` counts their generator steps."""

    def __init__(self, plain: PlainLoop, warmup: int, optimizer_steps: int):
        self.plain, self.warmup, self.optimizer_steps = plain, warmup, optimizer_steps
        self.lightning_time = self.plain_time = 0.0
        self.timed_steps = self.done = 0  # done: generator steps when the last Lightning step ended
        self.plain_done: float | None = None  # when the last plain step ended

    def on_train_batch_end(self, trainer, pl_module, *args):
        synchronize(pl_module.device)
        lightning_done = time.perf_counter()
        steps = trainer.global_step // self.optimizer_steps - self.done
        timed = self.done >= self.warmup and self.plain_done is not None
        self.done += steps
        if timed:
            self.lightning_time += lightning_done - self.plain_done
            self.timed_steps += steps
        for _ in range(steps):
            self.plain.step()
        synchronize(pl_module.device)
        self.plain_done = time.perf_counter()
        if timed:
            self.plain_time += self.plain_done - lightning_done


def round_warmup(warmup: int, steps_per_call: int) -> int:
    """The warm-up rounded up to a multiple of K, so that timing starts where a Lightning step does."""
    return -(-warmup // steps_per_call) * steps_per_call


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


def lightning_model(
    nets: str, ema: bool, bare: bool, steps_per_call: int
) -> tuple[pl.LightningModule, list[pl.Callback], int]:
    """ganzoo's GAN with ``steps_per_call`` (and ``GeneratorAveraging`` for ``ema``), or with ``bare`` the
    ``BareLightning`` floor (one step per Lightning step); its callbacks and how many optimizer steps Lightning
    counts per generator step."""
    generator, discriminator = networks(nets)
    if bare:  # Lightning counts both optimizers' steps of a bare module in global_step
        return BareLightning(generator, discriminator, ema), [], 2
    # non-saturating G, Adam(2e-4, β1 = 0.5): the plain loop's
    model = GAN(generator, discriminator, steps_per_call=steps_per_call)
    return model, [GeneratorAveraging(decay=EMA_DECAY)] if ema else [], 1


def lightning_loop(
    data: torch.Tensor, steps: int, warmup: int, batch_size: int, accelerator: str, nets: str, ema: bool,
    bare: bool = False, steps_per_call: int = 1,
) -> float:
    """Generator steps per second of ganzoo's GAN, or with ``bare`` of the ``BareLightning`` floor."""
    model, callbacks, optimizer_steps = lightning_model(nets, ema, bare, steps_per_call)
    warmup = warmup if bare else round_warmup(warmup, steps_per_call)
    timer = StepTimer(warmup, optimizer_steps)
    fit(model, [timer, *callbacks], (steps + warmup) * optimizer_steps, accelerator, data, batch_size)
    return timer.rate


def paired_loop(
    data: torch.Tensor, steps: int, warmup: int, batch_size: int, accelerator: str, nets: str, ema: bool,
    bare: bool = False, steps_per_call: int = 1, plain_loader: str = "device",
) -> tuple[float, float]:
    """(Lightning, plain) generator steps per second, the two loops' steps alternating (``PairedPlainSteps``)."""
    model, callbacks, optimizer_steps = lightning_model(nets, ema, bare, steps_per_call)
    warmup = warmup if bare else round_warmup(warmup, steps_per_call)
    device = torch.device("cuda" if accelerator == "gpu" else "cpu")
    plain = PlainLoop(data, batch_size, device, nets, ema, plain_loader)
    paired = PairedPlainSteps(plain, warmup, optimizer_steps)
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
    parser.add_argument("--steps-per-call", type=int, default=1, help="ganzoo's steps_per_call: K G steps a call")
    parser.add_argument("--plain-loader", default="device", choices=PLAIN_LOADERS, help="the plain loop's batches")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    skip_nvml_probe_without_driver()  # what ganzoo's setup does, here before the plain loop's first step too
    device = torch.device("cuda" if args.accelerator == "gpu" else "cpu")
    k = args.steps_per_call
    warmup = round_warmup(args.warmup, k)  # every loop, the bare one too, times the same generator steps
    data = training_data(args.nets, args.batch_size * (args.steps + warmup + 1))
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"{args.nets}{' + EMA' if args.ema else ''}, batch {args.batch_size}, steps_per_call K = {k}, "
          f"{args.steps} timed generator steps after {warmup}{' (rounded up to K)' if warmup != args.warmup else ''}"
          f"; plain loop's batches: {args.plain_loader}; {name}")
    bare_columns = (" bare Lightning (G steps/s) | bare / plain |", "---|---|") if args.bare_lightning else ("", "")
    if args.bare_lightning and args.paired:
        bare_columns = (" plain, paired with bare |" + bare_columns[0], "---|" + bare_columns[1])
    print(f"| run | plain PyTorch (G steps/s) | ganzoo (G steps/s) | ganzoo / plain |{bare_columns[0]}")
    print(f"|---|---|---|---|{bare_columns[1]}")
    ratios, bare_ratios = [], []
    run = (args.steps, warmup, args.batch_size)
    for repeat in range(args.repeats):  # interleaved, so drift in machine load hits each loop alike
        if args.paired:
            ours, plain = paired_loop(data, *run, args.accelerator, args.nets, args.ema, False, k, args.plain_loader)
        else:
            plain = plain_loop(data, *run, device, args.nets, args.ema, args.plain_loader)
            ours = lightning_loop(data, *run, args.accelerator, args.nets, args.ema, steps_per_call=k)
        ratios.append(ours / plain)
        row = f"| {repeat + 1} | {plain:.2f} | {ours:.2f} | {ours / plain:.3f} |"
        if args.bare_lightning:
            if args.paired:  # its own plain loop, paired with it
                bare, plain = paired_loop(data, *run, args.accelerator, args.nets, args.ema, True, 1, args.plain_loader)
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
