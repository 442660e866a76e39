"""Feature extractors, real-statistics caching, ``evaluate`` and ``ganzoo evaluate``."""

from __future__ import annotations

import json

import pytest
import torch
from helpers import digits_data, tiny_dcgan, trainer

from ganzoo.checkpoints import CheckpointError
from ganzoo.cli import main
from ganzoo.metrics.evaluate import evaluate
from ganzoo.metrics.features import DomainClassifier, InceptionFeatures, extract, module_cache_id, to_uint8


def random_extractor() -> DomainClassifier:
    torch.manual_seed(0)
    return DomainClassifier(num_classes=10).eval()


def test_to_uint8_quantises_minus_one_to_one():
    x = torch.tensor([-1.0, -0.999, 0.0, 0.999, 1.0, 1.5])
    assert to_uint8(x).tolist() == [0, 0, 128, 255, 255, 255]
    assert torch.equal(to_uint8(torch.tensor([3], dtype=torch.uint8)), torch.tensor([3], dtype=torch.uint8))


def test_domain_classifier_preprocessing_is_explicit():
    cnn = random_extractor()
    with pytest.raises(TypeError, match="uint8"):
        cnn(torch.zeros(2, 1, 28, 28))
    grey = torch.randint(0, 256, (3, 1, 32, 32), dtype=torch.uint8)  # other sizes are resized to 28
    assert cnn(grey).shape == (3, 128)
    assert torch.allclose(cnn(grey.repeat(1, 3, 1, 1)), cnn(grey), atol=1e-5)  # RGB is averaged to grey
    features, logits = extract(cnn, grey.float() / 127.5 - 1)
    assert features.shape == (3, 128) and logits.shape == (3, 10)


def test_a_plugged_in_extractor_without_logits_gives_features_only():
    class Flatten(torch.nn.Module):
        def forward(self, images):
            return images.float().flatten(1)

    features, logits = extract(Flatten(), torch.zeros(4, 1, 8, 8, dtype=torch.uint8))
    assert features.shape == (4, 64) and logits is None
    assert module_cache_id(Flatten()) == module_cache_id(Flatten())


def test_inception_pipeline_runs_on_a_locally_made_weights_file(tmp_path, monkeypatch):
    """The FID Inception network cannot be downloaded here: save a randomly initialised one and load it back."""
    import torch_fidelity.feature_extractor_inceptionv3 as tf_inception

    with monkeypatch.context() as patch:
        patch.setattr(tf_inception, "load_state_dict_from_url", lambda *a, **k: {})
        patch.setattr(tf_inception.FeatureExtractorInceptionV3, "load_state_dict", lambda self, sd: None)
        state = tf_inception.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"]).state_dict()
    path = tmp_path / "inception.pth"
    torch.save(state, path)
    rng_before = torch.random.get_rng_state()
    inception = InceptionFeatures(weights_path=path)
    assert torch.equal(torch.random.get_rng_state(), rng_before)  # building it draws nothing from the global RNG
    images = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8)  # grey: repeated to RGB, resized to 299
    features, logits = inception.features_and_logits(images)
    assert features.shape == (2, 2048) and logits.shape == (2, 1008)
    assert torch.allclose(inception.net.fc.weight, state["fc.weight"])
    assert not inception.net.training

    pickle_with_code = tmp_path / "evil.pth"
    torch.save({"fc.weight": torch.zeros(1), "hook": print}, pickle_with_code)
    with pytest.raises(CheckpointError, match="weights_only"):
        InceptionFeatures(weights_path=pickle_with_code)


def test_evaluate_scores_a_model_and_caches_real_statistics(tmp_path):
    model = tiny_dcgan()
    options = dict(data="digits", num_samples=300, features=random_extractor(), cache_dir=tmp_path)
    first = evaluate(model, "fid,kid,is,pr,1nn", **options)
    assert first["real_statistics"] == "computed"
    for key in ("fid", "kid", "kid_std", "is", "is_std", "precision", "recall", "one_nn", "one_nn_real", "one_nn_fake"):
        assert isinstance(first[key], float), key
    assert first["fid"] > 0 and first["one_nn"] > 0.9  # an untrained generator is easy to tell apart
    second = evaluate(model, "fid,kid,is,pr,1nn", **options)
    assert second["real_statistics"] == "cached"
    assert {k: v for k, v in second.items() if k not in ("seconds", "real_statistics")} == {
        k: v for k, v in first.items() if k not in ("seconds", "real_statistics")
    }
    assert len(list(tmp_path.glob("*.pt"))) == 1
    evaluate(model, "fid", **{**options, "num_samples": 200})  # another sample count is another entry
    assert len(list(tmp_path.glob("*.pt"))) == 2
    (tmp_path / "junk").mkdir()
    for entry in tmp_path.glob("*.pt"):  # a damaged cache entry is recomputed, not trusted
        entry.write_bytes(b"not a tensor file")
    assert evaluate(model, "fid", **options)["real_statistics"] == "computed"


def test_evaluate_real_against_real_is_near_perfect(tmp_path):
    """A 'generator' that replays real digits scores like real data: FID ≈ 0 against the same images."""
    data = digits_data()
    data.setup()
    images = data.train_set.tensors[0].float() / 127.5 - 1

    class Replay(torch.nn.Module):
        generator = type("G", (), {"output_shape": (1, 16, 16)})()

        def sample_noise(self, n, rng):
            return torch.randint(0, len(images), (n,), generator=rng)

        def sample_from(self, index):
            return images[index]

    result = evaluate(Replay(), "fid,pr", data="digits", num_samples=1797, features=random_extractor(), seed=0,
                      cache_dir=tmp_path)  # fmt: skip
    assert result["fid"] < 0.05 * evaluate(tiny_dcgan(), "fid", data="digits", num_samples=1797,
                                           features=random_extractor(), cache_dir=tmp_path)["fid"]  # fmt: skip
    assert result["precision"] > 0.95 and result["recall"] > 0.55


