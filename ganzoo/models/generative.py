"""What every ganzoo model shares, whatever it makes and however it trains.

* **Two kinds**: models that *sample* (noise → data: ``ganzoo.models.sampling.SamplingModule``) and models that
  *translate* (image → image: ``ganzoo.models.translating.TranslatingModule``). Commands, callbacks and metrics
  ask which kind a model is with ``isinstance``.
* **Sample grids**: ``grid_inputs`` lays out what a grid shows (latents, test pairs, test images per domain) and
  ``grid_images`` turns it into images; ``SampleGrid`` calls only these.
* **The averaged copy** of the generator (``averaged_generator``, kept by ``GeneratorAveraging``).
* **Rebuildable hyperparameters** and **safe checkpoints** (``load_from_checkpoint`` with
  ``weights_only=True`` and a clear error for another model's file).
* **Generator-only shipping**: ``generator_side`` names the networks a shipped file keeps.
* **Data sizing**: ``real_batches_per_step``, the real minibatches one training step takes (a DataModule's loader
  hands them over as one batch).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import torch
from lightning.pytorch import Callback, LightningModule
from torch import Tensor, nn

from ganzoo.checkpoints import (
    CheckpointError,
    checkpoint_class_path,
    import_class,
    load_trusted_checkpoint,
    read_checkpoint_bytes,
)
from ganzoo.models.hparams import class_path
from ganzoo.rng import collect_all_ranks, restore_for_rank

Latent = Tensor | dict[str, Tensor]


class GenerativeModule(LightningModule):
    """Base of every ganzoo model: a ``generator`` network, its averaged copy, checkpoints and shipping."""

    #: the networks a shipped (generator-only) file keeps
    generator_side: ClassVar[tuple[str, ...]] = ("generator",)
    #: the networks ``GeneratorAveraging`` averages, each into ``averaged_<name>`` (CycleGAN: both generators)
    averaged_networks: ClassVar[tuple[str, ...]] = ("generator",)
    #: whether the model calls ``GeneratorStepCallback.on_generator_step_end`` itself after each generator step
    #: (adversarial models, which may run several per Lightning step); else it runs at each Lightning step's end
    runs_generator_step_hooks: ClassVar[bool] = False
    #: generator steps one Lightning step runs (adversarial models' option; the DataModule groups their data)
    steps_per_call: int = 1
    #: whether ``sample(text=…)`` takes captions (text-to-image models)
    text_conditional: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        # Set by ganzoo.callbacks.GeneratorAveraging (an AveragedModel of the generator); saved in checkpoints.
        self.averaged_generator: nn.Module | None = None

    @property
    def real_batches_per_step(self) -> int:
        """Real minibatches one training step takes (adversarial models: ``n_critic``)."""
        return 1

    def sampling_generator(self, averaged: bool = True) -> nn.Module:
        """The generator that makes outputs: the averaged one when there is one and ``averaged``, else the raw one."""
        return self.averaged_network("generator", averaged)

    def averaged_network(self, name: str, averaged: bool = True) -> nn.Module:
        """Network ``name``'s average (``averaged_<name>``) when there is one and ``averaged``, else the network."""
        average = getattr(self, f"averaged_{name}", None) if averaged else None
        return average.module if average is not None else getattr(self, name)

    def log_at_generator_step(
        self, metrics: dict[str, Any], bar: dict[str, Any] | None = None, prog_bar: bool = False
    ) -> None:
        """Log ``metrics`` (and ``bar``, with Lightning's ``prog_bar`` flag) at this generator step: the losses'
        means, callbacks' scores. With ``steps_per_call`` > 1 the loggers are written directly, at Lightning's x for
        this step with K = 1: Lightning writes its loggers at its own steps, which then count calls."""
        direct = self.steps_per_call > 1 and self._trainer is not None
        if bar is not None and not prog_bar:  # one call (about a millisecond each) when no flag tells them apart
            metrics, bar = {**bar, **metrics}, None
        if bar is not None:
            self.log_dict(bar, prog_bar=prog_bar, logger=not direct)
        if metrics:
            self.log_dict(metrics, logger=not direct)
        if direct:
            values = {name: float(value) for name, value in {**(bar or {}), **metrics}.items()}
            for logger in self.loggers:
                logger.log_metrics(values, step=self.global_step - 1)  # as Lightning: 0-based

    # ----------------------------------------------------------------- sample grids (each kind fills in)
    def grid_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[Any, int | None]:
        """What a sample grid of about ``n`` images shows, and the grid's row length (``None``: square)."""
        raise NotImplementedError

    def grid_images(self, inputs: Any, averaged: bool = True) -> Tensor:
        """The images a sample grid shows for ``grid_inputs``'s inputs."""
        raise NotImplementedError

    # ----------------------------------------------------------------- checks at setup
    def setup(self, stage: str) -> None:
        """The data and the networks must agree (shape, classes) before anything trains: one clear error."""
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        data_shape = getattr(datamodule, "data_shape", None)
        if data_shape is not None:
            self.check_data_shape(tuple(data_shape))
        self.check_data_classes(getattr(datamodule, "num_classes", None))

    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:
        """Fail at setup, naming both shapes, when the data and the networks disagree."""

    def check_data_classes(self, num_classes: int | None) -> None:
        """Conditional models check that the data has labels, as many classes as they expect."""

    # ----------------------------------------------------------------- checkpoints
    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """A shipped, generator-only file (``ganzoo.zoo.strip_for_shipping``) keeps this model's freshly
        initialised other networks; a checkpoint with an averaged generator gets one to load into, and a fit that
        averages what the checkpoint did not starts that average at the resume; a resumed fit restores the random
        states the checkpoint was written with (``ganzoo.rng``)."""
        if (checkpoint.get("ganzoo") or {}).get("generator_only"):
            for name, module in self.named_children():
                if name not in self.generator_side and not name.startswith("averaged_"):
                    for key, value in module.state_dict().items():
                        checkpoint["state_dict"].setdefault(f"{name}.{key}", value)
            self.shipped_generator_weights = checkpoint["ganzoo"].get("generator_weights", "raw")
            self.mark_generator_only()
        if self._trainer is not None and self.trainer.state.fn == "fit":  # resuming (not loading to sample)
            self._rng_to_restore = (checkpoint.get("ganzoo") or {}).get("rng")
        state = checkpoint.get("state_dict", {})
        for name in self.averaged_networks:
            attribute = f"averaged_{name}"
            saved = any(k.startswith(f"{attribute}.") for k in state)
            if saved and getattr(self, attribute, None) is None:
                setattr(self, attribute, averaged_copy(getattr(self, name)))
            elif not saved and getattr(self, attribute, None) is not None:
                # a run that did not average this network (or predates it): its average starts afresh here
                for key, value in averaged_copy(getattr(self, name)).state_dict().items():
                    state.setdefault(f"{attribute}.{key}", value)

    _rng_to_restore: list | None = None

    def on_fit_start(self) -> None:
        """A resumed fit continues every rank's random states from its checkpoint (after the strategy's setup,
        which seeds fresh runs per rank, and before the loader's first draw)."""
        if self._rng_to_restore:
            restore_for_rank(self._rng_to_restore, self.trainer.global_rank)
            self._rng_to_restore = None

    #: for a shipped file, which weights its generator holds ("averaged" or "raw"); None for a training checkpoint
    shipped_generator_weights: str | None = None

    def mark_generator_only(self) -> None:
        """Called when a generator-only file was loaded (adversarial models note their D is untrained)."""

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        from ganzoo import __version__

        # every rank's random states (a collective: Lightning builds the checkpoint on every rank)
        checkpoint["ganzoo"] = {"class_path": class_path(self), "version": __version__, "rng": collect_all_ranks()}

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls,
        checkpoint_path: Any,
        map_location: Any = None,
        hparams_file: Any = None,
        strict: bool | None = None,
        weights_only: bool = True,
        **kwargs: Any,
    ) -> GenerativeModule:
        """Lightning's loader, with ``weights_only=True``, a clear error for another model's checkpoint, and
        only ganzoo/torch/Lightning classes in the config it rebuilds from.

        Called on a base class it returns whichever model the checkpoint was saved from.
        """
        data = read_checkpoint_bytes(checkpoint_path)
        stored = checkpoint_class_path(load_trusted_checkpoint(data, str(checkpoint_path), weights_only=weights_only))
        if stored is None:
            raise CheckpointError(f"{checkpoint_path} was not saved by a ganzoo model: it names no model class.")
        saved_class = import_class(stored)
        if not issubclass(saved_class, cls):
            raise CheckpointError(
                f"{checkpoint_path} is a {stored} checkpoint, not a {class_path(cls)} one: load it with "
                f"{stored.rpartition('.')[2]}.load_from_checkpoint(...) or ganzoo.load({str(checkpoint_path)!r})."
            )
        # Lightning's loader, bound to the saved class (a base class alone would drop its class path)
        return super(GenerativeModule, saved_class).load_from_checkpoint(
            io.BytesIO(data), map_location, hparams_file, strict, weights_only=weights_only, **kwargs
        )


