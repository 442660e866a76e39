"""``torch.compile`` for a model's networks: add ``ganzoo.callbacks.CompileNetworks`` to the trainer's callbacks.

    python -m ganzoo fit --config configs/dcgan/mnist.yaml --trainer.callbacks+=ganzoo.callbacks.CompileNetworks

Each network is compiled in place with ``nn.Module.compile`` when fit starts, so

* state-dict keys stay as they were (no ``_orig_mod.`` prefix): checkpoints load with or without compile;
* the averaged generator (``GeneratorAveraging``) is a copy made before compiling; a copy of a compiled module
  would go on calling the original's compiled forward, so the copy is never compiled;
* under ``--trainer.strategy ddp`` each network's DDP wrapper calls the compiled network.

Gradient penalties (WGAN-GP, DRAGAN) and the Unrolled GAN differentiate D's gradient again, and spectral norm (SNGAN)
updates D's power-iteration vectors in place between its forward passes: compiled code supports neither, so those
models compile their generator only (``networks: [generator]``; asking for more is a one-line error at setup). On a
CPU, compiling needs a C++ compiler.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch import Callback, LightningModule, Trainer
from torch.nn.utils import parametrize

from ganzoo.models.adversarial import AdversarialModule


class CompileNetworks(Callback):
    """Compile the named networks (default: every network the model trains) when fit starts.

    Args:
        networks: names of the networks to compile, e.g. ``[generator]``; ``None``: all of ``network_names``.
        mode, dynamic, fullgraph: passed to ``torch.compile``.
    """

    def __init__(
        self,
        networks: list[str] | None = None,
        mode: str | None = None,
        dynamic: bool | None = None,
        fullgraph: bool = False,
    ):
        self.networks = list(networks) if networks is not None else None
        self.options: dict[str, Any] = {"mode": mode, "dynamic": dynamic, "fullgraph": fullgraph}

    def names(self, pl_module: LightningModule) -> list[str]:
        known = list(pl_module.network_names if isinstance(pl_module, AdversarialModule) else ("generator",))
        names = self.networks if self.networks is not None else known
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f"CompileNetworks: {type(pl_module).__name__} has no network {unknown[0]!r}; "
                             f"its networks are {known}")  # fmt: skip
        return names

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        """Refuse, before training, what compiled code cannot train: a wrong name, a network whose gradient is
        differentiated again (double backward), a spectrally normalised one (its power iteration updates its
        vectors in place between the two forward passes of one update, which a compiled backward then refuses)."""
        model = type(pl_module).__name__
        twice = pl_module.twice_differentiated_networks() if isinstance(pl_module, AdversarialModule) else ()
        for name in self.names(pl_module):
            if name in twice:
                raise ValueError(f"CompileNetworks: {model} differentiates its {name}'s gradient again (a gradient "
                                 "penalty or unrolling), which torch.compile does not support: compile the others, "
                                 "e.g. networks: [generator]")  # fmt: skip
            if any(type(p).__name__ == "_SpectralNorm" for m in getattr(pl_module, name).modules()
                   if parametrize.is_parametrized(m) for ps in m.parametrizations.values() for p in ps):
                raise ValueError(f"CompileNetworks: {model}'s {name} is spectrally normalised, whose in-place power "
                                 "iteration a compiled backward does not allow: compile the others, e.g. networks: "
                                 "[generator]")  # fmt: skip

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # after every setup hook and the checkpoint restore: the averaged copy exists and stays uncompiled
        for name in self.names(pl_module):
            getattr(pl_module, name).compile(**self.options)
