"""The training-dynamics lab states the theory (``ganzoo.dynamics``): on V = θψ simultaneous steps spiral out by
exactly √(1 + η²) a step, alternating steps stay on a bounded orbit whose uniform average goes to the saddle and
whose EMA is a smaller orbit; on the Dirac-GAN, R1 (and instance noise) converge, the plain GAN and WGAN do not."""

from __future__ import annotations

import math

import pytest
import torch

from ganzoo.dynamics import bilinear, dirac_gan, ema, play, uniform_average, vector_field

LR = 0.1


def radius(path: torch.Tensor) -> torch.Tensor:
    return path.norm(dim=1)


def test_simultaneous_steps_on_the_bilinear_game_grow_the_radius_by_exactly_sqrt_one_plus_eta_squared():
    path = play(bilinear(), (1.0, 0.5), LR, 200, mode="simultaneous")
    ratios = radius(path)[1:] / radius(path)[:-1]
    torch.testing.assert_close(ratios, torch.full_like(ratios, math.sqrt(1 + LR**2)), rtol=1e-12, atol=0)


def test_alternating_steps_stay_on_a_bounded_orbit():
    path = play(bilinear(), (1.0, 0.5), LR, 6000)
    r = radius(path)
    assert r.max() < 1.1 * r[0] and r.min() > 0.9 * r[0]
    assert r[-1000:].max() <= r[:1000].max() * (1 + 1e-9)  # no drift outward over 6,000 steps


def test_the_uniform_average_of_the_orbit_goes_to_the_saddle_and_an_ema_shrinks_the_orbit():
    path = play(bilinear(), (1.0, 0.5), LR, 10_000)
    assert radius(uniform_average(path))[-1] < 0.01 * radius(path)[0]
    averaged = radius(ema(path, 0.99))[5000:]
    assert averaged.max() < 0.15 * radius(path)[5000:].min()  # |(1−β)/(1−β·e^{iη})| ≈ 0.10 of the orbit


def test_simultaneous_steps_and_their_average_diverge():
    path = play(bilinear(), (1.0, 0.5), LR, 2000, mode="simultaneous")
    assert radius(path)[-1] > 100 * radius(path)[0] and radius(uniform_average(path))[-1] > 10


@pytest.mark.slow
@pytest.mark.parametrize("game", [dirac_gan(), dirac_gan(loss="wasserstein", clip=1.0)], ids=["gan", "wgan-clipping"])
def test_the_unregularised_dirac_gan_and_wgan_clipping_do_not_converge(game):
    path = play(game, (1.0, 1.0), LR, 5000)
    assert radius(path[-500:]).min() > 0.5  # still circling the equilibrium (0, 0), far from it


@pytest.mark.slow
@pytest.mark.parametrize("game", [dirac_gan(r1=1.0), dirac_gan(instance_noise=0.7)], ids=["r1", "instance-noise"])
def test_r1_and_instance_noise_make_the_dirac_gan_converge(game):
    for mode in ("simultaneous", "alternating"):
        path = play(game, (1.0, 1.0), LR, 5000, mode=mode)
        assert radius(path)[-1] < 1e-3, (game.name, mode, path[-1])


def test_a_wgan_gp_penalty_leaves_the_critic_away_from_zero():
    """WGAN-GP pulls |ψ| to 1, not to 0, so play leaves the equilibrium (here θ drifts to −2; Mescheder et al.)."""
    path = play(dirac_gan(loss="wasserstein", gradient_penalty=1.0), (1.0, 1.0), LR, 5000)
    assert radius(path[-500:]).min() > 0.5


def test_the_vector_field_points_along_play():
    theta, psi, d_theta, d_psi = vector_field(bilinear(), n=5)
    torch.testing.assert_close(d_theta, -psi)
    torch.testing.assert_close(d_psi, theta)
    with pytest.raises(ValueError, match="mode must be"):
        play(bilinear(), (1.0, 0.0), LR, 1, mode="gauss-seidel")
