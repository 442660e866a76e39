"""Every error a user can fix ends the command with one line on stderr and exit code 2, naming what to fix.

The table runs each bad input through ``ganzoo.cli.main``, the entry point of ``python -m ganzoo`` and of the
``ganzoo`` script. ``--debug`` (or ``GANZOO_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import ROOT
from test_cli import QUIET, write_images

from ganzoo.cli import main

QUICKSTART = ["fit", "--config", str(ROOT / "configs/quickstart.yaml"), *QUIET, "--trainer.logger", "false"]
RING8 = ["fit", "--config", str(ROOT / "configs/gan/ring8.yaml"), *QUIET, "--trainer.logger", "false",
         "--data.init_args.num_samples", "4096"]  # fmt: skip


def one_line_error(args: list[str], capsys) -> str:
    """Run the command; assert exit code 2 and exactly one line on stderr; return it."""
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert exit_info.value.code == 2, (exit_info.value.code, err)
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """A ring8 GAN checkpoint, and broken files made from it."""
    folder = tmp_path_factory.mktemp("checkpoints")
    main([*RING8, "--trainer.max_steps", "1", "--trainer.default_root_dir", str(folder / "run")])
    (good,) = (folder / "run").rglob("*.ckpt")
    (folder / "random.ckpt").write_bytes(b"\x00" + random.Random(0).randbytes(4095))  # not a pickle's 0x80 start
    (folder / "truncated.ckpt").write_bytes(good.read_bytes()[:5000])
    torch.save({"state_dict": {}, "payload": os.system}, folder / "malicious.ckpt")
    (folder / "empty.ckpt").write_bytes(b"")
    return {"good": good, **{name: folder / f"{name}.ckpt" for name in ("random", "truncated", "malicious", "empty")}}


def folder_args(tmp_path: Path, kind: str) -> list[str]:
    folder = tmp_path / "images"
    if kind != "missing":
        folder.mkdir()
    if kind == "corrupt":
        write_images(folder, n=8)
        (folder / "class0" / "broken.png").write_bytes(b"not an image")
    return ["--data.class_path", "ganzoo.data.ImageFolderDataModule", "--data.init_args.data_dir", str(folder),
            "--data.init_args.image_size", "16", "--data.init_args.channels", "1", "--data.init_args.batch_size", "4"]  # fmt: skip


FIT_CASES = {
    # config keys and values
    "unknown-key": (["--model.init_args.learning_rate", "0.1"], "Option 'learning_rate' is not accepted (ganzoo fit --help"),
    "wrong-type": (["--trainer.max_steps", "many"], "trainer.max_steps"),
    "one-optimizer-key": (["--optimizer", "Adam"], "--optimizer"),
    "missing-config": (["--config", "no-such-config.yaml"], "no-such-config.yaml"),
    "unknown-class": (["--model.class_path", "ganzoo.models.NoSuchGAN"], "NoSuchGAN"),
    "batch-size-0": (["--data.init_args.batch_size", "0"], "batch_size must be positive, got 0"),
    "n-critic-0": (["--model.init_args.n_critic", "0"], "n_critic must be at least 1, got 0"),
    "negative-lr": (["--model.init_args.g_optimizer.init_args.lr", "-1"], "Invalid learning rate: -1.0"),
    "bad-beta": (["--model.init_args.d_optimizer.init_args.betas", "[0.5, 1.5]"], "beta parameter at index 1"),
    "max-steps-0": (["--trainer.max_steps", "0"], "--trainer.max_steps 0 trains nothing"),
    "bad-precision": (["--trainer.precision", "13"], "precision"),
    "no-gpu": (["--trainer.accelerator", "gpu"], "no usable GPU: use --trainer.accelerator cpu"),
    "bad-generator-loss": (["--model.init_args.generator_loss", "sideways"], "generator_loss"),
    "minimax-with-hinge": (["--model.class_path", "ganzoo.models.GAN", "--model.init_args.loss", "hinge",
                            "--model.init_args.generator_loss", "minimax"], "has a single generator loss"),  # fmt: skip
    "penalty-on-batch-norm": (["--model.class_path", "ganzoo.models.DRAGAN"], "mixes the samples of a batch (BatchNorm)"),
    "clip-algorithm": (["--model.init_args.gradient_clip_algorithm", "sideways"], "gradient_clip_algorithm"),
    "wgan-clip-value": (["--model.class_path", "ganzoo.models.WGAN", "--model.init_args.clip_value", "-1"],
                        "clip_value must be positive, got -1"),  # fmt: skip
    "bad-seed": (["--seed_everything", "abc"], "seed_everything"),
    # data and shapes
    "size-mismatch": (["--data.init_args.image_size", "32"], "The data are 1×32×32 but the generator makes 1×16×16"),
    "missing-folder": ("missing", "images"),
    "empty-folder": ("empty", "images"),
    "corrupt-image": ("corrupt", "Cannot read image"),
    "mnist-offline": (["--data.class_path", "ganzoo.data.MNISTDataModule", "--data.init_args.download", "false",
                       "--data.init_args.data_dir", "NOWHERE"], "NOWHERE"),  # fmt: skip
    # folders
    "unwritable-root": ("unwritable", "a-file"),
    # checkpoints given to --ckpt_path
    "ckpt-missing": ("ckpt:none", "no-such.ckpt"),
    "ckpt-random-bytes": ("ckpt:random", "is not a PyTorch checkpoint"),
    "ckpt-empty": ("ckpt:empty", "empty.ckpt is empty (0 bytes)"),
    "ckpt-truncated": ("ckpt:truncated", "corrupt or truncated"),
    "ckpt-malicious": ("ckpt:malicious", "needs arbitrary code to unpickle"),
    "ckpt-other-class": ("ckpt:good", "is a ganzoo.models.gan.GAN checkpoint but this run's model is ganzoo.models."),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(FIT_CASES))
def test_a_bad_fit_input_is_one_line(case, tmp_path, capsys, checkpoints):
    extra, message = FIT_CASES[case]
    args = [*QUICKSTART, "--trainer.max_steps", "2", "--trainer.default_root_dir", str(tmp_path / "run")]
    if extra == "unwritable":
        (tmp_path / "a-file").write_text("")
        extra = ["--trainer.default_root_dir", str(tmp_path / "a-file" / "runs")]
    elif isinstance(extra, str) and extra.startswith("ckpt:"):
        name = extra.split(":")[1]
        extra = ["--ckpt_path", str(tmp_path / "no-such.ckpt" if name == "none" else checkpoints[name])]
    elif isinstance(extra, str):
        extra = folder_args(tmp_path, extra)
    if extra[0] == "--config":
        args = ["fit", *extra]
    line = one_line_error([*args, *extra], capsys)  # later arguments win
    assert line.startswith("ganzoo: error: ") and message in line, line


COMMAND_CASES = {
    "evaluate-no-ckpt": (["evaluate"], "the following arguments are required: --ckpt"),
    "evaluate-missing-ckpt": (["evaluate", "--ckpt", "no-such.ckpt"], "no-such.ckpt"),
    "evaluate-random-bytes": (["evaluate", "--ckpt", "ckpt:random"], "random.ckpt is not a PyTorch checkpoint"),
    "evaluate-bad-metric": (["evaluate", "--ckpt", "ckpt:good", "--metrics", "fid,sharpness"], "sharpness"),
    "evaluate-no-samples": (["evaluate", "--ckpt", "ckpt:good", "--metrics", "mode", "--num_samples", "0"], "num_samples"),
    "sample-unknown-model": (["sample", "--model", "no-such-model"], "no-such-model"),
    "sample-malicious": (["sample", "--model", "ckpt:malicious"], "malicious.ckpt needs arbitrary code to unpickle"),
    "sample-num-0": (["sample", "--model", "ckpt:good", "--num", "0"], "--num must be ≥ 1"),
    "sample-labels-unconditional": (["sample", "--model", "ckpt:good", "--labels", "3"], "not class-conditional"),
    "sample-unknown-option": (["sample", "--model", "ckpt:good", "--colour", "red"], "--colour"),
}


@pytest.mark.parametrize("case", list(COMMAND_CASES))
def test_a_bad_evaluate_or_sample_input_is_one_line(case, tmp_path, capsys, checkpoints):
    args, message = COMMAND_CASES[case]
    args = [str(checkpoints[a[5:]]) if a.startswith("ckpt:") else a for a in args]
    if args[0] == "sample":
        args += ["--out", str(tmp_path / "out")]
    line = one_line_error(args, capsys)
    assert line.startswith(f"ganzoo {args[0]}: error: ") and message in line, line


@pytest.mark.slow
def test_debug_shows_the_traceback_instead():
    args = [sys.executable, "-m", "ganzoo", *QUICKSTART, "--data.init_args.batch_size", "0", "--trainer.max_steps", "1"]
    env = {k: v for k, v in os.environ.items() if k not in ("GANZOO_DEBUG", "GANZOO_TRACEBACK")}
    plain = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT)
    debug = subprocess.run([*args, "--debug"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.strip().splitlines()[-1].startswith("ganzoo: error: batch_size must be positive")
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "batch_size must be positive" in debug.stderr


def test_random_bytes_that_start_like_a_pickle_are_one_clear_error():
    """os.urandom once gave a file starting with 0x80 (a pickle's first byte): torch.load then failed with a KeyError
    deep in the unpickler, which must still be one CheckpointError naming the file."""
    from ganzoo.checkpoints import CheckpointError, load_file

    for seed in range(20):
        data = b"\x80\x02" + random.Random(seed).randbytes(4094)
        with pytest.raises(CheckpointError, match="bad.ckpt is not a readable PyTorch checkpoint"):
            load_file(data, name="bad.ckpt")
