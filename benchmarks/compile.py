"""Generator steps per second with and without ``torch.compile`` (``ganzoo.callbacks.CompileNetworks``).

    python benchmarks/compile.py [--nets dcgan sngan-resnet] [--steps 40] [--warmup 5] [--batch-size 64]
                                 [--accelerator cpu|gpu] [--repeats 2]

``dcgan``: the networks of ``configs/dcgan/mnist.yaml`` (28×28, base 64) trained as ``DCGAN``, both compiled;
``sngan-resnet``: those of ``configs/sngan/cifar10_resnet.yaml`` (ResNet G 256, D 128 with spectral norm, hinge loss,
5 critic updates per generator step) on 32×32 RGB, its generator compiled (spectral norm cannot be). Random uint8
images held in memory, the same seed for both runs. The first ``warmup`` generator steps (where compiling happens)
are not timed; their wall time is printed as the compile cost.
"""

from __future__ import annotations

import argparse
import statistics
import time

import lightning.pytorch as pl
import torch
from throughput import InMemory, StepTimer

from ganzoo.callbacks import CompileNetworks
from ganzoo.models import DCGAN, SNGAN
from ganzoo.nets import DCGANDiscriminator, DCGANGenerator, ResNetDiscriminator, ResNetGenerator


# spectral norm's in-place power iteration cannot run under a compiled backward: SNGAN compiles its G only
COMPILED = {"dcgan": None, "sngan-resnet": ["generator"]}


def build(nets: str) -> tuple[pl.LightningModule, tuple[int, ...]]:
    torch.manual_seed(0)
    if nets == "dcgan":
        return DCGAN(DCGANGenerator(100, 28, 1, 64), DCGANDiscriminator(28, 1, 64)), (1, 28, 28)
    generator = ResNetGenerator(latent_dim=128, channels=3, width=256)
    return SNGAN(generator, ResNetDiscriminator(channels=3, width=128), n_critic=5), (3, 32, 32)


class FirstSteps(pl.Callback):
    """Wall time from the start of training to generator step ``warmup`` (compiling happens in it)."""

    def __init__(self, warmup: int):
        self.warmup, self.start, self.seconds = warmup, 0.0, 0.0

    def on_train_start(self, trainer, pl_module):  # noqa: ANN001, ANN201
        self.start = time.perf_counter()

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):  # noqa: ANN001, ANN201
        if trainer.global_step == self.warmup:
            self.seconds = time.perf_counter() - self.start


def steps_per_second(nets: str, compiled: bool, steps: int, warmup: int, batch_size: int, accelerator: str):
    model, shape = build(nets)
    n_critic = getattr(model, "n_critic", 1)
    data = torch.randint(0, 256, (batch_size * n_critic * (steps + warmup + 1), *shape), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(0))  # fmt: skip
    timer, first = StepTimer(warmup), FirstSteps(warmup)
    callbacks = [timer, first, *([CompileNetworks(networks=COMPILED[nets])] if compiled else [])]
    trainer = pl.Trainer(max_steps=steps + warmup, accelerator=accelerator, devices=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         callbacks=callbacks)  # fmt: skip
    trainer.fit(model, InMemory(data, batch_size))
    return steps / timer.elapsed, first.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", default=["dcgan", "sngan-resnet"], choices=["dcgan", "sngan-resnet"])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    device = torch.cuda.get_device_name() if args.accelerator == "gpu" else f"CPU, {torch.get_num_threads()} threads"
    print(f"batch {args.batch_size}, {args.steps} timed generator steps after {args.warmup}; {device}, "
          f"torch {torch.__version__}")  # fmt: skip
    print("| nets | run | eager (G steps/s) | compiled (G steps/s) | compiled / eager | warm-up eager / compiled |")
    print("|---|---|---|---|---|---|")
    for nets in args.nets:
        ratios = []
        for repeat in range(args.repeats):  # interleaved, so drift in machine load hits both
            eager, eager_warmup = steps_per_second(nets, False, args.steps, args.warmup, args.batch_size,
                                                   args.accelerator)  # fmt: skip
            compiled, compile_warmup = steps_per_second(nets, True, args.steps, args.warmup, args.batch_size,
                                                        args.accelerator)  # fmt: skip
            ratios.append(compiled / eager)
            print(f"| {nets} | {repeat + 1} | {eager:.2f} | {compiled:.2f} | {compiled / eager:.3f} | "
                  f"{eager_warmup:.1f} s / {compile_warmup:.1f} s |")  # fmt: skip
        print(f"| {nets} | median | | | {statistics.median(ratios):.3f} | |")


if __name__ == "__main__":
    main()
