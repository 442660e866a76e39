"""Variants learn, judged by what they promise: mode coverage on ring8, recognisable digits for the quickstart."""

from __future__ import annotations

import pytest
import torch
from conftest import ROOT

from ganzoo.callbacks import ModeCoverage
from ganzoo.cli import GanzooCLI
from ganzoo.data import DigitsDataModule
from ganzoo.data.base import to_unit_range
from ganzoo.metrics import digits_confidence

QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


# variant → (generator steps or None for the config's, min modes, min high-quality fraction) for
# configs/<variant>/ring8.yaml, seed 0. Chance level: a diffuse cloud over the ring puts ~0.6% of its
# samples within 3σ of some mode (and can touch most modes), so high-quality floors sit well above 0.6%.
# Measured (2 CPU cores; seed 0 of `python benchmarks/toy2d.py`, benchmarks/results/toy2d.md, except
# GAN, cut from 20,000 to 3,000 steps here, and PacGAN2, cut from 10,000 to 2,500, their lr decay with
# them): GAN 8/83.4%, PacGAN2 8/72.8%, LSGAN 8/92.7%, minibatch 8/79.5%, SNGAN 8/34.6%. SNGAN's precision swings
# with the run: the tests' one thread per process (tests/conftest.py) gives seeds 0–2 8/13.9%, 8/27.0%, 8/38.0%,
# two threads seed 0 8/29.9% (a matmul's sums depend on the threads), toy2d.md's seeds 8/34.6%, 8/34.4%, 8/32.5%.
# Its spectrally normalised critic covers every mode, so its floor is all 8 and 10% (a diffuse cloud: ~0.6%).
RING8_FLOORS = {
    "gan": (3000, 7, 0.75),
    "pacgan": (2500, 7, 0.60),
    "lsgan": (None, 7, 0.80),
    "minibatch": (None, 7, 0.60),
    "sngan": (None, 8, 0.10),
}
# Variants that do not yet learn ring8 as the plain GAN does at these budgets (its 8 modes, 83% high quality at
# 3,000 steps): their tests are smoke tests. Each floor only tells a run that trained (samples gathered at modes)
# from a broken one (a diffuse cloud: ~0.6% high quality), so these do not show that the variant works.
# Measured, seed 0: Unrolled GAN at 1,008 steps 7/5.3% (at its config's 2,000: 3/10.2%; seeds 0–2 there 3, 1, 7
# modes: it hops between modes, where its paper covers all 8); WGAN-GP 7/6.5% (1,008 steps: 6/0.4%, chance);
# DRAGAN 3/38.1% (a swing between seeds, modes 3.0 ± 3.5 over seeds 0–2, and environments; 1,008 steps: 0/0%);
# BEGAN 1/74.6%: one mode, a sharp one.
RING8_SMOKE_FLOORS = {
    "unrolled_gan": (1008, 5, 0.03),
    "wgan_gp": (None, 5, 0.03),
    "dragan": (None, 2, 0.05),
    "began": (None, 1, 0.50),
}


def ring8_run(variant: str, tmp_path, steps: int | None = None) -> GanzooCLI:
    """Train configs/<variant>/ring8.yaml (seed 0); ``steps`` shortens the run and its lr decay with it."""
    config = ROOT / f"configs/{variant}/ring8.yaml"
    args = ["fit", "--config", str(config), *QUIET, "--seed_everything", "0"]
    args += ["--trainer.default_root_dir", str(tmp_path), "--trainer.logger", "false"]
    if steps:
        args += ["--trainer.max_steps", str(steps)]
        schedulers = [k for k in ("g_lr_scheduler", "d_lr_scheduler") if k in config.read_text()]
        args += [arg for k in schedulers for arg in (f"--model.init_args.{k}.init_args.total_iters", str(steps))]
    return GanzooCLI(args=args)


def assert_ring8_floors(variant: str, floors: dict, tmp_path) -> None:
    steps, min_modes, min_high_quality = floors[variant]
    cli = ring8_run(variant, tmp_path, steps)
    (coverage,) = [c for c in cli.trainer.callbacks if isinstance(c, ModeCoverage)]
    assert cli.trainer.global_step == (steps or cli.trainer.max_steps) and coverage.num_samples == 2500
    assert coverage.result["modes"] >= min_modes, coverage.result
    assert coverage.result["high_quality"] >= min_high_quality, coverage.result


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(RING8_FLOORS))
def test_variant_learns_ring8(variant, tmp_path):
    assert_ring8_floors(variant, RING8_FLOORS, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(RING8_SMOKE_FLOORS))
