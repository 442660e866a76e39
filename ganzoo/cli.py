"""``python -m ganzoo``: LightningCLI with ganzoo's conventions.

* The model and the data are chosen by class path (``--model.class_path ganzoo.models.GAN``).
* LightningCLI's one-optimizer ``optimizer:`` key is off: models take ``g_optimizer`` and
  ``d_optimizer`` (each a ``class_path``/``init_args`` in YAML).
* ``--trainer.strategy ddp`` (and ``ddp_spawn``/``ddp_fork``/``ddp_notebook``), and ``auto`` on several
  devices or nodes, mean ``GANDDPStrategy``: generator and discriminator in separate DDP wrappers.
* ``--trainer.max_steps`` counts generator steps; checkpoints are named by it (``step=1000.ckpt``).
* Checkpoints are written crash-safe (``ganzoo.plugins.AtomicCheckpointIO``) unless ``--trainer.plugins``
  names another CheckpointIO; without the NVIDIA driver, optimizer steps stop probing for it (``ganzoo.nvml``).
* The DataModule is told how many real minibatches a generator step takes and how many generator steps a
  Lightning step runs (the model's ``real_batches_per_step`` and ``steps_per_call``).
* At the end of ``fit`` it says where the run went: the folder, the last sample grid, the last checkpoint.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch import Trainer
from lightning.pytorch.callbacks import ModelCheckpoint, RichProgressBar, TQDMProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from lightning.pytorch.plugins.io import CheckpointIO, TorchCheckpointIO
from lightning.pytorch.strategies import Strategy
from lightning.pytorch.utilities import rank_zero_info

from ganzoo.callbacks.progress_bar import ProgressBar
from ganzoo.checkpoints import (
    CheckpointError,
    checkpoint_class_path,
    import_class,
    load_trusted_checkpoint,
)
from ganzoo.data.base import GANDataModule
from ganzoo.distributed import resolve_strategy, uses_plain_ddp
from ganzoo.extras import as_missing_extra
from ganzoo.loggers import SaveConfigToLoggers, WandbNotReady, check_wandb_ready
from ganzoo.models.generative import GenerativeModule
from ganzoo.nvml import skip_nvml_probe_without_driver
from ganzoo.plugins import AtomicCheckpointIO

MAX_STEPS_HELP = (
    "Stop after this many generator steps (ganzoo counts only generator updates in global_step: with "
    "n_critic=5, max_steps=1000 means 1000 generator and 5000 discriminator updates). -1: no limit."
)
SUBCOMMANDS = "{fit,validate,test,predict,evaluate,sample,translate,study}"
CHECKPOINT_NAME = "{step}"  # step=1000.ckpt: the generator step (a ModelCheckpoint given a filename keeps its own)


def debugging() -> bool:
    """``GANZOO_DEBUG=1`` (or ``--debug``, which sets it) shows tracebacks and jsonargparse's full errors."""
    return bool(os.environ.get("GANZOO_DEBUG") or os.environ.get("GANZOO_TRACEBACK"))


def exit_with_one_line(message: str) -> NoReturn:
    """A user error: one line on stderr, exit code 2."""
    sys.stderr.write(f"ganzoo: error: {message}\n")
    sys.exit(2)


