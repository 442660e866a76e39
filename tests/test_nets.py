"""Architectures follow their papers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.nets import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator


@pytest.mark.parametrize("size", [16, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes(size, channels):
    g = DCGANGenerator(latent_dim=10, image_size=size, channels=channels, base_channels=8)
    d = DCGANDiscriminator(image_size=size, channels=channels, base_channels=8)
    x = g(torch.randn(3, 10))
    assert x.shape == (3, channels, size, size) and g.output_shape == x.shape[1:]
    assert d(x).shape == (3,)
    assert x.abs().max() <= 1  # tanh output


def test_dcgan_follows_radford_et_al():
    g = DCGANGenerator(latent_dim=100, image_size=64, channels=3, base_channels=64)
    d = DCGANDiscriminator(image_size=64, channels=3, base_channels=64)
    layers = list(g.net)
    convs = [m for m in layers if isinstance(m, nn.ConvTranspose2d)]
    assert len(convs) == 5 and not any(isinstance(m, (nn.Linear, nn.MaxPool2d, nn.AvgPool2d)) for m in g.modules())
    # BatchNorm + ReLU after every layer but the output, which is tanh
    for i, m in enumerate(layers):
        if isinstance(m, nn.ConvTranspose2d) and m is not convs[-1]:
            assert isinstance(layers[i + 1], nn.BatchNorm2d) and isinstance(layers[i + 2], nn.ReLU)
    assert isinstance(layers[-1], nn.Tanh)
    d_layers = list(d.net)
    d_convs = [m for m in d_layers if isinstance(m, nn.Conv2d)]
    assert all(c.stride == (2, 2) for c in d_convs[:-1])  # strided convolutions, no pooling
    assert isinstance(d_layers[1], nn.LeakyReLU) and d_layers[1].negative_slope == 0.2  # no BN on the input layer
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d_layers) == len(d_convs) - 2
    for m in [*g.modules(), *d.modules()]:
        if isinstance(m, nn.BatchNorm2d):
            assert m.eps == 1e-5 and m.momentum == 0.1  # not the BatchNorm2d(n, 0.8) pitfall
    weights = torch.cat([c.weight.flatten() for c in [*convs, *d_convs]])
    assert weights.mean().abs() < 1e-3 and weights.std().item() == pytest.approx(0.02, rel=0.02)


def test_infogan_mnist_networks_as_lucic_et_al_use_them_for_every_loss():
    """Lucic et al. 2018's one MNIST architecture (InfoGAN's, their Table 7): G FC-1024 → FC-7·7·128 → deconv 64 →
    deconv 1; D conv 64 → conv 128 (BN) → FC-1024 (BN) → 1."""
    g = DCGANGenerator(latent_dim=64, image_size=28, channels=1, base_channels=64, hidden=1024)
    d = DCGANDiscriminator(image_size=28, channels=1, base_channels=64, hidden=1024)
    d_convs = [m for m in d.net if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.stride) for c in d_convs] == [(1, 64, (2, 2)), (64, 128, (2, 2))]
    assert [(m.in_features, m.out_features) for m in d.net if isinstance(m, nn.Linear)] == [(7 * 7 * 128, 1024), (1024, 1)]
    assert [m.num_features for m in d.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))] == [128, 1024]
    g_convs = [m for m in g.net if isinstance(m, nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels) for c in g_convs] == [(64, 1024), (1024, 128), (128, 64), (64, 1)]
    assert d(g(torch.randn(3, 64))).shape == (3,)
    weights = torch.cat([m.weight.flatten() for m in d.net if isinstance(m, nn.Linear)])
    assert weights.std().item() == pytest.approx(0.02, rel=0.02)  # Radford et al.'s initialisation here too
    assert DCGANDiscriminator(image_size=28, channels=1, hidden=16, batch_norm=False, minibatch_kernels=4)(
        torch.randn(3, 1, 28, 28)).shape == (3,)  # fmt: skip


def test_critic_without_batch_norm():
    d = DCGANDiscriminator(image_size=32, channels=1, batch_norm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())


def test_unsupported_size_is_a_clear_error():
    with pytest.raises(ValueError, match="image_size in"):
        DCGANGenerator(image_size=48)


def test_mlp_nets():
    g, d = MLPGenerator(latent_dim=4, data_dim=2, hidden_dims=[8, 8]), MLPDiscriminator(data_dim=2, hidden_dims=[8])
    assert g(torch.randn(5, 4)).shape == (5, 2) and d(torch.randn(5, 2)).shape == (5,)
    assert sum(isinstance(m, nn.Linear) for m in g.modules()) == 3


def test_packed_discriminator_judges_each_pack_of_m_samples_as_one_input():
    """PacGAN (Lin et al. 2018): pack m gives one logit per m consecutive samples, concatenated."""
    torch.manual_seed(0)
    packed = MLPDiscriminator(data_dim=2, hidden_dims=[8], pack=4)
    x = torch.randn(12, 2)
    assert packed(x).shape == (3,)
    # the second pack's logit is the plain network on that pack's 4 samples laid end to end
    assert torch.allclose(packed(x)[1], packed.net(x[4:8].reshape(1, 8)).squeeze(), atol=1e-6)
    with pytest.raises(ValueError, match="packs of 4"):
        packed(torch.randn(10, 2))
    with pytest.raises(ValueError, match="pack must be"):
        MLPDiscriminator(pack=0)


def test_infogan_paper_networks_have_their_fully_connected_1024_layers():
    """Chen et al. 2016, MNIST: G = FC-1024, FC-7×7×128, two up-convolutions; D's body ends in FC-1024."""
    from ganzoo.nets import InfoGANDiscriminator

    g = DCGANGenerator(latent_dim=74, image_size=28, channels=1, base_channels=64, hidden=1024)
    d = InfoGANDiscriminator(image_size=28, channels=1, base_channels=64, categorical_dim=10, continuous_dim=2, hidden=1024)
    first, second = [m for m in g.net if isinstance(m, nn.ConvTranspose2d)][:2]
    assert (first.in_channels, first.out_channels, first.kernel_size) == (74, 1024, (1, 1))  # FC on a 1×1 map
    assert (second.in_channels, second.out_channels, second.kernel_size) == (1024, 128, (7, 7))
    assert g(torch.randn(3, 74)).shape == (3, 1, 28, 28)
    last = [m for m in d.body if isinstance(m, nn.Conv2d)][-1]
    assert (last.in_channels, last.out_channels, last.kernel_size) == (128, 1024, (7, 7))
    logit, code_logits, code_means = d(torch.randn(3, 1, 28, 28))
    assert logit.shape == (3,) and code_logits.shape == (3, 10) and code_means.shape == (3, 2)
    # hidden=0 is the plain DCGAN generator, unchanged
    assert [type(m) for m in DCGANGenerator(74, 28, 1, 64).net] == [type(m) for m in g.net][3:]


def test_infogan_discriminator_leaky_slope_reaches_every_activation():
    """``negative_slope`` sets D's and Q's LeakyReLUs (the paper's code uses 0.01); the default stays DCGAN's 0.2."""
    from ganzoo.nets import InfoGANDiscriminator

    slopes = {m.negative_slope for m in InfoGANDiscriminator(hidden=64, negative_slope=0.01).modules()
              if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.01}
    assert {m.negative_slope for m in InfoGANDiscriminator().modules() if isinstance(m, nn.LeakyReLU)} == {0.2}


def test_mlp_discriminator_slope_zero_is_a_relu_network():
    """``negative_slope`` sets every hidden activation (0: ReLU, as Metz et al.'s toy D); the default stays 0.2."""
    torch.manual_seed(0)
    relu_d = MLPDiscriminator(data_dim=2, hidden_dims=[8, 8], negative_slope=0.0)
    x = torch.randn(5, 2)
    first, second, last = [m for m in relu_d.net if isinstance(m, nn.Linear)]
    expected = last(second(first(x).relu()).relu()).squeeze(1)
    assert torch.allclose(relu_d(x), expected)
    assert {m.negative_slope for m in MLPDiscriminator().modules() if isinstance(m, nn.LeakyReLU)} == {0.2}
