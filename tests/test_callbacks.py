"""Sample grids and mode coverage during training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import digits_data, parameters_of, tiny_dcgan, tiny_toy_gan, toy_data, trainer
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from PIL import Image

from ganzoo.callbacks import ModeCoverage, SampleGrid
from ganzoo.metrics import mixture_mode_coverage


def test_sample_grid_every_n_generator_steps_with_fixed_noise(tmp_path):
    grid = SampleGrid(every_n_steps=2, num_samples=16, seed=5)
    logger = TensorBoardLogger(tmp_path, name="tb")
    t = trainer(tmp_path, max_steps=5, callbacks=[grid], logger=logger)
    model = tiny_dcgan()
    t.fit(model, digits_data(batch_size=8))
    folder = tmp_path / "tb" / "version_0" / "samples"
    assert sorted(p.name for p in folder.iterdir()) == ["step_0000002.png", "step_0000004.png", "step_0000005.png"]
    image = np.asarray(Image.open(folder / "step_0000005.png"))
    assert image.shape[:2] == (4 * 16 + 5 * 2, 4 * 16 + 5 * 2)  # 4×4 grid of 16-pixel samples, 2-pixel padding
    # the grid is G(z) of the fixed z: re-rendering the final model gives the same pixels
    expected = model.sample(16, seed=5)
    assert torch.equal(grid.fixed_noise, model.sample_noise(16, torch.Generator().manual_seed(5)))
    from torchvision.utils import make_grid

    pixels = make_grid(expected.add(1).div(2).clamp(0, 1), nrow=4, padding=2).mul(255).add(0.5).clamp(0, 255)
    assert np.abs(image[..., 0].astype(int) - pixels[0].to(torch.uint8).numpy().astype(int)).max() <= 1
    events = list((tmp_path / "tb" / "version_0").glob("events.out.tfevents.*"))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(events[0]), size_guidance={"images": 0})
    accumulator.Reload()
    assert [e.step for e in accumulator.Images("samples")] == [2, 4, 5]


def test_sample_grid_with_csv_logger_and_scatter_for_2d(tmp_path):
    grid = SampleGrid(every_n_steps=10, num_samples=500)
    t = trainer(tmp_path, max_steps=3, callbacks=[grid], logger=CSVLogger(tmp_path))
    t.fit(tiny_toy_gan(), toy_data())
    assert grid.last_path is not None and grid.last_path.name == "step_0000003.png"
    assert Image.open(grid.last_path).size[0] > 100


def test_mode_coverage_metric_counts_modes_quality_and_kl():
    means = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    perfect = means.repeat(25, 1) + 0.01 * torch.randn(100, 2)
    r = mixture_mode_coverage(perfect, means, std=0.1)
    assert r == {"modes": 4, "high_quality": 1.0, "reverse_kl": pytest.approx(0.0, abs=1e-12)}
    collapsed = torch.cat([means[:1].repeat(90, 1), torch.full((10, 2), 5.0)])  # one mode + junk between modes
    r = mixture_mode_coverage(collapsed, means, std=0.1)
    assert r["modes"] == 1 and r["high_quality"] == pytest.approx(0.9) and r["reverse_kl"] == pytest.approx(np.log(4))
    two = torch.cat([means[:1].repeat(30, 1), means[1:2].repeat(10, 1)])
    p = torch.tensor([0.75, 0.25])
    assert mixture_mode_coverage(two, means, 0.1)["reverse_kl"] == pytest.approx(float((p * (4 * p).log()).sum()))


def test_mode_coverage_callback_logs(tmp_path):
    coverage = ModeCoverage(every_n_steps=2, num_samples=300)
    t = trainer(tmp_path, max_steps=4, callbacks=[coverage])
    t.fit(tiny_toy_gan(), toy_data())
    assert {"val/modes", "val/high_quality", "val/reverse_kl"} <= set(t.callback_metrics)
    assert 0 <= coverage.result["high_quality"] <= 1


def test_sample_grid_reaches_wandb_offline(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    from lightning.pytorch.loggers import WandbLogger

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    logger = WandbLogger(save_dir=str(tmp_path), project="ganzoo-test", offline=True)
    t = trainer(tmp_path, max_steps=2, callbacks=[SampleGrid(every_n_steps=1, num_samples=4)], logger=logger)
    t.fit(tiny_dcgan(), digits_data(batch_size=8))
    logger.experiment.finish()
    images = list(tmp_path.glob("wandb/offline-run-*/files/media/images/*.png"))
    assert len(images) == 2


def small_extractor():
    from ganzoo.metrics.features import DomainClassifier

    torch.manual_seed(0)
    return DomainClassifier().eval()


def test_metrics_callback_logs_val_fid_for_model_checkpoint_and_keeps_the_extractor_out(tmp_path):
    from lightning.pytorch.callbacks import ModelCheckpoint

    from ganzoo.callbacks import GenerativeMetrics

    metrics = GenerativeMetrics("fid,pr,1nn", every_n_steps=2, num_samples=200, features=small_extractor())
    best = ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="val/fid", mode="min", save_top_k=1)
    t = trainer(tmp_path, max_steps=5, callbacks=[metrics, best], enable_checkpointing=True)
    model = tiny_dcgan()
    t.fit(model, digits_data(batch_size=16))
    assert metrics._last_step == 5  # steps 2, 4 and the last
    assert float(t.callback_metrics["val/fid"]) == pytest.approx(metrics.result["fid"])
    assert {"val/precision", "val/recall", "val/one_nn"} <= set(t.callback_metrics)
    assert best.best_model_path and best.best_model_score is not None
    saved = torch.load(best.best_model_path, weights_only=True)
    assert all(k.startswith(("generator.", "discriminator.")) for k in saved["state_dict"])
    assert len(metrics.real.features) == 200


def test_metrics_callback_leaves_the_training_run_as_it_was(tmp_path):
    """Building the shipped extractor at fit start draws nothing from the global RNG: same weights with or without."""
    from ganzoo.callbacks import GenerativeMetrics

    runs = []
    for callbacks in ([], [GenerativeMetrics("fid", every_n_steps=100, num_samples=50, features="mnist-cnn")]):
        torch.manual_seed(0)
        model = tiny_dcgan()
        trainer(tmp_path / str(len(runs)), max_steps=3, callbacks=callbacks).fit(model, digits_data(batch_size=16))
        runs.append(parameters_of(model.generator))
    assert runs[0].keys() == runs[1].keys() and all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])


def test_metrics_callback_rejects_unknown_metrics():
    from ganzoo.callbacks import GenerativeMetrics

    with pytest.raises(ValueError, match="unknown metrics"):
        GenerativeMetrics("fid,sharpness")
