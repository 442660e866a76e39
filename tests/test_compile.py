"""``CompileNetworks``: compiled training takes the same steps as eager training, the averaged copy is never
compiled, and checkpoints keep their keys (loadable without compile)."""

from __future__ import annotations

import shutil

import lightning.pytorch as pl
import pytest
import torch
from helpers import digits_data, tiny_dcgan, trainer

from ganzoo.callbacks import CompileNetworks, GeneratorAveraging
from ganzoo.models import DCGAN

needs_compiler = pytest.mark.skipif(shutil.which("c++") is None and shutil.which("g++") is None,
                                    reason="torch.compile on a CPU needs a C++ compiler")  # fmt: skip


def fit(tmp_path, callbacks: list) -> tuple[DCGAN, pl.Trainer]:  # noqa: ANN001
    pl.seed_everything(0)
    model = tiny_dcgan()
    run = trainer(tmp_path, max_steps=3, callbacks=[GeneratorAveraging(decay=0.9), *callbacks],
                  enable_checkpointing=True, deterministic=False)  # fmt: skip
    run.fit(model, digits_data(batch_size=32))
    return model, run


@needs_compiler
def test_compiled_training_takes_the_eager_steps_and_its_checkpoint_loads_without_compile(tmp_path):
    eager, _ = fit(tmp_path / "eager", [])
    compiled, run = fit(tmp_path / "compiled", [CompileNetworks()])
    assert compiled.generator._compiled_call_impl is not None  # it really ran compiled
    assert compiled.discriminator._compiled_call_impl is not None
    assert compiled.averaged_generator.module._compiled_call_impl is None  # the copy was made before
    for name, value in eager.state_dict().items():
        torch.testing.assert_close(compiled.state_dict()[name], value, atol=1e-4, rtol=1e-3, msg=name)
    path = run.checkpoint_callback.best_model_path
    assert not any("_orig_mod" in key for key in torch.load(path, weights_only=True)["state_dict"])
    loaded = DCGAN.load_from_checkpoint(path)
    torch.testing.assert_close(loaded.sample(4, seed=1), compiled.sample(4, seed=1))


def test_an_unknown_network_name_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="has no network 'critic'; its networks are"):
        trainer(tmp_path, max_steps=1, callbacks=[CompileNetworks(networks=["critic"])]).fit(
            tiny_dcgan(), digits_data(batch_size=32)
        )


def test_what_compiled_code_cannot_train_is_refused_at_setup():
    from ganzoo.models import SNGAN, WGANGP
    from ganzoo.nets import DCGANDiscriminator, DCGANGenerator

    def nets(**kwargs):  # noqa: ANN202
        return (DCGANGenerator(latent_dim=8, image_size=16, channels=1, base_channels=8),
                DCGANDiscriminator(image_size=16, channels=1, base_channels=8, **kwargs))  # fmt: skip

    penalised, normalised = WGANGP(*nets(batch_norm=False)), SNGAN(*nets())
    with pytest.raises(ValueError, match="WGANGP differentiates its discriminator's gradient again"):
        CompileNetworks().setup(None, penalised, "fit")
    with pytest.raises(ValueError, match="SNGAN's discriminator is spectrally normalised"):
        CompileNetworks().setup(None, normalised, "fit")
    for model in (penalised, normalised, tiny_dcgan()):  # the generator alone is fine
        CompileNetworks(networks=["generator"]).setup(None, model, "fit")