class OneLineErrorParser(LightningArgumentParser):
    """jsonargparse's errors (unknown keys, wrong types, missing files) as one line instead of usage + dump."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if debugging() or not self.exit_on_error:
            super().error(message, ex)
        words = self.prog.replace(" [options]", "").split()  # a subcommand's prog is the whole usage line
        command = f"{words[0]} {words[-1]}" if len(words) > 1 else words[0]
        exit_with_one_line(f"{one_line(message)} ({command} --help lists the options)")


class GanzooCLI(LightningCLI):
    def __init__(self, args: Any = None, run: bool = True, **kwargs: Any):
        skip_nvml_probe_without_driver()
        super().__init__(
            model_class=GenerativeModule,
            datamodule_class=GANDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            auto_configure_optimizers=False,
            save_config_callback=SaveConfigToLoggers,
            parser_kwargs={
                "prog": "ganzoo",
                "usage": f"ganzoo [-h] [-c CONFIG] [--print_config[=flags]] {SUBCOMMANDS} ...",
                "description": "ganzoo: train and evaluate GANs. Besides the Lightning subcommands: "
                "`ganzoo evaluate --help` (FID/KID/IS/PR/1-NN of a checkpoint; L1/PSNR/SSIM of a translation model), "
                "`ganzoo sample --help`, `ganzoo translate --help` (pix2pix on image files) and `ganzoo study --help` "
                "(Lucic et al.'s comparison of losses by random search).",
            },
            args=args,
            run=run,
            parser_class=OneLineErrorParser,
            **kwargs,
        )

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        for action in parser._actions:
            if action.dest == "trainer.max_steps":
                action.help = MAX_STEPS_HELP

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        config = self._get(self.config_init, "trainer", default={})
        strategy = config.get("strategy", "auto")
        if strategy == "auto" and auto_strategy_is_plain_ddp(config):
            # "auto" on several devices or nodes would be Lightning's one-wrapper DDP: use ganzoo's
            strategy = "ddp_fork" if hasattr(sys, "ps1") else "ddp"
        kwargs.setdefault("strategy", resolve_strategy(strategy))
        kwargs["plugins"] = with_atomic_checkpoint_io(kwargs.get("plugins", config.get("plugins")), kwargs["strategy"])
        trainer = super().instantiate_trainer(**kwargs)
        # Lightning's bar reads logged values every step; its default is the rich one where rich is installed
        listed = self._get(self.config, "trainer", default={}).get("callbacks") or []
        chosen_rich = any(str(getattr(c, "class_path", "")).endswith("RichProgressBar") for c in listed)
        for i, callback in enumerate(trainer.callbacks):
            if type(callback) is TQDMProgressBar:
                trainer.callbacks[i] = ProgressBar(callback.refresh_rate, callback.process_position)
            elif type(callback) is RichProgressBar and not chosen_rich:
                trainer.callbacks[i] = ProgressBar(callback.refresh_rate)
        for callback in trainer.checkpoint_callbacks:
            if isinstance(callback, ModelCheckpoint) and callback.filename is None:
                callback.filename = CHECKPOINT_NAME
        check_wandb_ready(trainer)
        return trainer

    def instantiate_classes(self) -> None:
        """Model, data and trainer; a ganzoo DataModule is told the real minibatches a step of the model takes."""
        super().instantiate_classes()
        if isinstance(self.datamodule, GANDataModule):
            self.datamodule.real_batches_per_step = self.model.real_batches_per_step
            self.datamodule.steps_per_call = self.model.steps_per_call

    def before_fit(self) -> None:
        if self.trainer.max_steps == 0:
            raise ValueError("--trainer.max_steps 0 trains nothing and writes no checkpoint: give a positive number "
                             "of generator steps (-1: no limit)")  # fmt: skip

    def after_fit(self) -> None:
        rank_zero_info(run_summary(self.trainer))

    def _parse_ckpt_path(self) -> None:
        """LightningCLI reads ``--ckpt_path``'s hyperparameters into the config as soon as it has parsed the
        arguments (a private step with no public hook): the file goes through ganzoo's checks first."""
        self.check_ckpt_path()
        super()._parse_ckpt_path()

    def check_ckpt_path(self) -> None:
        """``--ckpt_path`` goes through ganzoo's safe loader (weights_only; corrupt, truncated, untrusted or
        tampered files refused in one line) and must be a checkpoint of this run's model class."""
        subcommand = self.config.get("subcommand")
        path = self.config[subcommand].get("ckpt_path") if subcommand else None
        if path is None or str(path) in ("last", "best", "hpc", "registry") or "://" in str(path):
            return
        stored = checkpoint_class_path(load_trusted_checkpoint(path, str(path)))
        mine = (self.config[subcommand].get("model") or {}).get("class_path")
        if stored is not None and mine is not None and import_class(stored) is not import_class(mine):
            raise CheckpointError(
                f"{path} is a {stored} checkpoint but this run's model is {mine}: resume it with the config it "
                "was trained with (--config …), or set --model.class_path to match"
            )


def with_atomic_checkpoint_io(plugins: Any, strategy: Any) -> list[Any]:
    """``plugins`` (None, one or a list) with crash-safe checkpoint IO, unless they hold a CheckpointIO. A
    strategy instance gets it set on itself instead (Lightning refuses a CheckpointIO from both), unless it
    was built with a CheckpointIO other than Lightning's default."""
    plugins = [] if plugins is None else list(plugins) if isinstance(plugins, (list, tuple)) else [plugins]
    if any(isinstance(plugin, CheckpointIO) for plugin in plugins):
        return plugins
    if isinstance(strategy, Strategy):
        if type(strategy.checkpoint_io) is TorchCheckpointIO:
            strategy.checkpoint_io = AtomicCheckpointIO()
        return plugins
    return [*plugins, AtomicCheckpointIO()]


