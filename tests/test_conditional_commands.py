"""Conditional models through the whole tool chain: composed objectives, checkpoints, sample, evaluate, callbacks."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import ROOT
from helpers import digits_data, toy_data, trainer
from PIL import Image
from test_conditional import tiny_cgan, tiny_infogan

import ganzoo
from ganzoo import losses
from ganzoo.callbacks import GenerativeMetrics
from ganzoo.cli import GanzooCLI, main
from ganzoo.metrics.evaluate import evaluate
from ganzoo.models import CGAN, GAN, WGANGP, InfoGAN
from ganzoo.nets import MLPDiscriminator, MLPGenerator
from ganzoo.regularizers import GradientPenalty, R1Penalty


# ---------------------------------------------------------------- objectives compose from the config
def test_penalties_match_closed_forms_on_a_linear_critic():
    w = torch.tensor([3.0, 4.0])  # D(x) = w·x: ∇D = w everywhere, ‖w‖ = 5

    def critic(x):
        return x @ w

    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    assert losses.gradient_penalty(critic, real, fake).item() == pytest.approx(16.0)  # (5 - 1)²
    assert losses.dragan_penalty(critic, real).item() == pytest.approx(16.0)
    assert losses.r1_penalty(critic, real).item() == pytest.approx(25.0)  # ‖w‖²
    assert R1Penalty(weight=2.0).penalty(critic, real, fake).item() == pytest.approx(12.5)  # ½‖∇D‖²; the model multiplies by γ
    assert GradientPenalty(at="perturbed_reals").uses_fakes is False and GradientPenalty().uses_fakes


def test_a_least_squares_gan_with_a_gradient_penalty_is_a_config(tmp_path):
    args = ["fit", "--config", str(ROOT / "configs/lsgan/ring8.yaml"), "--model.class_path", "ganzoo.models.GAN",
            "--model.init_args.loss", "least_squares",
            "--model.init_args.regularizers", '[{"class_path": "ganzoo.regularizers.GradientPenalty", '
            '"init_args": {"weight": 10.0, "at": "interpolates"}}]',
            "--trainer.max_steps", "3", "--trainer.logger", "false", "--trainer.enable_progress_bar", "false",
            "--trainer.default_root_dir", str(tmp_path), "--data.init_args.num_samples", "2048"]  # fmt: skip
    cli = GanzooCLI(args=args)
    assert cli.model.loss == "least_squares" and isinstance(cli.model.regularizers[0], GradientPenalty)
    assert torch.isfinite(cli.trainer.callback_metrics["gradient_penalty"])
    (checkpoint,) = tmp_path.rglob("*.ckpt")
    loaded = ganzoo.load(checkpoint)
    assert type(loaded) is GAN and loaded.regularizers[0].at == "interpolates" and loaded.loss == "least_squares"


def test_python_built_presets_and_composed_models_reload(tmp_path):
    for model in (
        WGANGP(MLPGenerator(hidden_dims=[8]), MLPDiscriminator(hidden_dims=[8]), gp_weight=5.0, n_critic=2),
        GAN(MLPGenerator(hidden_dims=[8]), MLPDiscriminator(hidden_dims=[8]), loss="hinge", regularizers=[R1Penalty(1.0)]),
    ):
        t = trainer(tmp_path, max_steps=2)
        t.fit(model, toy_data())
        t.save_checkpoint(tmp_path / "m.ckpt")
        loaded = type(model).load_from_checkpoint(tmp_path / "m.ckpt")
        assert loaded.loss == model.loss and [type(r) for r in loaded.regularizers] == [type(r) for r in model.regularizers]
        assert [r.weight for r in loaded.regularizers] == [r.weight for r in model.regularizers]


# ---------------------------------------------------------------- checkpoints, sample and evaluate
@pytest.fixture
def conditional_checkpoints(tmp_path):
    paths = {}
    for name, model in (("cgan", tiny_cgan()), ("infogan", tiny_infogan())):
        t = trainer(tmp_path / name, max_steps=2)
        t.fit(model, digits_data(batch_size=16))
        paths[name] = tmp_path / f"{name}.ckpt"
        t.save_checkpoint(paths[name])
    return paths


def test_conditional_checkpoints_load_and_sample_the_same_images(conditional_checkpoints):
    for path in conditional_checkpoints.values():
        model = ganzoo.load(path)
        assert torch.equal(model.sample(10, seed=3, labels=4), ganzoo.load(path).sample(10, seed=3, labels=4))
    assert isinstance(ganzoo.load(conditional_checkpoints["infogan"]), InfoGAN)


def test_sample_command_labels_and_traversals(conditional_checkpoints, tmp_path):
    cgan, infogan = str(conditional_checkpoints["cgan"]), str(conditional_checkpoints["infogan"])
    main(["sample", "--model", cgan, "--labels", "all", "--num", "30", "--out", str(tmp_path / "all.png")])
    assert Image.open(tmp_path / "all.png").size == (3 * 16 + 4 * 2, 10 * 16 + 11 * 2)  # 10 rows of 3
    main(["sample", "--model", cgan, "--labels", "7", "--num", "4", "--out", str(tmp_path / "sevens") + "/"])
    assert len(list((tmp_path / "sevens").glob("*.png"))) == 4
    main(["sample", "--model", infogan, "--traverse", "c2", "--range", "-2", "2", "--steps", "5",
          "--out", str(tmp_path / "c2.png")])  # fmt: skip
    assert Image.open(tmp_path / "c2.png").size == (5 * 16 + 6 * 2, 10 * 16 + 11 * 2)  # one row per category
    for bad in (["--labels", "10"], ["--labels", "x"], ["--traverse", "c3"], ["--labels", "1,2"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["sample", "--model", infogan if "--traverse" in bad else cgan, "--num", "4", *bad])
        assert exit_info.value.code == 2


def test_evaluate_scores_conditional_models(conditional_checkpoints):
    cgan = ganzoo.load(conditional_checkpoints["cgan"])
    scores = evaluate(cgan, "label_accuracy,intra_fid,fid", data="digits", num_samples=200, features="mnist-cnn",
                      use_cache=False)  # fmt: skip
    assert 0.0 <= scores["label_accuracy"] <= 1.0 and math.isfinite(scores["intra_fid"]) and scores["fid"] > 0
    infogan = ganzoo.load(conditional_checkpoints["infogan"])
    scores = evaluate(infogan, "matched_accuracy,mutual_information", data="digits", num_samples=200, features="mnist-cnn")
    assert 0.0 <= scores["matched_accuracy"] <= 1.0 and scores["mutual_information"] <= math.log(10)
    assert sorted(scores["code_to_class"]) == list(range(10))
    with pytest.raises(ValueError, match="matched_accuracy"):
        evaluate(infogan, "label_accuracy", data="digits", num_samples=100, features="mnist-cnn")
    with pytest.raises(ValueError, match="not conditional"):
        evaluate(ganzoo.load("quickstart-digits"), "label_accuracy", data="digits", num_samples=100)


def test_metrics_callback_logs_label_accuracy_during_training(tmp_path):
    model: CGAN = tiny_cgan()
    callback = GenerativeMetrics("label_accuracy,intra_fid", every_n_steps=2, num_samples=100, features="mnist-cnn")
    t = trainer(tmp_path, max_steps=2, callbacks=[callback])
    t.fit(model, digits_data(batch_size=16))
    assert 0.0 <= float(t.callback_metrics["val/label_accuracy"]) <= 1.0
    assert math.isfinite(float(t.callback_metrics["val/intra_fid"]))
