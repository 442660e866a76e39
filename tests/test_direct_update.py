"""Updates without Lightning's per-update dispatch (``ganzoo.models.direct_update``): taken only where nothing
observes the difference, and bit-identical to the Lightning path."""

from __future__ import annotations

import pytest
import torch
from helpers import toy_data, trainer
from lightning.pytorch import Callback, Trainer
from test_steps_per_call import assert_same_run, gan, linear_decay

from ganzoo.callbacks import GeneratorAveraging
from ganzoo.checkpoints import load_checkpoint
from ganzoo.models import WGANGP
from ganzoo.models.direct_update import direct_updates_allowed
from ganzoo.models.groups import NetworkGroups
from ganzoo.nets import MLPDiscriminator, MLPGenerator


class CountsBackwards(Callback):
    """A callback with a backward hook: Lightning must call it, so updates take Lightning's path."""

    def __init__(self) -> None:
        self.calls = 0

    def on_after_backward(self, trainer, pl_module) -> None:  # noqa: ANN001
        self.calls += 1


class RecordsPath(Callback):
    def on_train_start(self, trainer, pl_module) -> None:  # noqa: ANN001
        self.direct = pl_module.direct_updates


def clipped_wgan_gp(k: int) -> WGANGP:
    """Gradient clipping (the hook the direct path calls itself), a penalty differentiated twice, a schedule."""
    return WGANGP(MLPGenerator(latent_dim=2, hidden_dims=[16]), MLPDiscriminator(hidden_dims=[16]), n_critic=3,
                  g_lr_scheduler=linear_decay, d_lr_scheduler=linear_decay, gradient_clip_val=0.05,
                  steps_per_call=k)  # fmt: skip


def fit(folder, model_fn, k, steps, extra):  # noqa: ANN001, ANN201
    torch.manual_seed(0)
    path = RecordsPath()
    t = trainer(folder, max_steps=steps, callbacks=[GeneratorAveraging(decay=0.9), path, *extra])
    t.fit(model_fn(k), toy_data(batch_size=16, num_samples=480))
    assert t.global_step == steps
    t.save_checkpoint(folder / "end.ckpt")
    return load_checkpoint(folder / "end.ckpt"), path.direct


@pytest.mark.slow
@pytest.mark.parametrize("model_fn, k, updates_per_step", [(gan, 4, 2), (clipped_wgan_gp, 1, 4)])
def test_direct_updates_are_bit_identical_to_lightnings(model_fn, k, updates_per_step, tmp_path):
    direct, took_direct = fit(tmp_path / "direct", model_fn, k, 36, [])
    counter = CountsBackwards()
    dispatched, took_direct_too = fit(tmp_path / "lightning", model_fn, k, 36, [counter])
    assert took_direct and not took_direct_too
    assert counter.calls == 36 * updates_per_step  # every update went through Lightning's hooks
    assert_same_run(direct, dispatched)


def test_anything_that_observes_an_update_keeps_lightnings_path():
    model = gan(1)
    allowed = lambda **kwargs: direct_updates_allowed(  # noqa: E731
        Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, **kwargs), model, NetworkGroups, []
    )
    assert allowed()
    assert not allowed(precision="bf16-mixed")  # autocast
    assert not allowed(profiler="simple")
    assert not allowed(callbacks=[CountsBackwards()])

    class LogsGradients(type(model)):
        def on_after_backward(self) -> None:
            pass

    logs = LogsGradients(MLPGenerator(latent_dim=2, hidden_dims=[4]), MLPDiscriminator(hidden_dims=[4]))
    assert not direct_updates_allowed(Trainer(accelerator="cpu", logger=False), logs, NetworkGroups, [])

    class OlderLightningOptimizer:  # a Lightning release without the step-counting hooks ganzoo calls
        pass

    assert not direct_updates_allowed(Trainer(accelerator="cpu", logger=False), model, NetworkGroups, [OlderLightningOptimizer()])
