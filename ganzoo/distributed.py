"""DDP for GANs: the generator and the discriminator each in their own DistributedDataParallel.

Lightning's ``DDPStrategy`` wraps the whole LightningModule in one DDP. A generator update then
leaves the discriminator's parameters without gradients and DDP stops with "parameters that were
not used in producing the loss"; ``find_unused_parameters=True`` hides that but walks the autograd
graph every step. Here each network is wrapped on its own (as mmgeneration does and Lightning PR
#20936 proposes): ``AdversarialModule.network`` call a network's wrapper while that
network is trained, so only the network being updated all-reduces its gradients, and the
LightningModule itself (its state dict, checkpoints) stays unwrapped. Every network a model names in
``network_names`` gets its own wrapper (two for a GAN, four for CycleGAN).

The process group is destroyed at exit whatever the backend (Lightning does it for NCCL only): a gloo group
left to interpreter finalization can abort the process with "terminate called without an active exception"
(SIGABRT) after a run that succeeded.
"""

from __future__ import annotations

import atexit
import functools
from typing import Any

import torch
import torch.distributed as dist
from lightning.pytorch.strategies import DDPStrategy
from torch.nn.parallel import DistributedDataParallel

from ganzoo.models.adversarial import AdversarialModule

@functools.cache
def _destroy_process_group_at_exit() -> None:
    """Register (once: cached) ``destroy_process_group`` to run while the interpreter is still whole."""
    atexit.register(_destroy_process_group)


def _destroy_process_group() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


# strategy names a user may type → the start method Lightning gives them
START_METHODS = {"ddp": "popen", "ddp_spawn": "spawn", "ddp_fork": "fork", "ddp_notebook": "fork"}


class GANDDPStrategy(DDPStrategy):
    """``DDPStrategy`` that wraps each of a ganzoo model's networks separately."""

    strategy_name = "ganzoo_ddp"
    wraps_each_network = True  # what NetworkGroups.setup checks for

    def setup_environment(self) -> None:
        super().setup_environment()
        _destroy_process_group_at_exit()

    def configure_ddp(self) -> None:
        module = self.lightning_module
        # seed_everything gives every rank the same seed, hence the same noise batches (a GAN's z, a VAE's ε):
        # offset it per rank so the ranks' draws differ (still reproducible for a given seed and world size).
        torch.manual_seed(torch.initial_seed() + self.global_rank)
        if not isinstance(module, AdversarialModule):  # one wrapper around the module (automatic optimization: VAE)
            super().configure_ddp()
            return
        device_ids = self.determine_ddp_device_ids()
        module.ddp_networks = {
            name: DistributedDataParallel(getattr(module, name), device_ids=device_ids, **self._ddp_kwargs)
            for name in module.network_names
        }

    def teardown(self) -> None:
        module = self.lightning_module
        if module is not None and hasattr(module, "ddp_networks"):
            module.ddp_networks = {}
        super().teardown()

    @classmethod
    def register_strategies(cls, strategy_registry: Any) -> None:
        for name, start_method in START_METHODS.items():
            strategy_registry.register(
                f"ganzoo_{name}",
                cls,
                description=f"ganzoo DDP (G and D wrapped separately), start_method '{start_method}'",
                start_method=start_method,
            )


def resolve_strategy(strategy: Any) -> Any:
    """Map Lightning's DDP strategy names to ``GANDDPStrategy``; leave everything else alone."""
    if isinstance(strategy, str) and strategy in START_METHODS:
        return GANDDPStrategy(start_method=START_METHODS[strategy])
    return strategy


def uses_plain_ddp(trainer: Any) -> bool:
    """Whether ``trainer`` got Lightning's one-wrapper DDP (what ``strategy="auto"`` picks for several devices)."""
    return isinstance(trainer.strategy, DDPStrategy) and not isinstance(trainer.strategy, GANDDPStrategy)
