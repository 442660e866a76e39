"""pix2pix: the U-Net, the PatchGAN, paired data, the schedule, the scores, and learning on facades."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import torch
from conftest import ROOT, shared_dataset
from helpers import trainer
from torchvision.utils import save_image

from ganzoo.data import PairedImageDataModule
from ganzoo.metrics.paired import evaluate_translation, paired_scores
from ganzoo.models import Pix2Pix
from ganzoo.models.sampling import SamplingModule
from ganzoo.models.translating import TranslatingModule
from ganzoo.nets import PatchDiscriminator, UNetGenerator
from ganzoo.schedules import LinearDecay


def write_pairs(folder: Path, n: int = 12, size: int = 20) -> Path:
    """Side-by-side pairs: the left half (``photo``) is the right half (``labels``) negated, so the target of
    every source is known exactly."""
    g = torch.Generator().manual_seed(0)
    for split in ("train", "test"):
        (folder / split).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            labels = torch.rand(3, size, size, generator=g)
            save_image(torch.cat([1 - labels, labels], dim=-1), folder / split / f"{i}.png")
    return folder


def tiny_pix2pix(**kwargs) -> Pix2Pix:
    torch.manual_seed(0)
    return Pix2Pix(UNetGenerator(16, base_channels=8), PatchDiscriminator(6, base_channels=8, num_layers=2), **kwargs)


# ---------------------------------------------------------------- networks
def test_unet_has_the_papers_levels_dropout_and_skips():
    net = UNetGenerator(image_size=256, base_channels=64).eval()
    assert len(net.down) == len(net.up) == 8  # 256 → 1 and back
    assert [layer[1 if i else 0].out_channels for i, layer in enumerate(net.down)] == [64, 128, 256, 512, 512, 512, 512, 512]
    dropouts = [any(isinstance(m, torch.nn.Dropout) for m in layer) for layer in net.up]
    assert dropouts == [True, True, True, False, False, False, False, False]  # CD512-CD512-CD512-C512-…
    assert net(torch.zeros(1, 3, 256, 256)).shape == (1, 3, 256, 256)
    small = UNetGenerator(image_size=16, base_channels=4).eval()
    with torch.no_grad():  # cut the path through the 1×1 bottleneck: the output still follows the input (skips)
        small.down[-1][-1].weight.zero_()
        a, b = torch.rand(1, 3, 16, 16) * 2 - 1, torch.rand(1, 3, 16, 16) * 2 - 1
        assert not torch.allclose(small(a), small(b))
    with pytest.raises(ValueError, match="power-of-2 image_size"):
        UNetGenerator(image_size=48)


def test_patchgan_sees_70_by_70_patches():
    net = PatchDiscriminator(in_channels=6, base_channels=8, num_layers=3).eval()
    assert net.receptive_field() == 70
    # measured: the input pixels one output logit depends on
    x = torch.randn(1, 6, 256, 256, requires_grad=True)
    logits = net(x)
    assert logits.shape == (1, 1, 30, 30)
    logits[0, 0, 15, 15].backward()
    rows, cols = x.grad.abs().sum((0, 1)).nonzero(as_tuple=True)
    assert rows.max() - rows.min() + 1 == 70 and cols.max() - cols.min() + 1 == 70
    assert PatchDiscriminator(num_layers=1).receptive_field() == 16


# ---------------------------------------------------------------- data
def test_paired_data_are_read_in_the_named_direction_with_the_same_jitter(tmp_path):
    folder = write_pairs(tmp_path / "pairs")
    data = PairedImageDataModule(str(folder), source="labels", target="photo", image_size=16, load_size=20, batch_size=4)
    data.setup()
    batch = data.on_after_batch_transfer(data.train_set.__getitems__([0, 1, 2, 3]), 0)  # no trainer: no jitter
    assert batch.images.shape == batch.targets.shape == (4, 3, 20, 20)
    assert (batch.targets + batch.images).abs().max() < 0.05  # photo = 1 − labels, in [-1, 1]: the negation
    torch.manual_seed(0)
    jittered = data.jitter(batch)
    assert jittered.images.shape == (4, 3, 16, 16)
    assert (jittered.targets + jittered.images).abs().max() < 0.05  # one crop and flip for both halves
    reverse = PairedImageDataModule(str(folder), source="photo", target="labels", image_size=16)
    sources, targets = reverse.test_pairs()
    forward_sources, forward_targets = PairedImageDataModule(str(folder), image_size=16).test_pairs()
    assert torch.equal(sources, forward_targets) and torch.equal(targets, forward_sources)
    with pytest.raises(ValueError, match="source and target must be the two different things"):
        PairedImageDataModule(str(folder), source="A", target="B")


def test_paired_folders_match_by_file_name(tmp_path):
    for split in ("train", "test"):
        for name in ("sketch", "shoe"):
            (tmp_path / split / name).mkdir(parents=True)
            for i in range(3):
                save_image(torch.full((3, 8, 8), i / 4 + (name == "shoe") * 0.5), tmp_path / split / name / f"{i}.png")
    data = PairedImageDataModule(str(tmp_path), source="sketch", target="shoe", layout="folders", image_size=8)
    sources, targets = data.test_pairs()
    assert torch.allclose(targets - sources, torch.full_like(sources, 1.0), atol=0.02)  # +0.5 in [0, 1]
    (tmp_path / "test" / "shoe" / "2.png").rename(tmp_path / "test" / "shoe" / "9.png")
    with pytest.raises(ValueError, match="2.png is in .* but not in"):
        PairedImageDataModule(str(tmp_path), source="sketch", target="shoe", layout="folders", image_size=8).test_pairs()


# ---------------------------------------------------------------- schedule and scores
def test_linear_decay_is_constant_then_linear_to_zero():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    schedule = LinearDecay(optimizer, constant_steps=3, decay_steps=4)
    rates = []
    for _ in range(9):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.075, 0.05, 0.025, 0.0, 0.0])


def test_paired_scores_match_closed_forms():
    targets = torch.rand(4, 3, 16, 16) * 1.6 - 0.8
    same = paired_scores(targets, targets)
    assert same["l1"] == 0 and same["ssim"] == pytest.approx(1.0) and math.isinf(same["psnr"])
    shifted = paired_scores(targets + 0.2, targets)  # +0.1 in [0, 1]: L1 0.1, MSE 0.01, PSNR 20 dB
    assert shifted["l1"] == pytest.approx(0.1, abs=1e-6) and shifted["psnr"] == pytest.approx(20.0, abs=1e-3)
    assert shifted["ssim"] < 1


# ---------------------------------------------------------------- training
def test_a_resumed_run_continues_the_decay_bit_identically(tmp_path):
    """Stopped mid-decay and resumed: the same learning rate, weights and optimizer state as never stopped."""
    from lightning.pytorch.callbacks import ModelCheckpoint
    from test_resume import assert_identical

    from ganzoo.checkpoints import load_checkpoint

    folder = write_pairs(tmp_path / "pairs", n=8)

    def run(name, steps, ckpt_path=None):
        schedule = lambda optimizer: LinearDecay(optimizer, constant_steps=2, decay_steps=6)  # noqa: E731
        model = tiny_pix2pix(g_lr_scheduler=schedule, d_lr_scheduler=schedule)
        data = PairedImageDataModule(str(folder), image_size=16, load_size=18, batch_size=2)
        checkpoints = ModelCheckpoint(dirpath=tmp_path / name, filename="{step}", every_n_train_steps=1, save_top_k=-1)
        torch.manual_seed(0)
        trainer(tmp_path, max_steps=steps, callbacks=[checkpoints], enable_checkpointing=True).fit(model, data, ckpt_path=ckpt_path)
        return model

    straight = run("straight", 7)
    run("resumed", 4)
    resumed = run("resumed", 7, ckpt_path=tmp_path / "resumed" / "step=4.ckpt")
    assert resumed.optimizer("generator").param_groups[0]["lr"] == pytest.approx(2e-4 * (1 - 5 / 6))
    a, b = load_checkpoint(tmp_path / "straight" / "step=7.ckpt"), load_checkpoint(tmp_path / "resumed" / "step=7.ckpt")
    for key in ("state_dict", "optimizer_states", "lr_schedulers"):
        assert_identical(a[key], b[key], key)
    assert a["ganzoo"]["pairs"]["source"] == "labels"  # the checkpoint knows the direction it was trained in
    assert straight.global_step == resumed.global_step == 7


@pytest.mark.slow
def test_pix2pix_learns_facades_labels_to_photo(tmp_path):
    """A seeded run of the CPU config, 300 generator steps, scored on the 106 test pairs. Its photos are closer to
    the real ones than the label maps are (L1: the identity floor); they have more of the real photo's structure
    than the mean training photo, the best input-blind guess (SSIM); and they follow their own input (L1 and SSIM
    to the photo of another test pair are worse). Measured: SSIM 0.19 at 100 steps, 0.24 at 4,000; mean photo
    0.163. (The mean photo's L1, 0.158, beats the GAN's: L1 rewards blur, which is why the paper scores with FCN.)"""
    from ganzoo.cli import GanzooCLI
    from ganzoo.metrics.paired import translate_all

    folder = shared_dataset("facades")
    args = ["fit", "--config", str(ROOT / "configs/pix2pix/facades.yaml"), "--data.init_args.data_dir", str(folder),
            "--trainer.max_steps", "300", "--trainer.default_root_dir", str(tmp_path), "--trainer.logger", "false",
            "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]  # fmt: skip
    for network in ("g", "d"):
        args += [f"--model.init_args.{network}_lr_scheduler.init_args.constant_steps", "150",
                 f"--model.init_args.{network}_lr_scheduler.init_args.decay_steps", "150"]  # fmt: skip
    cli = GanzooCLI(args=args)
    data = cli.datamodule
    sources, targets = data.test_pairs()
    scores = evaluate_translation(cli.model, sources, targets)
    _, train_photos = data.read_split("train", data.image_size)
    mean_photo = paired_scores((train_photos.float() / 127.5 - 1).mean(0, keepdim=True).expand_as(targets), targets)
    other_pairs = paired_scores(translate_all(cli.model, sources, dropout=True), targets.roll(1, 0))
    assert scores["l1_dropout_on"] < scores["identity_l1"] and scores["l1_dropout_off"] < scores["identity_l1"]
    assert scores["ssim_dropout_on"] > mean_photo["ssim"] + 0.01, (scores, mean_photo)
    assert scores["l1_dropout_on"] < other_pairs["l1"] and scores["ssim_dropout_on"] > other_pairs["ssim"] + 0.05
    assert list(tmp_path.rglob("step_0000300.png"))  # the triptych grid


def test_evaluate_and_translate_commands_on_a_trained_model(tmp_path, capsys):
    from lightning.pytorch.callbacks import ModelCheckpoint
    from PIL import Image

    from ganzoo.cli import main

    folder = write_pairs(tmp_path / "pairs", n=8)
    data = PairedImageDataModule(str(folder), image_size=16, load_size=18, batch_size=2)
    checkpoints = ModelCheckpoint(dirpath=tmp_path / "ckpt", filename="{step}")
    trainer(tmp_path, max_steps=3, callbacks=[checkpoints], enable_checkpointing=True).fit(tiny_pix2pix(), data)
    ckpt = str(tmp_path / "ckpt" / "step=3.ckpt")
    scores = main(["evaluate", "--ckpt", ckpt, "--data", str(folder), "--out", str(tmp_path / "scores.json"), "--fcn", "on"])
    sources, targets = data.test_pairs()
    assert scores["pairs"] == 8 and scores["identity_l1"] == pytest.approx(paired_scores(sources, targets)["l1"])
    assert {"l1_dropout_on", "psnr_dropout_off", "ssim_dropout_on"} <= set(scores) and "ssim_dropout_off" in capsys.readouterr().out
    # labels → photo with --fcn on (auto: on a folder named facades): the FCN-score too, real photos its ceiling
    assert {"fcn_per_pixel_accuracy_dropout_on", "fcn_mean_iou_dropout_off", "real_fcn_per_pixel_accuracy"} <= set(scores)
    for name in ("fcn_per_pixel_accuracy", "fcn_mean_iou"):  # and the share of that ceiling the model reaches
        ratio = scores[f"{name}_dropout_on"] / scores[f"real_{name}"]
        assert scores[f"{name}_of_real_dropout_on"] == pytest.approx(ratio) and f"{name}_of_real_dropout_off" in scores
    written = main(["translate", "--model", ckpt, "--input", str(folder / "test"), "--out", str(tmp_path / "out"), "--pairs"])
    assert len(written) == 8 and Image.open(written[0]).size == (3 * 16, 16)  # source | output | target
    single = main(["translate", "--model", ckpt, "--input", str(folder / "test" / "0.png"), "--out", str(tmp_path / "one"),
                   "--dropout", "off"])  # fmt: skip
    assert Image.open(single[0]).size == (16, 16)
    by_normalization = {  # --normalization reaches the model: running statistics and the image's own differ
        name: main(["translate", "--model", ckpt, "--input", str(folder / "test" / "0.png"), "--out",
                    str(tmp_path / name), "--dropout", "off", "--normalization", name])[0]
        for name in ("running", "image")
    }  # fmt: skip
    assert Image.open(by_normalization["running"]).tobytes() != Image.open(by_normalization["image"]).tobytes()
    with pytest.raises(SystemExit) as exit_info:
        main(["translate", "--model", ckpt, "--input", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2 and "neither an image file nor a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # the wrong command for the model's kind: one line, exit code 2
        main(["sample", "--model", ckpt, "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    message = "ganzoo sample: error: Pix2Pix translates images rather than sampling noise: use ganzoo translate"
    assert exit_info.value.code == 2 and message in err.splitlines(), err


def test_translate_dropout_is_a_named_choice():
    model = tiny_pix2pix()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    torch.manual_seed(0)
    on_a, on_b = model.translate(x, dropout=True), model.translate(x, dropout=True)
    off_a, off_b = model.translate(x, dropout=False), model.translate(x, dropout=False)
    assert not torch.equal(on_a, on_b) and torch.equal(off_a, off_b)  # dropout is the only noise
    assert model.test_dropout and model.generator.training  # the paper's default; the model's own mode kept
    assert isinstance(model, TranslatingModule) and not isinstance(model, SamplingModule)  # no sample(): translate


def test_test_time_normalisation_is_a_named_choice_the_papers_with_each_images_own_statistics():
    """``image``: each image through BatchNorm in training mode on its own (the paper's test batches of one), the
    running statistics untouched; ``running``: the running statistics, which here are far from any batch's."""
    model = tiny_pix2pix()
    for module in model.generator.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2.0)
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    x = torch.rand(3, 3, 16, 16) * 2 - 1
    by_hand = copy.deepcopy(model.generator).train()
    for module in by_hand.modules():
        if isinstance(module, torch.nn.Dropout):
            module.eval()
    with torch.no_grad():
        expected = torch.cat([by_hand(image) for image in x.split(1)])  # each image alone, training-mode BatchNorm
        running = copy.deepcopy(model.generator).eval()(x)
    own = model.translate(x, dropout=False, normalization="image")
    assert torch.allclose(own, expected, atol=1e-6) and not torch.allclose(own, running, atol=1e-3)
    assert torch.allclose(model.translate(x, dropout=False), running, atol=1e-6)  # the default: running statistics
    assert all(torch.equal(v, model.generator.state_dict()[k]) for k, v in before.items())  # nothing moved
    assert tiny_pix2pix(test_normalization="image").translate(x, dropout=False).shape == x.shape
    with pytest.raises(ValueError, match="test_normalization must be one of"):
        tiny_pix2pix(test_normalization="instance")
