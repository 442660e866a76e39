"""Subcommands beside LightningCLI's fit/validate/test/predict: ``evaluate``, ``sample`` and ``translate``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ganzoo.command_parser import CommandParser, add_normalization_option
from ganzoo.command_parser import device_name as _device
from ganzoo.extras import MissingExtra
from ganzoo.models.sampling import SamplingModule
from ganzoo.models.translating import TranslatingModule
from ganzoo.sample import sample_command
from ganzoo.translate import translate_command


CLASSIFIER_DATA = {"mnist-cnn": "mnist", "fashion-mnist-cnn": "fashion-mnist"}


def evaluate_command(argv: list[str]) -> dict[str, Any]:
    """``python -m ganzoo evaluate --ckpt SPEC --metrics fid,kid,is,pr,1nn --data mnist ...``"""
    from ganzoo import load
    from ganzoo.metrics.evaluate import IMAGE_DATASETS, TOY_DATASETS
    from ganzoo.metrics.registry import METRICS

    parser = CommandParser(
        prog="ganzoo evaluate",
        description="Score a trained generator (its averaged weights when the checkpoint has them) and print a table.",
    )
    parser.add_argument("--ckpt", required=True, help="a checkpoint path, or any spec ganzoo.load accepts")
    parser.add_argument("--metrics", default="fid", help=f"comma-separated: {','.join([*METRICS, 'modes'])}")
    parser.add_argument(
        "--data",
        default=None,
        help=f"real data: {', '.join([*IMAGE_DATASETS, *TOY_DATASETS])} or a folder "
        "(default: the dataset of a shipped --features classifier, mnist for mnist-cnn); for a translation model "
        "(pix2pix) the paired dataset's folder, scored by L1, PSNR and SSIM; for StarGAN the MNIST root",
    )
    parser.add_argument("--data_dir", default=None, help="dataset root (torchvision layout); default $GANZOO_DATA")
    parser.add_argument("--split", default=None, choices=["train", "test"],
                        help="the real data's split (default: train; test for a translation model)")  # fmt: skip
    parser.add_argument("--num_samples", type=int, default=10000)
    parser.add_argument("--num_real", type=int, default=None,
                        help="real images, when not --num_samples (e.g. 60000: all of MNIST's training split)")
    parser.add_argument("--features", default="mnist-cnn", help="mnist-cnn, fashion-mnist-cnn or inception")
    parser.add_argument("--weights_path", default=None, help="local Inception-v3 FID weights (for --features inception)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch_size", type=int, default=200)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--cache_dir", default=None, help="real-statistics cache (default $GANZOO_CACHE/stats)")
    parser.add_argument("--no_cache", action="store_true", help="recompute real statistics and do not store them")
    parser.add_argument("--out", default=None, help="write the scores as JSON here")
    parser.add_argument("--raw", action="store_true", help="score the raw generator, not its average")
    add_normalization_option(parser)
    parser.add_argument("--fcn", default="auto",
                        help="the FCN-score of a labels → photo model: auto (on a folder named facades), on, off, or "
                        "a segmentation network (.pt) from python -m ganzoo.metrics.fcn_score")  # fmt: skip
    args = parser.parse_args(argv)
    if args.num_samples < 2:
        parser.error(f"--num_samples must be at least 2, got {args.num_samples}")
    if args.num_real is not None and args.num_real < 2:
        parser.error(f"--num_real must be at least 2, got {args.num_real}")
    try:
        model = load(args.ckpt)
    except (ValueError, OSError, RuntimeError) as err:
        parser.fail(err)
    if isinstance(model, TranslatingModule) and model.multi_domain:  # StarGAN
        result = evaluate_domain_model(model, args, parser)
    elif model.text_conditional:  # GAN-CLS
        result = evaluate_caption_model(model, args, parser)
    elif isinstance(model, TranslatingModule):
        result = evaluate_translation_model(model, args, parser)
    elif isinstance(model, SamplingModule):
        result = evaluate_generator(model, args, parser)
    else:
        parser.fail(f"{type(model).__name__} neither samples nor translates images: nothing to evaluate")
    result["checkpoint"] = str(args.ckpt)
    width = max(map(len, result))
    for key, value in result.items():
        shown = f"{value:.6g}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {shown}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return result


def evaluate_translation_model(
    model: TranslatingModule, args: argparse.Namespace, parser: CommandParser
) -> dict[str, Any]:
    """A translation model on the paired ``--split`` of the dataset folder ``--data``: L1, PSNR, SSIM; a facades
    labels → photo model also the FCN-score (``ganzoo.metrics.fcn_score``)."""
    from ganzoo.data.base import to_unit_range
    from ganzoo.data.paired import PairedImageDataModule
    from ganzoo.metrics.paired import evaluate_translation
    from ganzoo.models.pix2pix import set_test_normalization

    if args.data is None:
        parser.error("--data FOLDER is needed for a translation model: the paired dataset (with test/)")
    try:
        if args.normalization is not None:
            set_test_normalization(model, args.normalization)
        naming = dict(model.pairs or {})
        data = PairedImageDataModule(args.data, image_size=model.generator.image_size, **naming)
        sources, targets = data.read_split(args.split or "test", data.image_size)
        model = model.to(_device(args.device))
        result = evaluate_translation(model, to_unit_range(sources), to_unit_range(targets), seed=args.seed)
        facades = (data.source, data.target) == ("labels", "photo") and "facades" in data.data_dir.name.lower()
        if args.fcn not in ("off", "auto") or (args.fcn == "auto" and facades):
            from ganzoo.metrics.fcn_score import evaluate_facades, load_segmenter

            segmenter = load_segmenter(None if args.fcn in ("auto", "on") else args.fcn)
            full_labels = data.read_split(args.split or "test", 256)[0]  # classes read before any resizing
            result.update(evaluate_facades(model, sources, targets, segmenter, full_labels, seed=args.seed))
        return result
    except (ValueError, OSError, RuntimeError) as err:
        parser.fail(err)


def evaluate_domain_model(model: TranslatingModule, args: argparse.Namespace, parser: CommandParser) -> dict[str, Any]:
    """A multi-domain model (StarGAN) on the first ``--num_samples`` test images of its training domains:
    target-domain accuracy, digits kept, reconstruction L1 (``ganzoo.metrics.domains``)."""
    from ganzoo.metrics.domains import evaluate_trained_domains

    try:
        model = model.to(_device(args.device))
        data_dir = args.data_dir or args.data
        return evaluate_trained_domains(model, data_dir, args.num_samples, args.batch_size, not args.raw)
    except (ValueError, OSError, RuntimeError, KeyError) as err:
        parser.fail(err)


def evaluate_caption_model(model: SamplingModule, args: argparse.Namespace, parser: CommandParser) -> dict[str, Any]:
    """A text-to-image model on the captioned digits it was trained on: per-attribute agreement (seen and held-out
    combinations), caption retrieval and FID (``ganzoo.metrics.captions``)."""
    from ganzoo.metrics.captions import evaluate_trained_captions

    try:
        model = model.to(_device(args.device))
        return evaluate_trained_captions(model, args.data_dir or args.data, args.num_samples, args.seed, not args.raw)
    except (ValueError, OSError, RuntimeError, KeyError) as err:
        parser.fail(err)


def evaluate_generator(model: SamplingModule, args: argparse.Namespace, parser: CommandParser) -> dict[str, Any]:
    """FID, KID, IS, precision/recall, 1-NN, … of a generator's samples."""
    from ganzoo.metrics.evaluate import evaluate

    if args.data is None:
        args.data = CLASSIFIER_DATA.get(args.features) or parser.error("--data is needed with these --features")
    try:
        return evaluate(
            model,
            args.metrics,
            data=args.data,
            data_dir=args.data_dir,
            split=args.split or "train",
            num_samples=args.num_samples,
            num_real=args.num_real,
            features=args.features,
            weights_path=args.weights_path,
            seed=args.seed,
            batch_size=args.batch_size,
            device=_device(args.device),
            cache_dir=args.cache_dir,
            use_cache=not args.no_cache,
            averaged=not args.raw,
        )
    except (ValueError, OSError, RuntimeError) as err:
        parser.fail(err)


COMMANDS = {"evaluate": evaluate_command, "sample": sample_command, "translate": translate_command}


def run_command(argv: list[str]) -> Any:
    try:
        return COMMANDS[argv[0]](argv[1:])
    except MissingExtra as err:  # a feature whose optional package is not installed: one line
        sys.stderr.write(f"ganzoo {argv[0]}: error: {err}\n")
        sys.exit(2)


if __name__ == "__main__":
    run_command(sys.argv[1:])
