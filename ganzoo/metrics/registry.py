"""The metric registry: a name → a function of the real and the generated feature sets.

Each metric takes two :class:`FeatureSet` and returns a dict of named floats. Add one with
``@register_metric("name")``. Real-side quantities that several metrics share (the k-NN radii,
nearest-neighbour distances) are computed once and cached with the real features.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from torch import Tensor

from ganzoo.metrics.conditional import CONDITIONAL_METRICS
from ganzoo.metrics.fid import fid
from ganzoo.metrics.inception_score import inception_score
from ganzoo.metrics.kid import kid
from ganzoo.metrics.neighbours import kth_neighbour_distance, one_nn_accuracy, precision_recall

PR_NEIGHBOURHOOD = 3


@dataclass
class FeatureSet:
    """Features (N, D) of one side, its classifier logits (N, C) if the extractor has them, and
    derived quantities (``extras``) that are worth keeping with cached real statistics."""

    features: Tensor
    logits: Tensor | None = None
    extras: dict[str, Tensor] = field(default_factory=dict)

    def derived(self, name: str, compute: Callable[[], Tensor]) -> Tensor:
        if name not in self.extras:
            self.extras[name] = compute()
        return self.extras[name]


Metric = Callable[[FeatureSet, FeatureSet], dict[str, float]]
METRICS: dict[str, Metric] = {}


def register_metric(name: str) -> Callable[[Metric], Metric]:
    def add(fn: Metric) -> Metric:
        METRICS[name] = fn
        return fn

    return add


@register_metric("fid")
def _fid(real: FeatureSet, fake: FeatureSet) -> dict[str, float]:
    return {"fid": fid(real.features, fake.features)}


@register_metric("kid")
def _kid(real: FeatureSet, fake: FeatureSet) -> dict[str, float]:
    # generated first, as torch-fidelity orders its inputs
    return kid(fake.features, real.features)


@register_metric("is")
def _inception_score(real: FeatureSet, fake: FeatureSet) -> dict[str, float]:
    if fake.logits is None:
        raise ValueError("IS needs a classifier: the feature extractor has no logits(images)")
    return inception_score(fake.logits)


@register_metric("pr")
def _precision_recall(real: FeatureSet, fake: FeatureSet) -> dict[str, float]:
    k = PR_NEIGHBOURHOOD
    radii = real.derived(f"knn_radius_{k}", lambda: kth_neighbour_distance(real.features, k))
    return precision_recall(real.features, fake.features, k=k, real_radii=radii)


@register_metric("1nn")
def _one_nn(real: FeatureSet, fake: FeatureSet) -> dict[str, float]:
    """On n real + n generated: with more real samples (the whole training split), the first n of them."""
    n = min(len(real.features), len(fake.features))
    real_n = real.features[:n]
    key = "nn_distance" if n == len(real.features) else f"nn_distance_first_{n}"
    nearest = real.derived(key, lambda: kth_neighbour_distance(real_n, 1))
    return one_nn_accuracy(real_n, fake.features[:n], real_nn_distance=nearest)


def parse_metric_names(names: str | Sequence[str]) -> list[str]:
    """``"fid,kid"`` or ``["fid", "kid"]`` → checked names (``modes`` is handled by evaluation)."""
    items = [n.strip().lower() for n in (names.split(",") if isinstance(names, str) else names) if n.strip()]
    known = [*METRICS, "modes", *CONDITIONAL_METRICS]
    unknown = [n for n in items if n not in known]
    if unknown or not items:
        raise ValueError(f"unknown metrics {unknown or names!r}; choose from {sorted(known)}")
    return items


def compute_metrics(names: list[str], real: FeatureSet, fake: FeatureSet) -> dict[str, float]:
    results: dict[str, float] = {}
    for name in names:
        if name in METRICS:
            results.update(METRICS[name](real, fake))
    return results
