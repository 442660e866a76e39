"""``python -m ganzoo``: LightningCLI with ganzoo's conventions.

* The model and the data are chosen by class path (``--model.class_path ganzoo.models.GAN``).
* LightningCLI's one-optimizer ``optimizer:`` key is off: models take ``g_optimizer`` and
  ``d_optimizer`` (each a ``class_path``/``init_args`` in YAML).
* ``--trainer.strategy ddp`` (and ``ddp_spawn``/``ddp_fork``/``ddp_notebook``) means
  ``GANDDPStrategy``: generator and discriminator in separate DDP wrappers.
* ``--trainer.max_steps`` counts generator steps.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch import Trainer
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from ganzoo.data.base import GANDataModule
from ganzoo.distributed import resolve_strategy
from ganzoo.models.base import GANModule

MAX_STEPS_HELP = (
    "Stop after this many generator steps (ganzoo counts only generator updates in global_step: with "
    "n_critic=5, max_steps=1000 means 1000 generator and 5000 discriminator updates). -1: no limit."
)


class GanzooCLI(LightningCLI):
    def __init__(self, args: Any = None, run: bool = True, **kwargs: Any):
        super().__init__(
            model_class=GANModule,
            datamodule_class=GANDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            auto_configure_optimizers=False,
            parser_kwargs={"prog": "ganzoo", "description": "ganzoo: train and evaluate GANs."},
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
        return super().instantiate_trainer(**kwargs)


def main(args: Any = None) -> GanzooCLI:
    """Entry point of ``python -m ganzoo`` and the ``ganzoo`` console script."""
    return GanzooCLI(args=args)
