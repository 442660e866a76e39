"""The shared loop: step accounting, alternation, boundaries, checkpoints."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch
from helpers import digits_data, parameters_of, tiny_dcgan, tiny_toy_gan, toy_data, trainer
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

import ganzoo
from ganzoo.checkpoints import CheckpointError
from ganzoo.models import DCGAN, GAN, MODELS
from ganzoo.nets import MLPDiscriminator, MLPGenerator


def adam_steps(optimizer: torch.optim.Optimizer) -> int:
    return int(next(iter(optimizer.state.values()))["step"])


@pytest.mark.parametrize("n_critic", [1, 3])
def test_max_steps_counts_generator_steps(tmp_path, n_critic):
    model = tiny_toy_gan(n_critic=n_critic)
    t = trainer(tmp_path, max_steps=7)
    t.fit(model, toy_data(batch_size=16))
    g_opt, d_opt = t.optimizers
    assert t.global_step == 7
    assert adam_steps(g_opt) == 7
    assert adam_steps(d_opt) == 7 * n_critic


class RecordingGAN(GAN):
    """Records what each discriminator and generator update sees."""

    def __init__(self, **kwargs):
        super().__init__(MLPGenerator(latent_dim=2, hidden_dims=[8]), MLPDiscriminator(hidden_dims=[8]), **kwargs)
        self.seen: list[tuple[str, torch.Tensor, torch.Tensor]] = []
        self.snapshots: list[tuple[dict, dict]] = []

    def discriminator_loss(self, real, fake):
        self.seen.append(("d", real.images.clone(), fake.images.clone()))
        return super().discriminator_loss(real, fake)

    def generator_loss(self, fake, real):
        self.seen.append(("g", fake.images.detach().clone(), fake.images.detach().clone()))
        return super().generator_loss(fake, real)

    def after_discriminator_step(self):
        self.snapshots.append((parameters_of(self.generator), parameters_of(self.discriminator)))

    def on_train_batch_start(self, batch, batch_idx):
        self.batch = batch.images.clone()
        self.before = (parameters_of(self.generator), parameters_of(self.discriminator))

    def on_train_batch_end(self, outputs, batch, batch_idx):
        self.after = (parameters_of(self.generator), parameters_of(self.discriminator))


def test_each_discriminator_update_gets_its_own_real_minibatch_and_fresh_noise(tmp_path):
    model = RecordingGAN(n_critic=3)
    trainer(tmp_path, max_steps=1).fit(model, toy_data(batch_size=8))
    kinds = [k for k, _, _ in model.seen]
    assert kinds == ["d", "d", "d", "g"]
    reals = [r for k, r, _ in model.seen if k == "d"]
    assert all(len(r) == 8 for r in reals)
    assert torch.equal(torch.cat(reals), model.batch)  # three disjoint minibatches of one loader batch
    fakes = [f for _, _, f in model.seen]
    for i in range(len(fakes)):
        for j in range(i + 1, len(fakes)):
            assert not torch.allclose(fakes[i], fakes[j])


def test_discriminator_steps_leave_g_alone_and_generator_step_leaves_d_alone(tmp_path):
    model = RecordingGAN(n_critic=2)
    trainer(tmp_path, max_steps=1).fit(model, toy_data(batch_size=8))
    g_before, d_before = model.before
    g_after, d_after = model.after
    g_after_d_steps, d_after_d_steps = model.snapshots[-1]
    assert all(torch.equal(g_before[k], g_after_d_steps[k]) for k in g_before)  # D updates don't move G
    assert any(not torch.equal(d_before[k], d_after_d_steps[k]) for k in d_before)  # they move D
    assert all(torch.equal(d_after_d_steps[k], d_after[k]) for k in d_after)  # the G update doesn't move D
    assert any(not torch.equal(g_after_d_steps[k], g_after[k]) for k in g_after)  # it moves G


def test_seeded_runs_are_identical(tmp_path):
    def run():
        pl.seed_everything(123)
        model = tiny_toy_gan()
        trainer(tmp_path, max_steps=15).fit(model, toy_data(batch_size=16))
        return parameters_of(model)

    first, second = run(), run()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_sample_is_reproducible_and_in_eval_mode():
    model = tiny_dcgan()
    model.train()
    a, b = model.sample(5, seed=3), model.sample(5, seed=3)
    assert torch.equal(a, b)
    assert not torch.equal(a, model.sample(5, seed=4))
    assert a.shape == (5, 1, 16, 16) and a.min() >= -1 and a.max() <= 1
    assert model.generator.training  # sampling restores the mode
    # eval mode: BatchNorm uses its running statistics (set far from their defaults), not the batch's
    batch_norms = [m for m in model.generator.modules() if isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d)]
    assert batch_norms
    for bn in batch_norms:
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2.0)
    sample, z = model.sample(5, seed=3), model.sample_latent(5, torch.Generator().manual_seed(3))
    with torch.no_grad():  # (a forward in training mode moves the running statistics: last)
        in_eval, in_training = model.generator.eval()(z), model.generator.train()(z)
    assert torch.allclose(sample, in_eval, atol=1e-6) and not torch.allclose(sample, in_training, atol=1e-3)
    assert model.generator.training


def test_generator_loss_choice():
    assert tiny_toy_gan(generator_loss="minimax").generator_loss_name == "minimax"
    with pytest.raises(ValueError, match="generator_loss must be one of"):
        tiny_toy_gan(generator_loss="hinge")
    with pytest.raises(ValueError, match="n_critic"):
        tiny_toy_gan(n_critic=0)


def test_registry_lists_variants():
    expected = {"gan", "dcgan", "wgan", "wgan_gp", "lsgan", "dragan", "sngan", "began", "unrolled_gan", "cgan", "acgan", "infogan",
                "pix2pix", "cyclegan", "stargan", "vae", "gan_cls"}
    assert set(MODELS) == expected
    assert MODELS["dcgan"] is DCGAN


def test_image_size_mismatch_fails_at_setup_naming_both_shapes(tmp_path):
    model = tiny_dcgan(image_size=16)
    data = digits_data()
    data.image_size = 32
    with pytest.raises(ValueError, match=r"data are 1×32×32 but the generator makes 1×16×16"):
        trainer(tmp_path, max_steps=1).fit(model, data)


def test_channel_mismatch_fails_at_setup(tmp_path):
    model = tiny_dcgan(image_size=16, channels=3)
    with pytest.raises(ValueError, match=r"1×16×16 but the generator makes 3×16×16"):
        trainer(tmp_path, max_steps=1).fit(model, digits_data())


class NaNAfter(GAN):
    def __init__(self, generator, discriminator, bad_step: int = 5, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.bad_step = bad_step

    def generator_loss(self, fake, real):
        loss = super().generator_loss(fake, real)
        return loss * float("nan") if self.global_step >= self.bad_step else loss


def test_non_finite_loss_stops_training_and_keeps_last_checkpoint(tmp_path):
    model = NaNAfter(MLPGenerator(latent_dim=2, hidden_dims=[8]), MLPDiscriminator(hidden_dims=[8]), bad_step=5)
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", every_n_train_steps=2, save_top_k=-1)
    t = trainer(tmp_path, max_steps=20, callbacks=[checkpoint], enable_checkpointing=True)
    with pytest.raises(FloatingPointError, match="generator loss became NaN or infinite by generator step 6") as raised:
        t.fit(model, toy_data(batch_size=16))
    assert raised.value.step == 6  # for scripts that record where a run diverged (benchmarks/toy2d.py)
    saved = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert saved == ["epoch=0-step=2.ckpt", "epoch=0-step=4.ckpt"]
    restored = NaNAfter.load_from_checkpoint(tmp_path / "ckpt" / "epoch=0-step=4.ckpt")
    assert all(torch.isfinite(p).all() for p in restored.parameters())


class DiscriminatorNaNAfter(GAN):
    """A NaN in the discriminator's loss from step ``bad_step`` on, with n_critic = 2 (several D losses a step)."""

    def __init__(self, generator, discriminator, bad_step: int = 3, **kwargs):
        super().__init__(generator, discriminator, n_critic=2, **kwargs)
        self.bad_step = bad_step

    def discriminator_loss(self, real, fake):
        loss = super().discriminator_loss(real, fake)
        return loss * float("nan") if self.global_step >= self.bad_step else loss


