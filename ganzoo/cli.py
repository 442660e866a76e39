"""``python -m ganzoo``: LightningCLI with ganzoo's conventions.

* The model and the data are chosen by class path (``--model.class_path ganzoo.models.GAN``).
* LightningCLI's one-optimizer ``optimizer:`` key is off: models take ``g_optimizer`` and
  ``d_optimizer`` (each a ``class_path``/``init_args`` in YAML).
* ``--trainer.strategy ddp`` (and ``ddp_spawn``/``ddp_fork``/``ddp_notebook``) means
  ``GANDDPStrategy``: generator and discriminator in separate DDP wrappers.
* ``--trainer.max_steps`` counts generator steps; checkpoints are named by it (``step=1000.ckpt``).
* At the end of ``fit`` it says where the run went: the folder, the last sample grid, the last checkpoint.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from lightning.pytorch import Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from lightning.pytorch.utilities import rank_zero_info

from ganzoo.checkpoints import (
    CheckpointError,
    checkpoint_class_path,
    import_class,
    load_trusted_checkpoint,
)
from ganzoo.data.base import GANDataModule
from ganzoo.distributed import resolve_strategy
from ganzoo.loggers import SaveConfigToLoggers, WandbNotReady, check_wandb_ready
from ganzoo.models.generative import GenerativeModule

MAX_STEPS_HELP = (
    "Stop after this many generator steps (ganzoo counts only generator updates in global_step: with "
    "n_critic=5, max_steps=1000 means 1000 generator and 5000 discriminator updates). -1: no limit."
)
SUBCOMMANDS = "{fit,validate,test,predict,evaluate,sample}"
CHECKPOINT_NAME = "{step}"  # step=1000.ckpt: the generator step (a ModelCheckpoint given a filename keeps its own)


class GanzooCLI(LightningCLI):
    def __init__(self, args: Any = None, run: bool = True, **kwargs: Any):
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
                "`ganzoo evaluate --help` (FID/KID/IS/PR/1-NN of a checkpoint) and `ganzoo sample --help`.",
            },
            args=args,
            run=run,
            **kwargs,
        )

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        for action in parser._actions:
            if action.dest == "trainer.max_steps":
                action.help = MAX_STEPS_HELP

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        config = self._get(self.config_init, "trainer", default={})
        kwargs.setdefault("strategy", resolve_strategy(config.get("strategy", "auto")))
        trainer = super().instantiate_trainer(**kwargs)
        for callback in trainer.checkpoint_callbacks:
            if isinstance(callback, ModelCheckpoint) and callback.filename is None:
                callback.filename = CHECKPOINT_NAME
        check_wandb_ready(trainer)
        return trainer

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


def one_line(err: BaseException) -> str:
    """The reason in an error: for a class that failed to build (jsonargparse lists it under the Union of
    subclass and None, with the whole namespace), the class's own message."""
    text = str(err)
    if "Does not validate against any of the Union subtypes" in text:
        reasons = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- ")]
        reasons = [r for r in reasons if not r.startswith("Expected a <class 'NoneType'>")]
        if reasons:
            return reasons[0]
    return " ".join(text.split())


def main(args: Any = None) -> Any:
    """Entry point of ``python -m ganzoo`` and the ``ganzoo`` console script.

    ``evaluate`` and ``sample`` are ganzoo's own commands; everything else goes to LightningCLI. Errors a user
    can fix (bad data or values, unreadable checkpoints, a full disk) end the command with one line.
    """
    from ganzoo.commands import COMMANDS, run_command

    argv = sys.argv[1:] if args is None else args
    if isinstance(argv, list) and argv and argv[0] in COMMANDS:
        return run_command(list(argv))
    try:
        return GanzooCLI(args=args)
    except (WandbNotReady, CheckpointError) as err:
        sys.exit(f"ganzoo: error: {one_line(err)}")
    except (ValueError, OSError) as err:  # bad data, sizes, values, folders, a full disk: one line, not a traceback
        if os.environ.get("GANZOO_TRACEBACK"):
            raise
        sys.exit(f"ganzoo: error: {one_line(err)} (GANZOO_TRACEBACK=1 shows the traceback)")
