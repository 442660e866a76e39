"""The throughput benchmark's paired mode counts what it times (no figure is checked: tests never time things)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def throughput(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import throughput

    return throughput


@pytest.mark.parametrize("bare", [False, True])
def test_paired_loop_alternates_one_plain_step_per_generator_step(monkeypatch, throughput, bare):
    """Every Lightning generator step is followed by one plain step, warm-up included; only the steps after the
    warm-up are timed, on both sides."""
    plain_steps = []
    step = throughput.PlainLoop.step

    def counted_step(self):
        plain_steps.append(1)
        step(self)

    monkeypatch.setattr(throughput.PlainLoop, "step", counted_step)
    pairings = []
    init = throughput.PairedPlainSteps.__init__

    def kept_init(self, *args):
        init(self, *args)
        pairings.append(self)

    monkeypatch.setattr(throughput.PairedPlainSteps, "__init__", kept_init)
    data = throughput.training_data("ring8", 16 * 8)
    lightning_rate, plain_rate = throughput.paired_loop(data, 4, 2, 16, "cpu", "ring8", ema=True, bare=bare)
    assert len(plain_steps) == 6
    paired = pairings[0]
    assert paired.timed_steps == 4 and paired.lightning_time > 0 and paired.plain_time > 0
    assert math.isfinite(lightning_rate) and math.isfinite(plain_rate)
