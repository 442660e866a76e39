"""StarGAN: the networks, the domain losses by hand on real and fake, the offline digit domains, learning, the
commands."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import shared_dataset
from helpers import trainer

from ganzoo.batch import Batch
from ganzoo.data.domains import MNISTDomainsDataModule, change_thickness, draw_in_domain
from ganzoo.models import SamplingModule, StarGAN, TranslatingModule
from ganzoo.models.stargan import domain_loss
from ganzoo.nets import StarGANDiscriminator, StarGANGenerator


class DigitsInDomains(MNISTDomainsDataModule):
    """The domains drawn on scikit-learn's 8×8 digits (resized to 28 px) instead of MNIST: runs without data."""

    def __init__(self, data_dir=None, download=False, **kwargs):
        super().__init__(data_dir, download=False, **kwargs)

    def load_digits(self):
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = torch.from_numpy(digits.images).float().div(16).unsqueeze(1)
        images = F.interpolate(images, size=(28, 28), mode="bilinear", antialias=True).clamp(0, 1)
        images, labels = images.mul(255).round().to(torch.uint8), torch.from_numpy(digits.target).long()
        half = len(images) // 2
        return (images[:half], labels[:half]) if self.train else (images[half:], labels[half:])

    def test_set(self, n=None):
        test = type(self)(thicknesses=self.thicknesses, colours=self.colours, seed=self.seed, limit=n, train=False)
        images, domains = test.load()
        return images, domains, test.digits


def tiny_stargan(num_domains: int = 6, **kwargs) -> StarGAN:
    torch.manual_seed(0)
    return StarGAN(StarGANGenerator(28, 3, num_domains, base_channels=4, num_blocks=1),
                   StarGANDiscriminator(28, 3, num_domains, base_channels=4, num_layers=3), **kwargs)  # fmt: skip


def test_networks_tile_the_domain_and_classify_the_whole_image():
    generator = StarGANGenerator(28, 3, num_domains=4, base_channels=8, num_blocks=2)
    x = torch.rand(2, 3, 28, 28) * 2 - 1
    a, b = F.one_hot(torch.tensor([0, 0]), 4).float(), F.one_hot(torch.tensor([3, 3]), 4).float()
    assert generator(x, a).shape == (2, 3, 28, 28)
    assert not torch.allclose(generator(x, a), generator(x, b))  # the target domain reaches G
    assert generator.net[0].in_channels == 3 + 4  # the code tiled and concatenated on channels
    discriminator = StarGANDiscriminator(28, 3, num_domains=4, base_channels=8, num_layers=3)
    scores, logits = discriminator(x)
    assert scores.shape == (2, 1, 3, 3) and logits.shape == (2, 4)  # a patch map; one logit per domain
    assert discriminator.domain_head.kernel_size == (3, 3)  # the domain head sees the whole 3×3 map
    big = StarGANDiscriminator(128, 3, num_domains=5)  # the paper's: 6 layers, 128 → 2, a 2×2 head
    assert big.domain_head.kernel_size == (2, 2) and big(torch.zeros(1, 3, 128, 128))[0].shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match="divisible by 4"):
        StarGANGenerator(30)
    with pytest.raises(ValueError, match="same num_domains"):
        StarGAN(StarGANGenerator(28, 3, 4), StarGANDiscriminator(28, 3, 5, num_layers=3))


def test_domain_loss_by_hand():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    labels = torch.tensor([0, 2])
    log_p = logits.log_softmax(1)
    assert domain_loss(logits, labels).item() == pytest.approx(-(log_p[0, 0] + log_p[1, 2]).item() / 2, rel=1e-6)
    attributes = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])  # CelebA-style: BCE summed over attributes
    p = logits.sigmoid()
    by_hand = -(attributes * p.log() + (1 - attributes) * (1 - p).log()).sum() / 2
    assert domain_loss(logits, attributes).item() == pytest.approx(by_hand.item(), rel=1e-6)


