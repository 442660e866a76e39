"""Correct under every setting: each test here would have caught a bug found in a code review."""

from __future__ import annotations

import copy

import lightning.pytorch as pl
import pytest
import torch
from conftest import ROOT
from helpers import tiny_dcgan, tiny_toy_gan, toy_data, trainer
from lightning.pytorch.plugins.precision import MixedPrecision
from torch import nn

from ganzoo import losses
from ganzoo.cli import GanzooCLI
from ganzoo.distributed import GANDDPStrategy
from ganzoo.models import DRAGAN, GAN, WGANGP, UnrolledGAN
from ganzoo.nets import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from ganzoo.plugins import AtomicCheckpointIO
from ganzoo.regularizers import GradientPenalty, R1Penalty


class GradientNormAtStep(pl.Callback):
    """Records the gradient norm each optimizer steps with (after the closure Lightning passes it has run)."""

    def __init__(self):
        self.norms: list[float] = []

    def on_train_start(self, trainer, pl_module):
        for optimizer in trainer.optimizers:
            step = optimizer.step

            def recorded(closure=None, optimizer=optimizer, step=step):
                if closure is not None:
                    closure()  # backward and Lightning's hooks (clipping) run here
                grads = [p.grad.norm() for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
                self.norms.append(torch.linalg.vector_norm(torch.stack(grads)).item())
                return step()

            optimizer.step = recorded


@pytest.mark.parametrize("precision", ["32-true", "16-mixed"])
def test_gradient_clipping_acts_on_unscaled_gradients(precision, tmp_path):
    # Under 16-mixed the gradients are multiplied by the loss scale (65536 at first) until the precision plugin
    # unscales them just before the step: clipped earlier, they came out 65536 times too small.
    torch.manual_seed(0)
    recorder = GradientNormAtStep()
    plugins = [MixedPrecision("16-mixed", "cpu")] if precision == "16-mixed" else []
    t = trainer(tmp_path, max_steps=5, callbacks=[recorder], plugins=plugins)
    t.fit(tiny_toy_gan(gradient_clip_val=0.01), toy_data(batch_size=32))
    assert len(recorder.norms) >= 8  # steps an overflow made the scaler skip are not recorded
    assert all(norm == pytest.approx(0.01, rel=1e-3) for norm in recorder.norms), recorder.norms


def unrolled_gan_with_batch_norm(steps: int, **optimizer_options) -> UnrolledGAN:
    torch.manual_seed(0)
    # no bias before BatchNorm: its gradient would be rounding noise, which Adam amplifies to ±lr steps
    discriminator = nn.Sequential(nn.Linear(2, 16, bias=False), nn.BatchNorm1d(16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    model = UnrolledGAN(MLPGenerator(latent_dim=2, hidden_dims=[16]), discriminator, unrolling_steps=steps)
    d_optimizer = torch.optim.Adam(model.discriminator.parameters(), **optimizer_options)
    model.optimizer = lambda group: type("Wrapped", (), {"optimizer": d_optimizer})()
    return model


@pytest.mark.parametrize("options", [{"lr": 1e-2, "betas": (0.5, 0.999)}, {"lr": 3e-3, "weight_decay": 1e-2}])
def test_unrolled_updates_match_torch_adam_and_leave_the_discriminator_untouched(options):
    model = unrolled_gan_with_batch_norm(3, **options)
    d_optimizer = model.optimizer("discriminator").optimizer
    real, fake = torch.randn(32, 2), torch.randn(32, 2) + 1
    # one real update first, so Adam's moments and step count are not zero
    model.discriminator_objective(model.discriminator(real), model.discriminator(fake)).backward()
    d_optimizer.step()
    before = {k: v.clone() for k, v in model.discriminator.state_dict().items()}
    # the same 3 updates by torch.optim.Adam, on a copy of D and of the optimizer's state
    twin = copy.deepcopy(model.discriminator)
    twin_optimizer = torch.optim.Adam(twin.parameters(), **options)
    twin_optimizer.load_state_dict(copy.deepcopy(d_optimizer.state_dict()))  # load_state_dict shares tensors
    for _ in range(3):
        twin_optimizer.zero_grad()
        model.discriminator_objective(twin(real), twin(fake)).backward()
        twin_optimizer.step()
    weights, buffers = model.unrolled_discriminator(real, fake)
    for name, p in twin.named_parameters():
        torch.testing.assert_close(weights[name], p, rtol=1e-5, atol=1e-6)
    for name, b in twin.named_buffers():
        torch.testing.assert_close(buffers[name], b)  # the unroll's BatchNorm statistics moved, on copies
    after = model.discriminator.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), "unrolling changed D's weights or buffers"


def test_unrolled_generator_loss_leaves_spectral_norm_vectors_and_statistics_alone():
    torch.manual_seed(0)
    discriminator = nn.Sequential(nn.utils.spectral_norm(nn.Linear(2, 16)), nn.BatchNorm1d(16), nn.Linear(16, 1))
    model = unrolled_gan_with_batch_norm(2)
    model.discriminator = discriminator
    d_optimizer = torch.optim.Adam(discriminator.parameters())
    model.optimizer = lambda group: type("Wrapped", (), {"optimizer": d_optimizer})()
    from ganzoo.batch import Batch

    before = {k: v.clone() for k, v in discriminator.state_dict().items()}
    loss = model.generator_loss(Batch(torch.randn(16, 2, requires_grad=True)), Batch(torch.randn(16, 2)))
    loss.backward()
    assert torch.isfinite(loss)
    after = discriminator.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_unrolled_gan_refuses_adam_options_it_cannot_unroll():
    model = unrolled_gan_with_batch_norm(1, amsgrad=True)
    with pytest.raises(ValueError, match="amsgrad"):
        model.unrolled_discriminator(torch.randn(8, 2), torch.randn(8, 2))


@pytest.mark.parametrize(
    "discriminator, mixing",
    [
        (lambda: MLPDiscriminator(hidden_dims=[8], minibatch_kernels=4), "minibatch discrimination"),
        (lambda: MLPDiscriminator(hidden_dims=[8], pack=2), "packing (pack=2)"),
        (lambda: DCGANDiscriminator(image_size=16, channels=1, base_channels=8), "BatchNorm"),
    ],
    ids=["minibatch", "pack", "batch-norm"],
)
@pytest.mark.parametrize("variant", ["wgan-gp", "dragan", "gan+r1", "gan+gp"])
def test_per_sample_penalties_refuse_discriminators_that_mix_samples(discriminator, mixing, variant):
    generator = MLPGenerator(latent_dim=2, hidden_dims=[8])
    build = {
        "wgan-gp": lambda d: WGANGP(generator, d),
        "dragan": lambda d: DRAGAN(generator, d),
        "gan+r1": lambda d: GAN(generator, d, loss="least_squares", regularizers=[R1Penalty(1.0)]),
        "gan+gp": lambda d: GAN(generator, d, loss="hinge", regularizers=[GradientPenalty(10.0)]),
    }[variant]
    with pytest.raises(ValueError, match="mixes the samples of a batch") as error:
        build(discriminator())
    assert mixing in str(error.value)


def test_a_penalty_free_gan_may_mix_samples():
    GAN(MLPGenerator(latent_dim=2, hidden_dims=[8]), MLPDiscriminator(hidden_dims=[8], pack=2))


def test_the_data_shape_check_runs_where_the_networks_are():
    # A model moved to an accelerator before fit: the probes must be made there (here: the meta device, which
    # refuses CPU tensors just as a GPU does).
    model = tiny_dcgan().to("meta")
    model.check_data_shape((1, 16, 16))
    with pytest.raises(ValueError, match="The data are 1×32×32 but the generator makes 1×16×16"):
        model.check_data_shape((1, 32, 32))


@pytest.mark.parametrize("loss", ["hinge", "least_squares", "wasserstein"])
def test_minimax_generator_loss_with_another_game_is_refused(loss):
    with pytest.raises(ValueError, match=f"loss='{loss}' has a single generator loss .*, not 'minimax'"):
        GAN(MLPGenerator(), MLPDiscriminator(), loss=loss, generator_loss="minimax")


def test_dragan_paper_noise_is_gaussian_around_the_reals_with_variance_c():
    # For a linear critic D(x) = w·x the gradient is w at every point: the penalty is (‖w‖ - 1)² whatever the
    # noise; the points it is taken at are x + δ, δ ~ N(0, c·I).
    w = torch.tensor([3.0, 4.0])
    seen = []

    def critic(x):
        seen.append(x.detach())
        return x @ w

    real = torch.zeros(20000, 2)
    assert losses.dragan_penalty(critic, real, perturbation=10.0, noise="paper").item() == pytest.approx(16.0)
    assert seen[0].var(0).tolist() == pytest.approx([10.0, 10.0], rel=0.05)
    assert seen[0].mean(0).abs().max() < 0.1
    model = DRAGAN(MLPGenerator(latent_dim=2, hidden_dims=[8]), MLPDiscriminator(hidden_dims=[8]), noise="paper")
    assert model.regularizers[0].noise == "paper"
    default = DRAGAN(MLPGenerator(latent_dim=2, hidden_dims=[8]), MLPDiscriminator(hidden_dims=[8]))
    assert default.regularizers[0].noise == "code"  # the authors' code stays the default
    with pytest.raises(ValueError, match="noise must be 'code' or 'paper'"):
        GradientPenalty(noise="gaussian")


def test_auto_strategy_on_several_devices_uses_ganzoo_ddp():
    args = ["--config", str(ROOT / "configs/gan/ring8.yaml"), "--trainer.accelerator", "cpu", "--trainer.devices", "2"]
    cli = GanzooCLI(args=args, run=False)
    assert isinstance(cli.trainer.strategy, GANDDPStrategy) and cli.trainer.num_devices == 2
    assert type(cli.trainer.strategy.checkpoint_io) is AtomicCheckpointIO  # set on the strategy instance it made
    cli = GanzooCLI(args=args[:-1] + ["1"], run=False)
    assert not isinstance(cli.trainer.strategy, GANDDPStrategy)  # one device: no DDP at all
