"""ganzoo's generator step outside Lightning against the plain loop's step: what ganzoo's own step costs.

    python benchmarks/step_only.py [--nets ring8|dcgan] [--threads 1] [--batch-size 256] [--chunks 40] [--repeats 3]

``AdversarialModule.generator_step`` (the hooks, the trainable-group switch, the NaN check, the update path
``steps_per_call`` runs; Lightning's optimizer wrappers around the optimizers, no trainer, nothing logged) and
``plain_loop.plain_step`` alternate in chunks of 50 generator steps in one process, each on its own networks and
on batches gathered alike (``PlainLoop.next_batch``); no EMA on either side. The ratio is plain time / ganzoo time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from lightning.pytorch.core.optimizer import LightningOptimizer
from plain_loop import PlainLoop, networks, training_data

from ganzoo.batch import Batch
from ganzoo.models import GAN
from ganzoo.nvml import skip_nvml_probe_without_driver

CHUNK = 50


def ganzoo_outside_lightning(nets: str) -> GAN:
    """ganzoo's GAN on the benchmark's networks (the plain loop's optimizers: Adam 2e-4, β1 0.5), its optimizers
    in Lightning's wrappers as in a fit, updates on the direct path a one-device 32-bit fit takes, nothing logged."""
    model = GAN(*networks(nets))
    optimizers, _ = model.configure_optimizers()
    model.fit_optimizers = dict(zip(model.optimizer_groups, (LightningOptimizer(o) for o in optimizers)))
    model.fit_schedulers, model.direct_updates = [], True
    model.log_step = lambda **values: None  # no trainer to log to
    return model


def ratio(nets: str, batch_size: int, chunks: int) -> float:
    data = training_data(nets, batch_size * 2000)
    model, plain = ganzoo_outside_lightning(nets), PlainLoop(data, batch_size, torch.device("cpu"), nets, ema=False)
    batches = PlainLoop(data, batch_size, torch.device("cpu"), nets, ema=False)  # ganzoo's batches, gathered alike
    ganzoo_time = plain_time = 0.0
    for chunk in range(chunks + 1):  # the first chunk of each warms up
        start = time.perf_counter()
        for _ in range(CHUNK):
            model.generator_step([Batch(batches.next_batch())])
        middle = time.perf_counter()
        for _ in range(CHUNK):
            plain.step()
        if chunk:
            ganzoo_time, plain_time = ganzoo_time + middle - start, plain_time + time.perf_counter() - middle
    return plain_time / ganzoo_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", default="ring8", choices=["ring8", "dcgan"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--chunks", type=int, default=40, help=f"alternations of {CHUNK} steps each")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    skip_nvml_probe_without_driver()
    ratios = [ratio(args.nets, args.batch_size, args.chunks) for _ in range(args.repeats)]
    print(f"{args.nets}, batch {args.batch_size}, {args.threads} thread(s): ganzoo's step outside Lightning / plain "
          f"step: runs {', '.join(f'{r:.3f}' for r in ratios)}; median {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
