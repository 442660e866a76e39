"""``python -m ganzoo study --config configs/study/NAME.yaml [--storage URL] [--out DIR] [--report]``"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from ganzoo.command_parser import CommandParser
from ganzoo.extras import MissingExtra


def study_main(argv: list[str]) -> Any:
    """``study_command`` with a missing extra as one line (exit code 2)."""
    try:
        return study_command(argv)
    except MissingExtra as err:
        sys.stderr.write(f"ganzoo study: error: {err}\n")
        sys.exit(2)


def study_command(argv: list[str]) -> Any:
    parser = CommandParser(
        prog="ganzoo study",
        description="Compare models as Lucic et al. 2018 do: per model a random (or TPE) search over its "
        "hyperparameters, each trial a ganzoo fit with a fixed budget scored by ganzoo evaluate. Run the same "
        "command on several machines with one --storage URL to share the trials; run it again to continue.",
    )
    parser.add_argument("--config", required=True, help="a study config (configs/study/*.yaml)")
    parser.add_argument("--storage", default=None,
                        help="an SQLAlchemy URL (postgresql://user:pass@host/db for several machines); "
                        "default: sqlite:///OUT/study.db")  # fmt: skip
    parser.add_argument("--out", default=None, help="where the trials' runs and the report go (default studies/NAME)")
    parser.add_argument("--max_trials", type=int, default=None, help="stop this worker after this many trials")
    parser.add_argument("--worker_seed", type=int, default=0, help="seeds this worker's sampler (give each worker its own)")
    parser.add_argument("--report", action="store_true", help="write the table and plots of the stored trials; run none")
    args = parser.parse_args(argv)
    try:
        import optuna
    except ImportError:
        raise MissingExtra('ganzoo study needs Optuna: pip install -e ".[study]"') from None
    from ganzoo.study.report import write_report
    from ganzoo.study.runner import main_out, open_storage, open_studies, run_study, storage_url
    from ganzoo.study.space import StudyConfigError, parse_study

    try:
        spec = parse_study(args.config)
        out = main_out(spec, args.out)
        if args.max_trials is not None and args.max_trials < 1:
            raise StudyConfigError(f"--max_trials must be at least 1, got {args.max_trials}")
        if args.report:
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            studies = open_studies(spec, open_storage(storage_url(spec, out, args.storage)), args.worker_seed)
        else:
            studies = run_study(spec, out, args.storage, args.max_trials, args.worker_seed)
        path = write_report(spec, studies, out, "python -m ganzoo study " + shlex.join(argv))
    except (StudyConfigError, OSError) as err:
        parser.fail(err)
    print(f"ganzoo study {spec.name}: report in {path}")
    return studies