def test_d_classifies_real_images_by_their_domain_and_g_is_classified_by_the_target():
    """D's domain term is on real images with their own domains; G's on its translations with the target ones."""
    model = tiny_stargan(num_domains=3)
    real = Batch(torch.rand(4, 3, 28, 28) * 2 - 1, labels=torch.tensor([0, 1, 2, 0]))
    target = torch.tensor([2, 2, 0, 1])
    fake = model.generator(real.images, F.one_hot(target, 3).float())
    torch.manual_seed(1)
    d_total, d_parts = model.discriminator_loss(real, Batch(fake.detach(), labels=target))
    scores_real, logits_real = model.discriminator(real.images)
    scores_fake = model.discriminator(fake)[0]
    assert d_parts["d_domain"].item() == pytest.approx(F.cross_entropy(logits_real, real.labels).item(), rel=1e-6)
    assert d_parts["d_adversarial"].item() == pytest.approx((scores_fake.mean() - scores_real.mean()).item(), rel=1e-6)
    expected = d_parts["d_adversarial"] + 10 * d_parts["gradient_penalty"] + d_parts["d_domain"]
    assert d_total.item() == pytest.approx(expected.item(), rel=1e-6)
    g_total, g_parts = model.generator_loss(Batch(fake, labels=target), real)
    scores_fake, logits_fake = model.discriminator(fake)
    back = model.generator(fake, F.one_hot(real.labels, 3).float())
    assert g_parts["g_domain"].item() == pytest.approx(F.cross_entropy(logits_fake, target).item(), rel=1e-6)
    assert g_parts["g_adversarial"].item() == pytest.approx(-scores_fake.mean().item(), rel=1e-6)
    assert g_parts["reconstruction"].item() == pytest.approx((back - real.images).abs().mean().item(), rel=1e-6)
    assert g_total.item() == pytest.approx((g_parts["g_adversarial"] + g_parts["g_domain"]
                                            + 10 * g_parts["reconstruction"]).item(), rel=1e-6)  # fmt: skip


def test_bad_domain_input_is_one_clear_error(tmp_path):
    from ganzoo.data import DigitsDataModule

    with pytest.raises(ValueError, match="do not accept the data's shape 1×28×28"):  # grey digits, colour networks
        trainer(tmp_path, max_steps=1).fit(tiny_stargan(), DigitsDataModule(image_size=28, batch_size=5))
    two_domains = DigitsInDomains(thicknesses=["thin"], colours=["red", "green"], limit=64, batch_size=4)
    with pytest.raises(ValueError, match="The data have 2 domains but StarGAN's networks were built for 6"):
        trainer(tmp_path, max_steps=1).fit(tiny_stargan(), two_domains)
    model = tiny_stargan()
    x = torch.zeros(2, 3, 28, 28)
    with pytest.raises(ValueError, match=r"domain labels must be one index in \[0, 5\]"):
        model.translate(x, 6)
    with pytest.raises(ValueError, match=r"one target domain for all 2 images or one per image, got shape \(3,\)"):
        model.translate(x, [0, 1, 2])
    with pytest.raises(ValueError, match="unknown domain 'thick-red'"):
        model.translate(x, "thick-red")  # no names: built in Python, never trained on named domains
    assert isinstance(model, TranslatingModule) and not isinstance(model, SamplingModule)  # no sample(): translate


def test_digit_domains_are_thinner_thicker_and_coloured():
    digits = DigitsInDomains()
    grey, _ = digits.load_digits()
    ink = [change_thickness(grey.float() / 255, t).mean().item() for t in ("thin", "original", "thick")]
    assert ink[0] < 0.9 * ink[1] and ink[2] > 1.2 * ink[1]  # thinned, thickened (blurry digits: less so)
    red = draw_in_domain(grey[:4], "original", "red")
    assert torch.equal(red[:, 0:1], grey[:4]) and red[:, 1:].max() == 0
    digits.setup()
    images, domains = digits.train_set.tensors
    assert digits.domain_names == ["thin-red", "thin-green", "thin-blue", "thick-red", "thick-green", "thick-blue"]
    assert images.shape[1:] == (3, 28, 28) and set(domains.tolist()) == set(range(6))
    for d, name in enumerate(digits.domain_names):  # the ink is in the domain's colour channel only
        colour = ["red", "green", "blue"].index(name.split("-")[1])
        other = [c for c in range(3) if c != colour]
        assert images[domains == d][:, other].max() == 0 and images[domains == d][:, colour].max() > 100
    again = DigitsInDomains()
    assert torch.equal(again.load()[1], domains)  # seeded: the same domains every time
    with pytest.raises(ValueError, match="unknown or missing domains"):
        DigitsInDomains(colours=["purple"])


