"""Generator averaging (EMA and uniform) against the closed-form weighted sums, across resume and loading."""

from __future__ import annotations

import pytest
import torch
from helpers import digits_data, tiny_dcgan, tiny_toy_gan, toy_data, trainer
from lightning.pytorch.callbacks import Callback

import ganzoo
from ganzoo.callbacks import GeneratorAveraging, SampleGrid


class RecordGenerator(Callback):
    """The generator's weights after every generator step, and a fixed noise draw per step for resumable runs."""

    def __init__(self):
        self.trajectory: list[torch.Tensor] = []

    def on_train_batch_start(self, trainer, pl_module, *args):
        torch.manual_seed(1000 + trainer.global_step)  # the same noise at step t, resumed or not

    def on_train_batch_end(self, trainer, pl_module, *args):
        self.trajectory.append(torch.nn.utils.parameters_to_vector(pl_module.generator.parameters()).detach().clone())


def averaged_vector(model) -> torch.Tensor:
    return torch.nn.utils.parameters_to_vector(model.averaged_generator.module.parameters()).detach()


def train(tmp_path, averaging, steps=8, **kwargs):
    record = RecordGenerator()
    model = tiny_toy_gan()
    t = trainer(tmp_path, max_steps=steps, callbacks=[averaging, record], **kwargs)
    t.fit(model, toy_data(batch_size=32, num_samples=32))
    return model, record.trajectory


@pytest.mark.parametrize("rampup", [None, 0.5])
def test_ema_equals_the_closed_form_weighted_sum(tmp_path, rampup):
    averaging = GeneratorAveraging("ema", decay=0.8, start_step=2, rampup=rampup)
    model, thetas = train(tmp_path, averaging)
    averaged = thetas[2:]  # steps 3..8: the first averaged step is copied, then θ̂ ← β_t θ̂ + (1 − β_t) θ_t
    # β_n for the update that brings the average to n + 1 steps: β without ramp-up; with it (StyleGAN's), a half-life
    # of min(ln ½ / ln β, rampup · n) steps, i.e. β_n = 0.5^(1 / (0.5 n)) here, as 0.5 n < ln ½ / ln 0.8 = 3.1 for n ≤ 5
    betas = [0.8] * 5 if rampup is None else [0.5 ** (1 / (0.5 * n)) for n in range(1, 6)]
    assert len(averaged) == 6
    weights = [torch.tensor(betas).prod().item()]
    for i in range(1, len(averaged)):
        weights.append((1 - betas[i - 1]) * torch.tensor(betas[i:]).prod().item())
    assert sum(weights) == pytest.approx(1.0)
    expected = sum(w * theta for w, theta in zip(weights, averaged))
    assert torch.allclose(averaged_vector(model), expected, atol=1e-6)
    if rampup is None:
        assert weights[0] == pytest.approx(0.8**5)
    else:  # early steps get a short half-life: the first copy weighs far less than β^5
        assert weights[0] < 0.8**5


def test_uniform_average_from_step_n(tmp_path):
    model, thetas = train(tmp_path, GeneratorAveraging("uniform", start_step=3))
    expected = torch.stack(thetas[3:]).mean(0)  # θ̂ = 1/(N − n) Σ_{i=n+1..N} θ_i with n = 3, N = 8
    assert torch.allclose(averaged_vector(model), expected, atol=1e-6)
    assert int(model.averaged_generator.n_averaged) == 5


@pytest.mark.parametrize("mode", ["ema", "uniform"])
def test_resumed_run_ends_with_the_same_average(tmp_path, mode):
    def run(folder, steps, ckpt=None):
        record = RecordGenerator()
        torch.manual_seed(0)
        model = tiny_toy_gan()  # same initial weights in every run
        t = trainer(folder, max_steps=steps, callbacks=[GeneratorAveraging(mode, decay=0.7, rampup=0.5), record])
        t.fit(model, toy_data(batch_size=32, num_samples=32), ckpt_path=ckpt)
        return model, t

    whole, _ = run(tmp_path / "whole", 8)
    first, t = run(tmp_path / "part", 4)
    ckpt = tmp_path / "part" / "interrupted.ckpt"
    t.save_checkpoint(ckpt)
    resumed, t2 = run(tmp_path / "resumed", 8, ckpt=str(ckpt))
    assert t2.global_step == 8
    assert int(resumed.averaged_generator.n_averaged) == int(whole.averaged_generator.n_averaged) == 8
    assert torch.allclose(averaged_vector(resumed), averaged_vector(whole), atol=1e-6)


