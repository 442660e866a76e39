"""The conditional family: losses by hand, labels reaching both networks, clear errors, and the metrics."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from helpers import digits_data, trainer

from ganzoo import losses
from ganzoo.batch import Batch
from ganzoo.data import DigitsDataModule, Toy2DDataModule
from ganzoo.metrics.conditional import intra_class_fid, label_accuracy, matched_accuracy
from ganzoo.models import ACGAN, CGAN, InfoGAN
from ganzoo.nets import (
    AuxiliaryClassifierDiscriminator,
    ConditionalDCGANDiscriminator,
    ConditionalDCGANGenerator,
    DCGANGenerator,
    InfoGANDiscriminator,
)


def tiny_cgan(conditioning: str = "concat", classes: int = 10) -> CGAN:
    return CGAN(
        ConditionalDCGANGenerator(8, classes, 4, 16, 1, 8),
        ConditionalDCGANDiscriminator(16, 1, 8, classes, conditioning, 4),
    )


def tiny_acgan() -> ACGAN:
    return ACGAN(ConditionalDCGANGenerator(8, 10, 4, 16, 1, 8), AuxiliaryClassifierDiscriminator(16, 1, 8, 10))


def tiny_infogan() -> InfoGAN:
    return InfoGAN(DCGANGenerator(8 + 10 + 2, 16, 1, 8), InfoGANDiscriminator(16, 1, 8, 10, 2))


def test_infogan_noise_is_normal_or_the_papers_uniform():
    normal = tiny_infogan()
    uniform = InfoGAN(DCGANGenerator(8 + 10 + 2, 16, 1, 8), InfoGANDiscriminator(16, 1, 8, 10, 2), noise="uniform")
    z = uniform.sample_noise(4000, torch.Generator().manual_seed(0))
    assert z.shape == (4000, 8) and z.min() >= -1 and z.max() <= 1 and z.var().item() == pytest.approx(1 / 3, rel=0.05)
    assert torch.equal(z, uniform.sample_noise(4000, torch.Generator().manual_seed(0)))  # seeded
    assert normal.sample_noise(4000).abs().max() > 1 and uniform.hparams["noise"] == "uniform"
    with pytest.raises(ValueError, match="noise must be 'normal' or 'uniform'"):
        InfoGAN(DCGANGenerator(20, 16, 1, 8), InfoGANDiscriminator(16, 1, 8, 10, 2), noise="gaussian")


# ---------------------------------------------------------------- losses against closed forms
def test_acgan_losses_equal_the_hand_computed_formula():
    torch.manual_seed(0)
    model = tiny_acgan().eval()  # eval: BatchNorm uses running statistics, so D is a fixed function here
    real = Batch(torch.rand(6, 1, 16, 16) * 2 - 1, torch.tensor([0, 1, 2, 3, 4, 5]))
    fake = Batch(torch.rand(6, 1, 16, 16) * 2 - 1, torch.tensor([9, 8, 7, 6, 5, 4]))
    (r_adv, r_cls), (f_adv, f_cls) = model.discriminator(real.images), model.discriminator(fake.images)

    def nll(logits, labels):  # -mean log softmax at the right class, written out
        return -(logits - logits.exp().sum(1, keepdim=True).log()).gather(1, labels[:, None]).mean()

    bce = -(torch.sigmoid(r_adv).log().mean() + (1 - torch.sigmoid(f_adv)).log().mean())
    expected_d = bce + nll(r_cls, real.labels) + nll(f_cls, fake.labels)
    assert model.discriminator_loss(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-5)
    expected_g = -torch.sigmoid(f_adv).log().mean() + nll(f_cls, fake.labels)
    assert model.generator_loss(fake, real).item() == pytest.approx(expected_g.item(), rel=1e-5)


def test_acgan_head_returns_logits_not_probabilities():
    _, class_logits = AuxiliaryClassifierDiscriminator(16, 1, 8, 10)(torch.randn(4, 1, 16, 16) * 3)
    assert not torch.allclose(class_logits.sum(1), torch.ones(4))  # no softmax before cross_entropy
    assert losses.auxiliary_classifier_loss(class_logits, torch.zeros(4, dtype=torch.long)).item() == pytest.approx(
        F.cross_entropy(class_logits, torch.zeros(4, dtype=torch.long)).item()
    )


def test_infogan_information_bound_is_at_most_ln10_and_reaches_it_for_a_perfect_q():
    codes = torch.arange(10).repeat(3)
    torch.manual_seed(0)
    for _ in range(5):
        assert losses.categorical_mutual_information(torch.randn(30, 10) * 4, codes).item() <= math.log(10)
    perfect = F.one_hot(codes, 10).float() * 100.0  # Q certain and right
    assert losses.categorical_mutual_information(perfect, codes).item() == pytest.approx(math.log(10), abs=1e-6)
    uniform = torch.zeros(30, 10)  # Q knows nothing: L_I = 0
    assert losses.categorical_mutual_information(uniform, codes).item() == pytest.approx(0.0, abs=1e-6)


def test_infogan_losses_add_the_information_terms_with_their_weights():
    torch.manual_seed(0)
    model = tiny_infogan().eval()
    real = Batch(torch.rand(4, 1, 16, 16) * 2 - 1)
    latent = model.sample_latent(4, torch.Generator().manual_seed(1))
    fake = Batch(model.decode(model.generator, latent), labels=latent["labels"], codes=latent["codes"])
    f_adv, cat_logits, cont = model.discriminator(fake.images)
    info = F.cross_entropy(cat_logits, fake.labels) + 0.1 * 0.5 * (cont - fake.codes).pow(2).mean()
    expected = F.softplus(-f_adv).mean() + info
    assert model.generator_loss(fake, real).item() == pytest.approx(expected.item(), rel=1e-5)


# ---------------------------------------------------------------- labels reach G and D
@pytest.mark.parametrize("conditioning", ["concat", "projection"])
def test_labels_change_both_networks_outputs(conditioning):
    torch.manual_seed(0)
    model = tiny_cgan(conditioning).eval()
    z = torch.randn(5, 8)
    threes, sevens = torch.full((5,), 3), torch.full((5,), 7)
    assert not torch.allclose(model.generator(z, threes), model.generator(z, sevens))
    x = torch.randn(5, 1, 16, 16)
    assert not torch.allclose(model.discriminator(x, threes), model.discriminator(x, sevens))


def test_multiplicative_generator_conditioning_scales_the_noise_by_the_class():
    torch.manual_seed(0)
    g = ConditionalDCGANGenerator(8, 10, 4, 16, 1, 8, conditioning="multiply").eval()
    z = torch.randn(5, 8)
    assert g.embedding.weight.shape == (10, 8) and g.body.latent_dim == 8
    assert not torch.allclose(g(z, torch.full((5,), 3)), g(z, torch.full((5,), 7)))
    with torch.no_grad():
        g.embedding.weight[2] = 1.0  # e(2) = 1: G(z, 2) is the body on z itself
    assert torch.allclose(g(z, torch.full((5,), 2)), g.body(z))


def test_sample_fixes_labels_and_is_reproducible():
    model = tiny_cgan()
    a, b = model.sample(6, seed=1, labels=2), model.sample(6, seed=1, labels=[2] * 6)
    assert torch.equal(a, b)
    assert not torch.equal(a, model.sample(6, seed=1, labels=5))
    latent, nrow = model.grid_inputs(25, torch.Generator().manual_seed(0))
    assert nrow == 2 and latent["labels"].tolist() == [c for c in range(10) for _ in range(2)]


def test_infogan_labels_fix_the_categorical_code_and_traversals_vary_one_code():
    model = tiny_infogan()
    latent = model.sample_latent(4, torch.Generator().manual_seed(0), labels=7)
    assert latent["labels"].tolist() == [7] * 4 and latent["codes"].shape == (4, 2)
    values = torch.linspace(-2, 2, 5)
    t = model.traversal_latent(1, values, torch.Generator().manual_seed(0))
    assert t["z"].shape == (50, 8) and torch.equal(t["codes"][:5, 1], values)
    assert torch.equal(t["codes"][:5, 0], t["codes"][:1, 0].expand(5))  # the other code stays
    assert model.sample_from(t).shape == (50, 1, 16, 16)


# ---------------------------------------------------------------- bad input: one clear line
@pytest.mark.parametrize(
    "labels, message",
    [(10, r"in \[0, 9\]"), (-1, r"in \[0, 9\]"), ([1, 2], "one class or one per sample"), (2.5, "integers"),
     ([[1, 2, 3]], "one class or one per sample")],
)  # fmt: skip
def test_bad_labels_are_one_line_errors(labels, message):
    with pytest.raises(ValueError, match=message) as err:
        tiny_cgan().sample(3, seed=0, labels=labels)
    assert "\n" not in str(err.value)


def test_unconditional_models_refuse_labels():
    from helpers import tiny_dcgan

    with pytest.raises(ValueError, match="not class-conditional"):
        tiny_dcgan().sample(2, labels=1)


def test_data_without_labels_or_with_other_classes_stop_at_setup(tmp_path):
    with pytest.raises(ValueError, match="data have 10 classes but CGAN's networks were built for 7"):
        trainer(tmp_path, max_steps=1).fit(tiny_cgan(classes=7), digits_data())

    class Unlabelled(DigitsDataModule):
        num_classes = None

    with pytest.raises(ValueError, match="needs labelled data"):
        trainer(tmp_path, max_steps=1).fit(tiny_cgan(), Unlabelled(image_size=16, batch_size=8))
    with pytest.raises(ValueError, match="needs labels in the data"):
        tiny_cgan().check_batch(Batch.from_loader(torch.zeros(4, 1, 16, 16)))


def test_generator_and_discriminator_must_agree_on_classes():
    with pytest.raises(ValueError, match="generator has 10 classes and the discriminator 7"):
        CGAN(ConditionalDCGANGenerator(8, 10, 4, 16, 1, 8), ConditionalDCGANDiscriminator(16, 1, 8, 7))


def test_datamodules_report_their_classes():
    assert DigitsDataModule().num_classes == 10
    assert Toy2DDataModule(num_modes=8).num_classes == 8


# ---------------------------------------------------------------- metrics against reference computations
def test_matched_accuracy_finds_the_best_permutation():
    codes = torch.arange(10).repeat(20)
    permutation = torch.tensor([3, 0, 9, 1, 2, 8, 4, 7, 5, 6])
    predicted = permutation[codes].clone()
    predicted[:10] = (predicted[:10] + 1) % 10  # 10 of 200 wrong
    result = matched_accuracy(codes, predicted, 10, 10)
    assert result["matched_accuracy"] == pytest.approx(0.95)
    assert result["code_to_class"] == permutation.tolist()


def test_label_accuracy_and_intra_fid():
    assert label_accuracy(torch.tensor([1, 2, 3, 3]), torch.tensor([1, 2, 3, 4])) == 0.75
    torch.manual_seed(0)
    features, labels = torch.randn(400, 4), torch.arange(2).repeat(200)
    assert intra_class_fid(features, labels, features, labels, 2)["intra_fid"] == pytest.approx(0.0, abs=1e-3)
    shifted = intra_class_fid(features, labels, features + torch.tensor([1.0, 0, 0, 0]), labels, 2)
    assert shifted["intra_fid"] == pytest.approx(1.0, abs=1e-2)  # FID of a pure mean shift is ‖Δμ‖²
