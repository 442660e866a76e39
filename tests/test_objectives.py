"""The objective zoo, each checked against what its paper promises."""

from __future__ import annotations

import pytest
import torch
from helpers import parameters_of, toy_data, trainer
from torch import nn

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models import BEGAN, DRAGAN, GAN, LSGAN, SNGAN, WGAN, WGANGP, UnrolledGAN
from ganzoo.nets import MinibatchDiscrimination, MLPAutoencoder, MLPDiscriminator, MLPGenerator
from ganzoo.nets.dcgan import DCGANDiscriminator


def toy_nets(hidden=(32, 32)):
    return MLPGenerator(latent_dim=2, hidden_dims=hidden), MLPDiscriminator(hidden_dims=hidden)


# ---------------------------------------------------------------- losses against hand-computed values
def test_least_squares_losses_by_hand():
    real, fake = torch.tensor([1.0, 0.5]), torch.tensor([0.0, 2.0])
    # ½·mean((1-1)², (0.5-1)²) + ½·mean((0-0)², (2-0)²) = ½·0.125 + ½·2 = 1.0625
    assert losses.least_squares_discriminator_loss(real, fake).item() == pytest.approx(1.0625)
    # ½·mean((0-1)², (2-1)²) = 0.5
    assert losses.least_squares_generator_loss(fake).item() == pytest.approx(0.5)
    assert losses.least_squares_discriminator_loss(real, fake, a=-1, b=1).item() == pytest.approx(
        0.5 * (0 + 0.25) / 2 + 0.5 * (1 + 9) / 2
    )


def test_hinge_losses_by_hand():
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-2.0, 0.0, 1.0])
    # mean(max(0, 1-r)) = mean(0, 0.5, 2) = 5/6; mean(max(0, 1+f)) = mean(0, 1, 2) = 1
    assert losses.hinge_discriminator_loss(real, fake).item() == pytest.approx(5 / 6 + 1)
    assert losses.hinge_generator_loss(fake).item() == pytest.approx(1 / 3)


def test_wasserstein_losses_by_hand():
    real, fake = torch.tensor([3.0, 1.0]), torch.tensor([0.5, -0.5])
    assert losses.wasserstein_critic_loss(real, fake).item() == pytest.approx(0.0 - 2.0)
    assert losses.wasserstein_generator_loss(fake).item() == pytest.approx(0.0)


def linear_critic(w: torch.Tensor):
    return lambda x: x.flatten(1) @ w


