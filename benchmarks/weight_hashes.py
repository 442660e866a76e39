"""SHA-256 of the weights after seeded 200-step runs, and of shipped models' samples: a refactor keeps both.

    python benchmarks/weight_hashes.py [--steps 200] [--out FILE] [--root CHECKOUT]

Runs each config below through ``python -m ganzoo fit`` (seed 0, no logger) and hashes every tensor of
the final state dict, network by network (generator, discriminator, averaged generator, and the others:
CycleGAN's inverse generator, BEGAN's k_t, …) in key order, then loads every registered pretrained model and
hashes ``sample(16, seed=0)``, or for a translation model its translation of 4 seeded random images.
Equal hashes before and after a change mean bit-identical behaviour. The conditional and translation configs
read real data from ``../shared/data`` (skipped when it is absent) and run fewer steps (their networks are larger).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "gan ring8": "configs/gan/ring8.yaml",
    "dcgan quickstart": "configs/quickstart.yaml",
    "wgan-gp ring8": "configs/wgan_gp/ring8.yaml",
    "began ring8": "configs/began/ring8.yaml",
    "unrolled ring8": "configs/unrolled_gan/ring8.yaml",
    "dragan ring8": "configs/dragan/ring8.yaml",
    "lsgan ring8": "configs/lsgan/ring8.yaml",
    "wgan ring8": "configs/wgan/ring8.yaml",
    "sngan ring8": "configs/sngan/ring8.yaml",
    "pacgan ring8": "configs/pacgan/ring8.yaml",
    "minibatch ring8": "configs/minibatch/ring8.yaml",
    "cgan digits": "configs/cgan/digits.yaml",
}
SHARED_DATA = ROOT.parent / "shared" / "data"
# name → (config, generator steps, data_dir below ../shared/data): conditional and translation models on real data
DATA_CONFIGS = {
    "acgan mnist": ("configs/acgan/mnist.yaml", 30, "."),
    "infogan mnist": ("configs/infogan/mnist.yaml", 20, "."),
    "pix2pix facades": ("configs/pix2pix/facades.yaml", 20, "facades"),
    "cyclegan facades": ("configs/cyclegan/facades.yaml", 10, "facades"),
    "stargan domains": ("configs/stargan/mnist_domains.yaml", 10, "."),
}


def tensor_hash(tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for key in sorted(tensors):
        digest.update(key.encode())
        digest.update(tensors[key].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def run_hash(config: str, steps: int, root: Path = ROOT, extra: list[str] = ()) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "ganzoo", "fit", "--config", config, "--trainer.max_steps", str(steps),
             "--trainer.logger", "false", "--trainer.default_root_dir", tmp, "--trainer.enable_progress_bar", "false",
             "--seed_everything", "0", *extra],
            cwd=root, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        (ckpt,) = Path(tmp).rglob("*.ckpt")
        state = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
    groups = {}
    for prefix in ("generator.", "discriminator.", "averaged_generator."):
        part = {k: v for k, v in state.items() if k.startswith(prefix)}
        if part:
            groups[prefix.rstrip(".")] = tensor_hash(part)
    for name in sorted({k.split(".")[0] for k in state} - {"generator", "discriminator", "averaged_generator"}):
        groups[name] = tensor_hash({k: v for k, v in state.items() if k.split(".")[0] == name})
    return groups


def model_kind(model) -> str:  # noqa: ANN001
    """The model's kind by its class: multi_domain (StarGAN), translating (pix2pix, CycleGAN) or sampling; in a
    checkout from before ``ganzoo.models.translating`` (``--root`` of an older commit) by its methods."""
    try:
        from ganzoo.models.translating import TranslatingModule
    except ImportError:  # an older checkout: its models declare no kind
        if hasattr(model, "num_domains"):
            return "multi_domain"
        return "translating" if hasattr(model, "translate") else "sampling"
    if isinstance(model, TranslatingModule):
        return "multi_domain" if model.multi_domain else "translating"
    return "sampling"


def translation_hash(model) -> str:  # noqa: ANN001
    """The model's translation of 4 seeded random images (test-time dropout seeded too; StarGAN into domain 1)."""
    torch.manual_seed(0)
    x = torch.rand(4, *model.generator.input_shape) * 2 - 1
    options = {"domains": 1} if model_kind(model) == "multi_domain" else {}
    return tensor_hash({"x": model.translate(x, **options)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--out", default=None)
    parser.add_argument("--root", default=str(ROOT), help="the checkout to run (e.g. a worktree of an older commit)")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    lines = [f"# weight hashes after {args.steps} seeded generator steps (sha256 prefix)", ""]
    for name, config in CONFIGS.items():
        hashes = run_hash(config, args.steps, root)
        lines.append(f"{name:<18} " + "  ".join(f"{k}={v}" for k, v in hashes.items()))
        print(lines[-1], flush=True)
    for name, (config, steps, data) in DATA_CONFIGS.items():
        if not SHARED_DATA.is_dir():
            print(f"{name}: skipped, no {SHARED_DATA}")
            continue
        extra = ["--data.init_args.data_dir", str(SHARED_DATA / data), "--data.init_args.num_workers", "0"]
        hashes = run_hash(config, steps, root, extra)
        lines.append(f"{name:<18} ({steps} steps) " + "  ".join(f"{k}={v}" for k, v in hashes.items()))
        print(lines[-1], flush=True)
    sys.path.insert(0, str(root))
    import ganzoo

    for card in ganzoo.list_models():
        name = card["name"]
        model = ganzoo.load(name)
        if model_kind(model) != "sampling":  # pix2pix, CycleGAN, StarGAN: no noise to sample from
            lines.append(f"{'pretrained ' + name:<18} translate(4 seeded images)={translation_hash(model)}")
        else:
            samples = model.sample(16, seed=0)
            lines.append(f"{'pretrained ' + name:<18} sample(16, seed=0)={tensor_hash({'x': samples})}")
        print(lines[-1], flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
