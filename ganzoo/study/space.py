"""A study's config: the models it compares, each a base ``ganzoo fit`` config, fixed overrides and a search space.

A study config (``configs/study/*.yaml``) has two keys::

    study:                      # how the study runs and what it optimises
      name: lucic_mnist
      trials: 10                # per model
      sampler: random           # random (Lucic et al.'s protocol) or tpe
      seed: 0
      metric: fid               # a key of ``ganzoo evaluate``'s scores
      direction: minimize
      evaluate: {metrics: "fid,pr", data: mnist, features: mnist-cnn, num_samples: 10000}
      fit: {trainer.max_steps: 2000}           # the per-trial budget: overrides for every trial
      pruner: {class_path: optuna.pruners.MedianPruner, init_args: {n_startup_trials: 3}}   # optional
      monitor: {key: val/fid, every_n_steps: 500}                                             # what it watches
      logger: {class_path: lightning.pytorch.loggers.WandbLogger, init_args: {project: ganzoo-study}}  # optional
    models:
      non_saturating:
        config: configs/study/infogan_mnist.yaml
        set: {model.init_args.loss: cross_entropy}
        space:
          lr: {paths: [model.init_args.g_optimizer.init_args.lr, model.init_args.d_optimizer.init_args.lr],
               low: 1.0e-5, high: 1.0e-2, log: true}
          n_critic: {path: model.init_args.n_critic, low: 1, high: 5}
          norm: {path: model.init_args.discriminator.init_args.norm, choices: [batch, none]}

A parameter is a float range (``low``/``high``, ``log``), an int range (both bounds integers, ``step``), or a
categorical (``choices``), written to one config path or several (``paths``: one value, e.g. a learning rate shared
by G and D). A path is dotted; a number indexes a list (``…betas.0``). Every error is one line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STUDY_KEYS = {"name", "trials", "sampler", "seed", "metric", "direction", "evaluate", "fit", "pruner", "monitor", "logger"}
MODEL_KEYS = {"config", "set", "space"}
PARAMETER_KEYS = {"path", "paths", "low", "high", "log", "step", "choices"}
SAMPLERS = ("random", "tpe")


class StudyConfigError(ValueError):
    """A study config a user can fix: one line."""


@dataclass
class Parameter:
    name: str
    paths: list[str]
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: int | float | None = None
    choices: list[Any] | None = None

    def suggest(self, trial: Any) -> Any:
        """The trial's value (Optuna's ``suggest_*``; a trial with this value fixed gets it back)."""
        if self.choices is not None:
            return trial.suggest_categorical(self.name, self.choices)
        if isinstance(self.low, int) and isinstance(self.high, int):
            return trial.suggest_int(self.name, self.low, self.high, step=self.step or 1, log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), step=self.step, log=self.log)

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None and k != "name"}


@dataclass
class ModelSpec:
    name: str
    config: Path
    fixed: dict[str, Any]
    space: list[Parameter] = field(default_factory=list)
    config_name: str = ""  # as the study config writes it (the fingerprint: the same from any checkout)

    def first_values(self) -> dict[str, Any]:
        """One value per parameter (its low bound or first choice): what the config checks build with."""
        return {p.name: p.low if p.choices is None else p.choices[0] for p in self.space}

    def trial_config(self, values: dict[str, Any], budget: dict[str, Any], seed: int) -> dict[str, Any]:
        """The base config with the fixed overrides, the budget, the trial's values and its seed."""
        config = copy.deepcopy(read_yaml(self.config))
        for path, value in {**self.fixed, **budget}.items():
            set_path(config, path, value, self.config)
        for parameter in self.space:
            for path in parameter.paths:
                set_path(config, path, values[parameter.name], self.config)
        config["seed_everything"] = seed
        return config


@dataclass
class StudySpec:
    name: str
    trials: int
    sampler: str
    seed: int
    metric: str
    direction: str
    evaluate: dict[str, Any]
    fit: dict[str, Any]
    models: dict[str, ModelSpec]
    pruner: dict[str, Any] | None = None
    monitor: dict[str, Any] | None = None
    logger: dict[str, Any] | None = None  # a Lightning logger config for every trial (W&B: grouped by model)

    def fingerprint(self, model: str) -> dict[str, Any]:
        """What must match for a stored study to be continued: the model's config, overrides, space and budget."""
        spec = self.models[model]
        return {
            "config": spec.config_name,
            "set": spec.fixed,
            "space": {p.name: p.describe() for p in spec.space},
            "fit": self.fit,
            "metric": self.metric,
            "evaluate": self.evaluate,
        }


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise StudyConfigError(f"{path}: no such file") from None
    except yaml.YAMLError as err:
        raise StudyConfigError(f"{path} is not valid YAML: {' '.join(str(err).split())}") from None
    if not isinstance(data, dict):
        raise StudyConfigError(f"{path} must hold a mapping")
    return data


