"""Where a ganzoo training step spends its host time: cProfile over the throughput benchmark's ganzoo loop.

    python benchmarks/profile_step.py [--nets dcgan|ring8] [--ema] [--threads N] [--accelerator gpu] [--steps 100]
                                      [--steps-per-call K] [--sort cumulative] [--dump FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

import torch
from throughput import lightning_loop, training_data

from ganzoo.nvml import skip_nvml_probe_without_driver

WARMUP = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--nets", default="dcgan", choices=["dcgan", "ring8"])
    parser.add_argument("--ema", action="store_true", help="keep an EMA of G, as throughput.py --ema")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--steps-per-call", type=int, default=1, help="ganzoo's steps_per_call: K G steps a call")
    parser.add_argument("--sort", default="tottime", help="a pstats sort key, e.g. cumulative")
    parser.add_argument("--dump", default=None, metavar="FILE", help="also write the raw profile here (pstats)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    skip_nvml_probe_without_driver()  # as the ganzoo command does
    data = training_data(args.nets, args.batch_size * (args.steps + WARMUP + 1))
    profiler = cProfile.Profile()
    profiler.enable()
    rate = lightning_loop(data, args.steps, WARMUP, args.batch_size, args.accelerator, args.nets, args.ema,
                          steps_per_call=args.steps_per_call)
    profiler.disable()
    print(f"{rate:.1f} generator steps/s (under the profiler)")
    if args.dump:
        profiler.dump_stats(args.dump)
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
