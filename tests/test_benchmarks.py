"""The throughput benchmark's paired mode counts what it times (no figure is checked: tests never time things)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import throughput  # noqa: E402


@pytest.mark.parametrize("bare", [False, True])
def test_paired_loop_alternates_one_plain_step_per_generator_step(monkeypatch, bare):
    """Every Lightning generator step is followed by one plain step, warm-up included; only the steps after the
    warm-up are timed, on both sides."""
    plain_steps = []
    step = throughput.PlainLoop.step
    monkeypatch.setattr(throughput.PlainLoop, "step", lambda self: (plain_steps.append(1), step(self)))
    timed = []
    init = throughput.PairedPlainSteps.__init__

    def keep(self, *args):
        init(self, *args)
        timed.append(self)

    monkeypatch.setattr(throughput.PairedPlainSteps, "__init__", keep)
    data = throughput.training_data("ring8", 16 * 8)
    lightning_rate, plain_rate = throughput.paired_loop(data, 4, 2, 16, "cpu", "ring8", ema=True, bare=bare)
    assert len(plain_steps) == 6
    assert timed[0].timed_steps == 4 and timed[0].lightning_time > 0 and timed[0].plain_time > 0
    assert math.isfinite(lightning_rate) and math.isfinite(plain_rate)
