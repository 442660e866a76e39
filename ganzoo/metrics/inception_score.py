"""Inception Score (Salimans et al. 2016): ``IS = exp E_x[KL(p(y|x) ‖ p(y))]``, mean and std over splits.

``p(y)`` is the mean prediction within each split; the samples are shuffled by
``numpy.random.RandomState(seed).permutation`` before splitting. Computed by torch-fidelity's
``isc_features_to_metric`` (in float64). A classifier
that says the same thing for every image scores 1; confident, balanced predictions over C classes
score C.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_fidelity.metric_isc import KEY_METRIC_ISC_MEAN, KEY_METRIC_ISC_STD, isc_features_to_metric


def inception_score(logits: Tensor, splits: int = 10, seed: int = 0) -> dict[str, float]:
    """``is`` (mean over splits) and ``is_std`` from (N, C) classifier logits."""
    logits = logits.detach().to(torch.float64).cpu()
    if logits.ndim != 2 or len(logits) < splits:
        raise ValueError(f"IS needs (N ≥ splits={splits}, C) logits, got shape {tuple(logits.shape)}")
    scores = isc_features_to_metric(logits, splits=splits, shuffle=True, rng_seed=seed)
    return {"is": scores[KEY_METRIC_ISC_MEAN], "is_std": scores[KEY_METRIC_ISC_STD]}
