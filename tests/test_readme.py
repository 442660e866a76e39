"""The README's Python example runs as written (a few steps, on the real MNIST beside the checkout), and the README
stays a short map."""

from __future__ import annotations

import os
import re

import pytest
from conftest import ROOT, shared_dataset


def test_the_readme_stays_a_map():
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 12_000
    commands = "\n".join(re.findall(r"```bash\n(.*?)```", text, re.S))
    assert "../shared" not in commands and "this VM" not in text


@pytest.mark.slow
def test_the_training_example_runs(tmp_path, monkeypatch):
    shared_dataset("MNIST")
    code = re.search(r"```python\n(import lightning.pytorch as pl.*?)```", (ROOT / "README.md").read_text(), re.S)[1]
    code = code.replace("max_steps=5000", "max_steps=3, enable_progress_bar=False, logger=False")
    code = code.replace("SampleGrid(every_n_steps=500)", "SampleGrid(every_n_steps=3, num_samples=4)")
    code = code.replace("MNISTDataModule(batch_size=64)", "MNISTDataModule(batch_size=8, download=False)")
    monkeypatch.setenv("GANZOO_DATA", str(shared_dataset("MNIST").parent))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    assert namespace["trainer"].global_step == 3
    assert namespace["images"].shape == (64, 1, 28, 28) and namespace["images"].abs().max() <= 1
    assert os.path.exists(tmp_path / "samples" / "step_0000003.png")
