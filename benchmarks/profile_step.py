"""Where a ganzoo training step spends its host time: cProfile over the throughput benchmark's DCGAN.

    python benchmarks/profile_step.py [--accelerator gpu] [--steps 300]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

from throughput import ganzoo_loop, mnist_sized_images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", help="a pstats sort key, e.g. cumulative")
    args = parser.parse_args()
    images = mnist_sized_images(64 * (args.steps + 11))
    profiler = cProfile.Profile()
    profiler.enable()
    rate = ganzoo_loop(images, args.steps, 10, 64, args.accelerator, "32-true")
    profiler.disable()
    print(f"{rate:.1f} generator steps/s")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