def test_mnist_domains_hold_every_domain_with_the_digits(tmp_path):
    data = MNISTDomainsDataModule(str(shared_dataset("MNIST").parent), limit=600, download=False)
    data.setup()
    images, domains = data.train_set.tensors
    assert images.shape == (600, 3, 28, 28) and data.num_classes == 6 and len(data.digits) == 600
    test_images, test_domains, test_digits = data.test_set(100)
    assert len(test_images) == len(test_domains) == len(test_digits) == 100
    assert not torch.equal(test_domains, domains[:100])  # the test split draws from its own seed
    grey = data.load_digits()[0][:600].float() / 255
    ink = [change_thickness(grey, t).mean().item() for t in ("thin", "original", "thick")]
    assert ink[0] < 0.6 * ink[1] and ink[2] > 1.6 * ink[1]  # measured: 0.54× and 1.75× the ink


def fit_tiny(tmp_path, model, data, steps=2):
    from lightning.pytorch.callbacks import ModelCheckpoint

    checkpoints = ModelCheckpoint(dirpath=tmp_path / "ckpt", filename="{step}")
    trainer(tmp_path, max_steps=steps, callbacks=[checkpoints], enable_checkpointing=True).fit(model, data)
    return str(tmp_path / "ckpt" / f"step={steps}.ckpt")


def test_translate_and_evaluate_commands_know_the_domains_by_name(tmp_path, capsys):
    from PIL import Image
    from torchvision.utils import save_image

    import ganzoo
    from ganzoo.cli import main

    ckpt = fit_tiny(tmp_path, tiny_stargan(n_critic=2), DigitsInDomains(batch_size=4, limit=64))
    model = ganzoo.load(ckpt)
    assert model.domains["names"][3] == "thick-red"  # kept in the checkpoint
    source = torch.rand(1, 3, 28, 28)
    save_image(source, tmp_path / "digit.png")
    (written,) = main(["translate", "--model", ckpt, "--input", str(tmp_path / "digit.png"), "--out",
                       str(tmp_path / "out"), "--target-domain", "thick-red"])  # fmt: skip
    assert Image.open(written).size == (28, 28)
    command = ["translate", "--model", ckpt, "--input", str(tmp_path / "digit.png"), "--out", str(tmp_path / "x")]
    bad_inputs = ((["--target-domain", "purple"], "this model knows ['thin-red'"), ([], "--target-domain is needed"))
    for bad, message in bad_inputs:
        with pytest.raises(SystemExit) as exit_info:
            main([*command, *bad])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    with pytest.raises(SystemExit) as exit_info:  # pix2pix's options are refused, not ignored
        main([*command, "--target-domain", "thick-red", "--pairs"])
    assert exit_info.value.code == 2 and "--pairs is for pix2pix and CycleGAN" in capsys.readouterr().err
    result = main(["evaluate", "--ckpt", ckpt, "--num_samples", "30", "--batch_size", "16"])
    assert result["translations"] == 30 * 5  # every test image into each of the five other domains
    assert result["real_domain_accuracy"] >= 0.4 and 0 <= result["target_domain_accuracy"] <= 1  # colour: always right


