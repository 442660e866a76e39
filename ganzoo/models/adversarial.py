"""The adversarial base: THE training loop, on named networks and optimizer groups (``ganzoo.models.groups``).

Every adversarial model (the GAN family, conditional GANs, pix2pix, CycleGAN, StarGAN) trains with the one
``training_step`` below and fills in its hooks:

* ``make_fake(real)``: what the generator side makes for a real ``Batch`` (fakes, with the labels or codes used);
* ``discriminator_loss(real, fake)`` and ``generator_loss(fake, real)``: a loss, or ``(loss, {name: value})``;
* ``after_discriminator_step()`` (WGAN's clipping) and ``after_generator_step(values)`` (BEGAN's k_t);
* ``check_batch(batch)``: what the data must carry (labels, targets).

A generator step: for each of the ``n_critic`` real minibatches, fakes made without gradients and one
discriminator update; then one generator update on fresh fakes and the last minibatch. Two declared variations
keep each family's published order: ``shares_fakes`` (pix2pix: the discriminator judges the fakes, made with
gradients, that the generator update then uses) and ``generator_first`` (CycleGAN: the generator update first,
then the discriminators on its fakes). One Lightning step runs ``steps_per_call`` generator steps (the DataModule
hands over their data at once as a ``StepGroup``), bit for bit as one at a time; after each, the LR schedulers,
the log, the NaN guard and every ``GeneratorStepCallback`` (averaging, grids) run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor

from ganzoo.batch import Batch, StepGroup
from ganzoo.models.generative import GeneratorStepCallback
from ganzoo.models.groups import NetworkGroups
from ganzoo.models.nan_guard import non_finite_error
from ganzoo.models.step_log import StepLog

LossOutput = Tensor | tuple[Tensor, dict[str, Tensor]]


def split_loss(output: LossOutput) -> tuple[Tensor, dict[str, Tensor]]:
    """A loss hook's output as (loss, the values logged beside it)."""
    return output if isinstance(output, tuple) else (output, {})


class AdversarialModule(NetworkGroups):
    """Adversarial training: the loop over named networks and optimizer groups (``ganzoo.models.groups``).

    Args:
        optimizers, lr_schedulers, gradient_clip_val, gradient_clip_algorithm: as ``NetworkGroups``.
        steps_per_call: generator steps per Lightning step (K): Lightning's per-step cost is paid once per K steps;
            the result is bit-identical to K = 1 (``ganzoo.data.step_groups``).
    """

    generator_first: ClassVar[bool] = False
    shares_fakes: ClassVar[bool] = False
    runs_generator_step_hooks: ClassVar[bool] = True
    n_critic: int = 1

    def __init__(
        self,
        optimizers: dict[str, Callable | None],
        lr_schedulers: dict[str, Callable | None],
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: Literal["norm", "value"] = "norm",
        steps_per_call: int = 1,
    ):
        super().__init__(optimizers, lr_schedulers, gradient_clip_val, gradient_clip_algorithm)
        if steps_per_call < 1:
            raise ValueError(f"steps_per_call must be at least 1, got {steps_per_call}")
        self.steps_per_call = steps_per_call
        self.step_log = StepLog()
        self.step_callbacks: list[GeneratorStepCallback] = []  # the trainer's, listed once per fit
        self.discriminator_trained = True  # False when loaded from a generator-only (shipped) file
        self.nan_check_interval = 1  # generator steps between NaN checks, fixed at fit start (on_fit_start)

    @property
    def real_batches_per_step(self) -> int:
        return self.n_critic

    @property
    def trains_discriminator(self) -> bool:
        """Whether a step updates the discriminator side (pix2pix's "L1 only" ablation: no)."""
        return True

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
    def training_step(self, batch: Any, batch_idx: int) -> None:
        """``steps_per_call`` generator steps (fewer at an epoch's end or at ``max_steps``)."""
        group = batch if isinstance(batch, StepGroup) else StepGroup(Batch.from_loader(batch), 1)
        max_steps = self.trainer.max_steps if self._trainer is not None else -1
        first_step = self.global_step  # each generator step advances it by one
        for steps_done, part in enumerate(group.parts()):
            if 0 <= max_steps <= first_step + steps_done:
                break  # ganzoo's loaders end a group at max_steps; another loader's surplus steps go unused
            real = group.augment(part) if group.augment is not None else part
            self.check_batch(real)
            self.generator_step(real.critic_minibatches(self.n_critic))

    def generator_step(self, reals: list[Batch]) -> None:
        """n_critic discriminator updates, one generator update, and what follows a generator step."""
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
        self.end_generator_step()

    def end_generator_step(self) -> None:
        """The NaN guard (every step on the CPU, every log interval on accelerators), then the callbacks that
        follow each generator step."""
        if self.nan_check_interval == 1 or self.global_step % self.nan_check_interval == 0:
            self.check_losses_finite()
        for callback in self.step_callbacks:
            callback.on_generator_step_end(self.trainer, self)

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
        self.step_log.log_if_due(self, self._trainer, list(values))

    # ----------------------------------------------------------------- NaN guard (ganzoo.models.nan_guard)
    def check_losses_finite(self) -> None:
        """Raise ``FloatingPointError`` if a loss was NaN or infinite since the last check, on every rank when
        any rank saw one."""
        distributed = self._trainer is not None and self.trainer.world_size > 1
        all_reduce = (lambda t: self.trainer.strategy.reduce(t, reduce_op="sum")) if distributed else None
        failed = self.nan_guard.failed_groups(all_reduce)
        if failed:
            raise non_finite_error(failed[0], self.global_step)

    def setup(self, stage: str) -> None:
        """With ``steps_per_call`` K > 1 a checkpoint can fall only where a Lightning step ends: after multiples
        of K generator steps and at epoch ends. A ``ModelCheckpoint`` every n steps needs n a multiple of K."""
        super().setup(stage)
        for callback in self.trainer.checkpoint_callbacks if self._trainer is not None else []:
            every = getattr(callback, "_every_n_train_steps", 0)  # (Lightning keeps it private)
            if every and every % self.steps_per_call:
                raise ValueError(
                    f"ModelCheckpoint(every_n_train_steps={every}) needs a multiple of steps_per_call="
                    f"{self.steps_per_call}: a checkpoint is written where a Lightning step ends"
                )

    def on_fit_start(self) -> None:
        """Fix this fit's NaN-check interval (every generator step on the CPU, every ``log_every_n_steps`` on
        accelerators, where a check is a host sync) and list the trainer's generator-step callbacks."""
        super().on_fit_start()
        on_cpu = self.device.type == "cpu"
        self.nan_check_interval = 1 if on_cpu else max(self.trainer.log_every_n_steps, 1)
        self.step_callbacks = [c for c in self.trainer.callbacks if isinstance(c, GeneratorStepCallback)]

    def on_fit_end(self) -> None:
        super().on_fit_end()
        self.nan_check_interval = 1  # outside a fit (a manual step): every step

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.check_losses_finite()
        super().on_save_checkpoint(checkpoint)