def test_a_non_finite_discriminator_loss_is_named_and_stops_at_its_step(tmp_path):
    # the guard keeps every update's loss and checks them together: the failing group must still be the one named
    model = DiscriminatorNaNAfter(MLPGenerator(latent_dim=2, hidden_dims=[8]), MLPDiscriminator(hidden_dims=[8]))
    with pytest.raises(FloatingPointError, match="^The discriminator loss became NaN or infinite by generator step 4"):
        trainer(tmp_path, max_steps=20).fit(model, toy_data(batch_size=16))
    assert model.global_step == 4


def fit_and_checkpoint(tmp_path, model, data, steps=4) -> str:
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt")
    trainer(tmp_path, max_steps=steps, callbacks=[checkpoint], enable_checkpointing=True).fit(model, data)
    return checkpoint.best_model_path or checkpoint.last_model_path


def test_python_built_model_round_trips_through_a_checkpoint(tmp_path):
    model = tiny_dcgan(generator_loss="minimax", n_critic=2)
    path = fit_and_checkpoint(tmp_path, model, digits_data(batch_size=8))
    loaded = DCGAN.load_from_checkpoint(path)
    assert loaded.n_critic == 2 and loaded.generator_loss_name == "minimax"
    assert loaded.generator.base_channels == 8
    assert torch.equal(loaded.sample(4, seed=0), model.sample(4, seed=0))
    via_load = ganzoo.load(path)
    assert type(via_load) is DCGAN and not via_load.training
    assert torch.equal(via_load.sample(4, seed=0), model.sample(4, seed=0))


