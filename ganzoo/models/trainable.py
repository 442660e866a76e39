"""Which optimizer group is trainable: ``requires_grad`` switched per group, only when the group changes.

Lightning's ``toggle_optimizer``/``untoggle_optimizer`` walk every parameter twice per update; here the
parameter lists are cached once per fit and switched when the trainable group changes. Parameters frozen before
training (``requires_grad=False``) stay frozen; ``restore`` makes every parameter that trained trainable again
(at teardown, and on an exception through ``RestoreRequiresGrad``), so no stop leaves a network frozen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lightning.pytorch import Callback
from torch import nn


class TrainableGroups:
    def __init__(self) -> None:
        self.parameters: dict[str, list[nn.Parameter]] | None = None  # cached per fit: the trainable ones
        self.current: str | None = None
        self.networks: tuple[str, ...] = ()  # the networks of the group being trained now (``training_network``)

    def make_trainable(self, group: str, groups: Callable[[], dict[str, list[nn.Parameter]]]) -> None:
        """``requires_grad`` on for ``group``'s parameters and off for the other groups' (``groups()``: group →
        its parameters, asked only on the first call after a restore)."""
        if group == self.current:
            return
        if self.parameters is None:
            self.parameters = {g: [p for p in parameters if p.requires_grad] for g, parameters in groups().items()}
        for other, parameters in self.parameters.items():
            if other != group:
                for parameter in parameters:
                    parameter.requires_grad_(False)
        for parameter in self.parameters[group]:
            parameter.requires_grad_(True)
        self.current = group

    def restore(self) -> None:
        for parameters in (self.parameters or {}).values():
            for parameter in parameters:
                parameter.requires_grad_(True)
        self.parameters, self.current = None, None


class RestoreRequiresGrad(Callback):
    """Makes an adversarial model's networks trainable again when a fit stops with an exception (the NaN guard,
    a full disk, Ctrl+C); Lightning calls no module hook then. Added by the model (``configure_callbacks``)."""

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        pl_module.trainable.restore()


def _do_nothing() -> None:
    return None


def step_without_counting(optimizer: Any) -> None:
    """``optimizer.step()`` without advancing ``global_step`` (Lightning counts every optimizer step there, and
    ganzoo's budgets are generator steps). The precision plugin (e.g. 16-mixed's gradient scaler) still runs; only
    Lightning's progress counter, which its manual loop hooks onto the (Lightning-wrapped) optimizer, is bypassed."""
    hooks = optimizer._on_before_step, optimizer._on_after_step
    optimizer._on_before_step = optimizer._on_after_step = _do_nothing
    try:
        optimizer.step()
    finally:
        optimizer._on_before_step, optimizer._on_after_step = hooks