class GeneratorStepCallback(Callback):
    """A callback whose work follows each generator step (averaging, sample grids, metrics).

    ``on_generator_step_end`` runs after generator step ``trainer.global_step``: adversarial models call it after
    every generator step inside their Lightning step (K times with ``steps_per_call: K``); for other models it runs
    at the end of each Lightning step.
    """

    def on_generator_step_end(self, trainer: Any, pl_module: Any) -> None:
        """After a generator step."""

    def on_train_batch_end(self, trainer: Any, pl_module: Any, *args: Any) -> None:
        if not (isinstance(pl_module, GenerativeModule) and pl_module.runs_generator_step_hooks):
            self.on_generator_step_end(trainer, pl_module)


def averaged_copy(network: nn.Module) -> nn.Module:
    """An ``AveragedModel`` of ``network`` (its buffers averaged too), outside autograd, with ``n_averaged`` 0."""
    from torch.optim.swa_utils import AveragedModel

    return AveragedModel(network, use_buffers=True).requires_grad_(False)


def to_device(latent: Latent, device: torch.device) -> Latent:
    if isinstance(latent, dict):
        return {k: v.to(device) for k, v in latent.items()}
    return latent.to(device)


def network_device(network: nn.Module) -> torch.device:
    """Where a network's weights are (the CPU for one without any)."""
    tensor = next(network.parameters(), None)
    tensor = tensor if tensor is not None else next(network.buffers(), None)
    return tensor.device if tensor is not None else torch.device("cpu")


def fmt_shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


@contextmanager
def eval_mode(*modules: nn.Module) -> Iterator[None]:
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)
