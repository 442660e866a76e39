"""The NaN guard: a non-finite loss stops training before the next checkpoint is written.

Checking each loss with ``if not torch.isfinite(loss)`` would stall a GPU twice per step, so the losses stay on
the device and are checked together: every ``log_every_n_steps`` on accelerators (one read), at the end of every
step on the CPU (each loss read as it is: a CPU read waits for nothing), and always before a checkpoint is saved.
Under DDP the ranks check at the same points and agree by one all-reduce, so none is left waiting in a collective
for a rank that stopped.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor


class NanGuard:
    """The losses kept since the last check, by optimizer group."""

    def __init__(self) -> None:
        self.unchecked: list[tuple[str, Tensor]] = []

    def keep(self, group: str, loss: Tensor) -> None:
        self.unchecked.append((group, loss.detach()))

    def failed_groups(self, all_reduce: Callable[[Tensor], Tensor] | None = None) -> list[str]:
        """The groups whose loss was NaN or infinite since the last check (and forget the losses).

        ``all_reduce`` (a sum over ranks) makes every rank agree; one ``isfinite`` over all the losses kept, except
        on one CPU process, where ``math.isfinite`` of each loss is cheaper than stacking them."""
        if not self.unchecked:
            return []
        kept, self.unchecked = self.unchecked, []
        if kept[0][1].device.type == "cpu" and all_reduce is None:  # reading a CPU tensor waits for nothing
            return sorted({group for group, loss in kept if not math.isfinite(loss)})
        non_finite = (~torch.isfinite(torch.stack([loss for _, loss in kept]))).float()  # one read for all
        if all_reduce is not None:
            non_finite = all_reduce(non_finite)
        return sorted({group for (group, _), count in zip(kept, non_finite.tolist()) if count > 0})


def non_finite_error(group: str, step: int) -> FloatingPointError:
    """The guard's error; its ``step`` attribute is the generator step it names (for scripts: toy2d.py)."""
    error = FloatingPointError(
        f"The {group} loss became NaN or infinite by generator step {step}; training stopped before saving, so the "
        "last checkpoint is intact. Lower the learning rates, set --model.init_args.gradient_clip_val, or use "
        "--trainer.precision 32."
    )
    error.step = step
    return error
