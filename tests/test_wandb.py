"""Weights & Biases: an offline run holds the scalars, grids and config; no key fails fast; artifacts load."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import torch
from conftest import ROOT
from helpers import digits_data, tiny_dcgan, trainer

import ganzoo
from ganzoo.cli import main

wandb = pytest.importorskip("wandb")


def wandb_records(path, seconds: float = 60.0) -> bytes:
    """The run file's records once W&B's writer (a separate process, writing after ``finish`` returns) has written
    the run's end, or what is there after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        records = path.read_bytes()
        if b".ckpt" in records or time.monotonic() > deadline:
            return records
        time.sleep(0.5)


def test_wandb_config_logs_scalars_sample_grids_and_config_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.chdir(tmp_path)
    main(["fit", "--config", str(ROOT / "configs/quickstart.yaml"), "--config", str(ROOT / "configs/logger/wandb.yaml"),
          "--trainer.max_steps", "4", "--trainer.log_every_n_steps", "1", "--trainer.enable_progress_bar", "false",
          "--trainer.logger.init_args.save_dir", str(tmp_path)])  # fmt: skip
    wandb.finish()
    runs = list(tmp_path.glob("wandb/offline-run-*"))
    assert len(runs) == 1
    files = runs[0] / "files"
    assert list(runs[0].glob("run-*.wandb"))
    assert list(files.glob("media/images/samples_*.png"))  # the final sample grid as a wandb.Image
    # offline, W&B keeps history and config as protobuf records in run-*.wandb: look for them there
    records = wandb_records(next(runs[0].glob("run-*.wandb")))
    assert records.count(b"g_loss") >= 4 and records.count(b"d_loss") >= 4  # a scalar at each of the 4 steps
    assert b"ganzoo.models.DCGAN" in records and b"DigitsDataModule" in records  # the full resolved config
    assert b".ckpt" in records  # the checkpoint, logged as a model artifact


@pytest.mark.slow
def test_wandb_without_a_key_or_offline_mode_stops_at_once_saying_how(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(HOME=str(tmp_path), NETRC=str(tmp_path / "netrc"), WANDB_CONFIG_DIR=str(tmp_path / "cfg"))
    command = [sys.executable, "-m", "ganzoo", "fit", "--config", str(ROOT / "configs/quickstart.yaml"),
               "--config", str(ROOT / "configs/logger/wandb.yaml"), "--trainer.max_steps", "1"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
                            stdin=subprocess.DEVNULL)  # fmt: skip
    assert result.returncode != 0
    assert "wandb login" in result.stderr and "WANDB_MODE=offline" in result.stderr
    assert not list(tmp_path.rglob("*.ckpt"))


def test_load_a_wandb_artifact(tmp_path, monkeypatch):
    model = tiny_dcgan()
    t = trainer(tmp_path, max_steps=1)
    t.fit(model, digits_data(batch_size=16))
    folder = tmp_path / "artifact"
    folder.mkdir()
    t.save_checkpoint(folder / "model.ckpt")
    requested = []

    class Artifact:
        def download(self):
            return str(folder)

    class Api:
        def artifact(self, name, type=None):  # noqa: A002
            requested.append(name)
            return Artifact()

    monkeypatch.setattr(wandb, "Api", Api)
    loaded = ganzoo.load("wandb:me/ganzoo/model-abc:best")
    assert requested == ["me/ganzoo/model-abc:best"]
    assert torch.equal(loaded.sample(2, seed=0), model.sample(2, seed=0))

    class NoAccess:
        def artifact(self, name, type=None):  # noqa: A002
            raise ValueError("permission denied")

    monkeypatch.setattr(wandb, "Api", NoAccess)
    with pytest.raises(RuntimeError, match="wandb login"):
        ganzoo.load("wandb:me/ganzoo/model-abc:best")
