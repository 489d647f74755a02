"""Learning curve of consecutive pretraining phases: validation F1 at 8 cm and losses against
samples seen, each phase continuing where the previous one stopped.

Usage: python scripts/plot_learning_curve.py [--samples-before N] PHASE... OUT.png
PHASE is a run folder or its metrics.csv, in training order; --samples-before counts the
samples of earlier phases not given. Each phase validates on its own held-out wells (drawn
from its seed), so levels are comparable within a phase, trends across phases.
"""

import argparse
import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from geobfdt.reports.plots import save_figure


def metrics_rows(phase: str) -> list[dict]:
    path = Path(phase)
    return list(csv.DictReader(open(path / "metrics.csv" if path.is_dir() else path)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phases", nargs="+", help="run folders or metrics.csv files in order, then the output PNG")
    parser.add_argument("--samples-before", type=int, default=0, help="samples seen in earlier phases not given")
    args = parser.parse_args()
    *phases, out = args.phases
    fig, (ax_f1, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    offset = args.samples_before
    for i, phase in enumerate(phases):
        rows = metrics_rows(phase)
        color = plt.cm.tab10(i % 10)  # one colour per phase, line style per curve
        samples = [(offset + int(r["samples"])) / 1000 for r in rows]
        label = Path(phase).parent.name if Path(phase).is_file() else Path(phase).name
        label = Path(phase).stem.removesuffix("_metrics") if label in ("data", "") else label
        if "val_f1_8cm" in rows[0]:
            ax_f1.plot(samples, [float(r["val_f1_8cm"]) for r in rows], marker=".", color=color, label=label)
            ax_f1.plot(samples, [float(r["val_fracture_f1_8cm"]) for r in rows], ls=":", color=color)
        ax_loss.plot(samples, [float(r["val_hungarian_loss"]) for r in rows], color=color, label=label)
        ax_loss.plot(samples, [float(r["val_loss_curve"]) for r in rows], ls="--", color=color)
        offset += int(rows[-1]["samples"])
    ax_f1.set(xlabel="samples seen (thousands)", ylabel="held-out F1 at 8 cm", ylim=(0, 1), title="validation F1 (solid: all picks, dotted: fractures)")
    ax_loss.set(xlabel="samples seen (thousands)", ylabel="loss", yscale="log", title="validation losses (solid: Hungarian, dashed: curve)")
    for ax in (ax_f1, ax_loss):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out, dpi=110)


if __name__ == "__main__":
    main()
