"""A grid of samples from one fixed latent batch, every N generator steps, saved as PNG and logged."""

from __future__ import annotations

from pathlib import Path

import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only
from torch import Tensor

from ganzoo.models.generative import GeneratorStepCallback, to_device


def run_directory(trainer: Trainer) -> Path:
    """Where a run writes: the logger's version folder, else ``default_root_dir``.

    ``trainer.log_dir`` broadcasts from rank 0, so every rank must call this (never under rank_zero_only).
    """
    return Path(trainer.log_dir or trainer.default_root_dir)


def render_scatter(points: Tensor, path: Path, means: Tensor | None = None, title: str = "", size: int = 480) -> None:
    """Scatter plot of 2D samples (blue dots) over the mixture's modes (red crosses), drawn with PIL (no plotting
    library needed): a square view centred on the origin out to every mode and to the 99th percentile of the
    points' absolute coordinates, axes in grey, the title on top; non-finite points are left out."""
    from PIL import Image, ImageDraw

    points = points.detach().float().cpu()
    points = points[points.isfinite().all(1)]  # a diverged run's NaN points would blank the view
    spread = [points.abs().flatten().quantile(0.99).item() if len(points) else 1.0]
    if means is not None:
        spread.append(means.abs().max().item())
    half = 1.1 * max(*spread, 1e-6)
    margin, top = 10, 24
    scale = (size - 2 * margin) / (2 * half)

    def pixel(x: float, y: float) -> tuple[float, float]:
        return margin + (x + half) * scale, top + margin + (half - y) * scale

    image = Image.new("RGB", (size, size + top), "white")
    draw = ImageDraw.Draw(image)
    (x0, y0), (x1, y1) = pixel(-half, 0), pixel(half, 0)
    draw.line([(x0, y0), (x1, y1)], fill=(200, 200, 200))
    (x0, y0), (x1, y1) = pixel(0, -half), pixel(0, half)
    draw.line([(x0, y0), (x1, y1)], fill=(200, 200, 200))
    for x, y in points.tolist():
        px, py = pixel(x, y)
        draw.ellipse([px - 1, py - 1, px + 1, py + 1], fill=(31, 119, 180))
    for x, y in (means.float().cpu().tolist() if means is not None else []):
        px, py = pixel(x, y)
        draw.line([(px - 5, py - 5), (px + 5, py + 5)], fill=(214, 39, 40), width=2)
        draw.line([(px - 5, py + 5), (px + 5, py - 5)], fill=(214, 39, 40), width=2)
    draw.text((margin, 6), title, fill="black")
    image.save(path)


class SampleGrid(GeneratorStepCallback):
    """Render ``G(z)`` for a fixed ``z`` every ``every_n_steps`` generator steps and at the end.

    Images become a ``make_grid`` PNG, 2D samples a scatter plot over the data's modes; both go to
    ``<run dir>/samples/step_XXXXXXX.png`` and to every logger that takes images (TensorBoard, W&B).
    The same seed gives the same ``z``, so grids of different steps and runs are comparable.
    With a ``GeneratorAveraging`` callback the grid shows the averaged generator; ``show_raw`` adds
    the raw generator's grid beside it (``raw_step_XXXXXXX.png``, logged as ``samples_raw``).
    """

    def __init__(
        self,
        every_n_steps: int = 500,
        num_samples: int = 64,
        seed: int = 0,
        nrow: int | None = None,
        show_raw: bool = False,
    ):
        if every_n_steps < 1:
            raise ValueError(f"every_n_steps must be positive, got {every_n_steps}")
        self.every_n_steps = every_n_steps
        self.num_samples = num_samples
        self.seed = seed
        self.nrow = nrow
        self.show_raw = show_raw
        self.fixed_noise: Tensor | dict[str, Tensor] | None = None  # the fixed latent (noise, and labels or codes)
        self.grid_nrow: int | None = None
        self.folder: Path | None = None
        self.last_path: Path | None = None
        self._last_step = -1

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        rng = torch.Generator().manual_seed(self.seed)
        self.fixed_noise, self.grid_nrow = pl_module.grid_inputs(self.num_samples, rng)
        self.fixed_noise = to_device(self.fixed_noise, torch.device("cpu"))
        run_dir = run_directory(trainer)
        self.folder = run_dir / "samples"
        rank_zero_info(f"ganzoo: writing this run to {run_dir.resolve()} (samples/, checkpoints/)")

    def on_generator_step_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.global_step % self.every_n_steps == 0:
            self.render(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.render(trainer, pl_module)

    @rank_zero_only
    def render(self, trainer: Trainer, pl_module: LightningModule) -> None:
        step = trainer.global_step
        if step == self._last_step or self.fixed_noise is None or self.folder is None:
            return
        self._last_step = step
        self.folder.mkdir(parents=True, exist_ok=True)
        views = [("", True)]  # the averaged generator when there is one
        if self.show_raw and getattr(pl_module, "averaged_generator", None) is not None:
            views.append(("raw_", False))
        for prefix, averaged in views:
            samples = pl_module.grid_images(self.fixed_noise, averaged=averaged).float().cpu()
            path = self.folder / f"{prefix}step_{step:07d}.png"
            if samples.ndim == 2:
                mixture = getattr(trainer.datamodule, "mixture", None) if trainer.datamodule else None
                render_scatter(samples, path, getattr(mixture, "means", None), f"generator step {step}")
            else:
                from torchvision.utils import save_image

                nrow = self.nrow or self.grid_nrow or max(1, int(len(samples) ** 0.5))
                save_image(samples.add(1).div(2).clamp(0, 1), path, nrow=nrow, padding=2)
            if not prefix:
                self.last_path = path
            self._send_to_loggers(trainer, path, step, key=f"samples{'_raw' if prefix else ''}")

    @staticmethod
    def _send_to_loggers(trainer: Trainer, path: Path, step: int, key: str = "samples") -> None:
        from PIL import Image

        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                import numpy as np

                image = np.asarray(Image.open(path).convert("RGB"))
                logger.experiment.add_image(key, image, step, dataformats="HWC")
            elif hasattr(logger, "log_image"):  # WandbLogger and others with an image API
                logger.log_image(key=key, images=[str(path)], step=step)
