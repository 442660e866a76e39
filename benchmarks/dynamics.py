"""The training-dynamics lab's table and figures (``ganzoo.dynamics``; card ``configs/dynamics/README.md``).

    python benchmarks/dynamics.py [--figures docs/dynamics]

Prints, for each game and update order, the distance to the equilibrium after 5,000 steps of size 0.1 from
(1, 1) (the bilinear game from (1, 0.5)), and that of the uniform average and of an EMA (β = 0.99) of the
iterates; with ``--figures``, writes the notebook's two figures as PNG files there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ganzoo.dynamics import bilinear, dirac_gan, ema, play, uniform_average

LR, STEPS = 0.1, 5000
GAMES = [
    (bilinear(), (1.0, 0.5)),
    (dirac_gan(), (1.0, 1.0)),
    (dirac_gan(loss="wasserstein", clip=1.0), (1.0, 1.0)),
    (dirac_gan(loss="wasserstein", gradient_penalty=1.0), (1.0, 1.0)),
    (dirac_gan(r1=1.0), (1.0, 1.0)),
    (dirac_gan(instance_noise=0.7), (1.0, 1.0)),
]


def table() -> str:
    rows = ["| game | updates | distance at the start | after 5,000 steps | uniform average | EMA (β = 0.99) |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for game, start in GAMES:
        for mode in ("simultaneous", "alternating"):
            path = play(game, start, LR, STEPS, mode=mode)
            cells = [path[0].norm(), path[-1].norm(), uniform_average(path)[-1].norm(), ema(path, 0.99)[-1].norm()]
            rows.append(f"| {game.name} | {mode} | " + " | ".join(f"{c:.3g}" for c in cells) + " |")
    return "\n".join(rows)


def figures(folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ganzoo.dynamics import vector_field

    folder.mkdir(parents=True, exist_ok=True)
    game, start = GAMES[0]
    simultaneous, alternating = play(game, start, LR, 300, mode="simultaneous"), play(game, start, LR, 3000)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    axes[0].quiver(*vector_field(game, extent=4, n=13), color="0.7")
    for path, label in ((simultaneous, "simultaneous"), (alternating, "alternating"),
                        (uniform_average(alternating), "uniform average"), (ema(alternating, 0.99), "EMA β = 0.99")):  # fmt: skip
        axes[0].plot(*path.T, label=label)
        axes[1].semilogy(path.norm(dim=1), label=label)
    axes[0].set(xlabel="θ (generator)", ylabel="ψ (discriminator)", title="V = θψ, step 0.1", xlim=(-4, 4), ylim=(-4, 4))
    axes[1].set(xlabel="step", ylabel="distance to the saddle")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "bilinear.png", dpi=80)
    fig, axes = plt.subplots(1, len(GAMES) - 1, figsize=(4 * (len(GAMES) - 1), 4))
    for ax, (game, start) in zip(axes, GAMES[1:]):
        ax.quiver(*vector_field(game, extent=2, n=13), color="0.7")
        ax.plot(*play(game, start, LR, 2000).T)
        ax.plot(0, 0, "k*")
        ax.set(title=game.name, xlabel="θ", ylabel="ψ", xlim=(-2, 2), ylim=(-2, 2))
    fig.tight_layout()
    fig.savefig(folder / "dirac_gan.png", dpi=70)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=Path, help="write the figures as PNG files into this folder")
    args = parser.parse_args()
    print(table())
    if args.figures:
        figures(args.figures)


if __name__ == "__main__":
    main()
