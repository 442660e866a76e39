"""``ganzoo sample``: grids or files of a trained model's samples; rows per class, interpolations, InfoGAN
traversals, VAE reconstructions, and captions for text-to-image models (``--text``, ``--text-file``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ganzoo.command_parser import CommandParser
from ganzoo.models.sampling import SamplingModule
from ganzoo.models.translating import TranslatingModule


def slerp(a, b, t):  # noqa: ANN001, ANN201
    """Spherical interpolation between noise vectors (White 2016), rows of a and b, at fractions t."""
    import torch

    a_n, b_n = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((a_n * b_n).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    t = t.view(-1, 1, 1)
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def sample_command(argv: list[str]) -> list[Path]:
    """``python -m ganzoo sample --model SPEC --num 64 --seed 0 --out grid.png``"""
    import torch
    from torchvision.utils import save_image

    from ganzoo import load
    from ganzoo.callbacks.sample_grid import render_scatter

    parser = CommandParser(prog="ganzoo sample", description="Write samples of a trained model.")
    parser.add_argument("--model", required=True, help="a registered name, checkpoint path, URL or wandb: artifact")
    parser.add_argument("--num", type=int, default=64, help="samples (with --interpolate: interpolation rows)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="samples.png", help="a .png file for a grid, or a folder (ending /) for one PNG each")
    parser.add_argument("--nrow", type=int, default=None, help="images per grid row (default √num)")
    parser.add_argument("--interpolate", action="store_true", help="rows of spherical latent interpolations")
    parser.add_argument("--steps", type=int, default=10, help="images per interpolation row")
    parser.add_argument("--raw", action="store_true", help="the raw generator, not its average")
    parser.add_argument(
        "--labels", default=None, help="conditional models: one class (3), a comma list, or 'all' (one row per class)"
    )
    parser.add_argument("--traverse", default=None, help="InfoGAN: a continuous code to vary (c1, c2, …), one row per category")
    parser.add_argument("--range", nargs=2, type=float, default=(-2.0, 2.0), metavar=("LOW", "HIGH"),
                        help="the traversed code's values (default -2 2; training draws U(-1, 1))")  # fmt: skip
    parser.add_argument("--reconstruct", default=None, metavar="DIR", help="VAE: inputs from DIR over their reconstructions")
    parser.add_argument("--text", default=None, help='text-to-image models: one caption ("a thick red seven") for all')
    parser.add_argument("--text-file", "--text_file", dest="text_file", default=None,
                        help="text-to-image models: a file of captions, one a line; a row of --num samples each")  # fmt: skip
    args = parser.parse_args(argv)
    if args.num < 1 or args.steps < 2:
        parser.error("--num must be ≥ 1 and --steps ≥ 2")
    try:
        model = load(args.model)
    except (ValueError, OSError, RuntimeError) as err:
        parser.fail(err)
    if args.reconstruct is not None:
        from ganzoo.reconstruct import reconstruct_command

        try:
            written_to = reconstruct_command(model, args.reconstruct, args.out, args.num, args.raw)
        except (ValueError, FileNotFoundError) as err:
            parser.fail(err)
        print(f"wrote {written_to}")
        return [written_to]
    if not isinstance(model, SamplingModule):
        parser.fail(f"{type(model).__name__} translates images rather than sampling noise: use ganzoo translate"
                    if isinstance(model, TranslatingModule) else f"{type(model).__name__} does not sample")  # fmt: skip
    rng = torch.Generator().manual_seed(args.seed)
    try:
        z, nrow = sample_latent_for(model, args, rng)
    except ValueError as err:
        parser.fail(err)
    nrow = args.nrow or nrow
    samples = model.sample_from(z, averaged=not args.raw).float().cpu()
    out = Path(args.out)
    written: list[Path] = []
    if samples.ndim == 2:  # 2D points: a scatter plot
        out = out / "samples.png" if args.out.endswith("/") or out.is_dir() else out
        out.parent.mkdir(parents=True, exist_ok=True)
        render_scatter(samples, out, title=f"{args.model}: {len(samples)} samples")
        written.append(out)
    elif args.out.endswith("/") or out.is_dir():
        out.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(samples):
            written.append(out / f"{i:05d}.png")
            save_image(image.add(1).div(2).clamp(0, 1), written[-1])
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        save_image(samples.add(1).div(2).clamp(0, 1), out, nrow=nrow, padding=2)
        written.append(out)
    print(f"wrote {written[0] if len(written) == 1 else f'{len(written)} images to {out}'}")
    return written


def read_captions(args: argparse.Namespace) -> list[str] | None:
    """The captions of ``--text`` or ``--text-file`` (one a line, blank lines skipped); ``None`` without either."""
    from ganzoo.text import check_captions

    if args.text is not None and args.text_file is not None:
        raise ValueError("give --text or --text-file, not both")
    if args.text is not None:
        return check_captions([args.text])
    if args.text_file is None:
        return None
    path = Path(args.text_file)
    if not path.is_file():
        raise ValueError(f"--text-file {path} does not exist: give a file with one caption a line")
    captions = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    if not captions:
        raise ValueError(f"--text-file {path} has no captions: one caption a line")
    return captions


def parse_labels_arg(text: str, num: int, num_classes: int):  # noqa: ANN201
    """``--labels``: 'all' → (labels with one row per class, row length); '3' or '1,2,3' → (labels, None)."""
    import torch

    if text == "all":
        per_class = max(1, num // num_classes)
        return torch.arange(num_classes).repeat_interleave(per_class), per_class
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"--labels takes a class, a comma list of classes or 'all', got {text!r}") from None
    if len(values) not in (1, num):
        raise ValueError(f"--labels gives {len(values)} classes for --num {num}: give one class or {num}")
    return torch.tensor(values if len(values) == num else values * num), None


def sample_latent_for(model: SamplingModule, args: argparse.Namespace, rng: Any):  # noqa: ANN201
    """The latent ``ganzoo sample`` decodes, and the grid's row length (None: square)."""
    import torch

    captions = read_captions(args)
    if captions is not None:
        if not model.text_conditional:
            raise ValueError(f"{type(model).__name__} is not conditioned on text; drop --text/--text-file")
        if args.interpolate or args.labels is not None or args.traverse is not None:
            raise ValueError("--text/--text-file go without --interpolate, --labels and --traverse")
        rows = [c for c in captions for _ in range(args.num)]
        nrow = args.num if args.text_file else max(1, int(args.num**0.5))
        return model.sample_latent(len(rows), rng, text=rows), nrow
    conditional = model.num_classes
    if args.labels is not None and not conditional:
        raise ValueError(f"{type(model).__name__} is not class-conditional; drop --labels")
    if args.traverse is not None:  # traversal_latent raises for models without continuous codes
        code = args.traverse.lower().removeprefix("c")
        if not code.isdigit():
            raise ValueError(f"--traverse takes c1, c2, …, got {args.traverse!r}")
        values = torch.linspace(args.range[0], args.range[1], args.steps)
        return model.traversal_latent(int(code) - 1, values, rng), args.steps
    labels, nrow = (None, None) if args.labels is None else parse_labels_arg(args.labels, args.num, conditional)
    num = len(labels) if labels is not None else args.num
    if not args.interpolate:
        if labels is None and conditional:
            return model.grid_inputs(num, rng)  # one row per class
        latent = model.sample_latent(num, rng) if labels is None else model.sample_latent(num, rng, labels=labels)
        return latent, nrow or max(1, int(num**0.5))
    ends = model.sample_latent(2 * num, rng) if labels is None else model.sample_latent(2 * num, rng, labels=labels.repeat(2))
    z = ends["z"] if isinstance(ends, dict) else ends
    z = z.cpu()
    path = slerp(z[:num], z[num:], torch.linspace(0, 1, args.steps)).transpose(0, 1).reshape(-1, z.shape[-1])
    if not isinstance(ends, dict):
        return path, args.steps
    # conditional: the noise moves along each row, the class (and codes) of the row's start stay
    return {k: (path if k == "z" else v[:num].repeat_interleave(args.steps, 0)) for k, v in ends.items()}, args.steps
