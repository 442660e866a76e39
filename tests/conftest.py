from __future__ import annotations

import os
import sys
from pathlib import Path

# One thread per test process (set before torch starts its pool; subprocesses and notebook kernels inherit it):
# the learning floors were measured so, since a matmul's result can depend on how many threads share it, and
# pytest-xdist runs one process per core (``-n auto`` in pyproject.toml), which at two threads each would
# oversubscribe the cores.
os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)  # in case a plugin imported torch before this file

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GANZOO_SHARED_DATA", ROOT.parent / "shared" / "data"))
sys.path.insert(0, str(ROOT / "tests"))  # tests/helpers.py, also for processes the tests spawn
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("WANDB_MODE", "offline")


def shared_dataset(name: str) -> Path:
    """``../shared/data/<name>``, or skip the test saying why when it is not there."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real data {path} is not present (a clone without ../shared/data)")
    return path
