"""Where the NVIDIA driver is missing, stop torch probing for it at every optimizer step.

Importing Lightning sets ``PYTORCH_NVML_BASED_CUDA_CHECK=1``: ``torch.cuda.is_available()`` then asks NVML
instead of initialising CUDA, which keeps forked DDP workers safe. torch's Adam and AdamW call it in every
``step()`` (their CUDA-graph capture check), and where NVML cannot be loaded torch tries to load it again at each
call before it falls back to ``cudaGetDeviceCount``, the question it asks without the variable. That retry cost
about 0.2 ms an optimizer step on a 2-core VM with a CUDA build of torch (0.4 ms of a 4.4 ms ring8 MLP step). Where NVML
cannot be loaded the variable changes no answer, only that cost, so ganzoo sets it back to 0 there; machines
with the driver keep Lightning's setting.

The ``ganzoo`` command (``ganzoo.cli.main``, ``GanzooCLI``) makes this setting as it starts. A Python script that
trains with its own ``Trainer`` calls ``skip_nvml_probe_without_driver()`` itself, after importing Lightning and
before ``fit``.
"""

from __future__ import annotations

import ctypes
import functools
import os

VARIABLE = "PYTORCH_NVML_BASED_CUDA_CHECK"


@functools.cache
def nvml_loadable() -> bool:
    """Whether the NVIDIA management library loads here (under the name torch loads it by)."""
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return False
    return True


def skip_nvml_probe_without_driver() -> None:
    """``PYTORCH_NVML_BASED_CUDA_CHECK=0`` where it is 1 and NVML does not load (see the module docstring)."""
    if os.environ.get(VARIABLE) == "1" and not nvml_loadable():
        os.environ[VARIABLE] = "0"