def set_path(config: dict[str, Any], path: str, value: Any, where: Path) -> None:
    """``config[a][b][0] = value`` for ``a.b.0``; the parents must exist in the config (a typo is an error)."""
    keys = path.split(".")
    node: Any = config
    for i, key in enumerate(keys[:-1]):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, dict) and key == "init_args" and "class_path" in node:
            node = node.setdefault("init_args", {})
        else:
            raise StudyConfigError(f"{path}: {where} has no {'.'.join(keys[: i + 1])}")
    last = keys[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise StudyConfigError(f"{path}: {'.'.join(keys[:-1])} in {where} has no item {last}")
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise StudyConfigError(f"{path}: {'.'.join(keys[:-1])} in {where} is a value, not a mapping")


def unknown(keys: Any, allowed: set[str], where: str) -> None:
    extra = sorted(set(keys) - allowed)
    if extra:
        raise StudyConfigError(f"{where}: unknown key {extra[0]!r} (known: {', '.join(sorted(allowed))})")


def parse_parameter(name: str, entry: Any, model: str) -> Parameter:
    where = f"models.{model}.space.{name}"
    if not isinstance(entry, dict):
        raise StudyConfigError(f"{where} must be a mapping with path(s) and low/high or choices")
    unknown(entry, PARAMETER_KEYS, where)
    paths = entry.get("paths") or ([entry["path"]] if "path" in entry else [])
    if not paths or not all(isinstance(p, str) for p in paths):
        raise StudyConfigError(f"{where} needs path: a config key, or paths: a list of them")
    if "choices" in entry:
        if not isinstance(entry["choices"], list) or not entry["choices"]:
            raise StudyConfigError(f"{where}.choices must be a non-empty list")
        return Parameter(name, paths, choices=entry["choices"])
    low, high = entry.get("low"), entry.get("high")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
        raise StudyConfigError(f"{where} needs numbers low and high, or choices")
    if not low < high:
        raise StudyConfigError(f"{where}: low ({low}) must be below high ({high})")
    if entry.get("log") and low <= 0:
        raise StudyConfigError(f"{where}: a log scale needs low > 0, got {low}")
    return Parameter(name, paths, low, high, bool(entry.get("log", False)), entry.get("step"))


def logger_config(logger: Any, path: Path | str) -> dict[str, Any] | None:
    if logger is None:
        return None
    if not isinstance(logger, dict) or not isinstance(logger.get("class_path"), str):
        raise StudyConfigError(f"{path}: study.logger must be a logger config (class_path and init_args)")
    return logger


def evaluate_keys() -> set[str]:
    """What ``study.evaluate`` may set: the keyword arguments of ``ganzoo.metrics.evaluate.evaluate``."""
    import inspect

    from ganzoo.metrics.evaluate import evaluate

    return set(inspect.signature(evaluate).parameters) - {"model"}


def parse_study(path: str | Path, root: Path | None = None) -> StudySpec:
    """The study config at ``path``; model configs are relative to ``root`` (default: the working directory)."""
    data = read_yaml(Path(path))
    unknown(data, {"study", "models"}, str(path))
    study, models = data.get("study") or {}, data.get("models") or {}
    unknown(study, STUDY_KEYS, f"{path}: study")
    if not models or not isinstance(models, dict):
        raise StudyConfigError(f"{path}: models must name at least one model to compare")
    for key in ("name", "metric"):
        if not isinstance(study.get(key), str) or not study[key]:
            raise StudyConfigError(f"{path}: study.{key} is required")
    if study.get("sampler", "random") not in SAMPLERS:
        raise StudyConfigError(f"study.sampler must be one of {', '.join(SAMPLERS)}, got {study['sampler']!r}")
    if study.get("direction", "minimize") not in ("minimize", "maximize"):
        raise StudyConfigError(f"study.direction must be minimize or maximize, got {study['direction']!r}")
    monitor = study.get("monitor")
    if monitor is not None and not (isinstance(monitor, dict) and isinstance(monitor.get("key"), str)):
        raise StudyConfigError(f"{path}: study.monitor needs key: a value the fit logs (val/fid) and every_n_steps")
    evaluate_options = study.get("evaluate") or {}
    unknown(evaluate_options, evaluate_keys(), f"{path}: study.evaluate")
    trials = study.get("trials", 10)
    if not isinstance(trials, int) or trials < 1:
        raise StudyConfigError(f"study.trials must be a positive integer, got {trials!r}")
    specs = {}
    for name, entry in models.items():
        if not isinstance(entry, dict):
            raise StudyConfigError(f"models.{name} must be a mapping with config, set and space")
        unknown(entry, MODEL_KEYS, f"models.{name}")
        if "config" not in entry:
            raise StudyConfigError(f"models.{name} needs config: the ganzoo fit config it starts from")
        space = [parse_parameter(p, e, name) for p, e in (entry.get("space") or {}).items()]
        if not space:
            raise StudyConfigError(f"models.{name}: the search space is empty (add parameters under space)")
        config = (root or Path.cwd()) / entry["config"]
        spec = ModelSpec(name, config, dict(entry.get("set") or {}), space, str(entry["config"]))
        spec.trial_config(spec.first_values(), study.get("fit") or {}, 0)  # every path exists in the config
        specs[name] = spec
    return StudySpec(
        name=study["name"], trials=trials, sampler=study.get("sampler", "random"), seed=int(study.get("seed", 0)),
        metric=study["metric"], direction=study.get("direction", "minimize"), evaluate=dict(study.get("evaluate") or {}),
        fit=dict(study.get("fit") or {}), models=specs, pruner=study.get("pruner"), monitor=study.get("monitor"),
        logger=logger_config(study.get("logger"), path),
    )  # fmt: skip
