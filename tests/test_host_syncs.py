"""No training step waits for the device: nothing in a step, nor in the generator averaging after it, reads a
tensor on the host (``.item()``, ``.tolist()``, ``bool``/``int``/``float`` of a tensor). On a GPU each such read
stalls the host until the queued kernels finish; here they are caught by patching ``torch.Tensor``. The one read
allowed is the NaN guard's (``ganzoo/models/nan_guard.py``): on the CPU it reads each loss (a CPU tensor is ready:
no wait), on accelerators once per ``log_every_n_steps``."""

from __future__ import annotations

import os
import traceback

import pytest
import torch
from helpers import digits_data, tiny_dcgan, trainer

from ganzoo.callbacks import GeneratorAveraging
from ganzoo.models import WGANGP
from ganzoo.nets import DCGANDiscriminator, DCGANGenerator

READS = ("item", "tolist", "__bool__", "__int__", "__float__", "__index__")


class HostReads:
    """Records every host read of a tensor made while a watched method runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.watching, self.reads = False, []
        for name in READS:
            monkeypatch.setattr(torch.Tensor, name, self.spy(getattr(torch.Tensor, name), name))

    def spy(self, original, name):  # noqa: ANN001, ANN201
        def read(tensor, *args, **kwargs):  # noqa: ANN001, ANN202
            where = traceback.format_stack(limit=3)[0].strip()
            allowed = f"torch{os.sep}optim{os.sep}" in where or "nan_guard.py" in where  # (Adam's step count: a CPU
            if self.watching and not allowed:  # tensor on every device, never a sync; the NaN guard: see above)
                self.reads.append(f"{name}() at {where}")
            return original(tensor, *args, **kwargs)

        return read

    def watch(self, monkeypatch: pytest.MonkeyPatch, owner, method: str) -> None:  # noqa: ANN001
        original = getattr(owner, method)

        def watched(*args, **kwargs):  # noqa: ANN202
            self.watching = True
            try:
                return original(*args, **kwargs)
            finally:
                self.watching = False

        monkeypatch.setattr(owner, method, watched)


def wgan_gp():
    generator = DCGANGenerator(latent_dim=8, image_size=16, channels=1, base_channels=8)
    return WGANGP(generator, DCGANDiscriminator(image_size=16, channels=1, base_channels=8, batch_norm=False), n_critic=5)


@pytest.mark.slow
@pytest.mark.parametrize("build", [tiny_dcgan, wgan_gp], ids=["dcgan", "wgan-gp (5 critic steps, penalty)"])
@pytest.mark.parametrize("mode", ["ema", "uniform"])
def test_training_steps_and_the_averaging_read_no_tensor_on_the_host(monkeypatch, tmp_path, build, mode):
    reads = HostReads(monkeypatch)
    model, averaging = build(), GeneratorAveraging(mode, decay=0.9, rampup=0.5)
    reads.watch(monkeypatch, model, "training_step")
    reads.watch(monkeypatch, averaging, "on_generator_step_end")
    trainer(tmp_path, max_steps=4, callbacks=[averaging]).fit(model, digits_data(batch_size=40))
    assert model.global_step == 4 and int(model.averaged_generator.n_averaged) == 4
    assert reads.reads == []


def test_the_spy_sees_a_read(monkeypatch):
    reads = HostReads(monkeypatch)
    reads.watching = True
    assert torch.ones(()).item() == 1.0 and len(reads.reads) == 1


@pytest.mark.slow
def test_values_are_logged_every_log_every_n_steps_as_their_mean_over_the_updates(monkeypatch, tmp_path):
    model, seen, logged = wgan_gp(), [], []
    keep, log_dict = model.log_later, model.log_dict

    def record(**values):  # noqa: ANN202
        seen.append({name: value.detach().clone() for name, value in values.items()})
        keep(**values)

    def count(values, **kwargs):  # noqa: ANN001, ANN202
        logged.append(model.global_step)
        log_dict(values, **kwargs)

    monkeypatch.setattr(model, "log_later", record)
    monkeypatch.setattr(model, "log_dict", count)
    t = trainer(tmp_path, max_steps=5, log_every_n_steps=2)
    t.fit(model, digits_data(batch_size=40))
    assert sorted(set(logged)) == [2, 4, 5]  # every 2 generator steps, and the last one
    for name in ("gradient_penalty", "wasserstein_estimate"):
        values = [kept[name] for kept in seen if name in kept]
        assert len(values) == 25  # 5 generator steps × 5 critic updates
        mean = torch.stack(values[-5:]).mean()  # the last log covers step 5's 5 critic updates
        assert float(t.callback_metrics[name]) == pytest.approx(float(mean), rel=1e-6)


@pytest.mark.slow
def test_the_progress_bar_reads_logged_values_once_per_log_not_every_step(monkeypatch, tmp_path):
    """Lightning turns values logged to its bar into numbers after every step (a device sync a step on a GPU);
    ganzoo's bar reads the model's values once per log (every log_every_n_steps) and shows the same numbers."""
    from lightning.pytorch.callbacks import TQDMProgressBar
    from lightning.pytorch.trainer.connectors.logger_connector import result

    from ganzoo.callbacks import ProgressBar

    conversions, shown = [], {}
    convert = result.convert_tensors_to_scalars  # where Lightning turns logged tensors into the bar's numbers
    monkeypatch.setattr(result, "convert_tensors_to_scalars", lambda data: conversions.append(1) or convert(data))
    reads = HostReads(monkeypatch)
    for bar in (TQDMProgressBar(), ProgressBar()):
        conversions.clear()
        reads.reads.clear()
        reads.watch(monkeypatch, bar, "get_metrics")
        torch.manual_seed(0)
        trainer(tmp_path, max_steps=20, log_every_n_steps=5, callbacks=[bar], enable_progress_bar=True).fit(
            tiny_dcgan(), digits_data(batch_size=40)
        )
        shown[type(bar)] = {name: bar.get_metrics(bar.trainer, bar.trainer.lightning_module)[name]
                            for name in ("d_loss", "g_loss")}  # fmt: skip
        if isinstance(bar, TQDMProgressBar) and not isinstance(bar, ProgressBar):
            assert len(conversions) >= 2 * (20 - 5)  # d_loss and g_loss after every step from the first log on
    assert conversions == []  # nothing on Lightning's bar path
    assert len(reads.reads) == 2 * (20 // 5)  # two values at each of the 4 logs
    assert shown[ProgressBar] == pytest.approx(shown[TQDMProgressBar])
