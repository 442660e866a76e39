"""Lightning's progress bar, reading the values it shows on the host once per log, not once per step.

ganzoo models log their losses every ``log_every_n_steps`` generator steps (``AdversarialModule.log_step``), but
Lightning converts every value logged with ``prog_bar=True`` to a number (``.item()``: on a GPU, a wait for every
queued kernel) after every training step, logged anew or not. With this bar the model logs without ``prog_bar``
and the bar reads the model's ``bar_values`` itself when ``logs_written`` changes; the step count and speed still
move every step. ``ganzoo fit`` uses it in place of Lightning's default bar.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import TQDMProgressBar

from ganzoo.models.adversarial import AdversarialModule


class ProgressBar(TQDMProgressBar):
    """``TQDMProgressBar`` that shows a ganzoo model's last logged values, read once per log."""

    reads_model_values = True  # what AdversarialModule.log_step checks before logging with prog_bar

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._values: dict[str, float] = {}
        self._read_for: int | None = None  # the model's logs_written when the values were read

    def get_metrics(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, Any]:
        written = pl_module.logs_written if isinstance(pl_module, AdversarialModule) else None
        if written is not None and written != self._read_for:
            self._values = {name: float(value) for name, value in pl_module.bar_values.items()}  # one read a log
            self._read_for = written
        several = isinstance(pl_module, AdversarialModule) and pl_module.steps_per_call > 1
        steps = {"g_step": trainer.global_step} if several else {}  # the bar counts Lightning steps
        return {**super().get_metrics(trainer, pl_module), **steps, **self._values}
