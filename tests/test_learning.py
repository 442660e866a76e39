"""Variants learn, judged by what they promise: mode coverage on ring8, recognisable digits for the quickstart."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import ROOT

from ganzoo.callbacks import ModeCoverage
from ganzoo.cli import GanzooCLI
from ganzoo.data import DigitsDataModule

QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


def test_gan_learns_ring8(tmp_path):
    """configs/gan/ring8.yaml, seed 0, 3,000 generator steps: ≥ 6 of 8 modes and ≥ 50% high-quality samples.

    Measured when this floor was set: 8/8 modes and 90% high quality (seeds 1 and 2: 8/8, 75% and 84%).
    """
    cli = GanzooCLI(
        args=["fit", "--config", str(ROOT / "configs/gan/ring8.yaml"), *QUIET, "--seed_everything", "0"]
        + ["--trainer.max_steps", "3000", "--trainer.default_root_dir", str(tmp_path), "--trainer.logger", "false"]
    )
    (coverage,) = [c for c in cli.trainer.callbacks if isinstance(c, ModeCoverage)]
    assert coverage.num_samples == 2500
    assert coverage.result["modes"] >= 6
    assert coverage.result["high_quality"] >= 0.5


def digit_judge():
    """An RBF SVM fitted on scikit-learn's digits at the quickstart's 16×16, with class probabilities."""
    from sklearn.svm import SVC

    data = DigitsDataModule(image_size=16)
    data.setup()
    images, labels = data.train_set.tensors
    features = (images.float() / 127.5 - 1).flatten(1).numpy()
    return SVC(probability=True, random_state=0).fit(features, labels.numpy())


def test_quickstart_learns_digits(tmp_path):
    """The quickstart DCGAN, 1,000 generator steps: most samples are confidently digits, of all 10 classes.

    The judge gives uniform noise confidence ≥ 0.5 for 0% of samples and real digits for > 99%.
    """
    cli = GanzooCLI(
        args=["fit", "--config", str(ROOT / "configs/quickstart.yaml"), *QUIET, "--trainer.max_steps", "1000"]
        + ["--trainer.default_root_dir", str(tmp_path), "--trainer.logger", "false"]
    )
    judge = digit_judge()
    samples = cli.model.sample(1000, seed=0).flatten(1).numpy()
    probabilities = judge.predict_proba(samples)
    confident = probabilities.max(1) >= 0.5
    classes = np.bincount(probabilities.argmax(1), minlength=10)
    noise = np.random.default_rng(0).uniform(-1, 1, (200, samples.shape[1]))
    assert (judge.predict_proba(noise).max(1) >= 0.5).mean() < 0.05  # the judge is not fooled by noise
    assert confident.mean() >= 0.6, f"only {confident.mean():.0%} of samples are confidently digits"
    assert (classes >= 20).all(), f"classes missing or rare: {classes.tolist()}"
    assert torch.isfinite(torch.as_tensor(samples)).all()
