"""The FCN-score (pix2pix, section 4.2): class maps from label colours, the scores by hand, the shipped network."""

from __future__ import annotations

import pytest
import torch
from conftest import shared_dataset

from ganzoo.metrics.fcn_score import CLASSES, label_indices, load_segmenter, segmentation_scores


def test_scores_from_one_confusion_matrix_by_hand():
    truth = torch.tensor([0, 0, 0, 1, 1, 2])
    predicted = torch.tensor([0, 0, 1, 1, 2, 2])
    scores = segmentation_scores(predicted, truth)
    assert scores["per_pixel_accuracy"] == pytest.approx(4 / 6)
    assert scores["per_class_accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)  # classes absent from truth skipped
    iou = [2 / (3 + 2 - 2), 1 / (2 + 2 - 1), 1 / (1 + 2 - 1)]  # hits / (truth + predicted − hits)
    assert scores["mean_iou"] == pytest.approx(sum(iou) / 3)


def test_label_colours_become_classes_despite_compression_noise():
    palette = torch.tensor([[0.0, 0.0, 220.0], [0.0, 60.0, 255.0], [255.0, 90.0, 0.0]] + [[9.0 * k, 200.0, 9.0 * k]
                           for k in range(len(CLASSES) - 3)])  # fmt: skip
    classes = torch.tensor([[0, 1], [2, 1]])
    image = palette[classes].permute(2, 0, 1).unsqueeze(0)
    noisy = (image + torch.randn(image.shape, generator=torch.Generator().manual_seed(0)) * 6).clamp(0, 255)
    assert torch.equal(label_indices(noisy.round().to(torch.uint8), palette)[0], classes)
    assert torch.equal(label_indices(noisy / 127.5 - 1, palette)[0], classes)  # [-1, 1] floats read the same


def test_the_shipped_segmenter_reads_real_facades_and_ranks_the_floors():
    """On the 106 test pairs (64 px): real photos 0.514 per-pixel accuracy (its card), the mean test photo 0.323;
    the paper's ordering of pix2pix's objectives is in configs/pix2pix/README.md."""
    from ganzoo.data.paired import PairedImageDataModule
    from ganzoo.metrics.fcn_score import fcn_scores, shipped_path

    facades = shared_dataset("facades")
    segmenter = load_segmenter()
    card = torch.load(shipped_path(), weights_only=True)
    data = PairedImageDataModule(str(facades), image_size=64)
    photos = data.read_split("test", 64)[1]
    labels = data.read_split("test", 256)[0]  # the truth from full-size label maps
    real = photos.float().div(127.5).sub(1)
    scores = fcn_scores(segmenter, real, labels)
    assert scores == pytest.approx(card["real_test_photos"], abs=1e-3)  # the card's figures, reproduced
    blind = fcn_scores(segmenter, real.mean(0, keepdim=True).expand_as(real), labels)
    assert scores["fcn_per_pixel_accuracy"] > blind["fcn_per_pixel_accuracy"] + 0.15
    assert scores["fcn_mean_iou"] > 2 * blind["fcn_mean_iou"]
    with pytest.raises(FileNotFoundError, match="train it with"):
        load_segmenter("nowhere.pt")
