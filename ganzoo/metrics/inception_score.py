"""Inception Score (Salimans et al. 2016): ``IS = exp E_x[KL(p(y|x) ‖ p(y))]``, mean and std over splits.

``p(y)`` is the mean prediction within each split. The samples are shuffled by
``numpy.random.RandomState(seed).permutation`` before splitting, as torch-fidelity does. A classifier
that says the same thing for every image scores 1; confident, balanced predictions over C classes
score C.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def inception_score(logits: Tensor, splits: int = 10, seed: int = 0) -> dict[str, float]:
    """``is`` (mean over splits) and ``is_std`` from (N, C) classifier logits."""
    logits = logits.detach().to(torch.float64).cpu()
    if logits.ndim != 2 or len(logits) < splits:
        raise ValueError(f"IS needs (N ≥ splits={splits}, C) logits, got shape {tuple(logits.shape)}")
    logits = logits[torch.from_numpy(np.random.RandomState(seed).permutation(len(logits)))]
    log_p = logits.log_softmax(dim=1)
    scores = []
    for i in range(splits):
        chunk = log_p[i * len(log_p) // splits : (i + 1) * len(log_p) // splits]
        log_marginal = chunk.exp().mean(0, keepdim=True).log()
        kl = (chunk.exp() * (chunk - log_marginal)).sum(1).mean()
        scores.append(float(kl.exp()))
    return {"is": float(np.mean(scores)), "is_std": float(np.std(scores))}
