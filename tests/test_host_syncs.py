"""No training step waits for the device: nothing in a step, nor in the generator averaging after it, reads a
tensor on the host (``.item()``, ``.tolist()``, ``bool``/``int``/``float`` of a tensor). On a GPU each such read
stalls the host until the queued kernels finish; here they are caught by patching ``torch.Tensor``."""

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
            if self.watching and f"torch{os.sep}optim{os.sep}" not in where:  # Adam's step count: a CPU tensor
                self.reads.append(f"{name}() at {where}")  # on every device (not capturable), never a sync
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


@pytest.mark.parametrize("build", [tiny_dcgan, wgan_gp], ids=["dcgan", "wgan-gp (5 critic steps, penalty)"])
@pytest.mark.parametrize("mode", ["ema", "uniform"])
def test_training_steps_and_the_averaging_read_no_tensor_on_the_host(monkeypatch, tmp_path, build, mode):
    reads = HostReads(monkeypatch)
    model, averaging = build(), GeneratorAveraging(mode, decay=0.9, rampup=0.5)
    reads.watch(monkeypatch, model, "training_step")
    reads.watch(monkeypatch, averaging, "on_train_batch_end")
    trainer(tmp_path, max_steps=4, callbacks=[averaging]).fit(model, digits_data(batch_size=40))
    assert model.global_step == 4 and int(model.averaged_generator.n_averaged) == 4
    assert reads.reads == []


def test_the_spy_sees_a_read(monkeypatch):
    reads = HostReads(monkeypatch)
    reads.watching = True
    assert torch.ones(()).item() == 1.0 and len(reads.reads) == 1


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
