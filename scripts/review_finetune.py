"""Reviewed picks back to training: fine-tune on the review files of two wells, score another.

Three synthetic wells of one site (one tool, one generator variant): the shipped model picks
wells A and V as `geobfdt review` does without --picks (one low-threshold run; candidates kept);
a simulated reviewer, working through the review store as the page does, accepts the auto
picks that match the true planes (8 cm), rejects the others, adds the missed planes as
manual picks and marks each well reviewed. `geobfdt train A V --val-wells V` then reads the
two review files as labels; both models pick the held-out well T, scored against its truth.

Usage: python scripts/review_finetune.py --out runs/review_finetune --max-minutes 4
Writes OUT/review_finetune.json and prints the table of docs/review.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from geobfdt.cli import main as cli
from geobfdt.files import write_text_atomic
from geobfdt.commands.review import model_picks
from geobfdt.evaluation.metrics import evaluate_wells, match_picks
from geobfdt.io import write_dlis
from geobfdt.io.picks import write_picks_csv
from geobfdt.model.checkpoint import load_model
from geobfdt.picking.whole_well import pick_well_detr
from geobfdt.review.session import ReviewSession
from geobfdt.review.store import ReviewStore, review_paths
from geobfdt.synth import SynthConfig, synthesize_well

TOLERANCE_M = 0.08


def review_like_a_geologist(session: ReviewSession, truth) -> dict:
    """Accept matched auto picks, reject the rest, add the missed planes, mark the well reviewed."""
    store = session.store
    auto = [rp for rp in store.review.picks if rp.status == "auto"]
    pairs = match_picks([rp.pick for rp in auto], truth, TOLERANCE_M)
    matched = {i for i, _ in pairs}
    found = {j for _, j in pairs}
    for i, rp in enumerate(auto):
        session.set_status(store.version, rp.pick_id, "accepted" if i in matched else "rejected")
    for j, plane in enumerate(truth):
        if j not in found:
            session.add(store.version, plane, "manual")
    session.mark_reviewed(store.version, session.well.depth_m[0], session.well.depth_m[-1])
    return {"accepted": len(matched), "rejected": len(auto) - len(matched), "added": len(truth) - len(found)}


def score(spec, well, truth) -> dict:
    model, cfg, threshold = load_model(spec)
    pred = pick_well_detr(well, model, cfg, threshold, progress=False)
    rep = evaluate_wells({well.name: pred}, {well.name: truth}, tolerances_cm=(8,))["micro"]["8"]
    return {"f1": rep["overall"]["f1"] or 0.0, "fracture_f1": rep["fracture"]["f1"] or 0.0,
            "bedding_f1": rep["bedding"]["f1"] or 0.0, "n_truth": len(truth), "n_pred": len(pred)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/review_finetune")
    parser.add_argument("--max-minutes", type=float, default=4.0, help="fine-tuning budget in minutes")
    parser.add_argument("--length-m", type=float, default=60.0)
    parser.add_argument("--tool", default="lwd", choices=["fmi", "slim", "lwd"])
    parser.add_argument("--variant", default="shifted")
    parser.add_argument("--seed", type=int, default=31)
    args = parser.parse_args()
    out = Path(args.out)
    if out.exists():
        raise SystemExit(f"{out} exists: the experiment starts from fresh review files, give a new --out")
    data = out / "wells"
    config = SynthConfig.variant(args.variant)
    wells = {}
    for k, role in enumerate("AVT"):
        well, truth = synthesize_well(args.seed + k, args.length_m, config, tool=args.tool, name=f"{role}{args.seed}")
        write_dlis(well, data / f"{well.name}.dlis")
        write_picks_csv(data / f"{well.name}_truth.csv", truth)  # not *_picks.csv: training must not see it
        wells[role] = (well, truth)
    reviews = {}
    for role in "AV":
        well, truth = wells[role]
        picks, candidates = model_picks(well, "default", "cpu")
        path, intervals = review_paths(data, well.name)
        session = ReviewSession(well=well, store=ReviewStore(path, intervals, picks), candidates=candidates,
                                out_dir=data, stem=well.name)
        reviews[well.name] = review_like_a_geologist(session, truth)
    a, v = wells["A"][0].name, wells["V"][0].name
    train = ["train", str(data / f"{a}.dlis"), str(data / f"{v}.dlis"), "--val-wells", v, "--out", str(out / "run"),
             "--max-minutes", f"{args.max_minutes:g}"]
    started = time.monotonic()
    if cli(train) != 0:
        raise SystemExit("training failed")
    minutes = (time.monotonic() - started) / 60.0
    test_well, test_truth = wells["T"]
    rows = [{"model": "shipped, unchanged", **score("default", test_well, test_truth)},
            {"model": "fine-tuned on the reviews", **score(out / "run", test_well, test_truth)}]
    command = (f"python scripts/review_finetune.py --out {args.out} --max-minutes {args.max_minutes:g} --tool {args.tool} "
               f"--variant {args.variant} --seed {args.seed} --length-m {args.length_m:g}")
    result = {"command": command, "reviews": reviews, "train_minutes": round(minutes, 1), "rows": rows,
              "test_well": test_well.name}
    write_text_atomic(out / "review_finetune.json", json.dumps(result, indent=2))
    print(json.dumps(reviews))
    print(f"| model | F1 @8 cm on {test_well.name} | fracture F1 | bedding F1 | picks / true planes |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['f1']:.3f} | {r['fracture_f1']:.3f} | {r['bedding_f1']:.3f} | "
              f"{r['n_pred']} / {r['n_truth']} |")


if __name__ == "__main__":
    main()
