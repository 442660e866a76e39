"""What ganzoo's own commands (``ganzoo.commands``, ``ganzoo.translate``) share: a leaf, importing no ganzoo
module, so the command modules import it and never each other the wrong way round."""

from __future__ import annotations

import argparse
from typing import NoReturn


class CommandParser(argparse.ArgumentParser):
    """argparse for ganzoo's own commands: every error one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.fail(f"{message} ({self.prog} --help lists the options)")

    def fail(self, err: BaseException | str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(str(err).split())}\n")


def device_name(name: str) -> str:
    """``--device``: ``auto`` → ``cuda`` when there is a GPU, else ``cpu``; anything else as given."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def add_normalization_option(parser: argparse.ArgumentParser) -> None:
    """``--normalization`` of ``evaluate`` and ``translate``: pix2pix's test-time BatchNorm."""
    parser.add_argument("--normalization", choices=["running", "image"], default=None,
                        help="pix2pix's test-time BatchNorm: running statistics, or each image's own (the paper's)")  # fmt: skip
