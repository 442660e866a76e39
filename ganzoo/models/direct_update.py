"""An optimizer update without Lightning's per-update dispatch, where nothing would observe the difference.

``manual_backward`` and ``LightningOptimizer.step`` route each update through the strategy and the precision
plugin, which call the ``on_before_backward``, ``on_after_backward`` and ``on_before_optimizer_step`` hooks of every
callback and of the module, each under the profiler and with the module's ``_current_fx_name`` set. On small
networks that dispatch is about a tenth of a generator step (ring8 MLPs, ``benchmarks/profile_step.py``). Where it
can change nothing (full precision on one device, no profiler, no callback or module hook besides ganzoo's
gradient clipping) ``NetworkGroups.update`` runs the same operations directly: ``loss.backward()``, the clipping,
the optimizer's own ``step()``, and Lightning's step counter advanced as ``LightningOptimizer.step`` advances it.
The weights are bit-identical either way (``tests/test_direct_update.py``); anywhere else the Lightning path runs.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch import Callback, LightningModule
from lightning.pytorch.plugins.precision import Precision
from lightning.pytorch.profilers import PassThroughProfiler
from lightning.pytorch.strategies import SingleDeviceStrategy

BACKWARD_HOOKS = ("on_before_backward", "on_after_backward", "on_before_optimizer_step")


def overrides(obj: Any, base: type, name: str) -> bool:
    """Whether ``obj``'s class defines hook ``name`` other than ``base``'s."""
    return getattr(type(obj), name) is not getattr(base, name)


def direct_updates_allowed(trainer: Any, module: LightningModule, clipping_hook_owner: type, optimizers: list) -> bool:
    """Whether an update may skip Lightning's dispatch: 32-bit precision (the plain ``Precision`` plugin: no loss
    scaling, no autocast), one device, no profiler, no fabric, no callback with a backward or optimizer-step hook,
    no module hook besides ``clipping_hook_owner.on_before_optimizer_step`` (ganzoo's clipping), and Lightning's
    optimizer wrappers with the step-counting hooks this Lightning release has (private: checked, not assumed)."""
    return (
        all(hasattr(optimizer, hook) for optimizer in optimizers for hook in ("_on_before_step", "_on_after_step"))
        and type(trainer.precision_plugin) is Precision
        and type(trainer.strategy) is SingleDeviceStrategy
        and type(trainer.profiler) is PassThroughProfiler
        and module._fabric is None
        and not overrides(module, LightningModule, "backward")
        and not overrides(module, LightningModule, "on_before_backward")
        and not overrides(module, LightningModule, "on_after_backward")
        and not overrides(module, clipping_hook_owner, "on_before_optimizer_step")
        and not any(overrides(callback, Callback, hook) for callback in trainer.callbacks for hook in BACKWARD_HOOKS)
    )


def direct_step(optimizer: Any, counts: bool) -> None:
    """The wrapped optimizer's ``step()``; with ``counts``, Lightning's step counter (``global_step``) advances as
    ``LightningOptimizer.step`` advances it (the hooks the manual loop installs on the optimizer)."""
    if counts:
        optimizer._on_before_step()
    optimizer.optimizer.step()
    if counts:
        optimizer._on_after_step()
