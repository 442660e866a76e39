"""``python -m ganzoo``: LightningCLI with ganzoo's conventions.

* The model and the data are chosen by class path (``--model.class_path ganzoo.models.GAN``).
* LightningCLI's one-optimizer ``optimizer:`` key is off: models take ``g_optimizer`` and
  ``d_optimizer`` (each a ``class_path``/``init_args`` in YAML).
* ``--trainer.strategy ddp`` (and ``ddp_spawn``/``ddp_fork``/``ddp_notebook``) means
  ``GANDDPStrategy``: generator and discriminator in separate DDP wrappers.
* ``--trainer.max_steps`` counts generator steps.
"""

from __future__ import annotations

import sys
from typing import Any

from lightning.pytorch import Trainer
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from ganzoo.data.base import GANDataModule
from ganzoo.distributed import resolve_strategy
from ganzoo.loggers import SaveConfigToLoggers, WandbNotReady, check_wandb_ready
from ganzoo.models.generative import GenerativeModule

MAX_STEPS_HELP = (
    "Stop after this many generator steps (ganzoo counts only generator updates in global_step: with "
    "n_critic=5, max_steps=1000 means 1000 generator and 5000 discriminator updates). -1: no limit."
)


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
        check_wandb_ready(trainer)
        return trainer


def main(args: Any = None) -> Any:
    """Entry point of ``python -m ganzoo`` and the ``ganzoo`` console script.

    ``evaluate`` and ``sample`` are ganzoo's own commands; everything else goes to LightningCLI.
    """
    from ganzoo.commands import COMMANDS, run_command

    argv = sys.argv[1:] if args is None else args
    if isinstance(argv, list) and argv and argv[0] in COMMANDS:
        return run_command(list(argv))
    try:
        return GanzooCLI(args=args)
    except WandbNotReady as err:
        sys.exit(f"ganzoo: error: {err}")
