"""The core's shape: two kinds of model, one loop with hooks, objectives by name, no frozen networks after a stop."""

from __future__ import annotations

import pytest
import torch
from helpers import tiny_toy_gan, toy_data, trainer
from torch import Tensor

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.models import (
    MODELS,
    AdversarialModule,
    CycleGAN,
    GANModule,
    Pix2Pix,
    SamplingModule,
    StarGAN,
    TranslatingModule,
    VAE,
)
from ganzoo.objectives import OBJECTIVES, Objective, make_objective, register


def test_every_model_is_one_kind():
    for name, cls in MODELS.items():
        kinds = [issubclass(cls, SamplingModule), issubclass(cls, TranslatingModule)]
        assert kinds.count(True) == 1, name
        assert issubclass(cls, AdversarialModule) or cls is VAE, name  # the VAE: automatic optimization
    assert {cls for cls in MODELS.values() if issubclass(cls, TranslatingModule)} == {Pix2Pix, CycleGAN, StarGAN}
    assert not hasattr(Pix2Pix, "sample_latent") and not hasattr(StarGAN, "sample")
    assert StarGAN.multi_domain and CycleGAN.two_way and not Pix2Pix.two_way and not Pix2Pix.multi_domain
    assert not issubclass(CycleGAN, Pix2Pix)  # CycleGAN stands on its own feet


def test_one_training_loop():
    """No family owns training_step: each fills in the loop's hooks."""
    for name, cls in MODELS.items():
        if cls is VAE:  # not adversarial: its own ELBO step under Lightning's automatic optimization
            continue
        owner = next(k for k in cls.__mro__ if "training_step" in vars(k))
        assert owner is AdversarialModule, f"{name}'s training_step is {owner.__name__}'s"


def test_objectives_are_a_registry_with_their_closed_forms():
    assert set(OBJECTIVES) >= {"cross_entropy", "hinge", "least_squares", "wasserstein"}
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    assert torch.equal(make_objective("hinge").discriminator_loss(real, fake), losses.hinge_discriminator_loss(real, fake))
    assert torch.equal(make_objective("cross_entropy", generator_loss="minimax").generator_loss(fake),
                       losses.minimax_generator_loss(fake))  # fmt: skip
    with pytest.raises(ValueError, match="loss must be one of"):
        make_objective("nope")
    with pytest.raises(ValueError, match="has a single generator loss"):
        make_objective("hinge", generator_loss="minimax")


def test_a_new_objective_is_one_class(tmp_path):
    """A registered objective is usable by name, with no change to any model (here: the "linear" game
    D: E[D(G(z))] - E[D(x)], G: -E[D(G(z))], i.e. the Wasserstein terms under another name)."""

    @register("test_linear")
    class Linear(Objective):
        def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
            return fake_scores.mean() - real_scores.mean()

        def generator_loss(self, fake_scores: Tensor) -> Tensor:
            return -fake_scores.mean()

    try:
        runs = {}
        for loss in ("test_linear", "wasserstein"):
            torch.manual_seed(0)
            model = tiny_toy_gan(loss=loss)
            trainer(tmp_path, max_steps=5).fit(model, toy_data())
            runs[loss] = model.generator.state_dict()
        assert all(torch.equal(runs["test_linear"][k], runs["wasserstein"][k]) for k in runs["wasserstein"])
    finally:
        OBJECTIVES.pop("test_linear")


class NaNAtStep3(GANModule):
    """A GAN whose discriminator loss turns NaN at its third step."""

    def discriminator_loss(self, real: Batch, fake: Batch) -> Tensor:
        loss = losses.minimax_discriminator_loss(self.discriminate(real.images), self.discriminate(fake.images))
        return loss * float("nan") if self.global_step == 2 else loss

    def generator_loss(self, fake: Batch, real: Batch) -> Tensor:
        return losses.non_saturating_generator_loss(self.discriminate(fake.images))


def test_a_run_stopped_by_the_nan_guard_leaves_no_network_frozen(tmp_path):
    base = tiny_toy_gan()
    model = NaNAtStep3(base.generator, base.discriminator)
    with pytest.raises(FloatingPointError, match="discriminator loss became NaN"):
        trainer(tmp_path, max_steps=10).fit(model, toy_data())
    assert all(p.requires_grad for p in model.parameters())


def test_a_finished_run_leaves_no_network_frozen(tmp_path):
    model = tiny_toy_gan()
    trainer(tmp_path, max_steps=3).fit(model, toy_data())
    assert all(p.requires_grad for p in model.parameters())


def test_models_declare_their_real_batches_per_step():
    assert tiny_toy_gan(n_critic=3).real_batches_per_step == 3 and tiny_toy_gan().real_batches_per_step == 1
