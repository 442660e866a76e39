"""The throughput benchmark counts what it times, in generator steps, paired or not and with ``steps_per_call`` K > 1
(no figure is checked: tests never time things)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def instances_of(cls, monkeypatch) -> list:  # noqa: ANN001
    """The instances of ``cls`` made from now on in this test, in order."""
    made, init = [], cls.__init__

    def kept_init(self, *args, **kwargs):  # noqa: ANN001, ANN202
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(cls, "__init__", kept_init)
    return made


@pytest.fixture
def throughput(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import throughput

    return throughput


@pytest.mark.parametrize(("bare", "steps_per_call"), [(False, 1), (True, 1), (False, 4)])
def test_paired_loop_alternates_one_plain_step_per_generator_step(monkeypatch, throughput, bare, steps_per_call):
    """Every Lightning step is followed by one plain step per generator step it took (K with ``steps_per_call``),
    warm-up included; only the generator steps after the warm-up (rounded up to a multiple of K) are timed, on both
    sides."""
    plain_steps = []
    step = throughput.PlainLoop.step

    def counted_step(self):
        plain_steps.append(1)
        step(self)

    monkeypatch.setattr(throughput.PlainLoop, "step", counted_step)
    pairings = instances_of(throughput.PairedPlainSteps, monkeypatch)
    data = throughput.training_data("ring8", 16 * 8)
    lightning_rate, plain_rate = throughput.paired_loop(
        data, 4, 2, 16, "cpu", "ring8", ema=True, bare=bare, steps_per_call=steps_per_call
    )
    assert len(plain_steps) == (6 if steps_per_call == 1 else 8)  # a warm-up of 2 is 4 under K = 4
    paired = pairings[0]
    assert paired.timed_steps == 4 and paired.lightning_time > 0 and paired.plain_time > 0
    assert math.isfinite(lightning_rate) and math.isfinite(plain_rate)


def test_step_timer_counts_generator_steps_under_steps_per_call(monkeypatch, throughput):
    """With K = 4 the timer starts where a Lightning step does (the warm-up of 2 rounded up to 4) and counts the
    generator steps after it, not Lightning steps."""
    timers = instances_of(throughput.StepTimer, monkeypatch)
    data = throughput.training_data("ring8", 16 * 9)
    rate = throughput.lightning_loop(data, 6, 2, 16, "cpu", "ring8", ema=False, steps_per_call=4)
    timer = timers[0]
    assert (timer.first, timer.steps) == (4, 6) and timer.elapsed > 0 and rate == timer.steps / timer.elapsed


def test_plain_loop_reads_each_sample_once_an_epoch(throughput):
    """The plain loop's on-device batches: a fresh permutation each epoch, whole batches only (``drop_last``)."""
    data = throughput.training_data("ring8", 10)
    loop = throughput.PlainLoop(data, 4, throughput.torch.device("cpu"), "ring8", ema=False)
    for _ in range(3):
        epoch = throughput.torch.cat([loop.next_batch() for _ in range(2)])
        assert len(epoch) == 8 and len({tuple(row.tolist()) for row in epoch}) == 8
        assert all(any(throughput.torch.equal(row, sample) for sample in data) for row in epoch)



def test_step_only_times_whole_generator_steps(monkeypatch) -> None:
    """``step_only.py``'s ganzoo side is a whole generator step (D and G both updated) and its ratio is a number."""
    import torch

    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import step_only
    from plain_loop import training_data

    from ganzoo.batch import Batch

    model = step_only.ganzoo_outside_lightning("ring8")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.generator_step([Batch(training_data("ring8", 64))])
    changed = {k.split(".")[0] for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {"generator", "discriminator"}
    assert 0 < step_only.ratio("ring8", 16, chunks=1) < math.inf
