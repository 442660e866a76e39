"""Metrics for generated samples: FID, KID, IS, precision/recall, 1-NN, mode coverage.

``METRICS`` maps a name to a function of (real, generated) :class:`FeatureSet`; ``evaluate``
scores a model end to end; ``features`` holds the extractors and their preprocessing.
"""

from ganzoo.metrics.digits import digits_confidence
from ganzoo.metrics.fid import fid, frechet_distance
from ganzoo.metrics.inception_score import inception_score
from ganzoo.metrics.kid import kid
from ganzoo.metrics.mode_coverage import mixture_mode_coverage, stacked_mnist_mode_coverage
from ganzoo.metrics.neighbours import one_nn_accuracy, precision_recall
from ganzoo.metrics.registry import METRICS, FeatureSet, compute_metrics, register_metric

__all__ = [
    "METRICS",
    "FeatureSet",
    "compute_metrics",
    "digits_confidence",
    "fid",
    "frechet_distance",
    "inception_score",
    "kid",
    "mixture_mode_coverage",
    "one_nn_accuracy",
    "precision_recall",
    "register_metric",
    "stacked_mnist_mode_coverage",
]
