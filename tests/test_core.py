"""The bases fit models that are not one noise-fed G and one D."""

from __future__ import annotations

import pytest
import torch
from helpers import toy_data, trainer
from torch import nn

import ganzoo
from ganzoo.batch import Batch
from ganzoo.callbacks import GeneratorAveraging, SampleGrid
from ganzoo.models import AdversarialModule, SamplingModule
from ganzoo.models.hparams import save_rebuildable_hyperparameters
from ganzoo.nets import MLPDiscriminator, MLPGenerator


class MomentMatcher(SamplingModule):
    """A non-adversarial sampling model (automatic optimization, no discriminator): G is
    fitted so that its samples' mean and covariance match the data's, the shape a VAE's decoder takes."""

    def __init__(self, generator: nn.Module, lr: float = 1e-2):
        super().__init__()
        self.generator = generator
        self.lr = lr
        save_rebuildable_hyperparameters(self)

    def training_step(self, batch, batch_idx):
        real = Batch.from_loader(batch).images
        fake = self.generator(self.sample_noise(len(real)))
        loss = (real.mean(0) - fake.mean(0)).pow(2).sum() + (torch.cov(real.T) - torch.cov(fake.T)).pow(2).sum()
        self.log("loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.generator.parameters(), lr=self.lr)


def test_a_non_adversarial_model_trains_samples_averages_and_reloads(tmp_path):
    torch.manual_seed(0)
    model = MomentMatcher(MLPGenerator(latent_dim=2, hidden_dims=[16]))
    grid = SampleGrid(every_n_steps=10, num_samples=64)
    t = trainer(tmp_path, max_steps=30, callbacks=[GeneratorAveraging(decay=0.9), grid])
    t.fit(model, toy_data(radius=1.0))
    assert model.averaged_generator is not None and grid.last_path.exists()
    t.save_checkpoint(tmp_path / "m.ckpt")
    loaded = ganzoo.load(tmp_path / "m.ckpt")
    assert type(loaded) is MomentMatcher and torch.equal(loaded.sample(8, seed=0), model.sample(8, seed=0))


class TwoGenerators(AdversarialModule):
    """CycleGAN's shape: two generators under one optimizer, one discriminator under another."""

    network_names = ("generator", "generator_ba", "discriminator")
    optimizer_groups = {"generators": ("generator", "generator_ba"), "discriminators": ("discriminator",)}
    generator_group = "generators"
    discriminator_group = "discriminators"

    def __init__(self):
        super().__init__(optimizers={}, lr_schedulers={})
        self.generator, self.generator_ba = MLPGenerator(hidden_dims=[4]), MLPGenerator(hidden_dims=[4])
        self.discriminator = MLPDiscriminator(hidden_dims=[4])


def test_optimizer_groups_span_the_networks_they_name():
    model = TwoGenerators()
    optimizers, schedulers = model.configure_optimizers()
    assert schedulers == [] and len(optimizers) == 2
    assert {id(p) for p in optimizers[0].param_groups[0]["params"]} == {
        id(p) for name in ("generator", "generator_ba") for p in getattr(model, name).parameters()
    }
    assert list(model.networks) == ["generator", "generator_ba", "discriminator"]


def test_named_batches_split_every_field():
    batch = Batch.from_loader([torch.arange(6.0).view(6, 1), torch.arange(6)])
    halves = batch.chunk(2)
    assert [h.labels.tolist() for h in halves] == [[0, 1, 2], [3, 4, 5]] and halves[0].codes is None
    assert Batch.from_loader(torch.zeros(3, 2)).labels is None
    with pytest.raises(ValueError, match="images, labels"):
        Batch.from_loader((torch.zeros(2), torch.zeros(2), torch.zeros(2)))