def test_more_real_than_generated_images_scores_1nn_on_a_balanced_pair_and_caches_the_real_side(tmp_path):
    """The usual protocol (the whole training split against 10,000 generated), on digits: 1,797 real, 300 fake."""
    from ganzoo.metrics.neighbours import one_nn_accuracy
    from ganzoo.metrics.registry import METRICS, FeatureSet

    model = tiny_dcgan()
    options = dict(data="digits", num_samples=300, num_real=5000, features=random_extractor(), cache_dir=tmp_path)
    first = evaluate(model, "fid,kid,pr,1nn", **options)
    assert (first["num_samples"], first["num_real"], first["real_statistics"]) == (300, 1797, "computed")
    second = evaluate(model, "fid,kid,pr,1nn", **options)
    assert second["real_statistics"] == "cached"
    assert {k: second[k] for k in ("fid", "kid", "precision", "recall", "one_nn")} == {
        k: first[k] for k in ("fid", "kid", "precision", "recall", "one_nn")}  # fmt: skip
    assert evaluate(model, "fid", **{**options, "num_real": None})["real_statistics"] == "computed"  # another entry
    # 1-NN on 1,797 + 300 would be right ~86% by the class sizes alone: it takes the first 300 real ones
    real, fake = FeatureSet(torch.randn(1000, 8)), FeatureSet(torch.randn(300, 8))
    assert METRICS["1nn"](real, fake) == one_nn_accuracy(real.features[:300], fake.features)
    assert "nn_distance_first_300" in real.extras


def test_evaluate_rejects_bad_requests(tmp_path):
    model = tiny_dcgan()
    with pytest.raises(ValueError, match="unknown metrics"):
        evaluate(model, "fid,fancy", data="digits", features=random_extractor())
    with pytest.raises(ValueError, match="unknown data"):
        evaluate(model, "fid", data="imagenet", features=random_extractor())
    with pytest.raises(ValueError, match="unknown feature extractor"):
        evaluate(model, "fid", data="digits", features="resnet")
    with pytest.raises(ValueError, match="stacked-mnist"):
        evaluate(model, "modes", data="digits")
    with pytest.raises(FileNotFoundError, match="data_dir"):
        evaluate(model, "fid", data="mnist", data_dir=str(tmp_path), features=random_extractor())


def test_evaluate_command_prints_a_table_and_writes_json(tmp_path, capsys):
    model = tiny_dcgan()
    t = trainer(tmp_path, max_steps=2, enable_checkpointing=True)
    t.fit(model, digits_data(batch_size=16))
    ckpt = next(tmp_path.rglob("*.ckpt"))
    out = tmp_path / "scores.json"
    main(["evaluate", "--ckpt", str(ckpt), "--data", "digits", "--metrics", "fid,pr",
          "--num_samples", "200", "--features", "mnist-cnn", "--cache_dir", str(tmp_path), "--out", str(out),
          "--device", "cpu"])  # fmt: skip
    printed = capsys.readouterr().out
    scores = json.loads(out.read_text())
    assert "fid" in printed and scores["fid"] > 0 and 0 <= scores["precision"] <= 1
    with pytest.raises(SystemExit):  # without --data, only a shipped classifier names its dataset
        main(["evaluate", "--ckpt", str(ckpt), "--features", "inception"])
    assert "--data is needed" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--ckpt", str(ckpt), "--data", "digits", "--metrics", "fid,fancy"])
    assert exit_info.value.code == 2 and "unknown metrics" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["evaluate", "--ckpt", str(tmp_path / "missing.ckpt"), "--data", "digits"])
    assert "No checkpoint" in capsys.readouterr().err


def test_a_classifier_trained_on_any_image_folder_serves_as_extractor(tmp_path):
    """``train_classifier --dataset folder``: two classes told apart by brightness, 10% held out."""
    from PIL import Image

    from ganzoo.metrics.features import get_extractor
    from ganzoo.metrics.train_classifier import main as train_classifier

    g = torch.Generator().manual_seed(0)
    for label, level in (("dark", 40), ("light", 210)):
        (tmp_path / "folder" / label).mkdir(parents=True)
        for i in range(40):
            pixels = (level + 30 * torch.randn(20, 20, generator=g)).clamp(0, 255).to(torch.uint8).numpy()
            Image.fromarray(pixels).save(tmp_path / "folder" / label / f"{i}.png")
    out = tmp_path / "folder-cnn.pt"
    card = train_classifier(["--dataset", "folder", "--data_dir", str(tmp_path / "folder"), "--out", str(out),
                             "--image_size", "20", "--epochs", "3", "--batch_size", "8"])  # fmt: skip
    assert card["num_classes"] == 2 and card["test_samples"] == 8 and card["test_accuracy"] == 1.0
    cnn = get_extractor(str(out))
    assert cnn(torch.zeros(2, 3, 20, 20, dtype=torch.uint8)).shape == (2, 128)
    assert cnn.cache_id.startswith("folder-cnn:")


def test_evaluate_mode_coverage_of_a_2d_model():
    from helpers import tiny_toy_gan

    result = evaluate(tiny_toy_gan(), "modes", data="ring8", num_samples=500)
    assert set(result) >= {"modes", "high_quality", "reverse_kl"} and 0 <= result["modes"] <= 8
    with pytest.raises(ValueError, match="'modes' only"):
        evaluate(tiny_toy_gan(), "fid", data="ring8")
