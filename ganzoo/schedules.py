"""Learning-rate schedules in generator steps (a model's schedulers are stepped once per generator step)."""

from __future__ import annotations

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


class LinearDecay(LRScheduler):
    """The pix2pix/CycleGAN schedule: the base rate for ``constant_steps``, then linearly to zero over
    ``decay_steps`` (their 100 + 100 epochs): ``lr = base · (1 − max(0, t − constant_steps) / decay_steps)``,
    clamped at 0. Its position is in checkpoints, so a resumed run continues the decay where it stopped."""

    def __init__(self, optimizer: Optimizer, constant_steps: int, decay_steps: int, last_epoch: int = -1):
        if constant_steps < 0 or decay_steps < 1:
            raise ValueError(f"constant_steps must be ≥ 0 and decay_steps ≥ 1, got {constant_steps} and {decay_steps}")
        self.constant_steps, self.decay_steps = constant_steps, decay_steps
        super().__init__(optimizer, last_epoch)

    def factor(self, step: int) -> float:
        return max(0.0, 1.0 - max(0, step - self.constant_steps) / self.decay_steps)

    def get_lr(self) -> list[float]:
        return [base * self.factor(self.last_epoch) for base in self.base_lrs]