def test_variant_trains_on_ring8_smoke_test(variant, tmp_path):
    assert_ring8_floors(variant, RING8_SMOKE_FLOORS, tmp_path)


@pytest.mark.slow
def test_wgan_moves_its_samples_out_to_the_ring(tmp_path):
    """WGAN (clipping, RMSProp 5e-5) is slow: at its config's 2,000 steps it captures modes only at chance level
    (4 of 8, 0.5% high quality, 4.5% of samples within 10σ), so the floor is on what it does learn, the scale of
    the data: the untrained generator's samples sit at the origin, a ring radius (100σ) from every mode; trained
    for 1,008 steps, their median distance to the nearest mode is 42.8σ (measured; 41.6σ at 2,000 steps).
    """
    def median_distance(cli: GanzooCLI) -> float:
        mixture = cli.datamodule.mixture
        distance = torch.cdist(cli.model.sample(2500, seed=0).float(), mixture.means).min(1).values
        return float(distance.median() / mixture.std)

    assert median_distance(ring8_run("wgan", tmp_path / "untrained", steps=1)) > 90
    assert median_distance(ring8_run("wgan", tmp_path / "trained", steps=1008)) < 55


@pytest.mark.slow
def test_quickstart_learns_digits(tmp_path):
    """The quickstart DCGAN, 1,000 generator steps: most samples are confidently digits, of all 10 classes.

    Measured when the floor was set: 75% confident, every class ≥ 37 of 1,000.
    """
    cli = GanzooCLI(
        args=["fit", "--config", str(ROOT / "configs/quickstart.yaml"), *QUIET, "--trainer.max_steps", "1000"]
        + ["--trainer.default_root_dir", str(tmp_path), "--trainer.logger", "false"]
    )
    result = digits_confidence(cli.model.sample(1000, seed=0))
    assert result["confident"] >= 0.6, f"only {result['confident']:.0%} of samples are confidently digits"
    assert min(result["classes"]) >= 20, f"classes missing or rare: {result['classes']}"


def test_digits_judge_accepts_real_digits_and_rejects_noise():
    data = DigitsDataModule(image_size=16)
    data.setup()
    real = to_unit_range(data.train_set.tensors[0])
    assert digits_confidence(real)["confident"] > 0.99
    noise = torch.rand(500, 1, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert digits_confidence(noise)["confident"] < 0.05
    one_digit = real[data.train_set.tensors[1] == 3][:100]
    assert digits_confidence(one_digit)["classes"][3] >= 95


# configs/cgan/digits.yaml at 400 generator steps (7 s here), seed 0: measured 98.8% (sample seed 0) and
# 98.2% (seed 1); 800 steps: 99.8%. Untrained: 10% (chance). A CGAN whose labels never reach G sits at ~10%.
CGAN_DIGITS_STEPS, CGAN_DIGITS_FLOOR = 400, 0.90


def digits_label_accuracy(model, seed: int = 0) -> float:
    """Share of 500 samples (50 per class) that the digits judge reads as the class they were made for."""
    from ganzoo.metrics.digits import digits_judge

    labels = torch.arange(10).repeat_interleave(50)
    samples = model.sample(500, seed=seed, labels=labels).float()
    predicted = torch.as_tensor(digits_judge(samples.shape[-1]).predict(samples.flatten(1).numpy()))
    return float((predicted == labels).float().mean())


@pytest.mark.slow
def test_cgan_learns_to_draw_the_digit_it_is_asked_for(tmp_path):
    """configs/cgan/digits.yaml, seed 0, CGAN_DIGITS_STEPS generator steps: the digits judge agrees with the
    requested class. An untrained CGAN agrees at chance (~10%).
    """
    args = ["fit", "--config", str(ROOT / "configs/cgan/digits.yaml"), *QUIET, "--seed_everything", "0"]
    args += ["--trainer.logger", "false"]
    untrained = GanzooCLI(args=[*args, "--trainer.max_steps", "1", "--trainer.default_root_dir", str(tmp_path / "a")]).model
    assert digits_label_accuracy(untrained) < 0.3
    steps = ["--trainer.max_steps", str(CGAN_DIGITS_STEPS), "--trainer.default_root_dir", str(tmp_path / "b")]
    trained = GanzooCLI(args=[*args, *steps]).model
    assert digits_label_accuracy(trained) >= CGAN_DIGITS_FLOOR
