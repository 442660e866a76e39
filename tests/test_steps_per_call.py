"""``steps_per_call: K``: K generator steps per Lightning step, bit-identical to one at a time.

Each test trains the same seeded model with K = 1 and K > 1 for a number of generator steps that crosses an epoch
boundary (where the loader draws the next epoch's shuffle) and compares everything a checkpoint holds: weights,
the averaged generator, optimizer and scheduler states, every random state and the loader's place.
"""

from __future__ import annotations

import pytest
import torch
from helpers import digits_data, toy_data, trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from test_resume import assert_identical
from test_translation import write_pairs

from ganzoo.callbacks import GeneratorAveraging, SampleGrid
from ganzoo.checkpoints import load_checkpoint
from ganzoo.data import PairedImageDataModule, UnpairedImageDataModule
from ganzoo.models import CGAN, GAN, WGANGP, CycleGAN, Pix2Pix
from ganzoo.nets import (
    ConditionalDCGANDiscriminator,
    ConditionalDCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    PatchDiscriminator,
    ResNetTranslator,
    UNetGenerator,
)

KEYS = ("state_dict", "optimizer_states", "lr_schedulers", "global_step", "epoch")


def linear_decay(optimizer):  # noqa: ANN001, ANN201
    return torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=30)


def gan(k):  # noqa: ANN001, ANN201
    return GAN(MLPGenerator(latent_dim=2, hidden_dims=[16, 16]), MLPDiscriminator(hidden_dims=[16, 16]), steps_per_call=k)


def wgan_gp(k):  # noqa: ANN001, ANN201
    return WGANGP(MLPGenerator(latent_dim=2, hidden_dims=[16]), MLPDiscriminator(hidden_dims=[16]), n_critic=5,
                  g_lr_scheduler=linear_decay, d_lr_scheduler=linear_decay, steps_per_call=k)  # fmt: skip


def cgan(k):  # noqa: ANN001, ANN201
    return CGAN(ConditionalDCGANGenerator(8, 10, 4, 16, 1, 8), ConditionalDCGANDiscriminator(16, 1, 8, 10, "concat", 4),
                steps_per_call=k)  # fmt: skip


def pix2pix(k):  # noqa: ANN001, ANN201
    return Pix2Pix(UNetGenerator(16, base_channels=8), PatchDiscriminator(6, base_channels=8, num_layers=2), steps_per_call=k)


def cyclegan(k):  # noqa: ANN001, ANN201
    nets = [ResNetTranslator(16, base_channels=4, num_blocks=1) for _ in range(2)]
    critics = [PatchDiscriminator(3, base_channels=4, num_layers=2) for _ in range(2)]
    return CycleGAN(*nets, *critics, pool_size=3, steps_per_call=k)


def run(folder, model_fn, data_fn, k, steps, ckpt_path=None, every=None):  # noqa: ANN001, ANN201
    """Fit from seed 0 (or resume), then save a checkpoint of the end state; returns it."""
    torch.manual_seed(0)
    model, data = model_fn(k), data_fn()
    callbacks = [GeneratorAveraging(decay=0.9), SampleGrid(every_n_steps=5, num_samples=4)]
    if every:
        callbacks.append(ModelCheckpoint(dirpath=folder, filename="{step}", every_n_train_steps=every))
    t = trainer(folder, max_steps=steps, callbacks=callbacks, enable_checkpointing=bool(every))
    t.fit(model, data, ckpt_path=ckpt_path)
    assert t.global_step == steps
    t.save_checkpoint(folder / "end.ckpt")
    return load_checkpoint(folder / "end.ckpt")


def assert_same_run(a, b):  # noqa: ANN001
    """Everything but Lightning's own counts of its steps (which count calls)."""
    for key in KEYS:
        assert_identical(a[key], b[key], key)
    assert_identical(a["ganzoo"]["rng"], b["ganzoo"]["rng"], "rng")
    loaders = [c["loops"]["fit_loop"]["state_dict"]["combined_loader"] for c in (a, b)]
    assert_identical(*loaders, "the loader's place in its shuffle")


