"""Named networks and named optimizer groups, trained by manual updates, with DDP routing.

A model lists its networks in ``network_names`` (each an attribute, so state-dict keys stay ``generator.*``/
``discriminator.*``) and its optimizer groups in ``optimizer_groups``: a group name → the networks one optimizer
updates (CycleGAN: ``generators`` over both generators). ``training_network`` makes a group trainable
(``ganzoo.models.trainable``) and routes calls to its networks through their own DDP wrappers
(``ganzoo.distributed.GANDDPStrategy``); ``update`` is zero_grad → backward → step, gradients clipped in
``on_before_optimizer_step``, the loss kept for the NaN guard (directly, without Lightning's per-update dispatch, where
nothing observes it: ``ganzoo.models.direct_update``). Budgets are generator steps: only the
``generator_group``'s optimizer steps advance ``global_step``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

import torch
from lightning.pytorch import Callback
from lightning.pytorch.strategies import DDPStrategy
from torch import Tensor, nn

from ganzoo.models.direct_update import direct_step, direct_updates_allowed
from ganzoo.models.generative import GenerativeModule
from ganzoo.models.hparams import adam, warn_if_schedule_does_not_match
from ganzoo.models.nan_guard import NanGuard
from ganzoo.models.trainable import RestoreRequiresGrad, TrainableGroups, step_without_counting


class NetworkGroups(GenerativeModule):
    """Named networks updated by named optimizer groups (manual optimization).

    Args:
        optimizers: group name → optimizer factory (default Adam(2e-4, β = (0.5, 0.999))).
        lr_schedulers: group name → scheduler factory, stepped once per generator step.
        gradient_clip_val, gradient_clip_algorithm: clip each group's gradients before its update.
    """

    network_names: ClassVar[tuple[str, ...]] = ("generator", "discriminator")
    optimizer_groups: ClassVar[dict[str, tuple[str, ...]]] = {"generator": ("generator",), "discriminator": ("discriminator",)}
    generator_group: ClassVar[str] = "generator"
    discriminator_group: ClassVar[str] = "discriminator"

    def __init__(
        self,
        optimizers: dict[str, Callable | None],
        lr_schedulers: dict[str, Callable | None],
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: Literal["norm", "value"] = "norm",
    ):
        super().__init__()
        self.automatic_optimization = False
        self.optimizer_factories = {group: optimizers.get(group) or adam() for group in self.optimizer_groups}
        self.scheduler_factories = {group: lr_schedulers.get(group) for group in self.optimizer_groups}
        self.gradient_clip_val = gradient_clip_val
        self.gradient_clip_algorithm = gradient_clip_algorithm
        # Set by GANDDPStrategy: each network wrapped in its own DDP. A plain dict, so the wrappers are not
        # submodules and never enter the state dict.
        self.ddp_networks: dict[str, nn.Module] = {}
        self.trainable, self.nan_guard = TrainableGroups(), NanGuard()
        self.direct_updates = False  # decided per fit (on_fit_start)
        self.fit_optimizers: dict[str, Any] = {}  # group → Lightning's optimizer wrapper, and the schedulers,
        self.fit_schedulers: list[Any] | None = None  # listed once per fit (on_fit_start) instead of once per update

    @property
    def networks(self) -> dict[str, nn.Module]:
        """Name → network, in ``network_names`` order."""
        return {name: getattr(self, name) for name in self.network_names}

    def network(self, name: str) -> nn.Module:
        """The network ``name``, through its DDP wrapper while its group is being trained."""
        if self.ddp_networks and name in self.trainable.networks and torch.is_grad_enabled():
            return self.ddp_networks.get(name) or getattr(self, name)
        return getattr(self, name)

    def optimizer(self, group: str) -> Any:
        """The (Lightning-wrapped) optimizer of a named group."""
        optimizer = self.fit_optimizers.get(group)
        return optimizer if optimizer is not None else self.optimizers()[list(self.optimizer_groups).index(group)]

    def configure_optimizers(self) -> Any:
        optimizers, schedulers = [], []
        for group, names in self.optimizer_groups.items():
            parameters = [p for name in names for p in getattr(self, name).parameters()]
            optimizers.append(self.optimizer_factories[group](parameters))
        for group, optimizer in zip(self.optimizer_groups, optimizers):
            if self.scheduler_factories[group] is not None:
                schedulers.append(self.scheduler_factories[group](optimizer))
        max_steps = self._trainer.max_steps if self._trainer is not None else -1
        for scheduler in schedulers:
            warn_if_schedule_does_not_match(scheduler, max_steps)
        return optimizers, schedulers

    def configure_callbacks(self) -> list[Callback]:
        return [RestoreRequiresGrad()]

    def step_lr_schedulers(self) -> None:
        schedulers = self.fit_schedulers if self.fit_schedulers is not None else self.listed_lr_schedulers()
        for scheduler in schedulers:
            scheduler.step()

    def listed_lr_schedulers(self) -> list[Any]:
        schedulers = self.lr_schedulers()
        return [] if schedulers is None else schedulers if isinstance(schedulers, list) else [schedulers]

    def training_network(self, group: str) -> TrainingNetwork:
        """A context in which only ``group``'s parameters require grad and calls to its networks go through their
        DDP wrappers."""
        return TrainingNetwork(self, group)

    def group_parameters(self) -> dict[str, list[nn.Parameter]]:
        return {g: [p for name in names for p in getattr(self, name).parameters()] for g, names in self.optimizer_groups.items()}

    def teardown(self, stage: str) -> None:
        """Every parameter that trained requires grad again (after ``fit``, as before it)."""
        self.trainable.restore()

    def update(self, optimizer: Any, loss: Tensor, group: str) -> None:
        """zero_grad → backward → step (gradients clipped in ``on_before_optimizer_step``); the
        loss is kept for the NaN check."""
        self.nan_guard.keep(group, loss)
        optimizer.optimizer.zero_grad(set_to_none=True)  # the wrapped optimizer's own (the wrapper's is the same
        # method, reaching every attribute through Lightning's ``__getattr__``)
        if self.direct_updates:
            loss.backward()
            self.on_before_optimizer_step(optimizer.optimizer)  # as Lightning passes it: the wrapped optimizer
            direct_step(optimizer, counts=group == self.generator_group)
            return
        self.manual_backward(loss)
        if group == self.generator_group:
            optimizer.step()
        else:
            step_without_counting(optimizer)

    def on_before_optimizer_step(self, optimizer: Any) -> None:
        """Clip here, not right after backward: under 16-mixed the precision plugin unscales the gradients
        just before this hook (clipping earlier would act on gradients still multiplied by the loss scale,
        Lightning issue #18089)."""
        if self.gradient_clip_val:
            self.clip_gradients(
                optimizer, gradient_clip_val=self.gradient_clip_val, gradient_clip_algorithm=self.gradient_clip_algorithm
            )

    def on_fit_start(self) -> None:
        super().on_fit_start()
        optimizers = self.optimizers()  # Lightning's wrappers
        optimizers = optimizers if isinstance(optimizers, list) else [optimizers]
        self.direct_updates = direct_updates_allowed(self.trainer, self, NetworkGroups, optimizers)
        self.fit_optimizers = dict(zip(self.optimizer_groups, optimizers))
        self.fit_schedulers = self.listed_lr_schedulers()

    def on_fit_end(self) -> None:
        super().on_fit_end()
        self.fit_optimizers, self.fit_schedulers = {}, None

    def setup(self, stage: str) -> None:
        """The networks train under ganzoo's DDP (one wrapper each), never Lightning's one wrapper around all."""
        super().setup(stage)
        if self._trainer is None:
            return
        strategy = self.trainer.strategy
        if isinstance(strategy, DDPStrategy) and not getattr(strategy, "wraps_each_network", False):
            raise ValueError(
                f"{type(self).__name__} trains its networks with separate updates, which Lightning's DDPStrategy "
                "(one DDP around the whole module) cannot sync. Use strategy=ganzoo.distributed.GANDDPStrategy() "
                "(the ganzoo command line does this for --trainer.strategy ddp)."
            )


class TrainingNetwork:
    """``NetworkGroups.training_network``'s context (a class, not a generator: it is entered four times a generator
    step). Which networks train is kept on ``trainable``, a plain object: setting a module's attribute costs
    ``nn.Module.__setattr__``'s lookups."""

    __slots__ = ("module", "group")

    def __init__(self, module: NetworkGroups, group: str):
        self.module, self.group = module, group

    def __enter__(self) -> None:
        module = self.module
        module.trainable.networks = module.optimizer_groups[self.group]
        module.trainable.make_trainable(self.group, module.group_parameters)

    def __exit__(self, *exc: object) -> None:
        self.module.trainable.networks = ()
