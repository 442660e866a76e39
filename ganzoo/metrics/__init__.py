"""Metrics for generated samples."""

from ganzoo.metrics.digits import digits_confidence
from ganzoo.metrics.mode_coverage import mixture_mode_coverage

__all__ = ["digits_confidence", "mixture_mode_coverage"]
