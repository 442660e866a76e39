"""An average of the generator's weights over training: EMA or a uniform average (Yazıcı et al. 2019).

* ``ema``: ``θ̂ ← β·θ̂ + (1 − β)·θ`` after each generator step (``torch.optim.swa_utils``'s
  ``get_ema_multi_avg_fn``). With ``rampup`` (StyleGAN2's ``ema_rampup``) the half-life
  ``h = ln 0.5 / ln β`` is capped at ``rampup · t`` for the t-th averaged step, so early averages
  are not dominated by the random initial weights: ``β_t = 0.5 ** (1 / min(h, rampup · t))``.
* ``uniform``: ``θ̂ = 1/(N − n) · Σ_{i=n+1..N} θ_i`` from generator step ``n = start_step`` on
  (``AveragedModel``'s default running mean).

Only the generator is averaged (Lightning's ``EMAWeightAveraging`` would average G and D together and
count discriminator steps). The average lives in the model as ``averaged_generator`` (an
``AveragedModel``), so it is saved in every checkpoint, restored on resume, and used by
``sample``/``sample_from``, ``SampleGrid``, ``GenerativeMetrics`` and ``ganzoo evaluate`` by default.
BatchNorm running statistics are averaged alongside the weights (``use_buffers=True``): the averaged
generator is used in eval mode with those averaged statistics.

No step waits for the device: how many steps are averaged is counted on the host (read once when training
starts), so the copy-or-average choice and the ramp-up need no ``int(n_averaged)``, which
``AveragedModel.update_parameters`` would read twice a step (``update_average``).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable, Literal

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, get_swa_multi_avg_fn


@torch.no_grad()
def update_average(averaged: AveragedModel, model: nn.Module, averaged_steps: int, multi_avg_fn: Callable) -> None:
    """``AveragedModel.update_parameters`` (``use_buffers=True``) with the number of steps already averaged
    given by the host: the first update copies, later ones apply ``multi_avg_fn`` to the floating-point tensors
    (integer buffers, BatchNorm's ``num_batches_tracked``, take the model's value); the device-side
    ``n_averaged`` (kept for checkpoints) is incremented without being read."""
    pairs = zip(itertools.chain(averaged.module.parameters(), averaged.module.buffers()),
                itertools.chain(model.parameters(), model.buffers()))  # fmt: skip
    by_dtype: dict[torch.dtype, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}
    for mean, current in pairs:
        if averaged_steps == 0 or not mean.is_floating_point():
            mean.copy_(current)
        else:
            means, currents = by_dtype.setdefault(mean.dtype, ([], []))
            means.append(mean)
            currents.append(current.detach())
    for means, currents in by_dtype.values():
        multi_avg_fn(means, currents, averaged_steps)
    averaged.n_averaged += 1


class GeneratorAveraging(Callback):
    """Keep an average of the generator, updated after every generator step from ``start_step`` on.

    Args:
        mode: ``ema`` or ``uniform``.
        decay: β of the EMA.
        start_step: the first generator step that enters the average (copied, then averaged).
        rampup: StyleGAN2's ramp-up factor for the EMA half-life (e.g. 0.05); ``None``: off.
    """

    def __init__(
        self,
        mode: Literal["ema", "uniform"] = "ema",
        decay: float = 0.999,
        start_step: int = 0,
        rampup: float | None = None,
    ):
        if mode not in ("ema", "uniform"):
            raise ValueError(f"mode must be 'ema' or 'uniform', got {mode!r}")
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {decay}")
        if start_step < 0 or (rampup is not None and rampup <= 0):
            raise ValueError(f"start_step ≥ 0 and rampup > 0 needed, got {start_step}, {rampup}")
        self.mode, self.decay, self.start_step, self.rampup = mode, decay, start_step, rampup
        self.averaged_steps = 0  # steps in the average, counted on the host

    def decay_at(self, averaged_steps: int) -> float:
        """β for the update that brings the average to ``averaged_steps + 1`` steps (EMA only)."""
        if self.rampup is None:
            return self.decay
        half_life = math.log(0.5) / math.log(self.decay)
        return 0.5 ** (1.0 / max(min(half_life, self.rampup * averaged_steps), 1e-8))

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if getattr(pl_module, "averaged_generator", None) is None:
            pl_module.averaged_generator = AveragedModel(pl_module.generator, use_buffers=True).requires_grad_(False)

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.averaged_steps = int(pl_module.averaged_generator.n_averaged)  # once: a resumed run's count

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: Any) -> None:
        # global_step counts generator steps: step s has just been taken
        if trainer.global_step <= self.start_step:
            return
        if self.mode == "ema":
            average = get_ema_multi_avg_fn(self.decay_at(self.averaged_steps))
        else:
            average = get_swa_multi_avg_fn()  # θ̂ ← θ̂ + (θ − θ̂) / (n + 1) with n from the host
        update_average(pl_module.averaged_generator, pl_module.generator, self.averaged_steps, average)
        self.averaged_steps += 1