def write_celeba(root, n=12):
    """A small folder in CelebA's layout: n random 218×178 faces, six attributes, n − 4 train / 2 valid / 2 test."""
    from PIL import Image

    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    names = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young", "Smiling"]
    values = torch.randint(0, 2, (n, len(names)), generator=torch.Generator().manual_seed(0)) * 2 - 1
    lines, partition = [str(n), " ".join(names)], []
    for i in range(n):
        file = f"{i + 1:06d}.jpg"
        pixels = torch.randint(0, 256, (218, 178, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(i))
        Image.fromarray(pixels.numpy()).save(folder / "img_align_celeba" / file)
        lines.append(f"{file} " + " ".join(f"{v:2d}" for v in values[i].tolist()))
        partition.append(f"{file} {0 if i < n - 4 else 1 if i < n - 2 else 2}")
    (folder / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    (folder / "list_eval_partition.txt").write_text("\n".join(partition) + "\n")
    return values


def test_celeba_selects_attributes_and_trains_stargan_on_them(tmp_path):
    from ganzoo.data import CelebADataModule

    values = write_celeba(tmp_path)
    data = CelebADataModule(str(tmp_path), attributes=["Blond_Hair", "Male"], image_size=28, crop_size=160,
                            batch_size=2, num_workers=0)  # fmt: skip
    data.setup()
    item = data.train_set[5]
    assert len(data.train_set) == 8 and item["images"].shape == (3, 28, 28) and item["images"].dtype == torch.uint8
    assert torch.equal(data.train_set.labels, (values[:8][:, [1, 3]] > 0).float())
    images, labels = data.test_domains()
    assert images.shape == (2, 3, 28, 28) and torch.equal(labels, (values[10:][:, [1, 3]] > 0).float())
    with pytest.raises(ValueError, match="unknown CelebA attributes \\['Bald'\\]"):
        CelebADataModule(str(tmp_path), attributes=["Bald"]).setup()
    with pytest.raises(FileNotFoundError, match="No CelebA under"):
        CelebADataModule(str(tmp_path / "nowhere")).setup()
    model = StarGAN(StarGANGenerator(28, 3, 2, base_channels=4, num_blocks=1),
                    StarGANDiscriminator(28, 3, 2, base_channels=4, num_layers=3), n_critic=2)  # fmt: skip
    ckpt = fit_tiny(tmp_path, model, data)  # multi-label: the binary cross-entropy per attribute
    import ganzoo

    loaded = ganzoo.load(ckpt)
    assert loaded.domains == {"names": ["Blond_Hair", "Male"], "multi_label": True, "data": data.domain_spec()}
    assert loaded.translate(images, torch.tensor([1.0, 0.0])).shape == (2, 3, 28, 28)
    # by name: the attributes named are set, the others cleared ("Male" alone: a man without blond hair)
    assert torch.equal(loaded.translate(images, "Male"), loaded.translate(images, [0.0, 1.0]))
    with pytest.raises(ValueError, match="unknown domain 'Bald'"):
        loaded.translate(images, "Male,Bald")
    with pytest.raises(ValueError, match="0/1 rows of 2"):
        loaded.translate(images, [1.0, 0.5])


def test_grid_sets_one_hair_colour_and_flips_the_other_attributes():
    model = tiny_stargan(num_domains=4)
    model.domains = {"names": ["Black_Hair", "Blond_Hair", "Male", "Young"], "multi_label": True}
    blond_young_woman = torch.tensor([[0.0, 1.0, 0.0, 1.0]])
    assert model.changed_attribute(blond_young_woman, 0).tolist() == [[1.0, 0.0, 0.0, 1.0]]  # black, not blond
    assert model.changed_attribute(blond_young_woman, 1).tolist() == [[0.0, 1.0, 0.0, 1.0]]  # blond already
    assert model.changed_attribute(blond_young_woman, 2).tolist() == [[0.0, 1.0, 1.0, 1.0]]  # male
    assert model.changed_attribute(blond_young_woman, 3).tolist() == [[0.0, 1.0, 0.0, 0.0]]  # not young


@pytest.mark.slow
def test_stargan_learns_the_digit_domains(tmp_path):
    """700 generator steps on 4,000 MNIST digits in the six domains (smaller networks than the config, Adam 2e-4,
    λ_id = 5, one critic step per generator step; about 1.5 min):
    translations reach their target domain and keep their digit by the shipped classifiers, and translating back
    restores the source. A model that changed only the colour would reach 40% of the targets, the identity 0%;
    with the paper's losses alone the digits are swapped (5% kept at 2,000 steps). Measured on 300 test digits × 5
    domains: target-domain accuracy 0.995, digits kept 0.839, reconstruction L1 0.019 (the paper's n_critic = 5:
    0.996 / 0.901 / 0.018 in 2.3× the time; 300 steps: 0.50 / 0.13)."""
    from ganzoo.metrics.domains import evaluate_domain_translation
    from ganzoo.models.hparams import adam

    data = MNISTDomainsDataModule(str(shared_dataset("MNIST").parent), limit=4000, batch_size=16, download=False)
    torch.manual_seed(0)
    model = StarGAN(StarGANGenerator(28, 3, 6, base_channels=16, num_blocks=2),
                    StarGANDiscriminator(28, 3, 6, base_channels=32, num_layers=3), lambda_identity=5,
                    g_optimizer=adam(2e-4), d_optimizer=adam(2e-4), n_critic=1)  # fmt: skip
    trainer(tmp_path, max_steps=700).fit(model, data)
    scores = evaluate_domain_translation(model, *data.test_set(300))
    assert scores["target_domain_accuracy"] > 0.9, scores
    assert scores["digits_kept"] > 0.8, scores
    assert scores["reconstruction_l1"] < 0.04, scores


class PixelCoded:
    """A stub classifier that reads its class from one pixel (uint8 value = class)."""

    def __init__(self, pixel: int, classes: int):
        self.pixel, self.classes = pixel, classes

    def logits(self, images):
        return F.one_hot(images[:, 0].flatten(1)[:, self.pixel].long(), self.classes).float()


class DomainStub:
    """Two domains, "a" and "b": translating writes the target domain in pixel 0 and keeps the digit in pixel 1,
    except that translating into "b" turns every digit into a 0."""

    num_domains, domains = 2, {"names": ["a", "b"]}

    def translate(self, x, target, averaged=True):
        out = x.clone()
        target = torch.as_tensor(target).expand(len(x)).float()
        out[:, 0, 0, 0] = target / 127.5 - 1
        out[:, 0, 0, 1] = torch.where(target == 1, torch.full_like(target, -1), x[:, 0, 0, 1])
        return out


def test_domain_figures_are_given_per_target_domain():
    """Per target domain: the translations' domain accuracy and digits kept, beside the digit classifier's
    accuracy on the real images of that domain; the overall figures are the means over all translations."""
    from ganzoo.metrics.domains import evaluate_domain_translation

    domains = torch.tensor([0, 0, 0, 1])  # three images of "a" (translated into "b"), one of "b" (into "a")
    digits = torch.tensor([3, 0, 5, 7])
    images = torch.zeros(4, 3, 2, 2, dtype=torch.uint8)
    images[:, 0, 0, 0], images[:, 0, 0, 1] = domains.to(torch.uint8), digits.to(torch.uint8)
    images[2, 0, 0, 1] = 4  # the digit classifier misreads the real 5
    scores = evaluate_domain_translation(DomainStub(), images, domains, digits, PixelCoded(0, 2), PixelCoded(1, 10))
    assert scores["digits_kept/b"] == pytest.approx(1 / 3)  # only the 0 survives being turned into a 0
    assert scores["digits_kept/a"] == 1.0 and scores["digits_kept"] == pytest.approx(2 / 4)
    assert scores["target_domain_accuracy/a"] == scores["target_domain_accuracy/b"] == 1.0
    assert scores["real_digit_accuracy/a"] == pytest.approx(2 / 3) and scores["real_digit_accuracy/b"] == 1.0
    assert scores["real_digit_accuracy"] == pytest.approx(3 / 4) and scores["translations"] == 4
