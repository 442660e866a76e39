"""Small builders shared by the tests."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch

from ganzoo.data import DigitsDataModule, Toy2DDataModule
from ganzoo.models import DCGAN, GAN
from ganzoo.nets import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator


def tiny_toy_gan(**kwargs: Any) -> GAN:
    return GAN(MLPGenerator(latent_dim=2, hidden_dims=[16, 16]), MLPDiscriminator(hidden_dims=[16, 16]), **kwargs)


def tiny_dcgan(image_size: int = 16, channels: int = 1, **kwargs: Any) -> DCGAN:
    return DCGAN(
        DCGANGenerator(latent_dim=8, image_size=image_size, channels=channels, base_channels=8),
        DCGANDiscriminator(image_size=image_size, channels=channels, base_channels=8),
        **kwargs,
    )


def toy_data(batch_size: int = 32, num_samples: int = 2048, **kwargs: Any) -> Toy2DDataModule:
    return Toy2DDataModule(batch_size=batch_size, num_samples=num_samples, **kwargs)


def digits_data(batch_size: int = 32) -> DigitsDataModule:
    return DigitsDataModule(image_size=16, batch_size=batch_size)


def trainer(tmp_path, **kwargs: Any) -> pl.Trainer:
    options: dict[str, Any] = dict(
        default_root_dir=str(tmp_path),
        accelerator="cpu",
        devices=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        enable_checkpointing=False,
    )
    options.update(kwargs)
    return pl.Trainer(**options)


def parameters_of(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


class SaveRankState(pl.Callback):
    """Each rank saves its parameters and a draw from its RNG at the end of training."""

    def __init__(self, folder: str):
        self.folder = folder

    def on_train_end(self, trainer, pl_module):
        state = {
            "params": {k: v.detach().cpu() for k, v in pl_module.named_parameters()},
            "noise": torch.randn(4),
            "wrapped": sorted(getattr(pl_module, "ddp_networks", {})),  # the VAE has none: one wrapper around it
        }
        torch.save(state, f"{self.folder}/rank{trainer.global_rank}.pt")


class NaNOnOneRank(GAN):
    """A GAN whose generator loss turns NaN at ``bad_step`` on rank ``bad_rank`` only (the NaN-guard tests)."""

    def __init__(self, generator: torch.nn.Module, discriminator: torch.nn.Module, bad_step: int = 3, bad_rank: int = 1,
                 **kwargs: Any):  # fmt: skip
        super().__init__(generator, discriminator, **kwargs)
        self.bad_step, self.bad_rank = bad_step, bad_rank

    def generator_loss(self, fake: Any, real: Any) -> torch.Tensor:
        loss = super().generator_loss(fake, real)
        bad = self.global_step == self.bad_step and self.global_rank == self.bad_rank
        return loss * float("nan") if bad else loss


class KillAtStep(pl.Callback):
    """SIGKILLs its own process once training reaches generator step ``step`` (the exact-resume tests)."""

    def __init__(self, step: int):
        self.step = step

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step >= self.step:
            import os
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
