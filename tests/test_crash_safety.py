"""Crash-safe checkpoint writes and one safe loader for every checkpoint path (``--ckpt_path`` included)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch
from conftest import ROOT
from lightning.pytorch import Trainer
from lightning.pytorch.plugins.io import TorchCheckpointIO
from test_user_errors import one_line_error

from ganzoo import atomic
from ganzoo.atomic import CheckpointWriteError, atomic_save
from ganzoo.checkpoints import CheckpointError, load_checkpoint
from ganzoo.cli import GanzooCLI, main, with_atomic_checkpoint_io
from ganzoo.distributed import GANDDPStrategy
from ganzoo.plugins import AtomicCheckpointIO

RING8 = ["fit", "--config", str(ROOT / "configs/gan/ring8.yaml"), "--trainer.enable_progress_bar", "false",
         "--trainer.enable_model_summary", "false", "--trainer.logger", "false", "--data.init_args.num_samples", "4096"]  # fmt: skip


def test_a_write_that_fails_on_a_full_disk_keeps_the_old_file_and_leaves_nothing(tmp_path, monkeypatch):
    path = tmp_path / "last.ckpt"
    atomic_save({"state_dict": {"w": torch.zeros(3)}}, path)
    before = path.read_bytes()

    def disk_full(fd, data):
        os.write(fd, bytes(data[: len(data) // 2]))  # half of it lands, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write_all", disk_full)
    with pytest.raises(CheckpointWriteError, match="the disk is full; the previous file there .* is unchanged"):
        atomic_save({"state_dict": {"w": torch.ones(1000)}}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["last.ckpt"]


def test_the_named_fallback_cleans_up_too(tmp_path, monkeypatch):
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)  # a platform without unnamed files

    def disk_full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    atomic_save({"state_dict": {}}, tmp_path / "a.ckpt")
    monkeypatch.setattr(atomic, "_write_all", disk_full)
    with pytest.raises(CheckpointWriteError):
        atomic_save({"state_dict": {"w": torch.ones(10)}}, tmp_path / "a.ckpt")
    assert os.listdir(tmp_path) == ["a.ckpt"] and load_checkpoint(tmp_path / "a.ckpt") == {"state_dict": {}}


WRITER = textwrap.dedent("""
    import sys, torch
    from ganzoo.atomic import atomic_save
    folder, i = sys.argv[1], 0
    while True:
        i += 1  # 16 MB a write, so that kills land mid-write
        atomic_save({"state_dict": {"w": torch.full((4_000_000,), float(i))}, "i": i}, f"{folder}/last.ckpt")
        print(i, flush=True)
""")


@pytest.mark.slow
def test_sigkill_during_saves_leaves_only_complete_checkpoints_and_no_stray_files(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    folder = tmp_path / "run"
    folder.mkdir()
    rng = torch.Generator().manual_seed(0)
    for _ in range(6):
        process = subprocess.Popen([sys.executable, str(script), str(folder)], stdout=subprocess.PIPE, text=True)
        process.stdout.readline()  # one write has finished; the next is under way
        time.sleep(float(torch.rand(1, generator=rng)) * 0.3)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert os.listdir(folder) == ["last.ckpt"]
        checkpoint = load_checkpoint(folder / "last.ckpt")
        assert checkpoint["i"] >= 1 and bool((checkpoint["state_dict"]["w"] == checkpoint["i"]).all())


def test_training_checkpoints_are_written_atomically(tmp_path):
    cli = GanzooCLI(args=[*RING8, "--trainer.max_steps", "2", "--trainer.default_root_dir", str(tmp_path)])
    assert type(cli.trainer.strategy.checkpoint_io) is AtomicCheckpointIO
    assert [p.name for p in tmp_path.rglob("*ckpt*")] == ["step=2.ckpt"]  # no temporary file beside it


@pytest.mark.parametrize("strategy, devices", [("auto", "1"), ("ddp", "2"), ("ddp_spawn", "2")])
def test_the_cli_installs_the_crash_safe_plugin_with_any_strategy(strategy, devices):
    args = [*RING8[1:], "--trainer.accelerator", "cpu", "--trainer.strategy", strategy, "--trainer.devices", devices]
    cli = GanzooCLI(args=args, run=False)
    assert type(cli.trainer.strategy.checkpoint_io) is AtomicCheckpointIO
    assert isinstance(cli.trainer.strategy, GANDDPStrategy) == (strategy != "auto")


def test_a_checkpoint_io_the_user_gives_is_kept():
    plugin = {"class_path": "lightning.pytorch.plugins.io.TorchCheckpointIO"}
    cli = GanzooCLI(args=[*RING8[1:], "--trainer.plugins", json.dumps([plugin])], run=False)
    assert type(cli.trainer.strategy.checkpoint_io) is TorchCheckpointIO


def test_a_strategy_built_with_its_own_checkpoint_io_keeps_it():
    class Mine(TorchCheckpointIO):
        pass

    own = GANDDPStrategy(checkpoint_io=Mine())
    assert with_atomic_checkpoint_io(None, own) == [] and type(own.checkpoint_io) is Mine
    trainer = Trainer(strategy=own, accelerator="cpu", devices=2, logger=False)
    assert type(trainer.strategy.checkpoint_io) is Mine


def test_python_users_pass_the_plugin_with_ganzoos_ddp_strategy_too():
    trainer = Trainer(strategy=GANDDPStrategy(), plugins=[AtomicCheckpointIO()], accelerator="cpu", devices=2,
                      logger=False)  # fmt: skip
    assert type(trainer.strategy.checkpoint_io) is AtomicCheckpointIO


@pytest.mark.parametrize(
    "tamper, message",
    [
        (lambda h: h["generator"].update(class_path="subprocess.Popen"), "asks to build 'subprocess.Popen', neither"),
        (lambda h: h.update(_instantiator="os.system"), "names the instantiator 'os.system'"),
    ],
    ids=["nested-class-path", "instantiator"],
)
def test_a_tampered_config_in_a_checkpoint_is_refused_before_anything_is_built(tamper, message, tmp_path, capsys):
    # (corrupt, truncated, malicious and other-class files given to --ckpt_path: tests/test_user_errors.py)
    import ganzoo
    from ganzoo.models import GAN

    main([*RING8, "--trainer.max_steps", "1", "--trainer.default_root_dir", str(tmp_path)])
    (path,) = tmp_path.rglob("*.ckpt")
    checkpoint = load_checkpoint(path)
    tamper(checkpoint["hyper_parameters"])
    torch.save(checkpoint, tmp_path / "tampered.ckpt")
    for load in (ganzoo.load, GAN.load_from_checkpoint):
        with pytest.raises(CheckpointError, match=message):
            load(tmp_path / "tampered.ckpt")
    line = one_line_error([*RING8, "--trainer.max_steps", "2", "--ckpt_path", str(tmp_path / "tampered.ckpt"),
                           "--trainer.default_root_dir", str(tmp_path / "resumed")], capsys)  # fmt: skip
    assert message in line
