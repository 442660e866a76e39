"""``python -m ganzoo`` and the ``ganzoo`` console script: ``study`` runs here (it drives fits through
``ganzoo.cli``, so it sits above it); every other command is ``ganzoo.cli.main``'s."""

from __future__ import annotations

import sys
from typing import Any

from ganzoo.cli import main as cli_main


def main(args: Any = None) -> Any:
    argv = list(sys.argv[1:] if args is None else args)
    if argv[:1] == ["study"]:
        from ganzoo.study.command import study_main

        return study_main(argv[1:])
    return cli_main(args)


if __name__ == "__main__":
    main()
