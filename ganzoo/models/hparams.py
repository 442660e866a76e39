"""Rebuildable hyperparameters and optimizer defaults shared by every ganzoo model."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

INSTANTIATOR = "lightning.pytorch.cli.instantiate_module"


def class_path(obj_or_cls: Any) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__}.{cls.__qualname__}"


def describe_module(module: Any) -> dict[str, Any] | None:
    """``{"class_path", "init_args"}`` for an object that stores each constructor argument as an attribute."""
    init_args = {}
    for name, param in inspect.signature(type(module).__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if not hasattr(module, name):
            return None
        value = getattr(module, name)
        init_args[name] = list(value) if isinstance(value, tuple) else value
    return {"class_path": class_path(module), "init_args": init_args}


def save_rebuildable_hyperparameters(model: Any, fixed: tuple[str, ...] = ()) -> None:
    """Save hparams from which ``load_from_checkpoint`` can rebuild ``model``.

    Under LightningCLI the hparams are the config (class paths and init args). Built in Python,
    networks (and other objects such as regularizers) are recorded from their attributes, optimizer
    callables are left out, and so are ``fixed`` options a preset class sets itself.
    """
    with warnings.catch_warnings():  # modules are replaced by their descriptions just below
        warnings.filterwarnings("ignore", message=".*is an instance of `nn.Module`")
        model.save_hyperparameters(logger=False)
    if "_instantiator" in model.hparams:
        return
    for key in fixed:
        model.hparams.pop(key, None)
    for key, value in list(model.hparams.items()):
        if isinstance(value, (list, tuple)) and value and all(_is_object(v) for v in value):
            descriptions = [describe_module(v) for v in value]
            if None in descriptions:
                del model.hparams[key]
            else:
                model.hparams[key] = descriptions
        elif isinstance(value, nn.Module) or _is_object(value):
            description = describe_module(value)
            if description is None:
                warnings.warn(
                    f"{class_path(value)} does not store its constructor arguments as attributes; "
                    f"pass {key}=... to load_from_checkpoint to rebuild it.",
                    stacklevel=3,
                )
                del model.hparams[key]
            else:
                model.hparams[key] = description
        elif callable(value):
            del model.hparams[key]
    model.hparams["_class_path"] = class_path(model)
    model.hparams["_instantiator"] = INSTANTIATOR


def _is_object(value: Any) -> bool:
    """An instance of a ganzoo class (e.g. a regularizer) that a config would name by class_path."""
    return type(value).__module__.startswith("ganzoo.") and not callable(value) or isinstance(value, nn.Module)


def adam(lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999)) -> Callable:
    """Radford et al.'s Adam (lr 2e-4, β1 = 0.5): the default when a config names no optimizer."""
    return functools.partial(torch.optim.Adam, lr=lr, betas=betas)


def rmsprop(lr: float = 5e-5) -> Callable:
    """RMSProp, WGAN's optimizer (Arjovsky et al. 2017 use lr 5e-5)."""
    return functools.partial(torch.optim.RMSprop, lr=lr)


def warn_if_schedule_does_not_match(scheduler: Any, max_steps: int) -> None:
    """Warn when a ``LinearLR`` or ``PolynomialLR`` schedule (``total_iters`` long) is not as long as the run.

    ganzoo steps schedulers once per generator step, so ``total_iters`` must equal ``trainer.max_steps``
    for the schedule to end where the run does.
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
