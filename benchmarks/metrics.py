"""Time ganzoo's evaluation against torch-fidelity's, on the same images and the same extractor.

    python benchmarks/metrics.py --data_dir ../shared/data [--num_samples 10000] [--ckpt PATH]
    python benchmarks/metrics.py --data_dir ../shared/data --num_real 60000 --no_fidelity   # the usual protocol

Real side: a seeded random subset of ``num_samples`` MNIST training images (``--num_real``: that many instead;
60000 is the whole training split, the usual protocol against 10,000 generated). Generated side: samples
of ``--ckpt`` (a ganzoo checkpoint or registry name), or, without one, as many MNIST *test* images,
which also gives the reference floor: the domain FID of real train against real test digits.
Both libraries score FID, KID, IS and precision/recall with ganzoo's shipped ``mnist-cnn``
(registered in torch-fidelity as a feature extractor), on the CPU. Printed: seconds for
torch-fidelity's ``calculate_metrics``, for ganzoo's ``evaluate`` with an empty statistics cache and
again with the real statistics cached, the ratios, and both libraries' numbers side by side.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
from torch import nn

from ganzoo.metrics.evaluate import evaluate, real_datamodule, sample_generated, sample_real
from ganzoo.metrics.features import load_domain_classifier


class Replay(nn.Module):
    """A stand-in generator that returns fixed images in order (its 'noise' is an index)."""

    def __init__(self, images: torch.Tensor):
        super().__init__()
        self.images = images
        self.generator = type("Shape", (), {"output_shape": tuple(images.shape[1:])})()
        self.position = 0

    def sample_noise(self, n: int, rng: torch.Generator | None = None) -> torch.Tensor:
        index = torch.arange(self.position, self.position + n) % len(self.images)
        self.position += n
        return index

    def sample_from(self, index: torch.Tensor) -> torch.Tensor:
        return self.images[index].float() / 127.5 - 1


def torch_fidelity_scores(real: torch.Tensor, fake: torch.Tensor, batch_size: int) -> dict[str, float]:
    import torch_fidelity
    from torch_fidelity.feature_extractor_base import FeatureExtractorBase
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

    class MnistCNN(FeatureExtractorBase):
        def __init__(self, name, features_list, **kwargs):
            super().__init__(name, features_list)
            self.cnn = load_domain_classifier("mnist-cnn")

        @staticmethod
        def get_provided_features_list():
            return ("128", "logits")

        @staticmethod
        def get_default_feature_layer_for_metric(metric):
            return {"isc": "logits", "fid": "128", "kid": "128", "prc": "128"}[metric]

        @staticmethod
        def can_be_compiled():
            return False

        @staticmethod
        def get_dummy_input_for_compile():
            return None

        def forward(self, x):
            features, logits = self.cnn.features_and_logits(x)
            return tuple({"128": features, "logits": logits}[name] for name in self.features_list)

    if "ganzoo-mnist-cnn" not in FEATURE_EXTRACTORS_REGISTRY:
        register_feature_extractor("ganzoo-mnist-cnn", MnistCNN)

    class Images(torch.utils.data.Dataset):
        def __init__(self, images):
            self.images = images

        def __len__(self):
            return len(self.images)

        def __getitem__(self, i):
            return self.images[i]

    return torch_fidelity.calculate_metrics(
        input1=Images(fake), input2=Images(real), cuda=False, batch_size=batch_size, fid=True, kid=True,
        isc=True, prc=True, feature_extractor="ganzoo-mnist-cnn", cache=False, verbose=False,
        kid_subset_size=min(1000, len(real)), save_cpu_ram=True,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", required=True)
    parser.add_argument("--num_samples", type=int, default=10000)
    parser.add_argument("--ckpt", default=None)
    parser.add_argument("--batch_size", type=int, default=200)
    parser.add_argument("--num_real", type=int, default=None, help="real images (default: --num_samples)")
    parser.add_argument("--no_fidelity", action="store_true", help="time ganzoo alone (no torch-fidelity run)")
    args = parser.parse_args()
    torch.manual_seed(0)
    n = args.num_samples
    datamodule = real_datamodule("mnist", args.data_dir, (1, 28, 28), "train")
    real = sample_real(datamodule, args.num_real or n, seed=0)
    if args.ckpt:
        import ganzoo

        fake = sample_generated(ganzoo.load(args.ckpt), n, seed=0)
        what = args.ckpt
    else:
        fake = sample_real(real_datamodule("mnist", args.data_dir, (1, 28, 28), "test"), n, seed=0)
        what = "MNIST test images"

    theirs, fidelity_seconds = {}, None
    if not args.no_fidelity:
        start = time.perf_counter()
        theirs = torch_fidelity_scores(real, fake, args.batch_size)
        fidelity_seconds = time.perf_counter() - start

    options = dict(data="mnist", data_dir=args.data_dir, num_samples=n, num_real=args.num_real, features="mnist-cnn",
                   seed=0)  # fmt: skip
    with tempfile.TemporaryDirectory() as cache:
        runs = []
        for _ in range(2):
            start = time.perf_counter()
            ours = evaluate(Replay(fake), "fid,kid,is,pr", cache_dir=cache, batch_size=args.batch_size, **options)
            runs.append(time.perf_counter() - start)
    print(f"{len(real)} real MNIST train images vs {n} of {what}; extractor mnist-cnn; CPU, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    against = ""
    if fidelity_seconds is not None:
        print(f"torch-fidelity calculate_metrics: {fidelity_seconds:.2f} s")
        against = f"   ({fidelity_seconds / runs[0]:.2f}x torch-fidelity)"
    print(f"ganzoo evaluate, empty cache:     {runs[0]:.2f} s{against}")
    print(f"ganzoo evaluate, cached real:     {runs[1]:.2f} s   ({runs[0] / runs[1]:.2f}x faster than uncached)")
    pairs = [("fid", "frechet_inception_distance"), ("kid", "kernel_inception_distance_mean"),
             ("is", "inception_score_mean"), ("precision", "precision"), ("recall", "recall")]  # fmt: skip
    print("metric      ganzoo       torch-fidelity")
    for ours_key, their_key in pairs:
        print(f"{ours_key:<10} {ours[ours_key]:>12.6g} {theirs.get(their_key, float('nan')):>14.6g}")


if __name__ == "__main__":
    main()
