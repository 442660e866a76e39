"""The command line: every config runs, LightningCLI behaviour, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from conftest import ROOT, SHARED_DATA, shared_dataset
from torchvision.utils import save_image

from ganzoo.cli import MAX_STEPS_HELP, GanzooCLI
from ganzoo.distributed import GANDDPStrategy

# every full run config (configs/logger/ holds add-on snippets, tested in test_wandb.py; configs/study/ holds study
# configs, for ganzoo study, tested in test_study.py)
CONFIGS = sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "configs").rglob("*.yaml") if p.parent.name not in ("logger", "study")
)
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


def write_images(folder: Path, n: int = 40, size: int = 32, classes: int = 2) -> Path:
    g = torch.Generator().manual_seed(0)
    for i in range(n):
        sub = folder / f"class{i % classes}"
        sub.mkdir(parents=True, exist_ok=True)
        save_image(torch.rand(3, size, size, generator=g), sub / f"{i}.png")
    return folder


def data_overrides(config: str, tmp_path: Path) -> list[str]:
    """Point each config's data at what this machine has."""
    if "stargan" in config:  # CelebA: a small folder in its layout; the digit domains: 400 of them
        from test_stargan import write_celeba

        if "celeba" in config:
            write_celeba(tmp_path, n=48)
            return ["--data.init_args.data_dir", str(tmp_path), "--data.init_args.num_workers", "0"]
        mnist = str(shared_dataset("MNIST").parent)
        return ["--data.init_args.data_dir", mnist, "--data.init_args.download", "false",
                "--data.init_args.limit", "400"]
    if "gan_cls" in config:  # the captioned digits: 400 of them
        return ["--data.init_args.data_dir", str(shared_dataset("MNIST").parent), "--data.init_args.download", "false",
                "--data.init_args.limit", "400"]  # fmt: skip
    if "mnist" in config and "fashion" not in config:
        return ["--data.init_args.data_dir", str(shared_dataset("MNIST").parent), "--data.init_args.download", "false"]
    if "fashion_mnist" in config:
        folder = shared_dataset("FashionMNIST").parent
        return ["--data.init_args.data_dir", str(folder), "--data.init_args.download", "false"]
    if "pix2pix" in config or "cyclegan" in config:  # facades pairs: the real ones when present, else made-up pairs in the same layout
        from test_translation import write_pairs

        folder = SHARED_DATA / "facades" if (SHARED_DATA / "facades").is_dir() else write_pairs(tmp_path / "facades")
        return ["--data.init_args.data_dir", str(folder), "--data.init_args.num_workers", "0"]
    if "cifar10" in config or "folder" in config:
        # full CIFAR-10 cannot be downloaded here: same model and trainer, images from a folder of the same shape
        folder = write_images(tmp_path / "images", classes=10)  # conditional configs need their 10 classes
        return [
            "--data.class_path", "ganzoo.data.ImageFolderDataModule",
            "--data.init_args.data_dir", str(folder),
            "--data.init_args.image_size", "32",
            "--data.init_args.num_workers", "0",
        ]  # fmt: skip
    return []


# the full-size networks at 128 and 256 px: (batch size, generator steps, more arguments) as small as their layers
# allow (StarGAN at 128 px: one step of 5 critic updates with a gradient penalty takes 10 s here, so one critic update)
SMALL_RUNS = {"configs/stargan/celeba.yaml": (2, 1, ["--model.init_args.n_critic", "1"]),
              "configs/pix2pix/facades_256.yaml": (1, 3, [])}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS)
def test_every_config_builds_and_runs_a_few_steps(config, tmp_path):
    batch_size, steps, more = SMALL_RUNS.get(config, (8, 3, []))
    args = ["fit", "--config", str(ROOT / config), *data_overrides(config, tmp_path), *QUIET]
    args += ["--trainer.max_steps", str(steps), "--trainer.default_root_dir", str(tmp_path)]
    args += ["--data.init_args.batch_size", str(batch_size), "--trainer.logger", "false", *more]
    cli = GanzooCLI(args=args)
    assert cli.trainer.global_step == steps
    checkpoints = list(tmp_path.rglob("*.ckpt"))
    assert [p.name for p in checkpoints] == [f"step={steps}.ckpt"]  # named by the generator step, as README says
    pngs = list(tmp_path.rglob("samples/*.png"))
    assert pngs, "the sample-grid callback wrote no PNG"


