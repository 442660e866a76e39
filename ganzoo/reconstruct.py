"""``ganzoo sample --model SPEC --reconstruct DIR``: a VAE's reconstructions of the images in a folder.

The grid pairs each input (top row of a pair) with the decoder's mean at its posterior mean (row below).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

def read_folder(folder: Path, shape: tuple[int, ...], limit: int) -> Any:
    """Up to ``limit`` images of ``folder`` (sorted by name), resized to ``shape`` (C, H, W), in [-1, 1]."""
    import torch

    from ganzoo.data.base import to_unit_range
    from ganzoo.data.images import read_image
    from ganzoo.data.paired import image_files, resize_image

    files = image_files(folder, ": --reconstruct takes a folder of images")[:limit]
    channels, size = shape[0], shape[-1]
    images = torch.stack([resize_image(read_image(path, channels), size) for path in files])
    return to_unit_range(images)


def reconstruct_command(model: Any, folder: str, out: str, num: int, raw: bool) -> Path:
    """Write the input/reconstruction grid of up to ``num`` images of ``folder`` to ``out``; returns its path."""
    import torch
    from torchvision.utils import save_image

    from ganzoo.models.vae import VAE

    if not isinstance(model, VAE):
        raise ValueError(f"{type(model).__name__} has no encoder to reconstruct with: --reconstruct is for the VAE")
    shape = tuple(model.generator.output_shape)
    if len(shape) != 3:
        raise ValueError(f"--reconstruct is for image models; this VAE makes {shape}-shaped data")
    images = read_folder(Path(folder), shape, num)
    reconstructions = model.reconstruct(images, averaged=not raw).float().cpu()
    row = max(1, min(8, len(images)))
    pairs = [part for start in range(0, len(images), row) for part in (images[start : start + row], reconstructions[start : start + row])]
    grid = torch.cat([torch.cat([p, p.new_full((row - len(p), *shape), -1.0)]) for p in pairs])
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(grid.add(1).div(2).clamp(0, 1), path, nrow=row, padding=2)
    return path
