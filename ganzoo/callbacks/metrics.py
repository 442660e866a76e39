"""FID, KID, IS, precision/recall and 1-NN during training, logged as ``val/<name>``; for conditional
models also label accuracy, intra-class FID, InfoGAN's matched accuracy and information bound."""

from __future__ import annotations


import torch
from lightning.pytorch import LightningModule, Trainer
from torch import Tensor, nn

from ganzoo.models.generative import GeneratorStepCallback
from ganzoo.metrics.conditional import CONDITIONAL_METRICS, conditional_scores
from ganzoo.metrics.features import extract, get_extractor
from ganzoo.metrics.registry import FeatureSet, compute_metrics, parse_metric_names
from ganzoo.metrics.samples import dataset_images, sample_generated


class GenerativeMetrics(GeneratorStepCallback):
    """Every ``every_n_steps`` generator steps (and at the end), score ``num_samples`` generated
    images against ``num_samples`` real ones drawn once (seeded) from the DataModule's training set.

    Logged as ``val/fid``, ``val/kid``, ``val/is``, ``val/precision``, ``val/recall``, ``val/one_nn``…,
    so ``ModelCheckpoint(monitor="val/fid", mode="min")`` keeps the best. The generated samples come
    from fixed noise (comparable across steps) through the model's ``sample_from``, which uses the
    averaged generator when an EMA callback keeps one.

    Under DDP each rank makes ``num_samples / world_size`` samples and their features are gathered;
    rank 0 computes the metrics once and broadcasts them. The extractor belongs to this callback,
    never to the LightningModule, so its weights stay out of checkpoints.

    Args:
        metrics: names from ``ganzoo.metrics.METRICS`` ("fid,kid" or a list).
        features: ``mnist-cnn``, ``fashion-mnist-cnn``, ``inception``, or an ``nn.Module`` from the config.
        weights_path: local Inception weights for ``features: inception``.
    """

    def __init__(
        self,
        metrics: str | list[str] = "fid",
        every_n_steps: int = 1000,
        num_samples: int = 2000,
        features: str | nn.Module = "mnist-cnn",
        weights_path: str | None = None,
        seed: int = 0,
        batch_size: int = 200,
    ):
        self.names = parse_metric_names(metrics)
        if "modes" in self.names:
            raise ValueError("use ganzoo.callbacks.ModeCoverage for mode coverage during training")
        if every_n_steps < 1 or num_samples < 2:
            raise ValueError(f"every_n_steps ≥ 1 and num_samples ≥ 2 needed, got {every_n_steps}, {num_samples}")
        self.every_n_steps = every_n_steps
        self.num_samples = num_samples
        self.features, self.weights_path = features, weights_path
        self.seed = seed
        self.batch_size = batch_size
        self.extractor: nn.Module | None = None
        self.real: FeatureSet | None = None
        self.conditional = [n for n in self.names if n in CONDITIONAL_METRICS]
        self.real_labelled: tuple[Tensor, Tensor] | None = None  # rank 0's real images and labels (intra_fid)
        self.result: dict[str, float] | None = None
        self._last_step = -1

    def _gather(self, pl_module: LightningModule, x: Tensor | None) -> Tensor | None:
        if x is None or pl_module.trainer.world_size == 1:
            return x
        gathered = pl_module.all_gather(x.to(pl_module.device))
        return gathered.flatten(0, 1).cpu()

    def _features(self, pl_module: LightningModule, images: Tensor) -> FeatureSet:
        features, logits = extract(self.extractor, images, self.batch_size)
        return FeatureSet(self._gather(pl_module, features), self._gather(pl_module, logits))

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.extractor = get_extractor(self.features, self.weights_path).to(pl_module.device)
        dataset = trainer.datamodule.train_set
        self.num_samples = min(self.num_samples, len(dataset))  # both sides the same size, equal on every rank
        per_rank = self.num_samples // trainer.world_size
        order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(self.seed))
        mine = order[: per_rank * trainer.world_size][trainer.global_rank :: trainer.world_size]
        self.real = self._features(pl_module, dataset_images(dataset, mine))
        if "intra_fid" in self.conditional and trainer.is_global_zero:
            chosen = order[: self.num_samples]
            labels = getattr(dataset, "tensors", [None, None])[1]
            if labels is None:
                labels = torch.as_tensor([int(dataset[int(i)][1]) for i in chosen])
            else:
                labels = labels[chosen]
            self.real_labelled = (dataset_images(dataset, chosen), labels)

    @torch.no_grad()
    def score(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, float]:
        per_rank = self.num_samples // trainer.world_size
        # the same noise every time: a fixed seed per rank
        images = sample_generated(pl_module, per_rank, self.seed + 1 + trainer.global_rank, self.batch_size)
        fake = self._features(pl_module, images)
        result = None
        if trainer.is_global_zero:  # conditional scores: rank 0 samples all of them (no collectives involved)
            result = compute_metrics(self.names, self.real, fake)
            if self.conditional:
                scores = conditional_scores(pl_module, self.conditional, self.extractor, self.real_labelled,
                                            self.num_samples, self.seed + 1, self.batch_size)  # fmt: skip
                result.update({k: v for k, v in scores.items() if isinstance(v, float)})
        self.result = trainer.strategy.broadcast(result, src=0)
        self._last_step = trainer.global_step
        pl_module.log_at_generator_step({f"val/{k}": float(v) for k, v in self.result.items()})
        return self.result

    def on_generator_step_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        step = trainer.global_step
        if step != self._last_step and (step % self.every_n_steps == 0 or step == trainer.max_steps):
            self.score(trainer, pl_module)
