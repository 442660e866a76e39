"""Callbacks: generator averaging, sample grids, metrics and mode coverage during training."""

from ganzoo.callbacks.averaging import GeneratorAveraging
from ganzoo.callbacks.metrics import GenerativeMetrics
from ganzoo.callbacks.mode_coverage import ModeCoverage
from ganzoo.callbacks.sample_grid import SampleGrid

__all__ = ["GenerativeMetrics", "GeneratorAveraging", "ModeCoverage", "SampleGrid"]
