"""Learning curve of a run: validation F1 at 8 cm and losses against samples seen.

Usage: python scripts/plot_learning_curve.py RUN_DIR OUT.png [--label NAME] [RUN_DIR2 ...]
"""

import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run folders, then the output PNG last")
    args = parser.parse_args()
    *runs, out = args.runs
    fig, (ax_f1, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    for run in runs:
        rows = list(csv.DictReader(open(f"{run}/metrics.csv")))
        samples = [int(r["samples"]) / 1000 for r in rows]
        if "val_f1_8cm" in rows[0]:
            ax_f1.plot(samples, [float(r["val_f1_8cm"]) for r in rows], marker=".", label=run)
        ax_loss.plot(samples, [float(r["val_hungarian_loss"]) for r in rows], label=f"{run} Hungarian")
        ax_loss.plot(samples, [float(r["val_loss_curve"]) for r in rows], ls="--", label=f"{run} curve")
    ax_f1.set(xlabel="samples seen (thousands)", ylabel="held-out F1 at 8 cm", ylim=(0, 1), title="validation F1")
    ax_loss.set(xlabel="samples seen (thousands)", ylabel="loss", yscale="log", title="validation losses")
    for ax in (ax_f1, ax_loss):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