def auto_strategy_is_plain_ddp(config: Any) -> bool:
    """Whether ``strategy="auto"`` would give Lightning's DDP for these accelerator, devices and nodes (asked of
    a bare Trainer, quietly: it only resolves the strategy)."""
    options = {key: config.get(key) for key in ("accelerator", "devices", "num_nodes") if config.get(key) is not None}
    if options.get("devices", "auto") == 1 and options.get("num_nodes", 1) == 1:
        return False
    quiet = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        probe = Trainer(**options, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False)  # fmt: skip
    finally:
        quiet.setLevel(level)
    return uses_plain_ddp(probe)


def run_summary(trainer: Trainer) -> str:
    """Where a finished run went: its folder, its last sample grid and its last checkpoint."""
    from ganzoo.callbacks.sample_grid import SampleGrid, run_directory

    lines = [f"ganzoo: done at generator step {trainer.global_step}; this run is in {run_directory(trainer).resolve()}"]
    grids = [c.last_path for c in trainer.callbacks if isinstance(c, SampleGrid) and c.last_path is not None]
    if grids:
        lines.append(f"  last sample grid: {grids[-1].resolve()}")
    checkpoint = trainer.checkpoint_callback
    path = getattr(checkpoint, "last_model_path", "") or getattr(checkpoint, "best_model_path", "")
    lines.append(f"  last checkpoint:  {Path(path).resolve()}" if path else "  no checkpoint was written")
    return "\n".join(lines)


def one_line(err: BaseException | str) -> str:
    """The reason in an error, on one line: for a value that matches none of a Union's types (jsonargparse
    lists each with the whole namespace), the reason of the first type that is not ``None``."""
    text = str(err).strip()
    if "Original Traceback" in text:  # raised in a DataLoader worker: the worker's own exception, last line
        text = text.splitlines()[-1].split(": ", 1)[-1]
    if "No supported gpu backend" in text or "GPUAccelerator can not run on your system" in text:
        text += " This machine has no usable GPU: use --trainer.accelerator cpu (or auto)."
    if "Does not validate against any of the Union subtypes" in text:
        head = text.splitlines()[0].split("Does not validate")[0].strip()
        reasons, current = [], None
        for line in text.splitlines()[1:]:
            stripped = line.strip()
            if stripped.startswith("- "):
                current = [stripped[2:]]
                reasons.append(current)
            elif stripped.startswith("Given value"):
                current = None
            elif current is not None and stripped:
                current.append(stripped)
        reasons = [" ".join(r) for r in reasons if not r[0].startswith("Expected a <class 'NoneType'>")]
        if reasons:
            return f"{head} {reasons[0]}".strip() if head.startswith("Parser key") else reasons[0]
    return " ".join(text.split())


def main(args: Any = None) -> Any:
    """Entry point of ``python -m ganzoo`` and the ``ganzoo`` console script.

    ``evaluate`` and ``sample`` are ganzoo's own commands; everything else goes to LightningCLI. Errors a user
    can fix (bad config keys or values, bad data, unreadable checkpoints, a full disk) end the command with one
    line on stderr and exit code 2; ``--debug`` or ``GANZOO_DEBUG=1`` shows the traceback instead.
    """
    from ganzoo.commands import COMMANDS, run_command

    skip_nvml_probe_without_driver()
    argv = list(sys.argv[1:] if args is None else args)
    if "--debug" in argv:
        argv.remove("--debug")
        os.environ["GANZOO_DEBUG"] = "1"
    if argv and argv[0] in COMMANDS:
        return run_command(argv)
    if args is None:  # from the command line: LightningCLI reads sys.argv (given both, Lightning warns)
        sys.argv[1:] = argv
    try:
        return GanzooCLI() if args is None else GanzooCLI(args=argv)
    except (WandbNotReady, CheckpointError, MisconfigurationException, ValueError, OSError, ImportError) as err:
        # bad values, data, sizes, checkpoints, folders, a full disk, a missing extra: one line, not a traceback
        if debugging():
            raise
        missing = as_missing_extra(err)  # a feature whose optional package is not installed (a W&B logger)
        if missing is not None:
            exit_with_one_line(str(missing))
        if isinstance(err, ImportError):
            raise
        exit_with_one_line(f"{one_line(err)} (--debug shows the traceback)")
    except RuntimeError as err:
        if debugging() or not is_config_overwrite_refusal(err):
            raise
        found = re.search(r"expected (.+?) to NOT exist", str(err))
        exit_with_one_line(
            f"{found.group(1) if found else 'config.yaml'} is an earlier run's config, in the folder this run writes to "
            "(without a logger every run writes to --trainer.default_root_dir): give this run its own "
            "--trainer.default_root_dir, or keep a logger, which gives each run its own version folder"
        )


def is_config_overwrite_refusal(err: RuntimeError) -> bool:
    """LightningCLI's ``SaveConfigCallback`` refusing to overwrite an earlier run's config.yaml."""
    return "Aborting to avoid overwriting" in str(err)
