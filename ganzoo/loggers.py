"""Weights & Biases support: fail fast without credentials, and log the full resolved config."""

from __future__ import annotations

import netrc
import os
import urllib.parse
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.cli import SaveConfigCallback

WANDB_HELP = (
    "Weights & Biases has no API key here. Log in once with `wandb login` (or set WANDB_API_KEY), or run "
    "offline with WANDB_MODE=offline and upload later with `wandb sync wandb/offline-run-*`."
)


class WandbNotReady(RuntimeError):
    """A run asked for W&B but can neither log in nor run offline."""


def _is_wandb(logger: Any) -> bool:
    return type(logger).__name__ == "WandbLogger"


def wandb_offline(logger: Any = None) -> bool:
    mode = os.environ.get("WANDB_MODE", "").lower()
    return mode in ("offline", "disabled", "dryrun") or bool(getattr(logger, "_offline", False))


def wandb_credentials_found() -> bool:
    """An API key in the environment, wandb's session/settings, or ~/.netrc for the W&B host."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
    try:
        from wandb.sdk.lib import wbauth

        return wbauth.authenticate_session(host=host, source="ganzoo", prompt=False, update_session=False) is not None
    except Exception:  # noqa: BLE001 - older or newer wandb: fall back to ~/.netrc
        pass
    try:
        return netrc.netrc().authenticators(urllib.parse.urlparse(host).hostname or host) is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        return False


def check_wandb_ready(trainer: Trainer) -> None:
    """Stop before training (never hang at a login prompt) when a W&B logger cannot log in."""
    for logger in trainer.loggers:
        if _is_wandb(logger) and not wandb_offline(logger) and not wandb_credentials_found():
            raise WandbNotReady(WANDB_HELP)


class SaveConfigToLoggers(SaveConfigCallback):
    """LightningCLI's config.yaml in the run folder, and the full resolved config sent to W&B."""

    def save_config(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        for logger in trainer.loggers:
            if _is_wandb(logger):
                logger.experiment.config.update(self.config.as_dict(), allow_val_change=True)
