"""The throughput benchmark's plain PyTorch loop, and the networks and data every loop there shares.

The plain loop is the fastest honest one: the training data, prepared (float) once, stays on the training device,
and each batch is one gather ``data[perm[i*B:(i+1)*B]]`` with a fresh ``torch.randperm`` drawn on the device each
epoch (``drop_last``); no per-sample reads, no host-to-device copy per step. The figures use it (the default,
``loader="device"``). ``loader="dataloader"`` is the loop as most scripts write it, kept for comparison: a
``DataLoader`` over a ``TensorDataset``, read sample by sample (about 514 µs a batch of 64 on 2 CPU cores), each
batch copied to the device and prepared there.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import torch
from torch.utils.data import DataLoader, TensorDataset

from ganzoo import losses
from ganzoo.data.base import to_unit_range
from ganzoo.nets import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator

EMA_DECAY = 0.999
PLAIN_LOADERS = ("device", "dataloader")


def networks(nets: str) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    if nets == "ring8":
        return MLPGenerator(latent_dim=2, data_dim=2, hidden_dims=[128] * 3), MLPDiscriminator(2, [128] * 3)
    return (
        DCGANGenerator(latent_dim=100, image_size=28, channels=1, base_channels=128),
        DCGANDiscriminator(image_size=28, channels=1, base_channels=128),
    )


def training_data(nets: str, n: int) -> torch.Tensor:
    """uint8 MNIST-sized images (dcgan), or 2-D points on a ring of radius 1 (ring8)."""
    rng = torch.Generator().manual_seed(0)
    if nets == "ring8":
        angle = torch.randint(0, 8, (n,), generator=rng) * (torch.pi / 4)
        return torch.stack([angle.cos(), angle.sin()], 1) + 0.01 * torch.randn(n, 2, generator=rng)
    return torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=rng)


def prepare(batch: torch.Tensor) -> torch.Tensor:
    return to_unit_range(batch) if batch.dtype == torch.uint8 else batch


def plain_step(
    generator: torch.nn.Module, discriminator: torch.nn.Module, g_opt: Any, d_opt: Any, real: torch.Tensor,
    averaged: list[torch.Tensor], backward: Callable[[torch.Tensor], None] = torch.Tensor.backward,
) -> None:
    """One generator step as a plain loop writes it (the D step, then the G step; each draws its own noise, as
    Algorithm 1 does), then the EMA of G into ``averaged`` (empty: none). ``backward``: Lightning's in BareLightning."""
    latent_dim = generator.latent_dim
    with torch.no_grad():
        fake = generator(torch.randn(len(real), latent_dim, device=real.device))
    d_loss = losses.minimax_discriminator_loss(discriminator(real), discriminator(fake))
    d_opt.zero_grad(set_to_none=True)
    backward(d_loss)
    d_opt.step()
    discriminator.requires_grad_(False)
    fake = generator(torch.randn(len(real), latent_dim, device=real.device))
    g_loss = losses.non_saturating_generator_loss(discriminator(fake))
    g_opt.zero_grad(set_to_none=True)
    backward(g_loss)
    g_opt.step()
    discriminator.requires_grad_(True)
    if averaged:
        with torch.no_grad():
            torch._foreach_lerp_(averaged, [p.detach() for p in generator.parameters()], 1 - EMA_DECAY)


class PlainLoop:
    """The plain loop's state: its own networks, optimizers, data and EMA copies; ``step()`` takes the next batch
    (a new epoch when this one runs out) and one generator step. ``loader``: see the module's docstring."""

    def __init__(self, data: torch.Tensor, batch_size: int, device: torch.device, nets: str, ema: bool,
                 loader: str = "device"):  # fmt: skip
        if loader not in PLAIN_LOADERS:
            raise ValueError(f"loader must be one of {PLAIN_LOADERS}, got {loader!r}")
        self.generator, self.discriminator = (m.to(device) for m in networks(nets))
        self.averaged = [p.detach().clone() for p in self.generator.parameters()] if ema else []
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.device, self.batch_size = device, batch_size
        if loader == "dataloader":
            self.loader = DataLoader(TensorDataset(data), batch_size=batch_size, shuffle=True, drop_last=True)
            self.batches = iter(())
        else:
            self.loader, self.data = None, prepare(data.to(device))
            self.batches_per_epoch, self.batch_index = len(data) // batch_size, len(data) // batch_size
            self.perm = torch.empty(0, dtype=torch.long, device=device)

    def next_batch(self) -> torch.Tensor:
        if self.loader is not None:  # "dataloader"
            batch = next(self.batches, None)
            if batch is None:
                self.batches = iter(self.loader)
                batch = next(self.batches)
            return prepare(batch[0].to(self.device))
        if self.batch_index == self.batches_per_epoch:  # a new epoch: a fresh permutation, drawn on the device
            self.perm, self.batch_index = torch.randperm(len(self.data), device=self.device), 0
        start = self.batch_index * self.batch_size
        self.batch_index += 1
        return self.data[self.perm[start : start + self.batch_size]]

    def step(self) -> None:
        plain_step(self.generator, self.discriminator, self.g_opt, self.d_opt, self.next_batch(), self.averaged)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def plain_loop(
    data: torch.Tensor, steps: int, warmup: int, batch_size: int, device: torch.device, nets: str, ema: bool,
    loader: str = "device",
) -> float:
    """Generator steps per second of the plain loop: ``steps`` timed after ``warmup``."""
    loop = PlainLoop(data, batch_size, device, nets, ema, loader)
    for _ in range(warmup):
        loop.step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        loop.step()
    synchronize(device)
    return steps / (time.perf_counter() - start)
