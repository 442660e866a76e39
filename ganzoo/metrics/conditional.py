"""Scores for conditional models: does G make the class it was asked for?

* **label accuracy**: the share of samples generated for class c that a shipped classifier reads as c.
* **intra-class FID** (Miyato & Koyama 2018): the mean over classes c of FID(real images of class c,
  samples generated for class c), in the classifier's feature space.
* **matched accuracy** (InfoGAN, unsupervised): the categorical code's values carry no class names, so the
  best one-to-one mapping of code values to classes (Hungarian algorithm, ``scipy.optimize.linear_sum_assignment``
  on the code × class counts) is found first, and the accuracy is measured under it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganzoo.metrics.features import extract
from ganzoo.metrics.fid import fid
from ganzoo.metrics.samples import sample_generated

CONDITIONAL_METRICS = ("label_accuracy", "intra_fid", "matched_accuracy", "mutual_information")


def label_accuracy(predicted: Tensor, requested: Tensor) -> float:
    """Fraction of samples whose predicted class equals the class they were generated for."""
    return float((predicted.cpu() == requested.cpu()).float().mean())


def code_class_counts(codes: Tensor, predicted: Tensor, num_codes: int, num_classes: int) -> Tensor:
    """(num_codes × num_classes) counts of (code value, predicted class) pairs."""
    counts = torch.zeros(num_codes, num_classes, dtype=torch.long)
    counts.index_put_((codes.cpu().long(), predicted.cpu().long()), torch.ones(len(codes), dtype=torch.long), accumulate=True)
    return counts


def matched_accuracy(codes: Tensor, predicted: Tensor, num_codes: int, num_classes: int) -> dict[str, object]:
    """Accuracy under the best one-to-one code → class mapping; ``mapping[i]`` is code i's class."""
    from scipy.optimize import linear_sum_assignment

    counts = code_class_counts(codes, predicted, num_codes, num_classes)
    rows, cols = linear_sum_assignment(counts.numpy(), maximize=True)
    mapping = [-1] * num_codes
    for r, c in zip(rows.tolist(), cols.tolist()):
        mapping[r] = c
    return {"matched_accuracy": float(counts[rows, cols].sum()) / max(len(codes), 1), "code_to_class": mapping}


def intra_class_fid(
    real_features: Tensor, real_labels: Tensor, fake_features: Tensor, fake_labels: Tensor, num_classes: int
) -> dict[str, float]:
    """Mean over classes of the FID between one class's real and generated features (and the worst class)."""
    per_class = []
    for c in range(num_classes):
        real_c, fake_c = real_features[real_labels.cpu() == c], fake_features[fake_labels.cpu() == c]
        if len(real_c) < 2 or len(fake_c) < 2:
            raise ValueError(f"intra-class FID needs at least 2 real and 2 generated samples of class {c}; raise num_samples")
        per_class.append(fid(real_c, fake_c))
    return {"intra_fid": sum(per_class) / len(per_class), "intra_fid_worst": max(per_class)}


def balanced_labels(num_samples: int, num_classes: int) -> Tensor:
    """0, 1, …, C−1, 0, 1, … : every class equally often (± 1)."""
    return torch.arange(num_samples) % num_classes


def model_classes(model: object) -> int:
    """A sampling model's declared ``num_classes``; a clear error for any other model."""
    from ganzoo.models.sampling import SamplingModule

    classes = model.num_classes if isinstance(model, SamplingModule) else None
    if not classes:
        raise ValueError(f"{type(model).__name__} is not conditional: label_accuracy, intra_fid, matched_accuracy and "
                         "mutual_information score models that take labels or codes")  # fmt: skip
    return int(classes)


@torch.no_grad()
def conditional_scores(
    model: torch.nn.Module,
    names: list[str],
    classifier: torch.nn.Module,
    real: tuple[Tensor, Tensor] | None,
    num_samples: int,
    seed: int,
    batch_size: int = 200,
    averaged: bool = True,
) -> dict[str, object]:
    """The conditional ``names`` for ``model``: samples for balanced classes (codes), read by ``classifier``.

    ``real``: uint8 images and their labels, needed by ``intra_fid`` only.
    """
    from ganzoo.models.conditional import ClassConditional

    num_classes = model_classes(model)
    unsupervised = isinstance(model, ClassConditional) and not model.needs_labelled_data  # InfoGAN's codes
    if unsupervised and {"label_accuracy", "intra_fid"} & set(names):
        raise ValueError(f"{type(model).__name__}'s categorical code has no class names: score it by matched_accuracy")
    if "matched_accuracy" in names and not unsupervised:
        raise ValueError(f"{type(model).__name__} is told its classes: score it by label_accuracy, not matched_accuracy")
    requested = balanced_labels(num_samples, num_classes)
    images = sample_generated(model, num_samples, seed, batch_size, averaged, labels=requested)
    features, logits = extract(classifier, images, batch_size)
    if logits is None:
        raise ValueError("conditional metrics need a classifier (features with logits): use mnist-cnn or fashion-mnist-cnn")
    predicted = logits.argmax(1)
    result: dict[str, object] = {}
    if "label_accuracy" in names:
        result["label_accuracy"] = label_accuracy(predicted, requested)
    if "matched_accuracy" in names:
        result.update(matched_accuracy(requested, predicted, num_classes, logits.shape[1]))
    if "intra_fid" in names:
        if real is None:
            raise ValueError("intra_fid needs the real images and their labels")
        real_features, _ = extract(classifier, real[0], batch_size)
        result.update(intra_class_fid(real_features, real[1], features, requested, num_classes))
    if "mutual_information" in names:
        result["mutual_information"] = information_bound(model, images, requested, batch_size)
    return result


def information_bound(model: torch.nn.Module, images: Tensor, codes: Tensor, batch_size: int = 200) -> float:
    """InfoGAN's ``L_I = ln K − CE(Q(x), c)`` on generated images (needs the trained Q, i.e. D's file)."""
    from ganzoo.data.base import to_unit_range
    from ganzoo.losses import categorical_mutual_information
    from ganzoo.models.adversarial import AdversarialModule
    from ganzoo.models.generative import eval_mode

    if not isinstance(model, AdversarialModule) or not model.discriminator_trained:
        raise ValueError("mutual_information needs Q, which a shipped (generator-only) file does not hold: use a training checkpoint")

    logits = []
    with eval_mode(model.discriminator):
        for start in range(0, len(images), batch_size):
            x = to_unit_range(images[start : start + batch_size]).to(model.device)
            logits.append(model.discriminator(x)[1].float().cpu())
    return float(categorical_mutual_information(torch.cat(logits), codes.cpu()))
