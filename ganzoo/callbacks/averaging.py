"""An average of the generator's weights over training: EMA or a uniform average (Yazıcı et al. 2019).

* ``ema``: ``θ̂ ← β·θ̂ + (1 − β)·θ`` after each generator step (``torch.optim.swa_utils``'s
  ``get_ema_multi_avg_fn``). With ``rampup`` (StyleGAN2's ``ema_rampup``) the half-life
  ``h = ln 0.5 / ln β`` is capped at ``rampup · t`` for the t-th averaged step, so early averages
  are not dominated by the random initial weights: ``β_t = 0.5 ** (1 / min(h, rampup · t))``.
* ``uniform``: ``θ̂ = 1/(N − n) · Σ_{i=n+1..N} θ_i`` from generator step ``n = start_step`` on
  (``AveragedModel``'s default running mean).

Only the generator is averaged (Lightning's ``EMAWeightAveraging`` would average G and D together and
count discriminator steps), or each network the model names in ``averaged_networks`` (CycleGAN: both
generators). The average lives in the model as ``averaged_generator`` (``averaged_<name>``, an
``AveragedModel``), so it is saved in every checkpoint, restored on resume, and used by
``sample``/``sample_from``, ``translate``, ``SampleGrid``, ``GenerativeMetrics`` and ``ganzoo evaluate`` by default.
BatchNorm running statistics are averaged alongside the weights (``use_buffers=True``): the averaged
generator is used in eval mode with those averaged statistics.

No step waits for the device: how many steps are averaged is counted on the host (read once when training
starts), so the copy-or-average choice and the ramp-up need no ``int(n_averaged)``, which
``AveragedModel.update_parameters`` would read twice a step (``AveragedPairs.update``); the tensors to
average are listed once per fit.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Literal

import torch
from lightning.pytorch import LightningModule, Trainer
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, get_swa_multi_avg_fn

from ganzoo.models.generative import GeneratorStepCallback, averaged_copy


class AveragedPairs:
    """The (average, model) tensor pairs of ``AveragedModel.update_parameters`` (``use_buffers=True``), listed once
    per fit: floating-point ones grouped by dtype for one ``multi_avg_fn`` call each, the rest (BatchNorm's integer
    ``num_batches_tracked``) copied from the model."""

    def __init__(self, averaged: AveragedModel, model: nn.Module):
        self.averaged = averaged
        self.averaged_steps = int(averaged.n_averaged)  # read once (a resumed run's count), then counted on the host
        self.pairs = list(zip(itertools.chain(averaged.module.parameters(), averaged.module.buffers()),
                              itertools.chain(model.parameters(), model.buffers())))  # fmt: skip
        self.by_dtype: dict[torch.dtype, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}
        self.copied = [(mean, current) for mean, current in self.pairs if not mean.is_floating_point()]
        for mean, current in self.pairs:
            if mean.is_floating_point():
                means, currents = self.by_dtype.setdefault(mean.dtype, ([], []))
                means.append(mean)
                currents.append(current.detach())

    @torch.no_grad()
    def update(self, average_fn: Callable[[int], Callable]) -> None:
        """The first update (no step averaged yet) copies, later ones apply ``average_fn(averaged_steps)``; the
        device-side ``n_averaged`` (kept for checkpoints) is incremented without being read."""
        steps = self.averaged_steps
        for mean, current in self.pairs if steps == 0 else self.copied:
            mean.copy_(current)
        if steps > 0:
            multi_avg_fn = average_fn(steps)
            for means, currents in self.by_dtype.values():
                multi_avg_fn(means, currents, steps)
        self.averaged.n_averaged.add_(1)
        self.averaged_steps = steps + 1


class GeneratorAveraging(GeneratorStepCallback):
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
        self.pairs: list[AveragedPairs] = []  # one per averaged network, listed once per fit
        self._average_fn: tuple[float | None, Callable] | None = None  # (β, swa_utils' update for it)

    def decay_at(self, averaged_steps: int) -> float:
        """β for the update that brings the average to ``averaged_steps + 1`` steps (EMA only)."""
        if self.rampup is None:
            return self.decay
        half_life = math.log(0.5) / math.log(self.decay)
        return 0.5 ** (1.0 / max(min(half_life, self.rampup * averaged_steps), 1e-8))

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        for name in pl_module.averaged_networks:
            if getattr(pl_module, f"averaged_{name}", None) is None:
                setattr(pl_module, f"averaged_{name}", averaged_copy(getattr(pl_module, name)))

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.pairs = [AveragedPairs(getattr(pl_module, f"averaged_{name}"), getattr(pl_module, name))
                      for name in pl_module.averaged_networks]  # fmt: skip

    def on_generator_step_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # global_step counts generator steps: step s has just been taken
        if trainer.global_step <= self.start_step:
            return
        for pairs in self.pairs:
            pairs.update(self.average_fn)

    def average_fn(self, averaged_steps: int) -> Callable:
        """``torch.optim.swa_utils``' update for this step, made again only when β changes (each call of
        ``get_ema_multi_avg_fn`` decorates a new function). Uniform: θ̂ ← θ̂ + (θ − θ̂) / (n + 1), n from the host."""
        decay = self.decay_at(averaged_steps) if self.mode == "ema" else None
        if self._average_fn is None or self._average_fn[0] != decay:
            self._average_fn = (decay, get_ema_multi_avg_fn(decay) if self.mode == "ema" else get_swa_multi_avg_fn())
        return self._average_fn[1]
