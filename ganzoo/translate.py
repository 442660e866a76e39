"""``ganzoo translate``: run a translation model (pix2pix, CycleGAN, StarGAN) on image files.

    ganzoo translate --model SPEC --input FILE_OR_DIR --out DIR [--dropout on|off] [--pairs] [--into NAME]
                     [--target-domain NAME]

Each input image is resized to the model's size and translated; the output keeps the input's file name (as
PNG). With ``--pairs`` the inputs are side-by-side pairs laid out as the model's training data was (facades:
photo | labels): the source half is translated and the output is a triptych (source | output | target).
CycleGAN translates both ways: ``--into labels`` (the source domain's name) runs its inverse generator. StarGAN
translates into any of its domains: ``--target-domain thick-red``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganzoo.command_parser import CommandParser, add_normalization_option
from ganzoo.models.translating import TranslatingModule


def input_files(spec: str) -> list[Path]:
    """``--input``: one image file, or the image files in a folder."""
    from ganzoo.data.paired import image_files

    path = Path(spec)
    if path.is_file():
        return [path]
    return image_files(path, ": --input is neither an image file nor a folder")


def target_domain(model: TranslatingModule, name: str | None) -> str | int:
    """``--target-domain``: a domain name the model knows, or an index; for attribute domains (CelebA) the names
    of the attributes to set, comma-separated (the others are cleared)."""
    names = list((model.domains or {}).get("names") or [])
    if name is None:
        raise ValueError(f"--target-domain is needed: one of {names or list(range(model.num_domains))}")
    if (model.domains or {}).get("multi_label"):
        return name  # StarGAN.parse_domains reads "Blond_Hair,Male"
    if name in names:
        return name
    if name.isdigit() and int(name) < model.num_domains:
        return int(name)
    raise ValueError(f"--target-domain {name}: this model knows {names or list(range(model.num_domains))}")


def translate_command(argv: list[str]) -> list[Path]:
    import torch
    from torchvision.utils import save_image

    from ganzoo import load
    from ganzoo.data.base import to_unit_range
    from ganzoo.data.images import read_image
    from ganzoo.data.paired import resize_image, split_pair
    from ganzoo.metrics.paired import translate_all
    from ganzoo.models.pix2pix import set_test_normalization

    parser = CommandParser(prog="ganzoo translate", description="Translate images with pix2pix, CycleGAN or StarGAN.")
    parser.add_argument("--model", required=True, help="a registered name, checkpoint path, URL or wandb: artifact")
    parser.add_argument("--input", required=True, help="an image file or a folder of them (the source domain)")
    parser.add_argument("--out", required=True, help="the folder to write translations to")
    parser.add_argument("--dropout", choices=["on", "off"], default=None,
                        help="test-time dropout (default: the model's, on for pix2pix as in the paper)")  # fmt: skip
    add_normalization_option(parser)
    parser.add_argument("--pairs", action="store_true",
                        help="inputs are side-by-side pairs in the model's training layout: write triptychs")  # fmt: skip
    parser.add_argument("--into", default=None,
                        help="CycleGAN: the domain to translate into, by its name (default: the target, e.g. photo)")  # fmt: skip
    parser.add_argument("--target-domain", dest="target_domain", default=None,
                        help="StarGAN: the domain to translate into, by name (e.g. thick-red) or index")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seeds test-time dropout")
    args = parser.parse_args(argv)
    try:
        model = load(args.model)
        if not isinstance(model, TranslatingModule):
            raise ValueError(f"{type(model).__name__} does not translate images: use ganzoo sample")
        if args.normalization is not None:
            set_test_normalization(model, args.normalization)
        files = input_files(args.input)
        extra: dict[str, Any] = {}
        crop = None
        if model.multi_domain:  # StarGAN
            for option, given in (("--pairs", args.pairs), ("--into", args.into), ("--dropout", args.dropout)):
                if given:
                    raise ValueError(f"{option} is for pix2pix and CycleGAN; StarGAN takes --target-domain")
            extra["domains"] = target_domain(model, args.target_domain)
            crop = (((model.domains or {}).get("data") or {}).get("init_args") or {}).get("crop_size")  # CelebA
        elif args.target_domain is not None:
            raise ValueError(f"--target-domain is for multi-domain models (StarGAN), not {type(model).__name__}")
        pairs: dict[str, Any] = dict(model.pairs or {})
        inverse = args.into is not None and args.into == pairs.get("source")
        if args.into is not None and args.into not in (pairs.get("source"), pairs.get("target")):
            raise ValueError(f"--into {args.into}: this model translates between {pairs.get('source')!r} and "
                             f"{pairs.get('target')!r}")  # fmt: skip
        if inverse and not model.two_way:
            raise ValueError(f"{type(model).__name__} translates one way only, into {pairs.get('target')!r}")
        if inverse and args.pairs:
            raise ValueError("--pairs writes triptychs of the training direction; drop it with --into the source")
        channels = pairs.get("channels", getattr(model.generator, "channels", 3))
        size = model.generator.image_size
        sources, targets = [], []
        for path in files:
            image = read_image(path, channels)
            if args.pairs:
                if pairs.get("layout", "side_by_side") != "side_by_side":
                    raise ValueError("--pairs reads side-by-side files; this model was trained on pairs in two folders")
                names = [pairs.get(k, default) for k, default in
                         (("left", "photo"), ("right", "labels"), ("source", "labels"), ("target", "photo"))]  # fmt: skip
                image, target = split_pair(image, *names)
                targets.append(to_unit_range(resize_image(target, size)))
            if crop:  # as the training data: a centre crop, then the resize
                from torchvision.transforms.v2.functional import center_crop

                image = center_crop(image, [crop, crop])
            sources.append(to_unit_range(resize_image(image, size)))
    except (ValueError, OSError, RuntimeError) as err:
        parser.fail(err)
    dropout = None if args.dropout is None else args.dropout == "on"
    extra.update({"inverse": True} if inverse else {})
    outputs = translate_all(model, torch.stack(sources), dropout, batch_size=16, seed=args.seed, **extra)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (path, output) in enumerate(zip(files, outputs)):
        picture = torch.cat([sources[i], output, targets[i]], dim=-1) if args.pairs else output
        written.append(out / f"{path.stem}.png")
        save_image(picture.add(1).div(2).clamp(0, 1), written[-1])
    print(f"wrote {len(written)} translation{'s' if len(written) > 1 else ''} to {out}")
    return written
