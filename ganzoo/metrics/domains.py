"""StarGAN's three figures on the offline digit domains (``ganzoo.data.domains``), scored by classifiers ganzoo
trains and ships (``python -m ganzoo.metrics.train_classifier --dataset mnist-domains[-digits]``):

* **target-domain accuracy**: the domain classifier (``mnist-domains-cnn``) names the requested domain;
* **digits kept**: the digit classifier (``mnist-domains-digits-cnn``) reads the source's digit in the translation;
* **reconstruction L1**: mean |x − G(G(x, c), c')| in [0, 1] pixel units (translated back to the source domain).

Every test image is translated into every domain other than its own. The classifiers' accuracies on the real test
images are the ceilings; the identity mapping (the source returned unchanged) is the floor of the first figure.
The first two figures are also given per target domain (``digits_kept/thin-green``), the digit classifier's
accuracy on the real test images of that domain beside them (``real_digit_accuracy/thin-green``): an overall
figure can hide a domain whose translations lose the digit.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ganzoo.metrics.features import load_domain_classifier, to_uint8

DOMAIN_CLASSIFIER, DIGIT_CLASSIFIER = "mnist-domains-cnn", "mnist-domains-digits-cnn"


@torch.no_grad()
def predict(classifier: Any, images: Tensor, batch_size: int = 500) -> Tensor:
    """The classifier's classes for uint8 images (or [-1, 1] floats), in batches."""
    return torch.cat([classifier.logits(to_uint8(images[i : i + batch_size])).argmax(1).cpu()
                      for i in range(0, len(images), batch_size)])  # fmt: skip


def evaluate_domain_translation(
    model: Any,
    images: Tensor,
    domains: Tensor,
    digits: Tensor,
    domain_classifier: Any = DOMAIN_CLASSIFIER,
    digit_classifier: Any = DIGIT_CLASSIFIER,
    batch_size: int = 250,
    averaged: bool = True,
) -> dict[str, float]:
    """Target-domain accuracy, digits kept and reconstruction L1 of ``model.translate`` on uint8 test ``images``
    with their ``domains`` and ``digits``, with the real images' accuracies as ceilings (``averaged``: the averaged
    generator when there is one)."""
    if isinstance(domain_classifier, str):
        domain_classifier = load_domain_classifier(domain_classifier)
    if isinstance(digit_classifier, str):
        digit_classifier = load_domain_classifier(digit_classifier)
    sources = images.float().div(127.5).sub(1)
    names = list((getattr(model, "domains", None) or {}).get("names") or range(model.num_domains))
    real_digit_read = predict(digit_classifier, images) == digits
    reached, kept, counts = (torch.zeros(model.num_domains, dtype=torch.long) for _ in range(3))
    l1_sum = 0.0
    for target in range(model.num_domains):
        chosen = (domains != target).nonzero().flatten()
        for part in chosen.split(batch_size):
            outputs = model.translate(sources[part], target, averaged=averaged).float()
            back = model.translate(outputs, domains[part], averaged=averaged).float().cpu()
            outputs = outputs.cpu()
            reached[target] += int((predict(domain_classifier, outputs) == target).sum())
            kept[target] += int((predict(digit_classifier, outputs) == digits[part]).sum())
            l1_sum += float((back - sources[part]).abs().mean(dim=(1, 2, 3)).sum()) / 2  # [-1, 1] → [0, 1] units
            counts[target] += len(part)
    total = int(counts.sum())
    result = {
        "target_domain_accuracy": int(reached.sum()) / total,
        "digits_kept": int(kept.sum()) / total,
        "reconstruction_l1": l1_sum / total,
        "translations": total,
        "real_domain_accuracy": float((predict(domain_classifier, images) == domains).float().mean()),
        "real_digit_accuracy": float(real_digit_read.float().mean()),
    }
    for target, name in enumerate(names):  # per target domain, beside the real images of that domain
        in_domain = domains == target
        result[f"target_domain_accuracy/{name}"] = int(reached[target]) / max(int(counts[target]), 1)
        result[f"digits_kept/{name}"] = int(kept[target]) / max(int(counts[target]), 1)
        real = real_digit_read[in_domain].float().mean() if in_domain.any() else torch.tensor(float("nan"))
        result[f"real_digit_accuracy/{name}"] = float(real)
    return result


def evaluate_trained_domains(
    model: Any, data_dir: str | None, n: int, batch_size: int = 250, averaged: bool = True
) -> dict[str, float]:
    """The three figures on the first ``n`` test digits of the domains ``model`` was trained on (its checkpoint
    says which), for a model of the six default domains (the shipped classifiers know only those)."""
    from ganzoo.checkpoints import import_class
    from ganzoo.data.domains import MNISTDomainsDataModule

    spec = (model.domains or {}).get("data") or {}
    default_names = MNISTDomainsDataModule().domain_names
    if not spec or (model.domains or {}).get("names") != default_names:
        raise ValueError(
            f"StarGAN models are scored on MNISTDomainsDataModule's default domains {default_names} (the shipped "
            f"classifiers know those); this one knows {(model.domains or {}).get('names')}"
        )
    data = import_class(spec["class_path"])(data_dir, **spec["init_args"], download=False)
    return evaluate_domain_translation(model, *data.test_set(n), batch_size=batch_size, averaged=averaged)
