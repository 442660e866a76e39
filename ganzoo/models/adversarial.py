"""The adversarial base: networks by name, optimizers by named group, one update rule, the NaN guard.

A model lists its networks in ``network_names`` (each an attribute, so state-dict keys stay
``generator.*``/``discriminator.*``) and its optimizer groups in ``optimizer_groups``: a group name →
the networks one optimizer updates (CycleGAN: ``generators`` over both generators). ``training_network``
makes a group trainable and routes calls to its networks through their own DDP wrappers
(``ganzoo.distributed.GANDDPStrategy``); ``update`` is zero_grad → backward → step, gradients clipped in
``on_before_optimizer_step``. Making a group trainable switches ``requires_grad`` only when the group changes,
over parameter lists cached once per fit (Lightning's ``toggle_optimizer``/``untoggle_optimizer`` walk every
parameter twice per update); the flags are restored when training ends.

Budgets are generator steps: only the ``counted_group``'s optimizer steps advance ``global_step``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from ganzoo.models.generative import GenerativeModule, eval_mode, fmt_shape, network_device
from ganzoo.models.hparams import adam, warn_if_schedule_does_not_match


def _do_nothing() -> None:
    return None


class AdversarialModule(GenerativeModule):
    """Named networks trained by alternating updates of named optimizer groups (manual optimization).

    Args:
        optimizers: group name → optimizer factory (default Adam(2e-4, β = (0.5, 0.999))).
        lr_schedulers: group name → scheduler factory, stepped once per generator step.
        gradient_clip_val, gradient_clip_algorithm: clip each group's gradients before its update.
    """

    network_names: ClassVar[tuple[str, ...]] = ("generator", "discriminator")
    optimizer_groups: ClassVar[dict[str, tuple[str, ...]]] = {"generator": ("generator",), "discriminator": ("discriminator",)}
    counted_group: ClassVar[str] = "generator"

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
        self._group_parameters: dict[str, list[nn.Parameter]] | None = None  # cached per fit: trainable ones
        self._trainable_group: str | None = None
        self._unchecked_losses: list[tuple[str, Tensor]] = []  # (group, loss) since the last NaN check
        self._logged_values: dict[str, list[Tensor]] = {}  # since the last log_dict, on the device
        self.logs_written, self.bar_values = 0, {}  # the last logged step values, for ganzoo's progress bar
        self.discriminator_trained = True  # False when loaded from a generator-only (shipped) file

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
        self.make_trainable(group)
        try:
            yield
        finally:
            self._networks_in_training = ()

    def make_trainable(self, group: str) -> None:
        """``requires_grad`` on for ``group``'s parameters and off for the other groups', switched only when the
        trainable group changes. Parameters frozen before training (``requires_grad=False``) stay frozen."""
        if group == self._trainable_group:
            return
        if self._group_parameters is None:
            self._group_parameters = {
                g: [p for name in names for p in getattr(self, name).parameters() if p.requires_grad]
                for g, names in self.optimizer_groups.items()
            }
        for other, parameters in self._group_parameters.items():
            if other != group:
                for parameter in parameters:
                    parameter.requires_grad_(False)
        for parameter in self._group_parameters[group]:
            parameter.requires_grad_(True)
        self._trainable_group = group

    def restore_requires_grad(self) -> None:
        """Every parameter that trained requires grad again (after ``fit``, as before it)."""
        for parameters in (self._group_parameters or {}).values():
            for parameter in parameters:
                parameter.requires_grad_(True)
        self._group_parameters, self._trainable_group = None, None

    def on_train_end(self) -> None:
        self.restore_requires_grad()

    def update(self, optimizer: Any, loss: Tensor, group: str) -> None:
        """zero_grad → backward → step (gradients clipped in ``on_before_optimizer_step``); the
        loss is kept for the NaN check."""
        self._keep_for_nan_check(group, loss)
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        if group == self.counted_group:
            optimizer.step()
        else:
            self._step_uncounted(optimizer)

    def on_before_optimizer_step(self, optimizer: Any) -> None:
        """Clip here, not right after backward: under 16-mixed the precision plugin unscales the gradients
        just before this hook (clipping earlier would act on gradients still multiplied by the loss scale,
        Lightning issue #18089)."""
        if self.gradient_clip_val:
            self.clip_gradients(
                optimizer, gradient_clip_val=self.gradient_clip_val, gradient_clip_algorithm=self.gradient_clip_algorithm
            )

    @staticmethod
    def _step_uncounted(optimizer: Any) -> None:
        """Step without advancing ``global_step`` (Lightning counts every optimizer step there).

        The precision plugin (e.g. 16-mixed's gradient scaler) still runs; only Lightning's
        progress counter, which its manual loop hooks onto the optimizer, is bypassed.
        """
        hooks = optimizer._on_before_step, optimizer._on_after_step
        optimizer._on_before_step = optimizer._on_after_step = _do_nothing
        try:
            optimizer.step()
        finally:
            optimizer._on_before_step, optimizer._on_after_step = hooks

    def log_later(self, **values: Tensor) -> None:
        """Values of one update (a critic update's, a loss term's): kept on the device and logged by ``log_step``
        with the step's own, as their mean over the updates since the last log. Outside training: ignored."""
        if self._trainer is None:
            return
        for name, value in values.items():
            self._logged_values.setdefault(name, []).append(value.detach())

    def log_step(self, **values: Tensor) -> None:
        """This generator step's values (and those ``log_later`` kept) are kept on the device and
        logged as their mean over the steps since the last log, every ``log_every_n_steps`` generator steps and at
        the last one (Lightning's ``log`` costs about 1 ms a call). Lightning reads values logged to its bar on
        the host after every step, so ganzoo's bar (``ganzoo.callbacks.ProgressBar``) reads ``bar_values`` instead,
        once per log."""
        for name, value in values.items():
            self._logged_values.setdefault(name, []).append(value.detach())
        trainer = self._trainer
        if trainer is not None:
            step, interval = self.global_step, max(trainer.log_every_n_steps, 1)
            if step % interval != 0 and step != trainer.max_steps:
                return
        bar = trainer.progress_bar_callback if trainer is not None else None
        stock_bar = bar is not None and not getattr(bar, "reads_model_values", False)  # Lightning's: reads every step
        means = {name: torch.stack(kept).float().mean() for name, kept in self._logged_values.items()}
        self._logged_values = {}
        self.bar_values = {name: means[name] for name in values}
        self.logs_written += 1  # what ganzoo.callbacks.ProgressBar watches: it reads bar_values once per log
        self.log_dict(self.bar_values, prog_bar=stock_bar)
        if len(means) > len(values):
            self.log_dict({name: value for name, value in means.items() if name not in values})

    # ----------------------------------------------------------------- NaN guard
    # A non-finite loss must stop training before the next checkpoint is written. Checking it with
    # `if not torch.isfinite(loss)` would stall a GPU twice per step, so the losses stay on the device
    # and are checked together every log_every_n_steps on accelerators (one read), at the end of every step on
    # the CPU (each loss read as it is: a CPU read waits for nothing), and always before a checkpoint is saved.
    def _keep_for_nan_check(self, group: str, loss: Tensor) -> None:
        self._unchecked_losses.append((group, loss.detach()))

    def check_losses_finite(self) -> None:
        """Raise ``FloatingPointError`` if a loss was NaN or infinite since the last check, on every rank when
        any rank saw one (the ranks check at the same points and agree by one all-reduce, so none is left
        waiting in a collective for a rank that stopped). One ``isfinite`` over all the losses kept, except on
        one CPU process, where ``math.isfinite`` of each loss is cheaper than stacking them."""
        if not self._unchecked_losses:
            return
        kept, self._unchecked_losses = self._unchecked_losses, []
        distributed = self._trainer is not None and self.trainer.world_size > 1
        if kept[0][1].device.type == "cpu" and not distributed:  # reading a CPU tensor waits for nothing
            failed = sorted({group for group, loss in kept if not math.isfinite(loss)})
        else:  # one read for all the losses (and one all-reduce)
            non_finite = (~torch.isfinite(torch.stack([loss for _, loss in kept]))).float()
            if distributed:
                non_finite = self.trainer.strategy.reduce(non_finite, reduce_op="sum")
            failed = sorted({group for (group, _), count in zip(kept, non_finite.tolist()) if count > 0})
        if failed:
            raise FloatingPointError(
                f"The {failed[0]} loss became NaN or infinite by generator step {self.global_step}; training "
                "stopped before saving, so the last checkpoint is intact. Lower the learning rates, set "
                "--model.init_args.gradient_clip_val, or use --trainer.precision 32."
            )

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
        from lightning.pytorch.strategies import DDPStrategy

        strategy = self.trainer.strategy
        if isinstance(strategy, DDPStrategy) and not getattr(strategy, "wraps_each_network", False):
            raise ValueError(
                f"{type(self).__name__} trains its networks with separate updates, which Lightning's DDPStrategy "
                "(one DDP around the whole module) cannot sync. Use strategy=ganzoo.distributed.GANDDPStrategy() "
                "(the ganzoo command line does this for --trainer.strategy ddp)."
            )
        datamodule = getattr(self.trainer, "datamodule", None)
        data_shape = getattr(datamodule, "data_shape", None)
        if data_shape is not None:
            self.check_data_shape(tuple(data_shape))
        self.check_data_classes(getattr(datamodule, "num_classes", None))

    def check_data_classes(self, num_classes: int | None) -> None:
        """Conditional models check that the data has labels, as many classes as they expect."""

    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:
        """Fail at setup, naming both shapes, when the data and the networks disagree."""
        self.check_generator_shape(data_shape)
        with torch.no_grad(), eval_mode(self.generator, self.discriminator):
            try:
                probe = torch.zeros(2 * getattr(self.discriminator, "pack", 1), *data_shape)
                self.probe_discriminator(probe.to(network_device(self.discriminator)))
            except RuntimeError as err:
                raise ValueError(
                    f"The discriminator does not accept the data's shape {fmt_shape(data_shape)}: set its "
                    f"image_size/channels to match. ({str(err).splitlines()[0]})"
                ) from None

    def probe_discriminator(self, x: Tensor) -> None:
        """Run the discriminator once on zeros shaped like the data (conditional models add labels)."""
        self.discriminator(x)
