"""Mode coverage of 2D mixtures during training (PacGAN's protocol: 2,500 samples, 3σ)."""

from __future__ import annotations


from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info

from ganzoo.models.generative import GeneratorStepCallback
from ganzoo.metrics.mode_coverage import mixture_mode_coverage


class ModeCoverage(GeneratorStepCallback):
    """Every ``every_n_steps`` generator steps, sample ``num_samples`` points and log
    ``val/modes``, ``val/high_quality`` (percent) and ``val/reverse_kl`` against the
    DataModule's ``mixture``; the last result is printed at the end and kept in ``self.result``.
    """

    def __init__(self, every_n_steps: int = 500, num_samples: int = 2500, threshold: float = 3.0, seed: int = 0):
        self.every_n_steps = every_n_steps
        self.num_samples = num_samples
        self.threshold = threshold
        self.seed = seed
        self.result: dict[str, float] | None = None

    def evaluate(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, float]:
        mixture = getattr(trainer.datamodule, "mixture", None)
        if mixture is None:
            raise ValueError("ModeCoverage needs a DataModule with a 'mixture' (ganzoo.data.Toy2DDataModule).")
        samples = pl_module.sample(self.num_samples, seed=self.seed)
        self.result = mixture_mode_coverage(samples, mixture.means, mixture.std, self.threshold)
        return self.result

    def on_generator_step_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.global_step % self.every_n_steps == 0:
            result = self.evaluate(trainer, pl_module)
            pl_module.log_at_generator_step(
                {
                    "val/modes": float(result["modes"]),
                    "val/high_quality": 100 * result["high_quality"],
                    "val/reverse_kl": result["reverse_kl"],
                }
            )

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        r = self.evaluate(trainer, pl_module)
        n_modes = len(trainer.datamodule.mixture.means)
        rank_zero_info(
            f"ganzoo: step {trainer.global_step}: {r['modes']}/{n_modes} modes, "
            f"{100 * r['high_quality']:.1f}% high-quality samples, reverse KL {r['reverse_kl']:.3f}"
        )