@pytest.mark.parametrize("norm", [0.3, 1.0, 2.5])
def test_gradient_penalty_of_linear_critic_is_exact(norm):
    """For D(x) = w·x, ∇D = w everywhere, so the penalty is (‖w‖ - 1)² exactly (times λ in the model)."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(12, generator=g, dtype=torch.float64)
    w = w / w.norm() * norm
    real, fake = torch.randn(16, 3, 2, 2, generator=g), torch.randn(16, 3, 2, 2, generator=g)
    penalty = losses.gradient_penalty(linear_critic(w.float()), real, fake)
    assert penalty.item() == pytest.approx((norm - 1) ** 2, abs=1e-5)
    assert losses.dragan_penalty(linear_critic(w.float()), real).item() == pytest.approx((norm - 1) ** 2, abs=1e-5)


def test_gradient_penalty_alpha_is_per_sample():
    seen = {}

    def critic(x):
        seen["x"] = x.detach()
        return x.flatten(1).sum(1)

    torch.manual_seed(0)
    real, fake = torch.randn(32, 3, 4, 4), torch.randn(32, 3, 4, 4)
    losses.gradient_penalty(critic, real, fake)
    alpha = (seen["x"] - fake) / (real - fake)  # x̂ = αx + (1-α)f ⇒ α = (x̂ - f) / (x - f)
    per_sample = alpha.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample), atol=1e-4)  # one α per sample
    assert per_sample[:, 0].std() > 0.1  # and different samples draw different α


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_gradient_penalty_is_float32_under_autocast(dtype):
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 1))
    real, fake = torch.randn(64, 8), torch.randn(64, 8)
    alpha = torch.rand(64, 1)
    reference = losses.gradient_penalty(critic, real, fake, alpha)
    with torch.autocast("cpu", dtype=dtype):
        mixed = losses.gradient_penalty(critic, real, fake, alpha)
    assert mixed.dtype == torch.float32
    assert mixed.item() == pytest.approx(reference.item(), rel=1e-6)
    # the naive way, differentiating the autocast critic, is visibly off
    with torch.autocast("cpu", dtype=dtype):
        x = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    naive = (grad.float().norm(2, dim=1) - 1).pow(2).mean()
    assert abs(naive.item() - reference.item()) > abs(mixed.item() - reference.item())


def test_penalised_variants_refuse_batch_norm_critics():
    g = MLPGenerator()
    for cls in (WGANGP, DRAGAN):
        with pytest.raises(ValueError, match="without BatchNorm"):
            cls(g, DCGANDiscriminator(image_size=16, channels=1, batch_norm=True))


def test_wgan_gp_trains_with_bf16_mixed(tmp_path):
    model = WGANGP(*toy_nets(), n_critic=2)
    t = trainer(tmp_path, max_steps=3, precision="bf16-mixed")
    t.fit(model, toy_data(batch_size=32))
    assert torch.isfinite(t.callback_metrics["gradient_penalty"])
    assert all(torch.isfinite(p).all() for p in model.parameters())
    # under bf16 autocast the critic's scores change, but the penalty is computed in float32 outside autocast
    # (losses._unit_gradient_norm_penalty): float32's penalty on the same batch and interpolates, exactly
    (penalty,) = model.regularizers
    torch.manual_seed(1)
    real, fake = torch.randn(64, 2), model.generator(torch.randn(64, 2)).detach()
    penalties, scores = [], []
    for bf16 in (False, True):
        torch.manual_seed(2)  # the same interpolation weights α
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16), torch.no_grad():
            scores.append(model.discriminator(real).float())
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            penalties.append(penalty.penalty(model.discriminator, real, fake))
    assert not torch.equal(scores[0], scores[1])  # autocast is in force
    assert penalties[0].item() > 0.01 and penalties[1].dtype == torch.float32 and torch.equal(penalties[0], penalties[1])


# ---------------------------------------------------------------- WGAN clipping
class ClipWatch(WGAN):
    def after_discriminator_step(self):
        super().after_discriminator_step()
        self.max_abs = max(getattr(self, "max_abs", 0.0), max(p.abs().max().item() for p in self.discriminator.parameters()))
        self.critic_steps = getattr(self, "critic_steps", 0) + 1


def test_wgan_clips_every_critic_parameter_after_every_critic_step(tmp_path):
    model = ClipWatch(*toy_nets(), clip_value=0.01, d_optimizer=lambda p: torch.optim.SGD(p, lr=1.0))
    assert model.n_critic == 5
    trainer(tmp_path, max_steps=3).fit(model, toy_data(batch_size=16))
    assert model.critic_steps == 15 and model.max_abs <= 0.01


# ---------------------------------------------------------------- SNGAN
def test_sngan_normalised_weights_have_unit_spectral_norm(tmp_path):
    from torch.nn.utils import parametrize

    torch.manual_seed(0)
    model = SNGAN(*toy_nets((64, 64)))
    trainer(tmp_path, max_steps=200).fit(model, toy_data(batch_size=64))
    model.eval()
    layers = [m for m in model.discriminator.modules() if parametrize.is_parametrized(m, "weight")]
    assert len(layers) == 3
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().reshape(layer.weight.shape[0], -1), ord=2)
        assert sigma.item() == pytest.approx(1.0, rel=0.05)


def test_sngan_normalises_conv_weights_reshaped():
    from ganzoo.nets import SNGANDiscriminator

    model = SNGAN(MLPGenerator(), SNGANDiscriminator())
    model.discriminator.train()
    for _ in range(30):  # power iterations happen in training-mode forwards
        model.discriminator(torch.randn(2, 3, 32, 32))
    model.discriminator.eval()
    conv = model.discriminator.features[0]
    w = conv.weight.detach().reshape(conv.weight.shape[0], -1)  # C_out × C_in·k_h·k_w
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, rel=0.05)


# ---------------------------------------------------------------- BEGAN
class KWatch(BEGAN):
    def on_train_batch_end(self, outputs, batch, batch_idx):
        super().on_train_batch_end(outputs, batch, batch_idx)
        self.k_history = [*getattr(self, "k_history", []), self.k.item()]
        self.m_history = [*getattr(self, "m_history", []), self.trainer.callback_metrics["M_global"].item()]


def test_began_k_stays_in_unit_interval_and_convergence_measure_falls(tmp_path):
    torch.manual_seed(0)
    model = KWatch(MLPGenerator(latent_dim=2, hidden_dims=[64, 64]), MLPAutoencoder(hidden_dims=[64, 64], code_dim=8), lambda_k=0.05)
    trainer(tmp_path, max_steps=300, log_every_n_steps=1).fit(model, toy_data(batch_size=64, num_samples=8192))
    assert all(0.0 <= k <= 1.0 for k in model.k_history)
    assert max(model.k_history) > 0  # the controller moved
    first, last = model.m_history[:30], model.m_history[-30:]
    assert sum(last) / 30 < 0.7 * sum(first) / 30
    with pytest.raises(ValueError, match="n_critic must be 1"):
        BEGAN(MLPGenerator(), MLPAutoencoder(), n_critic=2)


# ---------------------------------------------------------------- minibatch discrimination
def test_minibatch_features_separate_identical_from_diverse_batches():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=16, num_kernels=8, kernel_dim=4)
    identical = torch.randn(1, 16).expand(10, 16)
    diverse = torch.randn(10, 16) * 5
    o_identical = layer.closeness(identical)
    o_diverse = layer.closeness(diverse)
    assert torch.allclose(o_identical, torch.full((10, 8), 9.0))  # Σ_{j≠i} exp(0) = N - 1
    assert o_diverse.max() < 1.0
    assert layer(diverse).shape == (10, 16 + 8)


def test_minibatch_discrimination_is_available_to_any_discriminator():
    assert MLPDiscriminator(minibatch_kernels=4)(torch.randn(6, 2)).shape == (6,)
    d = DCGANDiscriminator(image_size=16, channels=1, base_channels=8, minibatch_kernels=4)
    assert any(isinstance(m, MinibatchDiscrimination) for m in d.modules())
    assert d(torch.randn(6, 1, 16, 16)).shape == (6,)


# ---------------------------------------------------------------- unrolled GAN
class Snapshots(UnrolledGAN):
    def after_discriminator_step(self):
        self.d_after_own_update = parameters_of(self.discriminator)


def one_step(model, tmp_path, seed=0):
    import lightning.pytorch as pl

    pl.seed_everything(seed, verbose=False)
    trainer(tmp_path, max_steps=1).fit(model, toy_data(batch_size=32, num_samples=512))
    return parameters_of(model.generator), parameters_of(model.discriminator)


def fresh_nets():
    torch.manual_seed(1)
    return toy_nets((16, 16))


def test_unrolled_with_k0_equals_the_plain_gan_and_k5_differs(tmp_path):
    g_plain, d_plain = one_step(GAN(*fresh_nets()), tmp_path)
    g_k0, d_k0 = one_step(UnrolledGAN(*fresh_nets(), unrolling_steps=0), tmp_path)
    g_k5, d_k5 = one_step(UnrolledGAN(*fresh_nets(), unrolling_steps=5), tmp_path)
    assert all(torch.equal(g_plain[k], g_k0[k]) for k in g_plain)
    assert all(torch.equal(d_plain[k], d_k5[k]) for k in d_plain)  # D's own update is the plain one
    assert any(not torch.allclose(g_plain[k], g_k5[k]) for k in g_plain)


def test_unrolling_never_writes_to_the_discriminator(tmp_path):
    model = Snapshots(*fresh_nets(), unrolling_steps=3)
    _, d_final = one_step(model, tmp_path)
    assert all(torch.equal(model.d_after_own_update[k], d_final[k]) for k in d_final)


# ---------------------------------------------------------------- LSGAN/DRAGAN through the model
def test_lsgan_and_dragan_models_use_their_losses():
    torch.manual_seed(0)
    g, d = toy_nets()
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    real_batch, fake_batch = Batch(real), Batch(fake)
    lsgan = LSGAN(g, d, a=-1.0, b=1.0, c=0.0)
    expected = losses.least_squares_discriminator_loss(d(real), d(fake), -1.0, 1.0)
    assert lsgan.discriminator_loss(real_batch, fake_batch).item() == pytest.approx(expected.item())
    assert lsgan.generator_loss(fake_batch, real_batch).item() == pytest.approx(
        losses.least_squares_generator_loss(d(fake), 0.0).item()
    )
    dragan = DRAGAN(g, d, penalty_weight=0.0)
    assert dragan.discriminator_loss(real_batch, fake_batch).item() == pytest.approx(
        losses.minimax_discriminator_loss(d(real), d(fake)).item()
    )
    hinge = GAN(g, d, loss="hinge")
    assert hinge.discriminator_loss(real_batch, fake_batch).item() == pytest.approx(
        losses.hinge_discriminator_loss(d(real), d(fake)).item()
    )
