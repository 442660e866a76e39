"""Callbacks: sample grids and mode coverage during training."""

from ganzoo.callbacks.mode_coverage import ModeCoverage
from ganzoo.callbacks.sample_grid import SampleGrid

__all__ = ["ModeCoverage", "SampleGrid"]
