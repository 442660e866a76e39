"""Metrics against closed forms, reference implementations (scipy, torch-fidelity) and extreme cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from ganzoo.metrics import (
    fid,
    frechet_distance,
    inception_score,
    kid,
    one_nn_accuracy,
    precision_recall,
    stacked_mnist_mode_coverage,
)
from ganzoo.metrics.fid import gaussian_statistics


def gaussian_features(n: int, dim: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    """n draws (seeded) from one correlated Gaussian law per dimension, shifted by ``shift``."""
    mixing = torch.randn(dim, dim, generator=torch.Generator().manual_seed(dim)) / math.sqrt(dim)
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)) @ mixing + shift


def scipy_fid(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s_a @ s_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a + s_b - 2 * root))


def test_fid_matches_a_scipy_sqrtm_reference():
    a, b = gaussian_features(2000, 32, 0), gaussian_features(2000, 32, 1, shift=0.3)
    reference = scipy_fid(a.double().numpy(), b.double().numpy())
    assert fid(a, b) == pytest.approx(reference, rel=1e-6)


def test_fid_of_a_set_with_itself_is_zero_and_of_shifted_gaussians_is_p_a_squared():
    a = gaussian_features(3000, 16, 0)
    assert abs(fid(a, a)) < 1e-8
    # N(0, I) and N(a·1, I) in p dimensions: FID = ‖a·1‖² = p·a² (covariances equal)
    p, shift = 8, 0.5
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(50_000, p, generator=g), torch.randn(50_000, p, generator=g) + shift
    assert fid(x, y) == pytest.approx(p * shift**2, rel=0.02)
    # exact on the population statistics
    eye = torch.eye(p, dtype=torch.float64)
    assert frechet_distance(torch.zeros(p), eye, torch.full((p,), shift), eye) == pytest.approx(p * shift**2)


def test_fid_kid_is_agree_with_torch_fidelity_on_the_same_features():
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
    from torch_fidelity.metric_isc import isc_features_to_metric
    from torch_fidelity.metric_kid import kid_features_to_metric

    real, fake = gaussian_features(1500, 64, 0), gaussian_features(1200, 64, 1, shift=0.2)
    reference = fid_statistics_to_metric(fid_features_to_statistics(fake), fid_features_to_statistics(real), False)
    assert fid(real, fake) == pytest.approx(reference["frechet_inception_distance"], rel=1e-4)

    theirs = kid_features_to_metric(fake, real, kid_subsets=20, kid_subset_size=500, rng_seed=3, verbose=False)
    ours = kid(fake, real, subsets=20, subset_size=500, seed=3)
    assert ours["kid"] == pytest.approx(theirs["kernel_inception_distance_mean"], rel=1e-4)
    assert ours["kid_std"] == pytest.approx(theirs["kernel_inception_distance_std"], rel=1e-4)

    logits = torch.randn(1000, 10) * 3
    theirs = isc_features_to_metric(logits, splits=10, shuffle=True, rng_seed=7)
    ours = inception_score(logits, splits=10, seed=7)
    assert ours["is"] == pytest.approx(theirs["inception_score_mean"], rel=1e-4)
    assert ours["is_std"] == pytest.approx(theirs["inception_score_std"], rel=1e-4)


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two():
    a, b = gaussian_features(2000, 16, 0), gaussian_features(2000, 16, 0)[torch.randperm(2000)]
    same = kid(a, gaussian_features(2000, 16, 5), subsets=10, subset_size=500)  # same law, other draw
    assert abs(same["kid"]) < 0.01
    assert kid(a, a + 1.0, subsets=10, subset_size=500)["kid"] > 0.5
    assert kid(a, b, subsets=3, subset_size=100, seed=1) == kid(a, b, subsets=3, subset_size=100, seed=1)


def test_inception_score_bounds():
    assert inception_score(torch.zeros(500, 10))["is"] == pytest.approx(1.0)
    assert inception_score(torch.randn(1, 10).repeat(500, 1))["is"] == pytest.approx(1.0)
    confident = torch.nn.functional.one_hot(torch.arange(10_000) % 10, 10).float() * 50
    assert inception_score(confident, splits=1)["is"] == pytest.approx(10.0, rel=1e-6)
    assert inception_score(confident, splits=10)["is"] == pytest.approx(10.0, rel=0.02)  # splits nearly balanced


def test_one_nn_two_sample_score():
    real = gaussian_features(600, 8, 0)
    same = one_nn_accuracy(real, gaussian_features(600, 8, 1))
    assert same["one_nn"] == pytest.approx(0.5, abs=0.05)
    apart = one_nn_accuracy(real, real + 100.0)
    assert apart == {"one_nn": 1.0, "one_nn_real": 1.0, "one_nn_fake": 1.0}
    copied = one_nn_accuracy(real, real.clone() + 1e-4 * torch.randn_like(real))
    assert copied["one_nn_fake"] < 0.05


def test_precision_recall_identical_and_disjoint_sets():
    real = gaussian_features(800, 8, 0)
    assert precision_recall(real, real.clone()) == {"precision": 1.0, "recall": 1.0}
    assert precision_recall(real, real + 100.0) == {"precision": 0.0, "recall": 0.0}
    # a generator that covers only half of the real set: precise, half the recall
    half = real[real[:, 0] > real[:, 0].median()]
    pr = precision_recall(real, half)
    assert pr["precision"] == 1.0 and 0.4 < pr["recall"] < 0.85


def test_stacked_mnist_mode_coverage_closed_forms():
    every = torch.stack(torch.meshgrid(torch.arange(10), torch.arange(10), torch.arange(10), indexing="ij"), -1)
    uniform = stacked_mnist_mode_coverage(every.reshape(-1, 3).repeat(3, 1))
    assert uniform == {"modes": 1000, "kl": pytest.approx(0.0, abs=1e-12)}
    single = stacked_mnist_mode_coverage(torch.tensor([[3, 1, 4]]).repeat(50, 1))
    assert single == {"modes": 1, "kl": pytest.approx(math.log(1000))}


def test_gaussian_statistics_refuses_too_few_samples():
    with pytest.raises(ValueError, match="N ≥ 2"):
        gaussian_statistics(torch.randn(1, 4))


@pytest.mark.parametrize(
    ("name", "folder", "floor"), [("mnist-cnn", "MNIST", 0.99), ("fashion-mnist-cnn", "FashionMNIST", 0.90)]
)
def test_shipped_domain_classifiers_reach_their_stated_accuracy(name, folder, floor):
    from conftest import shared_dataset

    from ganzoo.data import FashionMNISTDataModule, MNISTDataModule
    from ganzoo.metrics.features import classifier_card, load_domain_classifier, shipped_weights_path

    root = shared_dataset(folder).parent
    module = (MNISTDataModule if folder == "MNIST" else FashionMNISTDataModule)(data_dir=str(root), train=False)
    module.setup()
    images, labels = module.train_set.tensors
    cnn = load_domain_classifier(name)
    with torch.no_grad():
        predicted = torch.cat([cnn.logits(images[i : i + 2000]).argmax(1) for i in range(0, len(images), 2000)])
    accuracy = float((predicted == labels).float().mean())
    assert accuracy >= floor
    assert accuracy == pytest.approx(classifier_card(name)["test_accuracy"], abs=1e-4)  # the recorded figure
    assert shipped_weights_path(name).stat().st_size < 2_000_000


def test_real_stacked_mnist_covers_all_modes_as_read_by_the_shipped_classifier():
    from conftest import shared_dataset

    from ganzoo.data import StackedMNISTDataModule
    from ganzoo.metrics.evaluate import stacked_channel_labels
    from ganzoo.metrics.features import load_domain_classifier

    data = StackedMNISTDataModule(data_dir=str(shared_dataset("MNIST").parent), length=10_000, download=False)
    data.setup()
    assert data.data_shape == (3, 28, 28)
    images, modes = zip(*(data.train_set[i] for i in range(len(data.train_set))))
    images, modes = torch.stack(images), torch.stack(modes)
    labels = stacked_channel_labels(images, load_domain_classifier("mnist-cnn"))
    read = labels[:, 0] * 100 + labels[:, 1] * 10 + labels[:, 2]
    assert (read == modes).float().mean() > 0.97  # the classifier reads each channel's digit
    coverage = stacked_mnist_mode_coverage(labels)
    assert coverage["modes"] >= 995 and coverage["kl"] < 0.1  # 10,000 draws over 1,000 modes: KL ≈ 0.05
