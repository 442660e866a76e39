"""Are samples recognisable digits? A judge for models trained on scikit-learn's 8×8 digits.

An RBF support-vector classifier with class probabilities (Platt scaling) is fitted on the 1,797
real digits at the model's resolution, preprocessed exactly as ``DigitsDataModule`` does. A sample
counts as *confident* when its top class probability is at least ``threshold``. On this judge,
real digits are > 99% confident at 0.5 and uniform noise 0%.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from torch import Tensor


@lru_cache(maxsize=4)
def digits_judge(image_size: int = 16):  # noqa: ANN201
    from sklearn.svm import SVC

    from ganzoo.data import DigitsDataModule
    from ganzoo.data.base import to_unit_range

    data = DigitsDataModule(image_size=image_size)
    data.setup()
    images, labels = data.train_set.tensors
    return SVC(probability=True, random_state=0).fit(to_unit_range(images).flatten(1).numpy(), labels.numpy())


def digits_confidence(samples: Tensor, threshold: float = 0.5) -> dict[str, object]:
    """``confident`` share of samples, and the ``classes`` histogram of the judge's top class."""
    judge = digits_judge(samples.shape[-1])
    probabilities = judge.predict_proba(samples.detach().float().cpu().flatten(1).numpy())
    return {
        "confident": float((probabilities.max(1) >= threshold).mean()),
        "classes": np.bincount(probabilities.argmax(1), minlength=10).tolist(),
    }
