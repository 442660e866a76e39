"""Without the NVIDIA driver, optimizer steps do not try to load it (``ganzoo.nvml``): Lightning's
``PYTORCH_NVML_BASED_CUDA_CHECK=1`` made torch's Adam retry loading NVML at every step. The ``ganzoo`` command
makes the setting; a Python script calls ``skip_nvml_probe_without_driver`` itself."""

from __future__ import annotations

import ctypes
import os

import lightning.pytorch as pl
import pytest
import torch
from conftest import ROOT
from helpers import tiny_toy_gan, toy_data, trainer

from ganzoo import cli, nvml


class NvmlLoads:
    """Counts the attempts to load the NVIDIA management library (each one fails where there is no driver)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, present: bool):
        self.count, self.present, self.original = 0, present, ctypes.CDLL
        monkeypatch.setattr(ctypes, "CDLL", self.load)

    def load(self, name, *args, **kwargs):  # noqa: ANN001, ANN201
        if "nvidia-ml" not in str(name):
            return self.original(name, *args, **kwargs)
        self.count += 1
        if not self.present:
            raise OSError(f"{name}: cannot open shared object file")
        return object()


@pytest.fixture
def lightnings_setting(monkeypatch):  # noqa: ANN201
    """The variable as importing Lightning leaves it, and ``nvml_loadable`` asked afresh."""
    monkeypatch.setenv(nvml.VARIABLE, "1")
    nvml.nvml_loadable.cache_clear()
    yield
    nvml.nvml_loadable.cache_clear()


@pytest.fixture
def no_driver(monkeypatch, lightnings_setting):  # noqa: ANN201
    if nvml.nvml_loadable():
        pytest.skip("the NVIDIA driver is on this machine: Lightning's setting stays")
    nvml.nvml_loadable.cache_clear()
    return NvmlLoads(monkeypatch, present=False)


class LoadsAtFirstStep(pl.Callback):
    def __init__(self, loads: NvmlLoads):
        self.loads, self.at_first_step = loads, None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):  # noqa: ANN001
        if self.at_first_step is None:
            self.at_first_step = self.loads.count


def test_training_steps_without_the_driver_never_try_to_load_nvml(no_driver, tmp_path):
    answer, first = torch.cuda.is_available(), LoadsAtFirstStep(no_driver)
    nvml.skip_nvml_probe_without_driver()  # what a Python script does (the ganzoo command does it itself)
    trainer(tmp_path, max_steps=20, callbacks=[first]).fit(tiny_toy_gan(), toy_data())
    assert first.at_first_step is not None and no_driver.count == first.at_first_step  # before: +2 a step
    assert os.environ[nvml.VARIABLE] == "0" and torch.cuda.is_available() == answer


def test_the_probe_counter_sees_torchs_retries(no_driver):
    params = [torch.zeros(2, requires_grad=True)]
    params[0].grad = torch.ones(2)
    optimizer = torch.optim.Adam(params)
    for _ in range(3):
        optimizer.step()
    assert no_driver.count >= 3  # the cost ganzoo.nvml removes, seen while the variable is 1


def test_where_nvml_loads_lightnings_setting_stays(monkeypatch, lightnings_setting):
    NvmlLoads(monkeypatch, present=True)
    nvml.skip_nvml_probe_without_driver()
    assert os.environ[nvml.VARIABLE] == "1"


def test_the_command_line_makes_the_setting(no_driver, monkeypatch):
    cli.GanzooCLI(args=["--config", str(ROOT / "configs/gan/ring8.yaml")], run=False)
    assert os.environ[nvml.VARIABLE] == "0"
    monkeypatch.setenv(nvml.VARIABLE, "1")
    monkeypatch.setattr(cli, "GanzooCLI", lambda args: None)  # main's own commands and LightningCLI's alike
    cli.main(["fit"])
    assert os.environ[nvml.VARIABLE] == "0"
