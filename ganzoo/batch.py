"""A named batch: what a training step receives, whatever the data or the model.

``images`` are always there (2D points for the toy mixtures); ``labels`` where the data has classes
(for generated batches: the labels the generator was asked for, or InfoGAN's categorical code);
``codes`` for InfoGAN's continuous codes of generated samples; ``targets``, for translation data, images of the
target domain: for paired data the image each of ``images`` should become (pix2pix: the photo of a label map),
for unpaired data (CycleGAN) target-domain images drawn independently. Every model and loss hook speaks of one
type. A ``StepGroup`` holds several generator steps' real data at once (a model's ``steps_per_call``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from torch import Tensor

TENSOR_FIELDS = ("images", "labels", "codes", "targets", "text", "wrong_text")


@dataclass
class Batch:
    images: Tensor
    labels: Tensor | None = None
    codes: Tensor | None = None
    targets: Tensor | None = None
    text: Tensor | None = None
    wrong_text: Tensor | None = None

    def __len__(self) -> int:
        return len(self.images)

    def tensors(self) -> dict[str, Tensor | None]:
        return {name: getattr(self, name) for name in TENSOR_FIELDS}

    def chunk(self, n: int) -> list[Batch]:
        """``n`` equal minibatches along the first dimension (every field split alike)."""
        parts = self.tensors()
        split = {k: (v.chunk(n) if v is not None else [None] * n) for k, v in parts.items()}
        return [Batch(**{k: split[k][i] for k in parts}) for i in range(n)]

    def critic_minibatches(self, n_critic: int) -> list[Batch]:
        """The ``n_critic`` real minibatches of one training step (a ganzoo DataModule hands them over as one
        batch of ``n_critic × batch_size``); a batch that does not split evenly is a clear error."""
        if len(self) % n_critic:
            raise ValueError(
                f"A batch of {len(self)} does not split into n_critic={n_critic} equal minibatches; "
                "use a ganzoo DataModule (it sizes batches for n_critic) or a batch size divisible by n_critic."
            )
        return [self] if n_critic == 1 else self.chunk(n_critic)

    def detached(self) -> Batch:
        """The same batch cut from the autograd graph (what a discriminator update judges)."""
        images, labels, codes, targets = self.images, self.labels, self.codes, self.targets
        text, wrong_text = self.text, self.wrong_text
        return type(self)(
            images.detach(),
            None if labels is None else labels.detach(),
            None if codes is None else codes.detach(),
            None if targets is None else targets.detach(),
            None if text is None else text.detach(),
            None if wrong_text is None else wrong_text.detach(),
        )

    def with_images(self, images: Tensor) -> Batch:
        return replace(self, images=images)

    @classmethod
    def from_loader(cls, batch: Any) -> Batch:
        """A loader's batch as a ``Batch``: a tensor (images), an (images, labels) pair, a dict, or a Batch."""
        if isinstance(batch, Batch):
            return batch
        if isinstance(batch, dict):
            return cls(**batch)
        if isinstance(batch, (tuple, list)):
            if not 1 <= len(batch) <= 2:
                raise ValueError(f"a batch sequence must be (images,) or (images, labels), got {len(batch)} items")
            return cls(*batch)
        return cls(batch)


@dataclass
class StepGroup:
    """The real data of ``steps`` generator steps, as equal parts of ``batch``; ``augment`` (the DataModule's
    random augmentation, or ``None``) is applied to each part when its step comes."""

    batch: Batch
    steps: int
    augment: Callable[[Batch], Batch] | None = None

    def parts(self) -> list[Batch]:
        """One ``Batch`` per generator step (un-augmented)."""
        return [self.batch] if self.steps == 1 else self.batch.chunk(self.steps)
