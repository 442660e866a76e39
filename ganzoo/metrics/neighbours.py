"""Nearest-neighbour metrics on features: improved precision and recall, and the 1-NN two-sample test.

Distances are Euclidean, computed in row blocks so that 10,000 × 10,000 sets fit in memory.
"""

from __future__ import annotations

import torch
from torch import Tensor

BLOCK = 4096


def _blocks(x: Tensor):  # noqa: ANN202
    for start in range(0, len(x), BLOCK):
        yield start, x[start : start + BLOCK]


def kth_neighbour_distance(x: Tensor, k: int) -> Tensor:
    """Distance from each row of x to its k-th nearest other row of x (the point itself excluded)."""
    if len(x) <= k:
        raise ValueError(f"need more than k={k} samples, got {len(x)}")
    x = x.float()
    # the k + 1 smallest distances of each row include the point itself (0); topk is ~10× faster than kthvalue
    return torch.cat([torch.cdist(rows, x).topk(k + 1, dim=1, largest=False).values[:, k] for _, rows in _blocks(x)])


def precision_recall(
    real: Tensor, fake: Tensor, k: int = 3, real_radii: Tensor | None = None
) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its samples, of radius the distance to the
    k-th nearest neighbour. ``precision`` = share of fake samples inside the real manifold;
    ``recall`` = share of real samples inside the fake manifold. ``real_radii`` may be passed
    precomputed (``kth_neighbour_distance(real, k)``).
    """
    real, fake = real.float(), fake.float()
    real_radii = kth_neighbour_distance(real, k) if real_radii is None else real_radii.float()
    fake_radii = kth_neighbour_distance(fake, k)
    fake_inside = torch.zeros(len(fake), dtype=torch.bool)
    real_inside = torch.zeros(len(real), dtype=torch.bool)
    for start, rows in _blocks(fake):  # one pass over the fake × real distances serves both
        d = torch.cdist(rows, real)
        fake_inside[start : start + len(rows)] = (d <= real_radii[None, :]).any(dim=1)
        real_inside |= (d <= fake_radii[start : start + len(rows), None]).any(dim=0)
    return {"precision": float(fake_inside.float().mean()), "recall": float(real_inside.float().mean())}


def nearest_other_distance(x: Tensor) -> Tensor:
    """Distance from each row of x to its nearest other row (leave-one-out)."""
    return kth_neighbour_distance(x, 1)


def one_nn_accuracy(real: Tensor, fake: Tensor, real_nn_distance: Tensor | None = None) -> dict[str, float]:
    """Leave-one-out 1-nearest-neighbour two-sample test (Lopez-Paz & Oquab 2017; Xu et al. 2018).

    Each of the n real + m fake samples is labelled by its nearest neighbour among all the others.
    ``one_nn`` is the accuracy over all samples (0.5: indistinguishable, 1.0: separable);
    ``one_nn_real`` and ``one_nn_fake`` the accuracy on each side. A fake side near 0 means the
    fakes sit on top of real samples: memorised training data. Ties go to the real side.
    """
    real, fake = real.float(), fake.float()
    real_to_real = nearest_other_distance(real) if real_nn_distance is None else real_nn_distance.float()
    fake_to_fake = nearest_other_distance(fake)
    fake_to_real = torch.empty(len(fake))
    real_to_fake = torch.full((len(real),), float("inf"))
    for start, rows in _blocks(fake):
        d = torch.cdist(rows, real)
        fake_to_real[start : start + len(rows)] = d.min(dim=1).values
        real_to_fake = torch.minimum(real_to_fake, d.min(dim=0).values)
    real_correct = real_to_real <= real_to_fake
    fake_correct = fake_to_fake < fake_to_real
    total = real_correct.sum() + fake_correct.sum()
    return {
        "one_nn": float(total) / (len(real) + len(fake)),
        "one_nn_real": float(real_correct.float().mean()),
        "one_nn_fake": float(fake_correct.float().mean()),
    }
