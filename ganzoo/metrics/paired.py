"""Scores of a translation model on paired test data: per-pixel L1, PSNR and SSIM against the ground truth.

Images are compared in [0, 1]: L1 is the mean absolute pixel error, PSNR = 10·log10(1 / MSE) per image and
SSIM (Wang et al. 2004, torchmetrics' 11×11 Gaussian window) per image, both averaged over the test set.
pix2pix's dropout is noise kept at test time, so its scores are given both ways (``dropout_on``/``_off``);
the identity mapping (the source itself as the output) is the floor every model must beat.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

PAIRED_METRICS = ("l1", "psnr", "ssim")


def paired_scores(outputs: Tensor, targets: Tensor) -> dict[str, float]:
    """L1, PSNR (dB) and SSIM of ``outputs`` against ``targets``, both (N, C, H, W) in [-1, 1]."""
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs {tuple(outputs.shape)} and targets {tuple(targets.shape)} differ in shape")
    made, real = outputs.float().add(1).div(2).clamp(0, 1), targets.float().add(1).div(2).clamp(0, 1)
    psnr = peak_signal_noise_ratio(made, real, data_range=1.0, reduction="none", dim=(1, 2, 3))
    ssim = structural_similarity_index_measure(made, real, data_range=1.0, reduction="none")
    return {"l1": (made - real).abs().mean().item(), "psnr": psnr.mean().item(), "ssim": ssim.mean().item()}


def translate_all(
    model: Any, sources: Tensor, dropout: bool | None, batch_size: int = 32, seed: int = 0, **options: Any
) -> Tensor:
    """``model.translate`` over ``sources`` in batches, seeded (dropout draws from the global RNG); ``options``
    go to ``translate`` (CycleGAN: ``inverse=True``)."""
    device = getattr(model, "device", torch.device("cpu"))
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        return torch.cat([model.translate(sources[i : i + batch_size], dropout=dropout, **options).float().cpu()
                          for i in range(0, len(sources), batch_size)])  # fmt: skip


def evaluate_translation(model: Any, sources: Tensor, targets: Tensor, seed: int = 0) -> dict[str, Any]:
    """The model's scores with test-time dropout on and off, and the identity mapping's."""
    result: dict[str, Any] = {"pairs": len(sources)}
    for name, value in paired_scores(sources, targets).items():
        result[f"identity_{name}"] = value
    for dropout in (True, False):
        scores = paired_scores(translate_all(model, sources, dropout, seed=seed), targets)
        for name, value in scores.items():
            result[f"{name}_dropout_{'on' if dropout else 'off'}"] = value
    return result
