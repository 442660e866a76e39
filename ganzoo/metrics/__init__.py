"""Metrics for generated samples."""

from ganzoo.metrics.mode_coverage import mixture_mode_coverage

__all__ = ["mixture_mode_coverage"]
