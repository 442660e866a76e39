"""SHA-256 of the weights after seeded 200-step runs, and of shipped models' samples: a refactor keeps both.

    python benchmarks/weight_hashes.py [--steps 200] [--out FILE] [--root CHECKOUT]

Runs each config below through ``python -m ganzoo fit`` (seed 0, no logger) and hashes every tensor of
the final state dict (generator, discriminator, averaged generator) in key order, then loads every
registered pretrained model and hashes ``sample(16, seed=0)`` (translation models are listed, not hashed).
Equal hashes before and after a change mean bit-identical behaviour.
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
}


def tensor_hash(tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for key in sorted(tensors):
        digest.update(key.encode())
        digest.update(tensors[key].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def run_hash(config: str, steps: int, root: Path = ROOT) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "ganzoo", "fit", "--config", config, "--trainer.max_steps", str(steps),
             "--trainer.logger", "false", "--trainer.default_root_dir", tmp, "--trainer.enable_progress_bar", "false",
             "--seed_everything", "0"],
            cwd=root, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        (ckpt,) = Path(tmp).rglob("*.ckpt")
        state = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
    groups = {}
    for prefix in ("generator.", "discriminator.", "averaged_generator."):
        part = {k: v for k, v in state.items() if k.startswith(prefix)}
        if part:
            groups[prefix.rstrip(".")] = tensor_hash(part)
    return groups


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
    sys.path.insert(0, str(root))
    import ganzoo

    for card in ganzoo.list_models():
        name = card["name"]
        model = ganzoo.load(name)
        if hasattr(model, "translate"):  # pix2pix, CycleGAN, StarGAN: no noise to sample from
            lines.append(f"{'pretrained ' + name:<18} translation model, not hashed")
        else:
            samples = model.sample(16, seed=0)
            lines.append(f"{'pretrained ' + name:<18} sample(16, seed=0)={tensor_hash({'x': samples})}")
        print(lines[-1], flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
