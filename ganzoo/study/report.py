"""A study's report (``ganzoo study --report``): the table per model and Lucic et al.'s plots.

* ``report.md``: per model the best, median and interquartile range of the metric over its finished trials, the
  trials counted, failed and collapsed (recall 0, or at most one mode of a toy mixture), pruned, and the mean time
  per finished trial; then every trial's parameters and scores.
* ``distribution.png``: the metric's distribution per model (box plot with the trials as points).
* ``budget.png``: the expected best metric after k trials, k = 1 … n (the paper's Figure 4: the mean, over 1,000
  bootstrap resamples of k finished trials, of their best), with its 5–95 % band.
* ``precision_recall.png``: precision against recall, one point per trial (when the scores have them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.study.runner import counts
from ganzoo.study.space import StudySpec

BOOTSTRAP_RESAMPLES = 1000


def collapsed(scores: dict[str, Any]) -> bool:
    if "recall" in scores:
        return scores["recall"] <= 0.0
    return "modes" in scores and scores["modes"] <= 1


def expected_best(values: list[float], minimize: bool, seed: int = 0) -> np.ndarray:
    """(k, mean, 5th, 95th percentile) of the best of k trials drawn with replacement, for k = 1 … len(values)."""
    rng = np.random.default_rng(seed)
    data = np.asarray(values, dtype=float)
    rows = []
    for k in range(1, len(data) + 1):
        draws = data[rng.integers(0, len(data), size=(BOOTSTRAP_RESAMPLES, k))]
        best = draws.min(axis=1) if minimize else draws.max(axis=1)
        rows.append((k, best.mean(), *np.percentile(best, [5, 95])))
    return np.array(rows)


def summarize(spec: StudySpec, studies: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per model: the finished trials' values and the counts of the table."""
    from optuna.trial import TrialState

    summary = {}
    for model, study in studies.items():
        trials = [t for t in study.get_trials(deepcopy=False) if counts(t)]
        finished = [t for t in trials if t.state == TrialState.COMPLETE]
        values = [t.value for t in finished]
        seconds = [t.user_attrs["seconds"] for t in finished if "seconds" in t.user_attrs]
        summary[model] = {
            "values": values,
            "trials": len(trials),
            "failed": sum(t.state == TrialState.FAIL for t in trials),
            "pruned": sum(t.state == TrialState.PRUNED for t in trials),
            "collapsed": sum(collapsed(t.user_attrs) for t in finished),
            "seconds": float(np.mean(seconds)) if seconds else float("nan"),
            "finished": finished,
        }
    return summary


def table(spec: StudySpec, summary: dict[str, dict[str, Any]]) -> str:
    minimize = spec.direction == "minimize"
    lines = [
        f"| model | best {spec.metric} | median | IQR | trials | failed | collapsed | pruned | s / trial |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model, row in summary.items():
        values = np.asarray(row["values"], dtype=float)
        if len(values):
            best = values.min() if minimize else values.max()
            q1, median, q3 = np.percentile(values, [25, 50, 75])
            stats = f"{best:.3f} | {median:.3f} | {q3 - q1:.3f}"
        else:
            stats = "– | – | –"
        seconds = "–" if np.isnan(row["seconds"]) else f"{row['seconds']:.0f}"
        lines.append(f"| {model} | {stats} | {row['trials']} | {row['failed']} | {row['collapsed']} | {row['pruned']} | "
                     f"{seconds} |")  # fmt: skip
    return "\n".join(lines)


def trial_rows(spec: StudySpec, summary: dict[str, dict[str, Any]]) -> str:
    lines = ["| model | trial | " + spec.metric + " | precision | recall | parameters |", "|---|---|---|---|---|---|"]
    for model, row in summary.items():
        for t in row["finished"]:
            params = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in t.params.items())
            p, r = t.user_attrs.get("precision"), t.user_attrs.get("recall")
            fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
            lines.append(f"| {model} | {t.number} | {t.value:.3f} | {fmt(p)} | {fmt(r)} | {params} |")
    return "\n".join(lines)


def write_report(spec: StudySpec, studies: dict[str, Any], out: Path, command: str) -> Path:
    """``report.md`` and the plots in ``out``; returns the report's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarize(spec, studies)
    minimize = spec.direction == "minimize"
    models = list(summary)
    figure, axes = plt.subplots(figsize=(1.6 * len(models) + 2, 4))
    data = [summary[m]["values"] or [np.nan] for m in models]
    axes.boxplot(data, showfliers=False)
    axes.set_xticks(range(1, len(models) + 1), models, rotation=20)
    for i, values in enumerate(data, start=1):
        axes.scatter(np.full(len(values), i) + np.linspace(-0.15, 0.15, len(values)), values, s=10, alpha=0.7)
    axes.set_ylabel(spec.metric)
    axes.set_title(f"{spec.name}: {spec.metric} per trial")
    figure.tight_layout()
    figure.savefig(out / "distribution.png", dpi=120)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(6, 4))
    for model in models:
        if summary[model]["values"]:
            rows = expected_best(summary[model]["values"], minimize)
            axes.plot(rows[:, 0], rows[:, 1], marker="o", label=model)
            axes.fill_between(rows[:, 0], rows[:, 2], rows[:, 3], alpha=0.15)
    axes.set_xlabel("trials (k)")
    axes.set_ylabel(f"expected best {spec.metric} of k trials")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(out / "budget.png", dpi=120)
    plt.close(figure)

    has_pr = any("recall" in t.user_attrs for row in summary.values() for t in row["finished"])
    if has_pr:
        figure, axes = plt.subplots(figsize=(5, 4.5))
        for model in models:
            points = [(t.user_attrs["recall"], t.user_attrs["precision"]) for t in summary[model]["finished"]
                      if "recall" in t.user_attrs and "precision" in t.user_attrs]  # fmt: skip
            if points:
                axes.scatter(*zip(*points), label=model, s=16)
        axes.set_xlabel("recall")
        axes.set_ylabel("precision")
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        axes.legend(fontsize=8)
        figure.tight_layout()
        figure.savefig(out / "precision_recall.png", dpi=120)
        plt.close(figure)

    text = [f"# Study {spec.name}", "", f"`{command}`", "", table(spec, summary), "", "## Trials", "",
            trial_rows(spec, summary), ""]  # fmt: skip
    path = out / "report.md"
    path.write_text("\n".join(text))
    return path