def run_cli_expecting_exit(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        GanzooCLI(args=args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out + captured.err


def test_print_config_and_help(capsys):
    code, output = run_cli_expecting_exit(
        ["fit", "--config", str(ROOT / "configs/quickstart.yaml"), "--print_config"], capsys
    )
    assert code == 0 and "class_path: ganzoo.models.DCGAN" in output and "g_optimizer" in output
    code, output = run_cli_expecting_exit(["fit", "--help"], capsys)
    assert code == 0 and " ".join(MAX_STEPS_HELP.split()[:6]) in " ".join(output.split())


def test_switching_the_variant_from_the_command_line(tmp_path):
    args = ["--config", str(ROOT / "configs/quickstart.yaml"), "--model.class_path", "ganzoo.models.GAN"]
    cli = GanzooCLI(args=args + ["--model.init_args.generator_loss", "minimax"], run=False)
    assert type(cli.model).__name__ == "GAN" and cli.model.generator_loss_name == "minimax"


def test_the_cli_tells_the_datamodule_the_real_batches_a_step_takes():
    args = ["--config", str(ROOT / "configs/gan/ring8.yaml"), "--model.init_args.n_critic", "3"]
    cli = GanzooCLI(args=args, run=False)
    assert cli.datamodule.real_batches_per_step == cli.model.real_batches_per_step == 3


def test_an_lr_schedule_not_as_long_as_the_run_warns(tmp_path):
    args = ["fit", "--config", str(ROOT / "configs/gan/ring8.yaml"), *QUIET, "--trainer.logger", "false"]
    args += ["--data.init_args.num_samples", "4096", "--trainer.max_steps", "2"]
    with pytest.warns(UserWarning, match=r"LinearLR runs over total_iters=20000 .* trainer.max_steps=2"):
        GanzooCLI(args=args + ["--trainer.default_root_dir", str(tmp_path / "short")])
    for network in ("g", "d"):
        args += [f"--model.init_args.{network}_lr_scheduler.init_args.total_iters", "2"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GanzooCLI(args=args + ["--trainer.default_root_dir", str(tmp_path / "matched")])
    assert not [w for w in caught if "runs over total_iters" in str(w.message)]


@pytest.mark.parametrize("name", ["ddp", "ddp_spawn"])
def test_ddp_strategy_names_map_to_the_gan_strategy(name):
    args = ["--config", str(ROOT / "configs/gan/ring8.yaml"), "--trainer.accelerator", "cpu"]
    cli = GanzooCLI(args=args + ["--trainer.strategy", name, "--trainer.devices", "1"], run=False)
    assert isinstance(cli.trainer.strategy, GANDDPStrategy)


def test_resume_from_the_command_line(tmp_path):
    base = ["fit", "--config", str(ROOT / "configs/gan/ring8.yaml"), *QUIET, "--trainer.logger", "false"]
    base += ["--data.init_args.num_samples", "4096"]
    GanzooCLI(args=base + ["--trainer.max_steps", "4", "--trainer.default_root_dir", str(tmp_path / "first")])
    (checkpoint,) = tmp_path.rglob("*step=4.ckpt")
    resume = ["--trainer.max_steps", "6", "--ckpt_path", str(checkpoint)]
    cli = GanzooCLI(args=base + resume + ["--trainer.default_root_dir", str(tmp_path / "resumed")])
    assert cli.trainer.global_step == 6


@pytest.mark.slow
def test_module_and_console_script_help():
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-m", "ganzoo", "--help"], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and "{fit,validate,test,predict,evaluate,sample,translate,study}" in result.stdout.splitlines()[0]
    script = Path(sys.executable).with_name("ganzoo")
    if script.exists():
        result = subprocess.run([str(script), "fit", "--help"], capture_output=True, text=True, env=env)
        assert result.returncode == 0 and "generator steps" in result.stdout
        result = subprocess.run([str(script), "study", "--help"], capture_output=True, text=True, env=env)
        assert result.returncode == 0 and result.stdout.startswith("usage: ganzoo study")


def test_ganzoo_fit_shows_its_progress_bar_with_the_configured_refresh_rate():
    from lightning.pytorch.callbacks import TQDMProgressBar

    from ganzoo.callbacks import ProgressBar

    args = ["--config", str(ROOT / "configs/quickstart.yaml")]
    assert type(GanzooCLI(args=args, run=False).trainer.progress_bar_callback) is ProgressBar  # Lightning's replaced
    bar = {"class_path": "lightning.pytorch.callbacks.TQDMProgressBar", "init_args": {"refresh_rate": 7}}
    trainer = GanzooCLI(args=[*args, f"--trainer.callbacks+={json.dumps(bar)}"], run=False).trainer
    assert type(trainer.progress_bar_callback) is ProgressBar and trainer.progress_bar_callback.refresh_rate == 7
    assert not any(type(c) is TQDMProgressBar for c in trainer.callbacks)


def test_a_finished_run_says_where_its_grid_and_checkpoint_are_without_adverts(tmp_path):
    args = ["fit", "--config", str(ROOT / "configs/quickstart.yaml"), *QUIET, "--trainer.max_steps", "2"]
    env = {**os.environ, "PYTHONWARNINGS": "default"}  # the LeafSpec deprecation must not show even so
    result = subprocess.run([sys.executable, "-m", "ganzoo", *args, "--trainer.default_root_dir", str(tmp_path)],
                            capture_output=True, text=True, env=env, cwd=tmp_path)  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    run = tmp_path / "lightning_logs" / "version_0"
    assert f"ganzoo: done at generator step 2; this run is in {run}" in output
    assert f"last sample grid: {run / 'samples' / 'step_0000002.png'}" in output
    assert f"last checkpoint:  {run / 'checkpoints' / 'step=2.ckpt'}" in output
    assert "💡 Tip" not in output and "LeafSpec" not in output
    assert "sys.argv[1:]" not in output  # LightningCLI's warning when given both args and sys.argv


def test_under_slurm_the_ranks_come_from_slurms_variables(monkeypatch):
    """The README's sbatch example: 2 nodes × 4 tasks; Lightning reads SLURM's environment, ganzoo's DDP trains."""
    from lightning.fabric.plugins.environments import SLURMEnvironment
    from lightning.fabric.utilities.rank_zero import rank_zero_only as fabric_rank_zero_only
    from lightning.pytorch.utilities.rank_zero import rank_zero_only

    for function in (rank_zero_only, fabric_rank_zero_only):  # the Trainer sets the process's rank (6) globally
        monkeypatch.setattr(function, "rank", getattr(function, "rank", 0))
    for name in [n for n in os.environ if n.startswith(("SLURM_", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE"))]:
        monkeypatch.delenv(name)
    slurm = {"SLURM_JOB_ID": "1234", "SLURM_JOB_NAME": "ganzoo", "SLURM_NTASKS": "8", "SLURM_NTASKS_PER_NODE": "4",
             "SLURM_NNODES": "2", "SLURM_NODEID": "1", "SLURM_PROCID": "6", "SLURM_LOCALID": "2",
             "SLURM_NODELIST": "node[01-02]"}  # fmt: skip
    for name, value in slurm.items():
        monkeypatch.setenv(name, value)
    args = ["--config", str(ROOT / "configs/quickstart.yaml"), *QUIET, "--trainer.accelerator", "cpu",
            "--trainer.num_nodes", "2", "--trainer.devices", "4", "--trainer.strategy", "ddp"]  # fmt: skip
    trainer = GanzooCLI(args=args, run=False).trainer
    assert isinstance(trainer.strategy, GANDDPStrategy)
    assert isinstance(trainer.strategy.cluster_environment, SLURMEnvironment)
    assert (trainer.world_size, trainer.global_rank, trainer.local_rank, trainer.node_rank) == (8, 6, 2, 1)
    assert trainer.strategy.cluster_environment.main_address == "node01"
