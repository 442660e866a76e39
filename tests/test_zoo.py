"""Pretrained models: the registry and its files, loading by name/URL (served locally), torch.hub, ``ganzoo sample``."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
import torch
from conftest import ROOT
from helpers import digits_data, tiny_dcgan, tiny_toy_gan, toy_data, trainer
from PIL import Image

import ganzoo
from ganzoo.callbacks import GeneratorAveraging
from ganzoo.checkpoints import CheckpointError, file_sha256
from ganzoo.cli import main
from ganzoo.metrics.evaluate import generator_label
from ganzoo.models.adversarial import AdversarialModule
from ganzoo.models.sampling import SamplingModule
from ganzoo.models.translating import TranslatingModule
from ganzoo.zoo import download, registry, resolve, strip_for_shipping

REQUIRED_CARD = {"command", "generator_steps", "wall_seconds", "hardware", "scores", "sha256", "file"}


@pytest.fixture
def trained_checkpoint(tmp_path):
    model = tiny_dcgan()
    t = trainer(tmp_path, max_steps=2, callbacks=[GeneratorAveraging(decay=0.5)])
    t.fit(model, digits_data(batch_size=16))
    path = tmp_path / "full.ckpt"
    t.save_checkpoint(path)
    return model, path


@pytest.fixture
def served(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www, and a torch hub cache in tmp_path/hub."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    old_hub = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    yield www, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    torch.hub.set_dir(old_hub)


def test_every_registry_entry_is_a_model_card_with_a_small_checked_file():
    entries = registry()
    assert {"quickstart-digits", "gan-ring8"} <= set(entries)
    for name, card in entries.items():
        assert REQUIRED_CARD <= set(card), name
        path = resolve(name)
        # small files; InfoGAN's G has a 1024 → 7·7·128 linear layer (6.4 M weights, float16; half that at base 32)
        limit = {"infogan-mnist": 14_000_000, "infogan-mnist-15min": 7_000_000}.get(name, 5_000_000)
        assert path.stat().st_size < limit
        assert file_sha256(path) == card["sha256"]
        model = ganzoo.load(name)
        assert not model.training
        assert not isinstance(model, AdversarialModule) or model.discriminator_trained is False  # (the VAE has none)
        assert isinstance(model, (SamplingModule, TranslatingModule)), name
        if isinstance(model, TranslatingModule) and model.multi_domain:  # StarGAN: a made-up digit into domain 0
            samples = model.translate(torch.rand(4, *model.generator.input_shape) * 2 - 1, 0)
        elif isinstance(model, TranslatingModule):  # pix2pix, CycleGAN: a made-up source image
            samples = model.translate(torch.rand(4, *model.generator.input_shape) * 2 - 1)
        else:
            samples = model.sample(4, seed=0)
        assert torch.isfinite(samples).all()
        if samples.ndim == 4:  # images come out of a tanh; 2D points (linear output) may pass ±1
            assert samples.abs().max() <= 1.0 + 1e-6
    assert [m["name"] for m in ganzoo.list_models()] == sorted(entries)


def test_shipped_file_keeps_the_averaged_generator_and_drops_the_rest(trained_checkpoint, tmp_path):
    model, path = trained_checkpoint
    shipped = strip_for_shipping(path, tmp_path / "small.ckpt", {"note": "test"})
    saved = torch.load(shipped, weights_only=True)
    assert all(k.startswith("generator.") for k in saved["state_dict"]) and "optimizer_states" not in saved
    assert shipped.stat().st_size < path.stat().st_size / 2
    loaded = ganzoo.load(shipped)
    assert torch.equal(loaded.sample(3, seed=4), model.sample(3, seed=4))  # the averaged generator's samples
    assert loaded.discriminator_trained is False
    assert generator_label(loaded, averaged=True) == "averaged (shipped file)"  # what evaluate reports


def test_half_precision_shipping_halves_the_file_and_loads_back_as_float32(trained_checkpoint, tmp_path):
    model, path = trained_checkpoint
    full = strip_for_shipping(path, tmp_path / "full.ckpt")
    half = strip_for_shipping(path, tmp_path / "half.ckpt", half=True)
    saved = torch.load(half, weights_only=True)
    assert {v.dtype for v in saved["state_dict"].values() if v.is_floating_point()} == {torch.float16}
    assert saved["ganzoo"]["stored_dtype"] == "float16"
    weight_bytes = [sum(v.numel() * v.element_size() for v in torch.load(f, weights_only=True)["state_dict"].values())
                    for f in (full, half)]  # fmt: skip
    assert weight_bytes[1] < 0.51 * weight_bytes[0] and half.stat().st_size < full.stat().st_size
    loaded = ganzoo.load(half)
    assert all(p.dtype == torch.float32 for p in loaded.generator.parameters())
    expected = model.sample(3, seed=4)  # the weights rounded to float16: the same images within 1e-2
    assert (loaded.sample(3, seed=4) - expected).abs().max() < 1e-2
    assert generator_label(model, averaged=True) == "averaged" and generator_label(model, averaged=False) == "raw"


def test_download_checks_sha256_and_caches(trained_checkpoint, served, tmp_path):
    model, path = trained_checkpoint
    www, base = served
    (www / "model.ckpt").write_bytes(path.read_bytes())
    digest = file_sha256(path)
    local = download(f"{base}/model.ckpt", digest)
    assert local.is_relative_to(tmp_path / "hub")
    assert torch.equal(ganzoo.load(local).sample(2, seed=0), model.sample(2, seed=0))
    (www / "model.ckpt").unlink()  # a second load comes from the cache
    assert download(f"{base}/model.ckpt", digest) == local
    (www / "other.ckpt").write_bytes(path.read_bytes())
    with pytest.raises(CheckpointError, match="SHA-256 mismatch"):
        download(f"{base}/other.ckpt", "0" * 64)
    assert not list((tmp_path / "hub").rglob("*other.ckpt"))  # a bad download is not kept
    # torch hub's convention: a hash prefix in the file name is checked
    (www / f"dcgan-{digest[:10]}.ckpt").write_bytes(path.read_bytes())
    assert ganzoo.load(f"{base}/dcgan-{digest[:10]}.ckpt") is not None
    (www / "dcgan-deadbeef00.ckpt").write_bytes(path.read_bytes())
    with pytest.raises(CheckpointError, match="does not start with"):
        ganzoo.load(f"{base}/dcgan-deadbeef00.ckpt")
    with pytest.raises(RuntimeError, match="Could not download"):
        ganzoo.load(f"{base}/missing.ckpt")


def test_registry_entries_are_checked_and_unknown_names_listed(monkeypatch, trained_checkpoint, served, tmp_path):
    _, path = trained_checkpoint
    www, base = served
    (www / "remote.ckpt").write_bytes(path.read_bytes())
    entries = {"remote-good": {"url": f"{base}/remote.ckpt", "sha256": file_sha256(path)},
               "remote-bad": {"url": f"{base}/remote.ckpt", "sha256": "f" * 64}}  # fmt: skip
    monkeypatch.setattr("ganzoo.zoo.registry", lambda: entries)
    assert ganzoo.load("remote-good") is not None
    with pytest.raises(CheckpointError, match="SHA-256 mismatch"):
        ganzoo.load("remote-bad")
    with pytest.raises(ValueError, match="registered"):
        ganzoo.load("dcgan-imagenet")


def test_untrusted_corrupt_and_foreign_files_are_refused(tmp_path):
    evil = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "payload": print}, evil)
    with pytest.raises(CheckpointError, match="weights_only"):
        ganzoo.load(evil)
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match="corrupt"):
        ganzoo.load(corrupt)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}, "ganzoo": {"class_path": "somewhere.else.Model"}}, foreign)
    with pytest.raises(CheckpointError, match="not imported"):
        ganzoo.load(foreign)


def test_torch_hub_loads_registered_models_the_usual_way():
    import importlib.util

    spec = importlib.util.spec_from_file_location("hubconf", ROOT / "hubconf.py")
    hubconf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hubconf)
    entries = {n for n in dir(hubconf) if callable(getattr(hubconf, n)) and not n.startswith("_")}
    assert {name.replace("-", "_") for name in registry()} <= entries
    model = torch.hub.load(str(ROOT), "quickstart_digits", source="local")
    assert model.sample(2, seed=0).shape == (2, 1, 16, 16)


def test_sample_command_writes_grids_folders_and_interpolations(trained_checkpoint, tmp_path, capsys):
    model, path = trained_checkpoint
    grid = tmp_path / "grid.png"
    main(["sample", "--model", str(path), "--num", "16", "--seed", "0", "--out", str(grid)])
    assert Image.open(grid).size == (4 * 16 + 5 * 2, 4 * 16 + 5 * 2)
    written = main(["sample", "--model", str(path), "--num", "5", "--out", str(tmp_path / "each") + "/"])
    assert len(written) == 5 and Image.open(written[0]).size == (16, 16)
    strip = tmp_path / "strip.png"
    main(["sample", "--model", str(path), "--num", "2", "--interpolate", "--steps", "6", "--out", str(strip)])
    assert Image.open(strip).size == (6 * 16 + 7 * 2, 2 * 16 + 3 * 2)
    with pytest.raises(SystemExit):
        main(["sample", "--model", str(path), "--labels", "3"])
    for argv, message in (
        (["sample", "--model", str(path), "--traverse", "c1"], "DCGAN has no continuous codes to traverse"),
        (["translate", "--model", str(path), "--input", str(grid), "--out", str(tmp_path / "x")],
         "DCGAN does not translate images: use ganzoo sample"),
    ):  # the wrong request for the model's kind: one line, exit code 2
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if ": error: " in line]
        assert exit_info.value.code == 2 and len(lines) == 1 and message in lines[0], err


def test_sample_command_scatters_2d_models(tmp_path):
    model = tiny_toy_gan()
    t = trainer(tmp_path, max_steps=1)
    t.fit(model, toy_data())
    t.save_checkpoint(tmp_path / "toy.ckpt")
    out = tmp_path / "toy.png"
    main(["sample", "--model", str(tmp_path / "toy.ckpt"), "--num", "100", "--out", str(out)])
    assert Image.open(out).size[0] > 100
