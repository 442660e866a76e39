"""DataModules: shapes, ranges, real data, and clear errors for bad input."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest
import torch
from conftest import shared_dataset
from helpers import tiny_toy_gan, trainer
from test_cli import write_images

from ganzoo.data import (
    CIFAR10DataModule,
    DigitsDataModule,
    FashionMNISTDataModule,
    GaussianMixture2D,
    ImageFolderDataModule,
    MNISTDataModule,
    Toy2DDataModule,
    default_data_dir,
)
from ganzoo.data.base import InMemoryTensors, to_unit_range


def first_batch(datamodule):
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    named = datamodule.on_after_batch_transfer(batch, 0)  # a ganzoo.batch.Batch
    return named.images, named.labels


def test_ring8_and_grid25_follow_the_protocol():
    ring = GaussianMixture2D.ring(8, radius=1.0, std=0.01)
    assert torch.allclose(ring.means.norm(dim=1), torch.ones(8))
    angles = torch.atan2(ring.means[:, 1], ring.means[:, 0]).remainder(2 * torch.pi).sort().values
    assert torch.allclose(angles.diff(), torch.full((7,), 2 * torch.pi / 8), atol=1e-6)
    grid = GaussianMixture2D.grid(25, spacing=2.0, std=0.05)
    assert sorted(set(grid.means[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(m) for m in grid.means.tolist()}) == 25
    points, modes = grid.sample(20_000, torch.Generator().manual_seed(0))
    residual = points - grid.means[modes]
    assert residual.std().item() == pytest.approx(0.05, rel=0.03)
    assert torch.bincount(modes, minlength=25).min() > 600
    with pytest.raises(ValueError, match="square number"):
        GaussianMixture2D.grid(24)


def test_toy_datamodule_is_seeded():
    a, b = Toy2DDataModule(seed=1, num_samples=100), Toy2DDataModule(seed=1, num_samples=100)
    a.setup(), b.setup()
    assert torch.equal(a.train_set.tensors[0], b.train_set.tensors[0])
    assert Toy2DDataModule(mixture="grid", num_modes=25).mixture.std == 0.05
    with pytest.raises(ValueError, match="mixture must be"):
        Toy2DDataModule(mixture="spiral")


@pytest.mark.parametrize("size", [16, 32])
def test_digits_are_real_and_in_minus_one_one(size):
    images, labels = first_batch(DigitsDataModule(image_size=size, batch_size=50))
    assert images.shape == (50, 1, size, size) and images.dtype == torch.float32
    assert images.min() >= -1 and images.max() <= 1 and images.min() == -1 and images.max() > 0.9
    dm = DigitsDataModule(image_size=size)
    dm.setup()
    assert len(dm.train_set) == 1797 and set(dm.train_set.tensors[1].tolist()) == set(range(10))


def test_uint8_to_unit_range_is_exact():
    x = torch.tensor([0, 255, 128], dtype=torch.uint8)
    assert torch.allclose(to_unit_range(x), torch.tensor([-1.0, 1.0, 128 / 127.5 - 1]), atol=1e-6)


def test_loader_batches_are_sized_for_n_critic(tmp_path):
    data = Toy2DDataModule(batch_size=16, num_samples=1000)
    model = tiny_toy_gan(n_critic=5)
    t = trainer(tmp_path, max_steps=1)
    t.fit(model, data)
    assert data.train_dataloader().batch_size == 80


def test_data_dir_default_and_environment_override(monkeypatch, tmp_path):
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path))
    assert default_data_dir() == tmp_path
    assert MNISTDataModule().data_dir == tmp_path
    monkeypatch.delenv("GANZOO_DATA")
    assert default_data_dir().parts[-3:] == (".cache", "ganzoo", "data")


MNIST_SHA256 = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"


def test_mnist_from_shared_data():
    raw = shared_dataset("MNIST")
    assert hashlib.sha256((raw / "raw" / "train-images-idx3-ubyte").read_bytes()).hexdigest() == MNIST_SHA256
    dm = MNISTDataModule(data_dir=str(raw.parent), download=False, batch_size=64)
    images, labels = first_batch(dm)
    assert len(dm.train_set) == 60_000 and images.shape == (64, 1, 28, 28)
    assert images.min() == -1 and images.max() == 1
    assert MNISTDataModule(data_dir=str(raw.parent), train=False, download=False).load()[0].shape[0] == 10_000
    resized = MNISTDataModule(data_dir=str(raw.parent), image_size=32, download=False)
    assert first_batch(resized)[0].shape[-2:] == (32, 32)


def test_fashion_mnist_from_shared_data():
    root = shared_dataset("FashionMNIST").parent
    images, labels = first_batch(FashionMNISTDataModule(data_dir=str(root), download=False, batch_size=8))
    assert images.shape == (8, 1, 28, 28) and labels.max() < 10


def test_image_folder_on_real_cifar_subset():
    folder = shared_dataset("cifar10_subset")
    dm = ImageFolderDataModule(data_dir=str(folder), image_size=32, batch_size=16, num_workers=0)
    images, labels = first_batch(dm)
    assert len(dm.train_set) == 4000 and len(dm.train_set.class_index) == 10
    assert images.shape == (16, 3, 32, 32) and images.min() >= -1 and images.max() <= 1


def test_image_folder_flat_nested_grayscale_and_resized(tmp_path):
    write_images(tmp_path / "nested", n=6, size=40)
    images, labels = first_batch(ImageFolderDataModule(str(tmp_path / "nested"), image_size=16, batch_size=6, num_workers=0))
    assert images.shape == (6, 3, 16, 16) and set(labels.tolist()) == {0, 1}
    flat = tmp_path / "flat"
    flat.mkdir()
    for p in (tmp_path / "nested").rglob("*.png"):
        p.rename(flat / f"{p.parent.name}_{p.name}")
    gray = ImageFolderDataModule(str(flat), image_size=16, channels=1, batch_size=6, num_workers=0)
    assert first_batch(gray)[0].shape == (6, 1, 16, 16)


def test_missing_empty_and_corrupt_image_folders_fail_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolderDataModule(str(tmp_path / "nope")).setup()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        ImageFolderDataModule(str(tmp_path / "empty")).setup()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_bytes(b"not a png")
    dm = ImageFolderDataModule(str(bad), image_size=16, batch_size=1, num_workers=0)
    dm.setup()
    with pytest.raises(ValueError, match="Cannot read image .*broken.png"):
        dm.train_set[0]


def test_missing_torchvision_dataset_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="MNIST is not under .*data_dir"):
        MNISTDataModule(data_dir=str(tmp_path), download=False).setup()


def test_offline_download_fails_fast_with_advice(tmp_path):
    dm = CIFAR10DataModule(data_dir=str(tmp_path), download=True)
    with pytest.raises((RuntimeError, FileNotFoundError), match="CIFAR10"):
        dm.prepare_data()


def test_too_small_dataset_for_one_step(tmp_path):
    write_images(tmp_path / "few", n=3, size=16)
    dm = ImageFolderDataModule(str(tmp_path / "few"), image_size=16, batch_size=8, num_workers=0)
    dm.setup()
    with pytest.raises(ValueError, match="fewer than one training step needs"):
        dm.train_dataloader()


class DeclaresThree:
    real_batches_per_step, n_critic = 3, 7  # the loader asks the declared interface, not n_critic


def test_the_loader_takes_the_real_batches_a_step_it_is_told():
    dm = Toy2DDataModule(batch_size=8, num_samples=64)
    dm.setup()
    assert dm.real_batches_per_step is None and len(next(iter(dm.train_dataloader()))[0]) == 8  # alone: 1
    cpu = SimpleNamespace(root_device=torch.device("cpu"))
    dm.trainer = SimpleNamespace(lightning_module=DeclaresThree(), strategy=cpu)  # Trainer.fit(model, dm)
    assert len(next(iter(dm.train_dataloader()))[0]) == 24
    dm.real_batches_per_step = 2  # what GanzooCLI sets from its model
    assert len(next(iter(dm.train_dataloader()))[0]) == 16
    dm.real_batches_per_step = 9
    with pytest.raises(ValueError, match=r"fewer than one training step needs \(72 = batch_size × 9 "):
        dm.train_dataloader()


def test_in_memory_tensors_batch_like_a_tensor_dataset():
    """Whole-batch reads give the batches, in the order, that per-item reads and collation give."""
    points, labels = torch.randn(40, 2), torch.arange(40)

    def batches(dataset):
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0),
            collate_fn=(lambda b: b) if isinstance(dataset, InMemoryTensors) else None,
        )
        return list(loader)

    fast = batches(InMemoryTensors(points, labels))
    plain = batches(torch.utils.data.TensorDataset(points, labels))
    assert len(fast) == len(plain) == 5
    for (fast_points, fast_labels), (plain_points, plain_labels) in zip(fast, plain):
        assert torch.equal(fast_points, plain_points) and torch.equal(fast_labels, plain_labels)
    datamodule = Toy2DDataModule(num_samples=1000, batch_size=64)
    points, modes = first_batch(datamodule)
    assert points.shape == (64, 2) and modes.shape == (64,)
