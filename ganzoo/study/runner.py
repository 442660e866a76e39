"""``ganzoo study``: Lucic et al.'s protocol (2018) on Optuna: per model a search over its hyperparameters, each
trial a real ``ganzoo fit`` with a fixed budget scored by ``ganzoo evaluate``.

Each model of a study config is one Optuna study, named ``<study>/<model>``, in one storage: by default a SQLite
file in the output folder (nothing to start); any SQLAlchemy URL (``--storage postgresql://…``) lets workers on
several machines share it. Every worker runs the same command; trials are numbered by the storage, so a study
ends with ``trials`` counted trials per model whatever the number of workers (a trial asked for past the count, in
a race at the end, is recorded as FAIL with the user attribute ``surplus`` and counts for nothing). Counted: finished,
pruned, running, and failed by their own run (NaN, bad values: user attribute ``error``). A trial whose worker
stopped (Ctrl+C, a killed process: no heartbeat for ``GRACE_S``) does not count, and the next worker runs another.
"""

from __future__ import annotations

import logging
import os
import random
import time
import warnings
from pathlib import Path
from typing import Any

from ganzoo.study.space import StudyConfigError, StudySpec

HEARTBEAT_S, GRACE_S = 30, 120
OPEN_ATTEMPTS = 5


class SurplusTrial(Exception):
    """Asked for after the model's count was reached (by another worker in the same moment)."""


def storage_url(spec: StudySpec, out: Path, storage: str | None) -> str:
    return storage or f"sqlite:///{(out / 'study.db').resolve()}"


def open_storage(url: str) -> Any:
    """Optuna's RDB storage with heartbeats (a stopped worker's trial is failed and replaced), or one line."""
    import optuna

    for attempt in range(OPEN_ATTEMPTS):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats: since Optuna 2.9
                return optuna.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S)
        except Exception as err:  # noqa: BLE001 (SQLAlchemy's many errors: bad URL, no driver, no server)
            # workers starting together both create the tables: a duplicate row, a locked file, or (SQLite) a table
            # the other created between the check and the CREATE
            racing = type(err).__name__ == "IntegrityError" or "locked" in str(err) or "already exists" in str(err)
            if racing and attempt + 1 < OPEN_ATTEMPTS:
                time.sleep(0.5 + random.random())
                continue
            message = " ".join(str(err).split())[:300]
            raise StudyConfigError(f"cannot open the study storage {url}: {message}") from None
    raise AssertionError("unreachable")


def make_sampler(spec: StudySpec, seed: int) -> Any:
    import optuna

    return optuna.samplers.RandomSampler(seed=seed) if spec.sampler == "random" else optuna.samplers.TPESampler(seed=seed)


def make_pruner(spec: StudySpec) -> Any:
    import optuna

    if not spec.pruner:
        return optuna.pruners.NopPruner()
    from ganzoo.checkpoints import import_class

    try:
        cls = import_class(spec.pruner["class_path"])
        return cls(**(spec.pruner.get("init_args") or {}))
    except (KeyError, ImportError, AttributeError, TypeError, ValueError) as err:
        raise StudyConfigError(f"study.pruner: {err}") from None


def counts(trial: Any) -> bool:
    """Whether a stored trial counts toward the model's number of trials (module docstring)."""
    from optuna.trial import TrialState

    if trial.state == TrialState.FAIL:
        return "error" in trial.user_attrs
    return True


