"""The adversarial mixin: named networks and optimizer groups, DDP routing, and THE training loop.

Every adversarial model (the GAN family, conditional GANs, pix2pix, CycleGAN, StarGAN) trains with the one
``training_step`` below and fills in its hooks:

* ``make_fake(real)``: what the generator side makes for a real ``Batch`` (fakes, with the labels or codes used);
* ``discriminator_loss(real, fake)`` and ``generator_loss(fake, real)``: a loss, or ``(loss, {name: value})``;
* ``after_discriminator_step()`` (WGAN's clipping) and ``after_generator_step(values)`` (BEGAN's k_t);
* ``check_batch(batch)``: what the data must carry (labels, targets).

A step: for each of the ``n_critic`` real minibatches, fakes made without gradients and one discriminator
update; then one generator update on fresh fakes and the last minibatch. Two declared variations keep each
family's published order: ``shares_fakes`` (pix2pix: the discriminator judges the fakes, made with gradients,
that the generator update then uses) and ``generator_first`` (CycleGAN: the generator update first, then the
discriminators on its fakes).

Networks are attributes named in ``network_names`` (state-dict keys ``generator.*``, …) and optimizers named
groups in ``optimizer_groups`` (CycleGAN: ``generators`` over both generators). ``training_network`` makes a
group trainable (``ganzoo.models.trainable``) and routes calls to its networks through their own DDP wrappers
(``ganzoo.distributed.GANDDPStrategy``). Budgets are generator steps: only the generator group's optimizer steps
advance ``global_step``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import torch
from lightning.pytorch import Callback
from lightning.pytorch.strategies import DDPStrategy
from torch import Tensor, nn

from ganzoo.batch import Batch
from ganzoo.models.generative import GenerativeModule
from ganzoo.models.hparams import adam, warn_if_schedule_does_not_match
from ganzoo.models.nan_guard import NanGuard, non_finite_error
from ganzoo.models.step_log import StepLog
from ganzoo.models.trainable import RestoreRequiresGrad, TrainableGroups, step_without_counting

LossOutput = Tensor | tuple[Tensor, dict[str, Tensor]]


def split_loss(output: LossOutput) -> tuple[Tensor, dict[str, Tensor]]:
    """A loss hook's output as (loss, the values logged beside it)."""
    return output if isinstance(output, tuple) else (output, {})


