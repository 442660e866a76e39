"""Step values kept on the device and logged as means, once per ``log_every_n_steps`` generator steps.

Lightning's ``log`` costs about 1 ms a call and its progress bar reads logged values on the host after every
step, so a model keeps each step's values (and those of single updates: a critic update's loss, a penalty) here
and logs their means at the log interval and at the last step; ganzoo's bar (``ganzoo.callbacks.ProgressBar``)
reads ``bar_values`` when ``logs_written`` changes.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


class StepLog:
    """Values since the last log: the step's own (shown on the bar) and the others (logged beside them)."""

    def __init__(self) -> None:
        self.kept: dict[str, list[Tensor]] = {}
        self.bar_values: dict[str, Tensor] = {}
        self.logs_written = 0

    def keep(self, values: dict[str, Tensor]) -> None:
        for name, value in values.items():
            self.kept.setdefault(name, []).append(value.detach())

    def log_if_due(self, module: Any, trainer: Any, bar_names: list[str]) -> None:
        """At a log step, the means through ``module.log_at_generator_step`` (the bar's with ``prog_bar`` for
        Lightning's own bar)."""
        if not self.due(trainer, module.global_step):
            return
        shown, others = self.means(bar_names)
        module.log_at_generator_step(others, bar=shown, prog_bar=self.stock_bar(trainer))

    @staticmethod
    def due(trainer: Any, step: int) -> bool:
        """Whether generator step ``step`` is logged: every ``log_every_n_steps`` and the last (always, untrained)."""
        if trainer is None:
            return True
        return step % max(trainer.log_every_n_steps, 1) == 0 or step == trainer.max_steps

    @staticmethod
    def stock_bar(trainer: Any) -> bool:
        """Whether the trainer's progress bar is Lightning's own, which reads values logged to it every step."""
        bar = trainer.progress_bar_callback if trainer is not None else None
        return bar is not None and not getattr(bar, "reads_model_values", False)

    def means(self, bar_names: list[str]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """(the bar's means, the other means) over the values kept since the last log; starts a new log."""
        means = {name: torch.stack(kept).float().mean() for name, kept in self.kept.items()}
        self.kept = {}
        self.bar_values = {name: means[name] for name in bar_names}
        self.logs_written += 1
        return self.bar_values, {name: value for name, value in means.items() if name not in self.bar_values}