def open_studies(spec: StudySpec, storage: Any, worker_seed: int) -> dict[str, Any]:
    """Each model's Optuna study, created or continued; a stored study with another config is one line."""
    import optuna

    studies = {}
    for index, model in enumerate(spec.models):
        name = f"{spec.name}/{model}"
        study = optuna.create_study(storage=storage, study_name=name, direction=spec.direction, load_if_exists=True,
                                    sampler=optuna.samplers.RandomSampler(), pruner=make_pruner(spec))  # fmt: skip
        fingerprint = spec.fingerprint(model)
        stored = study.user_attrs.get("fingerprint")
        if stored is None:
            study.set_user_attr("fingerprint", fingerprint)
        elif stored != fingerprint:
            raise StudyConfigError(
                f"the study {name!r} in this storage was run with another config, space or budget: give study.name "
                "a new name, or --storage/--out another place"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        done = len(study.get_trials(deepcopy=False))
        study.sampler = make_sampler(spec, worker_seed + 7919 * done + 104729 * index)
        studies[model] = study
    return studies


def counted_trials(study: Any) -> int:
    return sum(counts(t) for t in study.get_trials(deepcopy=False))


def run_study(spec: StudySpec, out: Path, storage: str | None = None, max_trials: int | None = None,
              worker_seed: int = 0, say: Any = print) -> dict[str, Any]:  # fmt: skip
    """Run trials, one model after another in turn, until every model has ``spec.trials`` (or this worker has run
    ``max_trials``); returns the Optuna studies by model."""
    import optuna

    from ganzoo.study.trial import run_trial

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # a failed trial's error is in the study's own line
    if storage is None:
        out.mkdir(parents=True, exist_ok=True)  # the default storage is a file there
    studies = open_studies(spec, open_storage(storage_url(spec, out, storage)), worker_seed)
    out.mkdir(parents=True, exist_ok=True)
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric")]
    levels = [log.level for log in loggers]
    for log in loggers:  # one line per trial, not each fit's report
        log.setLevel(logging.WARNING)
    ran = 0

    this_worker: list[int] = []  # the number of the trial this worker ran last

    def objective(model: str, study: Any):  # noqa: ANN202
        def run(trial: Any) -> float:
            this_worker.append(trial.number)
            earlier = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number and counts(t)]
            if len(earlier) >= spec.trials:
                trial.set_user_attr("surplus", True)
                raise SurplusTrial
            try:
                scores = run_trial(spec, spec.models[model], trial, out / model / f"trial_{trial.number:03d}")
            except optuna.TrialPruned:
                raise
            except Exception as err:  # noqa: BLE001 (recorded on the trial; the study goes on)
                from ganzoo.cli import one_line

                trial.set_user_attr("error", one_line(err))
                raise
            for key, value in scores.items():
                trial.set_user_attr(key, value)
            return scores[spec.metric]

        return run

    try:
        check_configs(spec, out)
        while max_trials is None or ran < max_trials:
            pending = [m for m, s in studies.items() if counted_trials(s) < spec.trials]
            if not pending:
                break
            for model in pending:
                if max_trials is not None and ran >= max_trials:
                    break
                study = studies[model]
                study.optimize(objective(model, study), n_trials=1, catch=(Exception,))
                last = next(t for t in study.get_trials(deepcopy=False) if t.number == this_worker[-1])
                if last.user_attrs.get("surplus"):
                    continue
                ran += 1
                say(trial_line(spec, model, last, studies))
    finally:
        for log, level in zip(loggers, levels):
            log.setLevel(level)
    return studies


def check_configs(spec: StudySpec, out: Path) -> None:
    """Build each model from its config with the first value of each parameter (no training), so that a wrong
    key or value (an unknown loss) is one line before any trial runs."""
    import yaml

    from ganzoo.cli import GanzooCLI, one_line
    from ganzoo.study.trial import own_arguments

    for name, model in spec.models.items():
        path = out / f".check_{name}_{os.getpid()}.yaml"  # its own file: other workers check at the same time
        path.write_text(yaml.safe_dump(model.trial_config(model.first_values(), spec.fit, spec.seed), sort_keys=False))
        try:
            with own_arguments():
                GanzooCLI(args=["--config", str(path)], run=False)
        except (ValueError, TypeError, ImportError) as err:
            raise StudyConfigError(f"models.{name}: {one_line(err)}") from None
        finally:
            path.unlink(missing_ok=True)


def trial_line(spec: StudySpec, model: str, trial: Any, studies: dict[str, Any]) -> str:
    """``ganzoo study NAME: MODEL trial N STATE: metric V in S s; best: model V, …``"""
    from optuna.trial import TrialState

    seconds = trial.user_attrs.get("seconds")
    if trial.state == TrialState.COMPLETE:
        what = f"{spec.metric} {trial.value:.4g}" + (f" in {seconds:.0f} s" if seconds is not None else "")
    elif trial.state == TrialState.PRUNED:
        what = "pruned"
    else:
        what = f"failed: {trial.user_attrs.get('error', 'stopped')}"
    bests = []
    for name, study in studies.items():
        values = [t.value for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
        if values:
            best = min(values) if spec.direction == "minimize" else max(values)
            bests.append(f"{name} {best:.4g}")
    return f"ganzoo study {spec.name}: {model} trial {trial.number} {what}; best: {', '.join(bests) or 'none yet'}"


def main_out(spec: StudySpec, out: str | None) -> Path:
    return Path(out) if out else Path("studies") / spec.name

