"""The shared adversarial loop (Goodfellow et al. 2014, Algorithm 1, with k = ``n_critic``).

Each training step takes ``n_critic`` real minibatches (the DataModule hands them over as one
batch of ``n_critic × batch_size``), makes one discriminator update on each with fresh noise,
then one generator update. Optimization is manual; both optimizers come from the config.

Budgets are generator steps: discriminator updates do not advance Lightning's ``global_step``,
so ``max_steps``, checkpoint names and step-based intervals all count generator updates.
"""

from __future__ import annotations

import functools
import inspect
import io
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from ganzoo.checkpoints import CheckpointError, checkpoint_class_path, import_class, load_checkpoint
from ganzoo.checkpoints import read_checkpoint_bytes

INSTANTIATOR = "lightning.pytorch.cli.instantiate_module"


def class_path(obj_or_cls: Any) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__}.{cls.__qualname__}"


def describe_module(module: nn.Module) -> dict[str, Any] | None:
    """``{"class_path", "init_args"}`` for a network that stores each constructor argument as an attribute."""
    init_args = {}
    for name, param in inspect.signature(type(module).__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if not hasattr(module, name):
            return None
        value = getattr(module, name)
        init_args[name] = list(value) if isinstance(value, tuple) else value
    return {"class_path": class_path(module), "init_args": init_args}


def adam(lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999)) -> Callable:
    """Radford et al.'s Adam (lr 2e-4, β1 = 0.5): the default when a config names no optimizer."""
    return functools.partial(torch.optim.Adam, lr=lr, betas=betas)


def rmsprop(lr: float = 5e-5) -> Callable:
    """RMSProp, WGAN's optimizer (Arjovsky et al. 2017 use lr 5e-5)."""
    return functools.partial(torch.optim.RMSprop, lr=lr)


def _do_nothing() -> None:
    return None


