"""``ganzoo study`` (Lucic et al.'s protocol on Optuna): the search space from a config, a tiny study end to end with
its report, two workers sharing one storage, a pruned trial, a stopped study continued, and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

optuna = pytest.importorskip("optuna", reason='ganzoo study needs the study extra: pip install -e ".[study]"')

from ganzoo.study.command import study_command  # noqa: E402
from ganzoo.study.report import expected_best  # noqa: E402
from ganzoo.study.runner import check_configs, counts, open_storage, open_studies, storage_url  # noqa: E402
from ganzoo.study.space import StudyConfigError, parse_study  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ADAM_LR = ["model.init_args.g_optimizer.init_args.lr", "model.init_args.d_optimizer.init_args.lr"]
BETA1 = ["model.init_args.g_optimizer.init_args.betas.0", "model.init_args.d_optimizer.init_args.betas.0"]


def tiny_study(tmp_path: Path, name: str = "tiny", trials: int = 2, **study: object) -> Path:
    """GAN and LSGAN on ring8, ``trials`` trials each of 32 generator steps, scored on 500 samples."""
    space = {"lr": {"paths": ADAM_LR, "low": 1e-4, "high": 1e-2, "log": True}, "beta1": {"paths": BETA1, "low": 0.0, "high": 0.9}}
    config = {
        "study": {"name": name, "trials": trials, "metric": "high_quality", "direction": "maximize",
                  "evaluate": {"metrics": "modes", "data": "ring8", "num_samples": 500},
                  "fit": {"trainer.max_steps": 32}, **study},  # fmt: skip
        "models": {
            "gan": {"config": str(ROOT / "configs/gan/ring8.yaml"), "space": space},
            "lsgan": {"config": str(ROOT / "configs/lsgan/ring8.yaml"), "space": space},
        },
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def stored(config: Path, out: Path) -> dict:
    spec = parse_study(config)
    return open_studies(spec, open_storage(storage_url(spec, out, None)), 0)


def test_search_space_from_a_config(tmp_path: Path) -> None:
    config = tiny_study(tmp_path)
    data = yaml.safe_load(config.read_text())
    data["models"]["gan"]["space"]["n_critic"] = {"path": "model.init_args.n_critic", "low": 1, "high": 5}
    data["models"]["gan"]["space"]["loss"] = {"path": "model.init_args.loss", "choices": ["cross_entropy", "hinge"]}
    config.write_text(yaml.safe_dump(data))
    spec = parse_study(config)
    gan = spec.models["gan"]
    fixed = optuna.trial.FixedTrial({"lr": 3e-3, "beta1": 0.25, "n_critic": 4, "loss": "hinge"})
    values = {p.name: p.suggest(fixed) for p in gan.space}
    assert values == {"lr": 3e-3, "beta1": 0.25, "n_critic": 4, "loss": "hinge"}
    trial = gan.trial_config(values, spec.fit, seed=7)
    init = trial["model"]["init_args"]
    assert init["g_optimizer"]["init_args"]["lr"] == init["d_optimizer"]["init_args"]["lr"] == 3e-3
    assert init["g_optimizer"]["init_args"]["betas"] == [0.25, 0.999] == init["d_optimizer"]["init_args"]["betas"]
    assert (init["n_critic"], init["loss"], trial["seed_everything"], trial["trainer"]["max_steps"]) == (4, "hinge", 7, 32)
    distributions = {p.name: p.suggest(optuna.create_study().ask()) for p in gan.space}
    assert 1e-4 <= distributions["lr"] <= 1e-2 and distributions["n_critic"] in range(1, 6)
    assert isinstance(distributions["n_critic"], int) and distributions["loss"] in ("cross_entropy", "hinge")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["models"]["gan"].update(space={}), "search space is empty"),
        (lambda d: d["models"]["gan"]["space"]["lr"].update(low=1e-2, high=1e-4), "must be below high"),
        (lambda d: d["models"]["gan"]["space"]["lr"].update(paths=["model.init_args.g_optimiser.init_args.lr"]),
         "has no model.init_args.g_optimiser"),
        (lambda d: d["models"]["gan"]["space"]["lr"].update(scale="log"), "unknown key 'scale'"),
        (lambda d: d["study"].update(sampler="grid"), "study.sampler must be one of"),
        (lambda d: d["study"].update(trials=0), "study.trials must be a positive integer"),
        (lambda d: d["study"]["evaluate"].update(pr=None), "study.evaluate: unknown key 'pr'"),
    ],
)
def test_study_config_errors_are_one_line(tmp_path: Path, change, message: str) -> None:  # noqa: ANN001
    config = tiny_study(tmp_path)
    data = yaml.safe_load(config.read_text())
    change(data)
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(StudyConfigError, match=message) as err:
        parse_study(config)
    assert "\n" not in str(err.value)


def test_expected_best_of_k_trials() -> None:
    rows = expected_best([3.0, 1.0, 2.0], minimize=True)
    assert rows[:, 0].tolist() == [1, 2, 3]
    assert rows[0, 1] == pytest.approx(2.0, abs=0.1)  # one trial: the mean
    assert rows[2, 1] == pytest.approx(36 / 27, abs=0.1)  # E[min of 3 draws] = 1·19/27 + 2·7/27 + 3·1/27
    assert all(rows[i + 1, 1] <= rows[i, 1] for i in range(2))


@pytest.mark.slow
def test_a_tiny_study_runs_stops_continues_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config, out = tiny_study(tmp_path), tmp_path / "out"
    study_command(["--config", str(config), "--out", str(out), "--max_trials", "1"])  # stopped after one trial
    assert [counts_of(s) for s in stored(config, out).values()] == [1, 0]
    study_command(["--config", str(config), "--out", str(out)])  # continued to 2 trials per model
    studies = stored(config, out)
    assert {m: counts_of(s) for m, s in studies.items()} == {"gan": 2, "lsgan": 2}
    assert [t.number for t in studies["gan"].trials] == [0, 1]
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ganzoo study tiny:")]
    assert len(lines) == 6 and "gan trial 0 high_quality" in lines[0] and lines[-1].endswith("report.md")
    for trial in studies["gan"].trials:
        run = out / "gan" / f"trial_{trial.number:03d}"
        assert trial.state == optuna.trial.TrialState.COMPLETE and (run / "trial.yaml").exists()
        assert list((run / "checkpoints").glob("step=32.ckpt")) and 0 <= trial.value <= 1
        lr = yaml.safe_load((run / "trial.yaml").read_text())["model"]["init_args"]["g_optimizer"]["init_args"]["lr"]
        assert lr == trial.params["lr"]
    report = (out / "report.md").read_text()
    assert "| gan |" in report and "| lsgan |" in report and "best high_quality" in report
    assert (out / "distribution.png").stat().st_size > 0 and (out / "budget.png").stat().st_size > 0
    # the same name with another space is one line, not a mixed study
    data = yaml.safe_load(config.read_text())
    data["models"]["gan"]["space"]["lr"]["high"] = 1e-1
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(SystemExit):
        study_command(["--config", str(config), "--out", str(out)])
    assert "run with another config, space or budget" in capsys.readouterr().err


def counts_of(study) -> int:  # noqa: ANN001
    return sum(counts(t) for t in study.trials)


@pytest.mark.slow
def test_two_workers_share_one_storage(tmp_path: Path) -> None:
    config, out = tiny_study(tmp_path, name="shared", trials=3), tmp_path / "out"
    command = [sys.executable, "-m", "ganzoo", "study", "--config", str(config), "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [subprocess.Popen([*command, "--worker_seed", str(i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env) for i in range(2)]  # fmt: skip
    outputs = [w.communicate(timeout=600) for w in workers]
    assert all(w.returncode == 0 for w in workers), [o[1][-2000:] for o in outputs]
    ran = [[line for line in o[0].splitlines() if " trial " in line] for o in outputs]
    assert sum(len(r) for r in ran) == 6 and all(ran), ran  # both worked; 3 trials per model in all
    studies = stored(config, out)
    for model, study in studies.items():
        finished = [t for t in study.trials if counts(t)]
        assert len(finished) == 3 and all(t.state == optuna.trial.TrialState.COMPLETE for t in finished)
        assert sorted(p.name for p in (out / model).iterdir()) == [f"trial_{t.number:03d}" for t in finished]


@pytest.mark.slow
def test_a_pruned_trial_is_recorded_as_pruned(tmp_path: Path) -> None:
    config = tiny_study(tmp_path, name="pruned", trials=1,
                        pruner={"class_path": "optuna.pruners.ThresholdPruner", "init_args": {"lower": 9.0}},
                        monitor={"key": "val/modes", "every_n_steps": 16})  # fmt: skip
    data = yaml.safe_load(config.read_text())
    data["study"]["fit"]["trainer.callbacks.0.init_args.every_n_steps"] = 16  # ModeCoverage logs val/modes
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    study_command(["--config", str(config), "--out", str(out)])
    for study in stored(config, out).values():
        (trial,) = study.trials
        assert trial.state == optuna.trial.TrialState.PRUNED and list(trial.intermediate_values) == [16]
        assert 0 <= trial.intermediate_values[16] <= 8  # fewer than 9 modes: pruned at its first report
    assert "| 1 | 0 | 0 | 1 |" in (out / "report.md").read_text()


def test_an_unknown_loss_and_an_unreachable_storage_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = tiny_study(tmp_path, name="bad")
    data = yaml.safe_load(config.read_text())
    data["models"]["gan"]["set"] = {"model.init_args.loss": "wasserstien"}
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(SystemExit):
        study_command(["--config", str(config), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()[-1]  # (earlier lines: the fit's own logging)
    assert err.startswith("ganzoo study: error: models.gan: loss must be one of")
    with pytest.raises(SystemExit):
        study_command(["--config", str(config), "--out", str(tmp_path / "elsewhere"),
                       "--storage", "postgresql://nobody@127.0.0.1:9/none"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("ganzoo study: error: cannot open the study storage postgresql://")


@pytest.mark.slow
def test_each_trial_is_a_wandb_run_in_its_models_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    logger = {"class_path": "lightning.pytorch.loggers.WandbLogger", "init_args": {"project": "ganzoo-study"}}
    config, out = tiny_study(tmp_path, name="logged", trials=1, logger=logger), tmp_path / "out"
    study_command(["--config", str(config), "--out", str(out)])
    for model in ("gan", "lsgan"):
        (run,) = (out / model / "trial_000" / "wandb").glob("offline-run-*")
        records = next(run.glob("run-*.wandb")).read_bytes()
        assert f"logged/{model}".encode() in records and b"trial_000" in records and b"g_loss" in records


@pytest.mark.parametrize("config", sorted(p.name for p in (ROOT / "configs" / "study").glob("*.yaml")))
def test_the_shipped_study_configs_parse_and_build_every_model(
    config: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every model of a shipped study builds from its config, overrides and first parameter values (what the
    study command checks before its first trial), so a wrong key or value in a study config fails here."""
    monkeypatch.chdir(ROOT)  # model configs are relative to the working directory, as ganzoo fit's are
    spec = parse_study(ROOT / "configs" / "study" / config)
    assert spec.models and all(model.space and model.config.exists() for model in spec.models.values())
    check_configs(spec, tmp_path)
