"""Callbacks: generator averaging, compiled networks, sample grids, metrics and mode coverage during training;
a progress bar that reads logged values only when they change."""

from ganzoo.callbacks.averaging import GeneratorAveraging
from ganzoo.callbacks.compile import CompileNetworks
from ganzoo.callbacks.metrics import GenerativeMetrics
from ganzoo.callbacks.mode_coverage import ModeCoverage
from ganzoo.callbacks.progress_bar import ProgressBar
from ganzoo.callbacks.sample_grid import SampleGrid

__all__ = ["CompileNetworks", "GenerativeMetrics", "GeneratorAveraging", "ModeCoverage", "ProgressBar", "SampleGrid"]
