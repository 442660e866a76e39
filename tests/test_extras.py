"""A bare install (no wandb, tensorboard or matplotlib) trains and samples; a feature without its extra is one line
naming the extra; a second run into a logger-less folder is one line too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo.extras import MissingExtra, as_missing_extra, require

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = ("wandb", "tensorboard", "tensorboardX", "matplotlib")
# Runs the ganzoo command as if the optional packages were not installed: importing them fails, and their
# installed metadata, which Lightning and torchmetrics ask before importing, is not found.
BARE = f"""
import importlib.metadata as metadata
import sys
OPTIONAL = {OPTIONAL!r}
for name in OPTIONAL:
    sys.modules[name] = None
def hidden(lookup):
    def lookup_unless_optional(name):
        if name in OPTIONAL:
            raise metadata.PackageNotFoundError(name)
        return lookup(name)
    return lookup_unless_optional
metadata.version, metadata.distribution = hidden(metadata.version), hidden(metadata.distribution)
from ganzoo.cli import main
main()
"""
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


def ganzoo(args: list[str], folder: Path, bare: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", BARE, *args] if bare else [sys.executable, "-m", "ganzoo", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=folder)


@pytest.mark.slow
def test_a_bare_install_trains_and_samples(tmp_path):
    ring8 = ["fit", "--config", str(ROOT / "configs/gan/ring8.yaml"), *QUIET, "--trainer.max_steps", "32",
             "--trainer.default_root_dir", str(tmp_path), "--seed_everything", "0"]  # fmt: skip
    result = ganzoo(ring8, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "lightning_logs" / "version_0"
    assert (run / "metrics.csv").exists()  # Lightning's default logger without tensorboard: CSV
    assert "generator step" in (run / "metrics.csv").read_text() or "g_loss" in (run / "metrics.csv").read_text()
    grids = sorted((run / "samples").glob("step_*.png"))
    assert grids, "the toy grid is a scatter plot drawn without matplotlib"
    sample = ganzoo(["sample", "--model", str(run / "checkpoints" / "step=32.ckpt"), "--num", "256",
                     "--out", str(tmp_path / "points.png")], tmp_path)  # fmt: skip
    assert sample.returncode == 0, sample.stderr[-3000:]
    from PIL import Image

    assert Image.open(tmp_path / "points.png").size[0] > 100


@pytest.mark.slow
def test_a_logger_without_its_extra_is_one_line_naming_it(tmp_path):
    args = ["fit", "--config", str(ROOT / "configs/gan/ring8.yaml"), *QUIET, "--trainer.max_steps", "2",
            "--trainer.default_root_dir", str(tmp_path), "--trainer.logger", "WandbLogger"]  # fmt: skip
    result = ganzoo(args, tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(lines) == 1 and 'needs wandb, an optional package: pip install "ganzoo[wandb]"' in lines[0], result.stderr


def test_require_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtra, match=r'Plotting needs matplotlib.*pip install "ganzoo\[plots\]"'):
        require("matplotlib", "Plotting")
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    assert as_missing_extra(ModuleNotFoundError("No module named 'tensorboard'", name="tensorboard")) is not None
    # an optional package that is installed but fails to import is that failure, not a missing extra
    assert as_missing_extra(ImportError("cannot import name 'x' from 'wandb'", name="wandb")) is None
    assert as_missing_extra(ModuleNotFoundError("No module named 'nonesuch'", name="nonesuch")) is None


@pytest.mark.slow
def test_a_second_logger_less_run_into_one_folder_is_one_line(tmp_path):
    args = ["fit", "--config", str(ROOT / "configs/gan/ring8.yaml"), *QUIET, "--trainer.max_steps", "2",
            "--trainer.default_root_dir", str(tmp_path), "--trainer.logger", "false"]  # fmt: skip
    assert ganzoo(args, tmp_path, bare=False).returncode == 0
    again = ganzoo(args, tmp_path, bare=False)
    assert again.returncode == 2
    lines = [line for line in again.stderr.splitlines() if "error" in line]
    assert len(lines) == 1 and "earlier run's config" in lines[0] and "--trainer.default_root_dir" in lines[0], again.stderr