CASES = {  # model, data, K, generator steps (crossing at least one epoch's end)
    "gan ring8": (gan, lambda: toy_data(batch_size=32, num_samples=1920), 8, 70),  # 60 a epoch; 70 not a multiple of 8
    "wgan-gp n_critic 5, lr schedule": (wgan_gp, lambda: toy_data(batch_size=16, num_samples=1200), 4, 24),
    "cgan digits": (cgan, lambda: digits_data(batch_size=64), 8, 32),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_k_steps_per_call_are_bit_identical_to_one(name, tmp_path):
    model_fn, data_fn, k, steps = CASES[name]
    one = run(tmp_path / "k1", model_fn, data_fn, 1, steps)
    several = run(tmp_path / f"k{k}", model_fn, data_fn, k, steps)
    assert_same_run(one, several)


@pytest.mark.parametrize("model_fn, data_cls", [(pix2pix, PairedImageDataModule), (cyclegan, UnpairedImageDataModule)])
def test_translation_with_per_step_augmentation_is_bit_identical(model_fn, data_cls, tmp_path):
    """Crops, flips and (CycleGAN) drawn targets are drawn per generator step, in the order K = 1 draws them."""
    folder = write_pairs(tmp_path / "pairs", n=10)
    data_fn = lambda: data_cls(str(folder), image_size=16, load_size=20, batch_size=2)  # noqa: E731  (5 steps a epoch)
    one = run(tmp_path / "k1", model_fn, data_fn, 1, 12)
    several = run(tmp_path / "k4", model_fn, data_fn, 4, 12)
    assert_same_run(one, several)


def test_a_run_resumed_at_a_call_boundary_is_bit_identical(tmp_path):
    """Checkpoints fall where a Lightning step ends (multiples of K); resuming one continues the same run."""
    data_fn = lambda: toy_data(batch_size=32, num_samples=1920)  # noqa: E731
    straight = run(tmp_path / "straight", gan, data_fn, 8, 80)
    run(tmp_path / "first", gan, data_fn, 8, 40, every=16)
    resumed = run(tmp_path / "resumed", gan, data_fn, 8, 80, ckpt_path=tmp_path / "first" / "step=32.ckpt")
    assert_same_run(straight, resumed)


def test_checkpoint_intervals_must_be_multiples_of_k(tmp_path):
    with pytest.raises(ValueError, match=r"every_n_train_steps=10\) needs a multiple of steps_per_call=4"):
        run(tmp_path, gan, toy_data, 4, 8, every=10)
    with pytest.raises(ValueError, match="steps_per_call must be at least 1"):
        gan(0)


def test_logs_and_the_nan_guard_speak_in_generator_steps(tmp_path):
    """Losses are logged at multiples of log_every_n_steps generator steps, and a NaN is named at its step."""
    import csv

    from lightning.pytorch.loggers import CSVLogger
    from test_core_v3 import NaNAtStep3

    torch.manual_seed(0)
    logger = CSVLogger(tmp_path, name="run")
    t = trainer(tmp_path, max_steps=20, logger=logger, log_every_n_steps=5)
    t.fit(gan(4), toy_data())
    with open(logger.experiment.metrics_file_path) as file:
        rows = [row for row in csv.DictReader(file) if row.get("g_loss")]
    assert [int(row["step"]) for row in rows] == [4, 9, 14, 19]  # Lightning's x-axis with K = 1: 0-based steps

    base = gan(1)
    model = NaNAtStep3(base.generator, base.discriminator, steps_per_call=4)
    with pytest.raises(FloatingPointError, match="discriminator loss became NaN or infinite by generator step 3"):
        trainer(tmp_path, max_steps=8).fit(model, toy_data())
    assert all(p.requires_grad for p in model.parameters())
