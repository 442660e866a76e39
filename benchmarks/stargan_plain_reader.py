"""StarGAN's digits kept per target domain, read by an independent classifier: the plain MNIST classifier
(``mnist-cnn``, trained on ordinary white digits) on the ink, each pixel's largest channel, beside the same reader
on the real test digits of that domain; per target domain also for the digits 3, 5 and 8.

    python benchmarks/stargan_plain_reader.py --model stargan-mnist-domains --data_dir ../shared/data --num 2000
"""

from __future__ import annotations

import argparse

import torch

import ganzoo
from ganzoo.data.base import to_unit_range
from ganzoo.data.domains import MNISTDomainsDataModule
from ganzoo.metrics.domains import predict
from ganzoo.metrics.features import load_domain_classifier


def ink(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) uint8 or [-1, 1] images → (N, 1, H, W) in [-1, 1]: each pixel's largest channel."""
    return to_unit_range(images).float().amax(1, keepdim=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="stargan-mnist-domains")
    parser.add_argument("--data_dir", default=None)
    parser.add_argument("--num", type=int, default=2000, help="the first NUM test digits")
    args = parser.parse_args()
    model = ganzoo.load(args.model).eval()
    images, domains, digits = MNISTDomainsDataModule(args.data_dir, download=False).test_set(args.num)
    reader = load_domain_classifier("mnist-cnn")
    real_read = predict(reader, ink(images)) == digits
    sources = to_unit_range(images)
    print(f"real test digits read (all domains): {float(real_read.float().mean()):.3f}")
    print("| target domain | kept | real of that domain | kept 3 / 5 / 8 | real 3 / 5 / 8 |\n|---|---|---|---|---|")
    for target, name in enumerate(model.domains["names"]):
        chosen = (domains != target).nonzero().flatten()
        with torch.no_grad():
            outputs = torch.cat([model.translate(sources[part], target).float() for part in chosen.split(250)])
        kept, in_domain = predict(reader, ink(outputs)) == digits[chosen], domains == target
        kept_by = " / ".join(f"{float(kept[digits[chosen] == c].float().mean()):.2f}" for c in (3, 5, 8))
        real_by = " / ".join(f"{float(real_read[in_domain & (digits == c)].float().mean()):.2f}" for c in (3, 5, 8))
        print(f"| {name} | {float(kept.float().mean()):.3f} | {float(real_read[in_domain].float().mean()):.3f} | "
              f"{kept_by} | {real_by} |")


if __name__ == "__main__":
    main()
