"""Exact resume: a run SIGKILLed at random steps and resumed each time ends bit-identical to one never stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from conftest import ROOT

from ganzoo.checkpoints import load_checkpoint

TESTS = Path(__file__).parent
RUNS = {  # config, steps, extra arguments: the quickstart (digits) and WGAN-GP with a schedule
    # (one generator step per Lightning step here, for checkpoints every 5 steps; K > 1: tests/test_steps_per_call.py)
    "wgan_gp": ("configs/wgan_gp/ring8.yaml", 40, ["--data.init_args.num_samples", "2560", "--model.init_args.steps_per_call", "1",
        "--model.init_args.g_lr_scheduler", '{"class_path": "torch.optim.lr_scheduler.LinearLR", "init_args": {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 40}}'],
        [{"class_path": "ganzoo.callbacks.GeneratorAveraging", "init_args": {"decay": 0.9}}]),
    # the quickstart, its epochs cut short by limit_train_batches (8 of 28 batches): kills fall mid-epoch and at epoch
    # ends, and the next epoch still starts a fresh shuffle
    "quickstart_limited": ("configs/quickstart.yaml", 30, ["--trainer.limit_train_batches", "8"],
                           [{"class_path": "ganzoo.callbacks.GeneratorAveraging", "init_args": {"decay": 0.995}}]),
    # 2 CPU processes under ganzoo's DDP (an epoch is 14 steps per rank): each rank kills itself at the same step
    "quickstart_ddp": ("configs/quickstart.yaml", 40, ["--trainer.accelerator", "cpu", "--trainer.devices", "2",
        "--trainer.strategy", "ddp"], [{"class_path": "ganzoo.callbacks.GeneratorAveraging", "init_args": {"decay": 0.995}}]),
}  # fmt: skip
LAUNCHER_VARS = ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "NODE_RANK", "LOCAL_RANK", "RANK", "GLOBAL_RANK")


def fit(config: str, steps: int, extra: list[str], callbacks: list[dict], folder: Path, kill_at: int | None = None,
        resume: bool = False) -> tuple[int, str]:  # fmt: skip
    checkpointing = {"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
                     "init_args": {"dirpath": str(folder / "checkpoints"), "every_n_train_steps": 5, "save_last": True}}
    killer = [{"class_path": "helpers.KillAtStep", "init_args": {"step": kill_at}}] if kill_at else []
    override = folder / f"callbacks-{kill_at}.yaml"
    override.write_text(yaml.safe_dump({"trainer": {"callbacks": [*callbacks, checkpointing, *killer]}}))
    args = [sys.executable, "-m", "ganzoo", "fit", "--config", str(ROOT / config), "--config", str(override),
            "--trainer.max_steps", str(steps), "--trainer.logger", "false", "--trainer.enable_progress_bar", "false",
            "--trainer.enable_model_summary", "false", *extra,
            "--trainer.default_root_dir", str(folder / f"attempt-{kill_at}-{resume}")]  # checkpoints: one folder  # fmt: skip
    if resume:
        args += ["--ckpt_path", str(folder / "checkpoints" / "last.ckpt")]
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS}  # a fresh port for each DDP run
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=folder, timeout=600)
    assert "not resumable" not in result.stderr  # Lightning's warning is gone: the loader is resumable
    return result.returncode, result.stderr[-2000:]


def training_state(path: Path) -> dict:
    checkpoint = load_checkpoint(path)
    return {key: checkpoint[key] for key in ("state_dict", "optimizer_states", "lr_schedulers", "global_step")} | {
        "rng": checkpoint["ganzoo"]["rng"]}


def assert_identical(a, b, where: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f"differs at {where}"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_identical(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"differs at {where}: {a} != {b}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNS))
def test_sigkilled_and_resumed_runs_end_bit_identical(name, tmp_path):
    config, steps, extra, callbacks = RUNS[name]
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    straight.mkdir(), interrupted.mkdir()
    code, log = fit(config, steps, extra, callbacks, straight)
    assert code == 0, log
    # killed twice: a resumed run is killed and resumed again (under DDP once: each launch is two processes)
    count = 1 if name.endswith("_ddp") else 2
    kills = sorted(torch.randint(6, steps - 1, (count,), generator=torch.Generator().manual_seed(len(name))).tolist())
    for i, kill_at in enumerate(kills):
        code, log = fit(config, steps, extra, callbacks, interrupted, kill_at=kill_at, resume=i > 0)
        assert code == -signal.SIGKILL, f"the run was meant to be killed at step {kill_at}: {log}"
    code, log = fit(config, steps, extra, callbacks, interrupted, resume=True)
    assert code == 0, log
    final = training_state(straight / "checkpoints" / "last.ckpt")
    assert final["global_step"] == steps and any(k.startswith("averaged_generator.") for k in final["state_dict"])
    assert_identical(final, training_state(interrupted / "checkpoints" / "last.ckpt"))
