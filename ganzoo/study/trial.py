"""One trial of a study: a real ``ganzoo fit`` of the trial's config (in this process), then ``ganzoo evaluate``'s
scores of the trained model. The run folder keeps the config, the checkpoint and the scores (``scores.json``)."""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from lightning.pytorch import LightningModule, Trainer

from ganzoo.models.generative import GeneratorStepCallback
from ganzoo.study.space import ModelSpec, StudySpec


class ReportToTrial(GeneratorStepCallback):
    """Every ``every_n_steps`` generator steps, the value a metrics callback logged as ``key`` (e.g. ``val/fid``
    from ``ganzoo.callbacks.GenerativeMetrics``) is reported to the Optuna trial, which may then be pruned.
    (Optuna's own Lightning callback reports at validation ends; a ganzoo fit has no validation loop.)"""

    def __init__(self, trial: Any, key: str, every_n_steps: int):
        self.trial, self.key, self.every_n_steps = trial, key, every_n_steps

    def on_generator_step_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        step = trainer.global_step
        if step % self.every_n_steps or self.key not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics[self.key])
        self.trial.report(value, step)
        if self.trial.should_prune():
            import optuna

            raise optuna.TrialPruned(f"{self.key} = {value:.4g} at generator step {step}")


@contextmanager
def own_arguments() -> Iterator[None]:
    """An in-process ``GanzooCLI(args=…)`` takes its arguments alone (LightningCLI warns when ``sys.argv`` has more)."""
    command_line, sys.argv = sys.argv, sys.argv[:1]
    try:
        yield
    finally:
        sys.argv = command_line


def fit_arguments(config_path: Path, run_dir: Path, logs: bool) -> list[str]:
    return ["fit", "--config", str(config_path), "--trainer.default_root_dir", str(run_dir),
            *([] if logs else ["--trainer.logger", "false"]), "--trainer.enable_progress_bar", "false"]  # fmt: skip


def logs_to_wandb(study: StudySpec) -> bool:
    return study.logger is not None and study.logger["class_path"].endswith("WandbLogger")


def trial_logger(study: StudySpec, model: ModelSpec, number: int, run_dir: Path) -> dict[str, Any]:
    """``study.logger`` for one trial; a W&B run is named for the trial, in a group per model, saved in its folder."""
    logger = copy.deepcopy(study.logger)
    if logs_to_wandb(study):
        logger.setdefault("init_args", {}).update(
            group=f"{study.name}/{model.name}", name=f"trial_{number:03d}", save_dir=str(run_dir)
        )
    return logger


def run_trial(study: StudySpec, model: ModelSpec, trial: Any, run_dir: Path) -> dict[str, Any]:
    """Fit the trial's config and score it; returns the scores (with ``seconds``). Raises what the fit raises
    (``optuna.TrialPruned`` when pruned, ``FloatingPointError`` when the NaN guard stops it)."""
    from ganzoo.cli import GanzooCLI
    from ganzoo.metrics.evaluate import evaluate

    values = {parameter.name: parameter.suggest(trial) for parameter in model.space}
    config = model.trial_config(values, study.fit, seed=study.seed + trial.number)
    if study.logger:
        config.setdefault("trainer", {})["logger"] = trial_logger(study, model, trial.number, run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    config_path = run_dir / "trial.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    callbacks = []
    if study.monitor:
        callbacks.append(ReportToTrial(trial, study.monitor["key"], int(study.monitor.get("every_n_steps", 500))))
    start = time.perf_counter()
    try:
        with own_arguments():
            cli = GanzooCLI(args=fit_arguments(config_path, run_dir, bool(study.logger)),
                            trainer_defaults={"callbacks": callbacks})  # fmt: skip
    finally:
        if logs_to_wandb(study):
            import wandb

            wandb.finish()  # Lightning leaves the run open; the next trial is a run of its own
    options = {"metrics": "fid", "num_samples": 10000, **study.evaluate}
    metrics = options.pop("metrics")
    if isinstance(metrics, list):
        metrics = ",".join(metrics)
    scores = evaluate(cli.model, metrics, seed=study.seed, **options)
    scores = {k: v for k, v in scores.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    scores["seconds"] = time.perf_counter() - start
    if study.metric not in scores:
        raise ValueError(f"study.metric {study.metric!r} is not among the scores ({', '.join(sorted(scores))})")
    if not math.isfinite(scores[study.metric]):
        raise FloatingPointError(f"{study.metric} is {scores[study.metric]}")
    (run_dir / "scores.json").write_text(json.dumps({"params": values, "scores": scores}, indent=2))
    return scores