class GANModule(LightningModule):
    """Base of every ganzoo GAN: a generator, a discriminator, and alternating updates.

    Subclasses define ``discriminator_loss(real, fake)`` and ``generator_loss(fake)`` from images
    and may override ``after_discriminator_step`` (e.g. weight clipping). Variants whose algorithm
    differs own ``training_step``.

    Args:
        generator: maps noise ``z`` of shape (N, ``generator.latent_dim``) to samples.
        discriminator: maps samples to one logit (or critic value) per sample.
        g_optimizer, d_optimizer: optimizer factories; default Adam(2e-4, β = (0.5, 0.999)).
        g_lr_scheduler, d_lr_scheduler: optional scheduler factories, stepped once per generator step.
        n_critic: discriminator updates per generator update, each on its own real minibatch.
        gradient_clip_val: clip each network's gradient norm (or value) before its update.
        gradient_clip_algorithm: ``norm`` or ``value``.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        g_optimizer: OptimizerCallable | None = None,
        d_optimizer: OptimizerCallable | None = None,
        g_lr_scheduler: LRSchedulerCallable | None = None,
        d_lr_scheduler: LRSchedulerCallable | None = None,
        n_critic: int = 1,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: Literal["norm", "value"] = "norm",
    ):
        super().__init__()
        if n_critic < 1:
            raise ValueError(f"n_critic must be at least 1, got {n_critic}")
        if not hasattr(generator, "latent_dim"):
            raise ValueError(f"{class_path(generator)} has no 'latent_dim' attribute: ganzoo needs it to draw noise.")
        self.automatic_optimization = False
        self.generator = generator
        self.discriminator = discriminator
        self.g_optimizer = g_optimizer or adam()
        self.d_optimizer = d_optimizer or adam()
        self.g_lr_scheduler = g_lr_scheduler
        self.d_lr_scheduler = d_lr_scheduler
        self.n_critic = n_critic
        self.gradient_clip_val = gradient_clip_val
        self.gradient_clip_algorithm = gradient_clip_algorithm
        # Set by ganzoo.distributed.GANDDPStrategy: each network wrapped in its own DDP. A plain
        # dict, so the wrappers are not submodules and never enter the state dict.
        self.ddp_networks: dict[str, nn.Module] = {}
        self._network_in_training: str | None = None
        self._losses_finite: dict[str, Tensor] = {}
        # Set by ganzoo.callbacks.GeneratorAveraging (an AveragedModel of the generator); saved in checkpoints.
        self.averaged_generator: nn.Module | None = None
        self.discriminator_trained = True  # False when loaded from a generator-only (shipped) file
        self._save_rebuildable_hyperparameters()

    # ----------------------------------------------------------------- hyperparameters
    def _save_rebuildable_hyperparameters(self) -> None:
        """Save hparams from which ``load_from_checkpoint`` can rebuild the model.

        Under LightningCLI the hparams are the config (class paths and init args). Built in Python,
        networks are recorded from their attributes and optimizer callables are left out.
        """
        with warnings.catch_warnings():  # modules are replaced by their descriptions just below
            warnings.filterwarnings("ignore", message=".*is an instance of `nn.Module`")
            self.save_hyperparameters(logger=False)
        if "_instantiator" in self.hparams:
            return
        for key, value in list(self.hparams.items()):
            if isinstance(value, nn.Module):
                description = describe_module(value)
                if description is None:
                    warnings.warn(
                        f"{class_path(value)} does not store its constructor arguments as attributes; "
                        f"pass {key}=... to load_from_checkpoint to rebuild it.",
                        stacklevel=3,
                    )
                    del self.hparams[key]
                else:
                    self.hparams[key] = description
            elif callable(value):
                del self.hparams[key]
        self.hparams["_class_path"] = class_path(self)
        self.hparams["_instantiator"] = INSTANTIATOR

    # ----------------------------------------------------------------- sampling
    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """z ~ N(0, I). With a ``torch.Generator`` (on the CPU) the same seed gives the same z on any device."""
        if generator is None:
            return torch.randn(n, self.latent_dim, device=self.device)
        return torch.randn(n, self.latent_dim, generator=generator).to(self.device)

    def generate(self, z: Tensor) -> Tensor:
        """G(z), through the generator's DDP wrapper while the generator is being trained."""
        return self._network("generator")(z)

    def discriminate(self, x: Tensor) -> Tensor:
        """D(x), through the discriminator's DDP wrapper while the discriminator is being trained."""
        return self._network("discriminator")(x)

    def _network(self, name: str) -> nn.Module:
        if name == self._network_in_training and torch.is_grad_enabled():
            return self.ddp_networks.get(name) or getattr(self, name)
        return getattr(self, name)

    def sample(self, n: int, seed: int | None = None, averaged: bool = True) -> Tensor:
        """``n`` samples in eval mode (images in [-1, 1]); a seed makes them reproducible anywhere.

        From the averaged generator when there is one, unless ``averaged=False``.
        """
        rng = torch.Generator().manual_seed(seed) if seed is not None else None
        return self.sample_from(self.sample_noise(n, rng), averaged=averaged)

    @torch.no_grad()
    def sample_from(self, z: Tensor, averaged: bool = True) -> Tensor:
        """G(z) in eval mode without gradients, restoring the generator's mode afterwards.

        Uses the averaged generator (``GeneratorAveraging``) when there is one, unless ``averaged=False``.
        """
        use_average = averaged and self.averaged_generator is not None
        generator = self.averaged_generator.module if use_average else self.generator
        with _eval_mode(generator):
            return generator(z.to(self.device))

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    # ----------------------------------------------------------------- losses (variants define)
    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        raise NotImplementedError

    def generator_loss(self, fake: Tensor) -> Tensor:
        raise NotImplementedError

    def after_discriminator_step(self) -> None:
        """Hook after each discriminator update (WGAN clips weights here)."""

    # ----------------------------------------------------------------- the loop
    def configure_optimizers(self) -> Any:
        g_opt = self.g_optimizer(self.generator.parameters())
        d_opt = self.d_optimizer(self.discriminator.parameters())
        schedulers = [
            factory(opt)
            for factory, opt in ((self.g_lr_scheduler, g_opt), (self.d_lr_scheduler, d_opt))
            if factory is not None
        ]
        max_steps = self._trainer.max_steps if self._trainer is not None else -1
        for scheduler in schedulers:
            warn_if_schedule_does_not_match(scheduler, max_steps)
        return [g_opt, d_opt], schedulers

    def real_batches(self, batch: Any) -> list[Tensor]:
        """Split one loader batch into the ``n_critic`` real minibatches of a training step."""
        images = batch[0] if isinstance(batch, (tuple, list)) else batch
        if len(images) % self.n_critic:
            raise ValueError(
                f"A batch of {len(images)} does not split into n_critic={self.n_critic} equal minibatches; "
                "use a ganzoo DataModule (it sizes batches for n_critic) or a batch size divisible by n_critic."
            )
        return list(images.chunk(self.n_critic))

    def training_step(self, batch: Any, batch_idx: int) -> None:
        g_opt, d_opt = self.optimizers()
        real_batches = self.real_batches(batch)
        for real in real_batches:
            with self.training_network("discriminator", d_opt):
                with torch.no_grad():
                    fake = self.generate(self.sample_noise(len(real)))
                d_loss = self.discriminator_loss(real, fake)
                self.update(d_opt, d_loss, "discriminator")
            self.after_discriminator_step()
        with self.training_network("generator", g_opt):
            g_loss = self.generator_loss(self.generate(self.sample_noise(len(real_batches[0]))))
            self.update(g_opt, g_loss, "generator")
        self.step_lr_schedulers()
        self.log_step(d_loss=d_loss, g_loss=g_loss)

    def log_step(self, **values: Tensor) -> None:
        """Log this step's values, on the progress bar when one is shown.

        Progress-bar metrics are read with ``.item()`` every step (a GPU sync), so they are only
        requested when a bar is there to show them.
        """
        on_bar = self._trainer is not None and self.trainer.progress_bar_callback is not None
        self.log_dict({name: value.detach() for name, value in values.items()}, prog_bar=on_bar)

    @contextmanager
    def training_network(self, name: str, optimizer: Any) -> Iterator[None]:
        """Only ``name``'s parameters require grad, and calls to it go through its DDP wrapper."""
        self._network_in_training = name
        self.toggle_optimizer(optimizer)
        try:
            yield
        finally:
            self.untoggle_optimizer(optimizer)
            self._network_in_training = None

    def update(self, optimizer: Any, loss: Tensor, network: str) -> None:
        """zero_grad → backward → optional clipping → step, noting whether the loss was finite."""
        self._record_finite(network, loss)
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        if self.gradient_clip_val:
            self.clip_gradients(
                optimizer,
                gradient_clip_val=self.gradient_clip_val,
                gradient_clip_algorithm=self.gradient_clip_algorithm,
            )
        if network == "generator":
            optimizer.step()
        else:
            self._step_uncounted(optimizer)

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

    # A non-finite loss must stop training before the next checkpoint is written. Checking it with
    # `if not torch.isfinite(loss)` would stall a GPU twice per step, so the flags stay on the device
    # and are read at the end of every step on the CPU, every log_every_n_steps on accelerators,
    # and always before a checkpoint is saved.
    def _record_finite(self, network: str, loss: Tensor) -> None:
        finite = torch.isfinite(loss.detach())
        previous = self._losses_finite.get(network)
        self._losses_finite[network] = finite if previous is None else previous & finite

    def check_losses_finite(self) -> None:
        """Raise ``FloatingPointError`` if a loss was NaN or infinite since the last check."""
        for network, finite in self._losses_finite.items():
            if not bool(finite):
                raise FloatingPointError(
                    f"The {network} loss became NaN or infinite by generator step {self.global_step}; training "
                    "stopped before saving, so the last checkpoint is intact. Lower the learning rates, set "
                    "--model.init_args.gradient_clip_val, or use --trainer.precision 32."
                )
        self._losses_finite.clear()

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        interval = self.trainer.log_every_n_steps if self._trainer is not None else 1
        if self.device.type == "cpu" or self.global_step % max(interval, 1) == 0:
            self.check_losses_finite()

    def step_lr_schedulers(self) -> None:
        schedulers = self.lr_schedulers()
        if schedulers is None:
            return
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
            scheduler.step()

    # ----------------------------------------------------------------- boundaries
    def setup(self, stage: str) -> None:
        if self._trainer is None:
            return
        from lightning.pytorch.strategies import DDPStrategy

        from ganzoo.distributed import GANDDPStrategy

        strategy = self.trainer.strategy
        if isinstance(strategy, DDPStrategy) and not isinstance(strategy, GANDDPStrategy):
            raise ValueError(
                f"{type(self).__name__} trains two networks with separate updates, which Lightning's DDPStrategy "
                "(one DDP around the whole module) cannot sync. Use strategy=ganzoo.distributed.GANDDPStrategy() "
                "(the ganzoo command line does this for --trainer.strategy ddp)."
            )
        datamodule = getattr(self.trainer, "datamodule", None)
        data_shape = getattr(datamodule, "data_shape", None)
        if data_shape is not None:
            self.check_data_shape(tuple(data_shape))

    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:
        """Fail at setup, naming both shapes, when the data and the networks disagree."""
        with torch.no_grad(), _eval_mode(self.generator, self.discriminator):
            fake_shape = tuple(self.generator(self.sample_noise(2).cpu()).shape[1:])
            if fake_shape != data_shape:
                raise ValueError(
                    f"The data are {_fmt(data_shape)} but the generator makes {_fmt(fake_shape)}: set the "
                    "generator's and discriminator's image_size/channels to match the data (or resize the data "
                    "with --data.init_args.image_size)."
                )
            try:
                self.discriminator(torch.zeros(2 * getattr(self.discriminator, "pack", 1), *data_shape))
            except RuntimeError as err:
                raise ValueError(
                    f"The discriminator does not accept the data's shape {_fmt(data_shape)}: set its "
                    f"image_size/channels to match. ({str(err).splitlines()[0]})"
                ) from None

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """A checkpoint with an averaged generator gets one to load into. A shipped, generator-only file
        (``ganzoo.zoo.strip_for_shipping``) keeps this model's freshly initialised discriminator, and
        ``discriminator_trained`` says so."""
        if (checkpoint.get("ganzoo") or {}).get("generator_only"):
            for key, value in self.discriminator.state_dict().items():
                checkpoint["state_dict"].setdefault(f"discriminator.{key}", value)
            self.discriminator_trained = False
        has_average = any(k.startswith("averaged_generator.") for k in checkpoint.get("state_dict", {}))
        if has_average and self.averaged_generator is None:
            from torch.optim.swa_utils import AveragedModel

            self.averaged_generator = AveragedModel(self.generator, use_buffers=True).requires_grad_(False)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        from ganzoo import __version__

        self.check_losses_finite()
        checkpoint["ganzoo"] = {"class_path": class_path(self), "version": __version__}

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls,
        checkpoint_path: Any,
        map_location: Any = None,
        hparams_file: Any = None,
        strict: bool | None = None,
        weights_only: bool = True,
        **kwargs: Any,
    ) -> GANModule:
        """Lightning's loader, with ``weights_only=True`` and a clear error for another model's checkpoint.

        Called on ``GANModule`` itself it returns whichever variant the checkpoint was saved from.
        """
        data = read_checkpoint_bytes(checkpoint_path)
        stored = checkpoint_class_path(load_checkpoint(data, weights_only=weights_only))
        if stored is None:
            raise CheckpointError(f"{checkpoint_path} was not saved by a ganzoo model: it names no model class.")
        saved_class = import_class(stored)
        if not issubclass(saved_class, cls):
            raise CheckpointError(
                f"{checkpoint_path} is a {stored} checkpoint, not a {class_path(cls)} one: load it with "
                f"{stored.rpartition('.')[2]}.load_from_checkpoint(...) or ganzoo.load({str(checkpoint_path)!r})."
            )
        # Lightning's loader, bound to the saved class (a base class alone would drop its class path)
        return super(GANModule, saved_class).load_from_checkpoint(
            io.BytesIO(data), map_location, hparams_file, strict, weights_only=weights_only, **kwargs
        )


def _fmt(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


@contextmanager
def _eval_mode(*modules: nn.Module) -> Iterator[None]:
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)


def warn_if_schedule_does_not_match(scheduler: Any, max_steps: int) -> None:
    """Warn when a ``LinearLR`` or ``PolynomialLR`` schedule (``total_iters`` long) is not as long as the run.

    ganzoo steps schedulers once per generator step, so ``total_iters`` must equal ``trainer.max_steps``
    for the schedule to end where the run does: shorter runs stop before the learning rate reaches its
    end value, longer ones spend their last steps at it.
    """
    if not isinstance(scheduler, (torch.optim.lr_scheduler.LinearLR, torch.optim.lr_scheduler.PolynomialLR)):
        return  # ConstantLR's total_iters is a warm-up length, not the schedule's
    if max_steps is None or max_steps < 0 or scheduler.total_iters == max_steps:
        return
    warnings.warn(
        f"{type(scheduler).__name__} runs over total_iters={scheduler.total_iters} generator steps but trainer.max_steps="
        f"{max_steps}; set the scheduler's total_iters to {max_steps} to end the schedule where the run ends.",
        UserWarning,
        stacklevel=2,
    )