class AdversarialModule(GenerativeModule):
    """Named networks trained by alternating updates of named optimizer groups (manual optimization).

    Args:
        optimizers: group name → optimizer factory (default Adam(2e-4, β = (0.5, 0.999))).
        lr_schedulers: group name → scheduler factory, stepped once per generator step.
        gradient_clip_val, gradient_clip_algorithm: clip each group's gradients before its update.
    """

    network_names: ClassVar[tuple[str, ...]] = ("generator", "discriminator")
    optimizer_groups: ClassVar[dict[str, tuple[str, ...]]] = {"generator": ("generator",), "discriminator": ("discriminator",)}
    generator_group: ClassVar[str] = "generator"
    discriminator_group: ClassVar[str] = "discriminator"
    generator_first: ClassVar[bool] = False
    shares_fakes: ClassVar[bool] = False
    n_critic: int = 1

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
        self._networks_in_training: tuple[str, ...] = ()
        self.trainable, self.nan_guard, self.step_log = TrainableGroups(), NanGuard(), StepLog()
        self.discriminator_trained = True  # False when loaded from a generator-only (shipped) file

    @property
    def real_batches_per_step(self) -> int:
        return self.n_critic

    @property
    def trains_discriminator(self) -> bool:
        """Whether a step updates the discriminator side (pix2pix's "L1 only" ablation: no)."""
        return True

    @property
    def networks(self) -> dict[str, nn.Module]:
        """Name → network, in ``network_names`` order."""
        return {name: getattr(self, name) for name in self.network_names}

    def network(self, name: str) -> nn.Module:
        """The network ``name``, through its DDP wrapper while its group is being trained."""
        if name in self._networks_in_training and torch.is_grad_enabled():
            return self.ddp_networks.get(name) or getattr(self, name)
        return getattr(self, name)

    def optimizer(self, group: str) -> Any:
        """The (Lightning-wrapped) optimizer of a named group."""
        return self.optimizers()[list(self.optimizer_groups).index(group)]

    def twice_differentiated_networks(self) -> tuple[str, ...]:
        """Networks whose gradients the losses differentiate again (gradient penalties, unrolling)."""
        return ()

    def mark_generator_only(self) -> None:
        self.discriminator_trained = False

    # ----------------------------------------------------------------- hooks (families fill these in)
    def check_batch(self, batch: Batch) -> None:
        """Refuse, in one line, data that lacks what this model trains on (labels, targets)."""

    def make_fake(self, real: Batch) -> Batch:
        raise NotImplementedError

    def discriminator_loss(self, real: Batch, fake: Batch) -> LossOutput:
        raise NotImplementedError

    def generator_loss(self, fake: Batch, real: Batch) -> LossOutput:
        raise NotImplementedError

    def after_discriminator_step(self) -> None:
        """After each discriminator update (WGAN clips weights here)."""

    def after_generator_step(self, values: dict[str, Tensor]) -> dict[str, Tensor]:
        """After the generator update, with the step's losses and logged values; returns more values to log."""
        return {}

    # ----------------------------------------------------------------- the loop
    def real_batches(self, batch: Any) -> list[Batch]:
        """One loader batch as the ``n_critic`` real minibatches of a training step."""
        batch = Batch.from_loader(batch)
        self.check_batch(batch)
        return batch.critic_minibatches(self.n_critic)

    def training_step(self, batch: Any, batch_idx: int) -> None:
        reals = self.real_batches(batch)
        values: dict[str, Tensor] = {}  # the step's losses and logged values, for after_generator_step
        if self.generator_first:  # CycleGAN: D learns from the fakes of this step's G update
            fake, shown = self.generator_phase(reals[-1], None, values)
            self.discriminator_phase(reals[-1], fake, values)
        else:
            fake = None
            if self.trains_discriminator:
                for real in reals:
                    fake = self.fake_for_discriminator(real)
                    self.discriminator_phase(real, fake, values)
            fake, shown = self.generator_phase(reals[-1], fake if self.shares_fakes else None, values)
        shown = {**{name: values[name] for name in ("d_loss", "g_loss") if name in values}, **shown}
        shown.update(self.after_generator_step(values))
        self.step_lr_schedulers()
        self.log_step(**shown)

    def fake_for_discriminator(self, real: Batch) -> Batch:
        """Fakes for one discriminator update: without gradients, or (``shares_fakes``) with them, made by the
        generator through its DDP wrapper, for the generator update to reuse."""
        if self.shares_fakes:
            with self.training_network(self.generator_group):
                return self.make_fake(real)
        with torch.no_grad():
            return self.make_fake(real)

    def discriminator_phase(self, real: Batch, fake: Batch, values: dict[str, Tensor]) -> None:
        with self.training_network(self.discriminator_group):
            loss, parts = split_loss(self.discriminator_loss(real, fake.detached()))
            self.update(self.optimizer(self.discriminator_group), loss, self.discriminator_group)
        self.after_discriminator_step()
        self.log_later(**parts)
        values.update(parts, d_loss=loss)

    def generator_phase(self, real: Batch, fake: Batch | None, values: dict[str, Tensor]) -> tuple[Batch, dict[str, Tensor]]:
        """One generator update (on ``fake`` when the discriminator phase shared it); returns the fakes and the
        generator loss's logged values (shown on the progress bar)."""
        with self.training_network(self.generator_group):
            fake = self.make_fake(real) if fake is None else fake
            loss, parts = split_loss(self.generator_loss(fake, real))
            self.update(self.optimizer(self.generator_group), loss, self.generator_group)
        values.update(parts, g_loss=loss)
        return fake, parts

    # ----------------------------------------------------------------- optimizers
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
        schedulers = self.lr_schedulers()
        if schedulers is None:
            return
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
            scheduler.step()

    @contextmanager
    def training_network(self, group: str) -> Iterator[None]:
        """Only ``group``'s parameters require grad, and calls to its networks go through their DDP wrappers."""
        self._networks_in_training = self.optimizer_groups[group]
        self.trainable.make_trainable(group, self.group_parameters)
        try:
            yield
        finally:
            self._networks_in_training = ()

    def group_parameters(self) -> dict[str, list[nn.Parameter]]:
        return {g: [p for name in names for p in getattr(self, name).parameters()] for g, names in self.optimizer_groups.items()}

    def teardown(self, stage: str) -> None:
        """Every parameter that trained requires grad again (after ``fit``, as before it)."""
        self.trainable.restore()

    def update(self, optimizer: Any, loss: Tensor, group: str) -> None:
        """zero_grad → backward → step (gradients clipped in ``on_before_optimizer_step``); the
        loss is kept for the NaN check."""
        self.nan_guard.keep(group, loss)
        optimizer.zero_grad(set_to_none=True)
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

    # ----------------------------------------------------------------- logging (ganzoo.models.step_log)
    @property
    def logs_written(self) -> int:
        return self.step_log.logs_written

    @property
    def bar_values(self) -> dict[str, Tensor]:
        return self.step_log.bar_values

    def log_later(self, **values: Tensor) -> None:
        """Values of one update (a critic update's, a loss term's), logged with the step's own as their mean
        over the updates since the last log. Outside training: ignored."""
        if self._trainer is not None:
            self.step_log.keep(values)

    def log_step(self, **values: Tensor) -> None:
        """This generator step's values (shown on the progress bar), logged with those ``log_later`` kept as
        their means since the last log, every ``log_every_n_steps`` generator steps and at the last one."""
        self.step_log.keep(values)
        if self.step_log.due(self._trainer, self.global_step):
            shown, others = self.step_log.means(list(values))
            self.log_dict(shown, prog_bar=self.step_log.stock_bar(self._trainer))
            if others:
                self.log_dict(others)

    # ----------------------------------------------------------------- NaN guard (ganzoo.models.nan_guard)
    def check_losses_finite(self) -> None:
        """Raise ``FloatingPointError`` if a loss was NaN or infinite since the last check, on every rank when
        any rank saw one."""
        distributed = self._trainer is not None and self.trainer.world_size > 1
        all_reduce = (lambda t: self.trainer.strategy.reduce(t, reduce_op="sum")) if distributed else None
        failed = self.nan_guard.failed_groups(all_reduce)
        if failed:
            raise non_finite_error(failed[0], self.global_step)

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        interval = self.trainer.log_every_n_steps if self._trainer is not None else 1
        if self.device.type == "cpu" or self.global_step % max(interval, 1) == 0:
            self.check_losses_finite()

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.check_losses_finite()
        super().on_save_checkpoint(checkpoint)

    # ----------------------------------------------------------------- boundaries
    def setup(self, stage: str) -> None:
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