def test_checkpoint_of_another_class_gives_clear_error(tmp_path):
    path = fit_and_checkpoint(tmp_path, tiny_toy_gan(), toy_data(batch_size=16), steps=2)
    with pytest.raises(CheckpointError, match=r"is a ganzoo.models.gan.GAN checkpoint, not a ganzoo.models.dcgan.DCGAN"):
        DCGAN.load_from_checkpoint(path)
    assert type(GAN.load_from_checkpoint(path)) is GAN


def test_corrupt_and_untrusted_checkpoints_give_clear_errors(tmp_path):
    path = fit_and_checkpoint(tmp_path, tiny_toy_gan(), toy_data(batch_size=16), steps=2)
    data = open(path, "rb").read()
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        GAN.load_from_checkpoint(truncated)
    with pytest.raises(CheckpointError, match="No checkpoint at"):
        ganzoo.load(tmp_path / "missing.ckpt")
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {}}, foreign)
    with pytest.raises(CheckpointError, match="was not saved by a ganzoo model"):
        ganzoo.load(foreign)
    untrusted = tmp_path / "untrusted.ckpt"
    torch.save({"state_dict": {}, "payload": Callback()}, untrusted)
    with pytest.raises(CheckpointError, match="needs arbitrary code"):
        GAN.load_from_checkpoint(untrusted)


class StartStep(Callback):
    def on_train_start(self, trainer, pl_module):
        self.start = trainer.global_step


def test_resume_continues_from_the_same_generator_step(tmp_path):
    model = tiny_toy_gan(n_critic=2)
    path = fit_and_checkpoint(tmp_path, model, toy_data(batch_size=16), steps=6)
    assert path.endswith("step=6.ckpt")
    start = StartStep()
    resumed = tiny_toy_gan(n_critic=2)
    t = trainer(tmp_path, max_steps=10, callbacks=[start])
    t.fit(resumed, toy_data(batch_size=16), ckpt_path=path)
    assert start.start == 6 and t.global_step == 10
    g_opt, d_opt = t.optimizers
    assert adam_steps(g_opt) == 10 and adam_steps(d_opt) == 20


def test_lr_schedulers_step_once_per_generator_step(tmp_path):
    from functools import partial

    halve = partial(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    model = tiny_toy_gan(g_lr_scheduler=halve, d_lr_scheduler=halve, n_critic=2)
    t = trainer(tmp_path, max_steps=3)
    t.fit(model, toy_data(batch_size=16))
    g_opt, d_opt = t.optimizers
    assert g_opt.param_groups[0]["lr"] == pytest.approx(2e-4 / 8)
    assert d_opt.param_groups[0]["lr"] == pytest.approx(2e-4 / 8)


def test_gradient_clipping_bounds_every_update(tmp_path):
    class ClipProbe(GAN):
        norms: list = []

        def after_discriminator_step(self):
            grads = [p.grad for p in self.discriminator.parameters() if p.grad is not None]
            self.norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())

    model = ClipProbe(MLPGenerator(hidden_dims=[16]), MLPDiscriminator(hidden_dims=[16]), gradient_clip_val=1e-3)
    trainer(tmp_path, max_steps=4).fit(model, toy_data(batch_size=16))
    assert len(model.norms) == 4 and max(model.norms) <= 1e-3 * (1 + 1e-4)