def test_checkpoints_carry_the_average_and_sampling_uses_it(tmp_path):
    model = tiny_dcgan()  # BatchNorm in G: its running statistics are averaged too
    grid = SampleGrid(every_n_steps=3, num_samples=4, show_raw=True)
    t = trainer(tmp_path, max_steps=3, callbacks=[GeneratorAveraging(decay=0.5), grid])
    t.fit(model, digits_data(batch_size=16))
    assert (tmp_path / "samples" / "step_0000003.png").exists() and (tmp_path / "samples" / "raw_step_0000003.png").exists()
    path = tmp_path / "model.ckpt"
    t.save_checkpoint(path)
    state = torch.load(path, weights_only=True)["state_dict"]
    assert "averaged_generator.n_averaged" in state
    assert any(k.startswith("averaged_generator.module.") and "running_mean" in k for k in state)
    loaded = ganzoo.load(path)
    assert loaded.averaged_generator is not None
    assert torch.equal(loaded.sample(4, seed=1), model.sample(4, seed=1))
    assert not torch.allclose(loaded.sample(4, seed=1), loaded.sample(4, seed=1, averaged=False))


def test_cyclegan_averages_both_generators_and_translates_each_way_with_its_average(tmp_path):
    from test_cyclegan import tiny_cyclegan
    from test_translation import write_pairs

    from ganzoo.checkpoints import load_checkpoint
    from ganzoo.data import UnpairedImageDataModule
    from ganzoo.zoo import strip_for_shipping

    data = UnpairedImageDataModule(str(write_pairs(tmp_path / "pairs", n=8)), image_size=16, load_size=16, batch_size=2)
    model = tiny_cyclegan()
    t = trainer(tmp_path, max_steps=3, callbacks=[GeneratorAveraging(decay=0.5)])
    t.fit(model, data)
    assert int(model.averaged_generator.n_averaged) == int(model.averaged_inverse_generator.n_averaged) == 3
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    for inverse, name in ((False, "generator"), (True, "inverse_generator")):
        average = getattr(model, f"averaged_{name}").module
        with torch.no_grad():
            expected = average.eval()(x)
        assert torch.equal(model.translate(x, inverse=inverse), expected)
        assert not torch.allclose(model.translate(x, inverse=inverse, averaged=False), expected)
    path = tmp_path / "model.ckpt"
    t.save_checkpoint(path)
    loaded = ganzoo.load(path)
    assert torch.equal(loaded.translate(x, inverse=True), model.translate(x, inverse=True))
    shipped = ganzoo.load(strip_for_shipping(path, tmp_path / "shipped.ckpt"))  # each generator's average kept
    assert torch.equal(shipped.translate(x), model.translate(x))
    assert torch.equal(shipped.translate(x, inverse=True), model.translate(x, inverse=True))
    assert load_checkpoint(tmp_path / "shipped.ckpt")["ganzoo"]["generator_weights"] == "averaged"
    # a checkpoint written before the inverse generator was averaged resumes, its inverse average started afresh
    checkpoint = torch.load(path, weights_only=False)
    checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if "averaged_inverse" not in k}
    torch.save(checkpoint, tmp_path / "older.ckpt")
    resumed = tiny_cyclegan()
    trainer(tmp_path, max_steps=5, callbacks=[GeneratorAveraging(decay=0.5)]).fit(resumed, data, ckpt_path=tmp_path / "older.ckpt")
    assert int(resumed.averaged_generator.n_averaged) == 5 and int(resumed.averaged_inverse_generator.n_averaged) == 2


def test_bad_averaging_settings_are_refused():
    with pytest.raises(ValueError, match="mode"):
        GeneratorAveraging("median")
    with pytest.raises(ValueError, match="decay"):
        GeneratorAveraging(decay=1.5)
