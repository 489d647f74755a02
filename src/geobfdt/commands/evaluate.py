"""Score predicted picks against interpreted picks.

PRED and TRUTH are pick files or folders of them. Wells are paired by name: the `well`
column when present, else the file name (`<WELL>_picks.csv` -> WELL). A folder is read
as its `*_picks.csv` files, or all `*.csv` files when there are none (a `geobfdt review`
folder: its `<WELL>_reviewed.csv`, rejected picks left out). Two single files
holding one well each are paired even if their names differ.

Matching is one-to-one on depth within the tolerance (optimal assignment); metrics are
micro-averaged over wells. Definitions: docs/evaluation.md.

--strata adds recall at the tolerance on the hard cases, per class: faint (contrast under 3
background sd) and partial (30-50 % of the trace visible) true planes, when the truth file has
the contrast_sd / coverage_frac columns `geobfdt synth` writes; planes with another true plane
within 8 cm (crossing); apparent dip above 80 deg (with precision and F1: the picked dip says
which predictions belong there).

Picks flagged as drilling-induced (column induced, `predict --features breakouts`) are left out
unless --include-induced. --features vugs breakouts also scores those products: PRED must then
be the folder `geobfdt features` (or predict --features) wrote and TRUTH a `geobfdt synth`
folder (its <WELL>_vugs.csv, _vug_fraction.csv, _breakouts.csv, _induced.csv); vugs: recall,
precision and F1 for vugs of 5 mm or more (recall and F1 also over the visible ones: contrast
at least 3 background sd after the tool blur, two pixels each way), vug-fraction MAE per 0.5 m window, reported vugs on
true traces; breakouts: interval recall and precision by overlap, axial azimuth error, SHmax
error; induced segments: recall and precision by overlap within 20 deg of the true axis.
"""

from __future__ import annotations

import json
from pathlib import Path

from geobfdt.io.pick_sets import load_picks_by_well
from geobfdt.commands import output_file, positive_float
from geobfdt.files import write_text_atomic
from geobfdt.errors import OptionError
from geobfdt.well import PICK_TYPES

HELP = "score predicted picks against true picks (recall, precision, F1, angle errors)"


def add_arguments(parser) -> None:
    parser.add_argument("pred", help="predicted picks: a file or a folder of <WELL>_picks.csv")
    parser.add_argument("truth", help="true picks: a file or a folder of <WELL>_picks.csv")
    parser.add_argument("--tolerance-cm", type=positive_float, default=8.0,
                        help="depth tolerance for a hit, in cm (default 8)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON instead of tables")
    parser.add_argument("--out", help="also write the full result as JSON to this file")
    parser.add_argument("--strata", action="store_true",
                        help="also report the hard cases: faint, partial, crossing, apparent dip > 80 deg")
    parser.add_argument("--include-induced", action="store_true",
                        help="keep predicted picks flagged as drilling-induced fractures (default: left out)")
    parser.add_argument("--features", nargs="+", choices=["vugs", "breakouts"], metavar="FEATURE",
                        help="also score these products against the synthetic truth files: vugs, breakouts "
                        "(with induced fractures); PRED and TRUTH must be folders")


def _fmt(value, pct=False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}" if pct else f"{value:.2f}"


def format_tables(result: dict, tolerance_cm: float) -> str:
    from geobfdt.evaluation.metrics import tolerance_key

    report = result["micro"][tolerance_key(tolerance_cm)]
    lines = [f"{len(result['wells'])} well(s): {', '.join(result['wells'])}",
             f"depth tolerance {tolerance_cm:g} cm (micro-averaged over wells)", "",
             f"{'class':<10}{'truth':>7}{'pred':>7}{'hits':>7}{'recall%':>9}{'prec%':>8}{'F1%':>7}"
             f"{'dipMAE':>8}{'azMAE':>7}{'dip<=3':>8}{'dip<=5':>8}{'az<=15':>8}"]
    for name in ("overall", *PICK_TYPES):
        s = report[name]
        lines.append(
            f"{name:<10}{s['n_truth']:>7}{s['n_pred']:>7}{s['n_matched']:>7}{_fmt(s['recall'], True):>9}"
            f"{_fmt(s['precision'], True):>8}{_fmt(s['f1'], True):>7}{_fmt(s['dip_mae_deg']):>8}"
            f"{_fmt(s['azimuth_mae_deg']):>7}{_fmt(s['dip_within_3deg'], True):>8}"
            f"{_fmt(s['dip_within_5deg'], True):>8}{_fmt(s['azimuth_within_15deg'], True):>8}")
    lines += [f"class error on matches: {_fmt(report['overall']['class_error_pct'])} %",
              "angles in degrees, shares in %; azimuth only where the true dip > 10 deg", "",
              f"{'F1 %':<10}" + "".join(f"{f'{t:g} cm':>9}" for t in result["tolerances_cm"])]
    for name in ("overall", *PICK_TYPES):
        row = [_fmt(result["micro"][tolerance_key(t)][name]["f1"], True) for t in result["tolerances_cm"]]
        lines.append(f"{name:<10}" + "".join(f"{v:>9}" for v in row))
    return "\n".join(lines)


def format_strata(rows: list[dict], tolerance_cm: float) -> str:
    lines = [f"hard cases at {tolerance_cm:g} cm (recall on true planes; F1 where the stratum exists among "
             f"predictions too)", f"{'stratum':<44}{'class':<10}{'truth':>7}{'recall%':>9}{'F1%':>7}"]
    for r in rows:
        lines.append(f"{r['stratum']:<44}{r['class']:<10}{r['n_truth']:>7}{_fmt(r['recall'], True):>9}"
                     f"{_fmt(r.get('f1'), True):>7}")
    return "\n".join(lines)


def format_features(scores: dict) -> str:
    lines = [f"{'product':<10}{'truth':>7}{'found':>7}{'reported':>10}{'correct':>9}{'recall%':>9}{'prec%':>8}{'F1%':>7}"]
    for name, s in scores.items():
        lines.append(f"{name:<10}{s['truth']:>7}{s['found']:>7}{s['reported']:>10}{s['correct']:>9}"
                     f"{_fmt(s['recall'], True):>9}{_fmt(s['precision'], True):>8}{_fmt(s['f1'], True):>7}")
    if "vugs" in scores:
        v = scores["vugs"]
        lines.append(f"{'  visible':<10}{v['visible_truth']:>7}{v['visible_found']:>7}{'':>10}{'':>9}"
                     f"{_fmt(v['visible_recall'], True):>9}{'':>8}{_fmt(v['visible_f1'], True):>7}")
        lines.append(f"vugs >= 5 mm (visible: contrast >= 3 background sd after the tool blur, >= 2 pixels each way); "
                     f"vug fraction MAE {_fmt(v['fraction_mae_pct_points'])} percentage points per "
                     f"{v['window_m']:g} m window ({_fmt(v['fraction_mae_in_vuggy_windows_pct_points'])} in vuggy "
                     f"windows); unmatched vugs on true traces: {v['unmatched_on_true_traces']}")
    if "breakouts" in scores:
        b = scores["breakouts"]
        lines.append(f"breakout axis error median {_fmt(b['azimuth_error_median_deg'])} deg, 90th percentile "
                     f"{_fmt(b['azimuth_error_p90_deg'])}; SHmax within 10 deg on {_fmt(b['shmax_within_10deg'], True)} % "
                     f"of {b['shmax_wells']} wells with breakouts (median error {_fmt(b['shmax_error_median_deg'])} deg)")
    return "\n".join(lines)


def run(args) -> int:
    from geobfdt.api import evaluate

    if args.out:
        output_file(args.out)
        if any(Path(args.out).resolve() == Path(picks).resolve() for picks in (args.pred, args.truth)):
            raise OptionError(f"--out {args.out} is one of the pick files scored: the JSON would replace it")
    features_only = bool(args.features) and Path(args.pred).is_dir() and not any(Path(args.pred).glob("*_picks.csv"))
    if features_only:  # `geobfdt features` wrote no picks: score the products alone
        result = {"wells": sorted(load_picks_by_well(args.truth)[0])}
    else:
        result = evaluate(args.pred, args.truth, tolerance_cm=args.tolerance_cm, strata=args.strata,
                          include_induced=args.include_induced)
    if args.features:
        from geobfdt.evaluation.features import evaluate_feature_files

        if not (Path(args.pred).is_dir() and Path(args.truth).is_dir()):
            raise OptionError("--features needs PRED and TRUTH folders")
        truth, _ = load_picks_by_well(args.truth)
        result["features"] = evaluate_feature_files(args.pred, args.truth, result["wells"], args.features, truth)
    text = json.dumps(result, indent=2)
    if args.out:
        write_text_atomic(args.out, text + "\n")
    tables = "" if features_only else format_tables(result, args.tolerance_cm)
    if args.strata and not features_only:
        tables += "\n\n" + format_strata(result["strata"], args.tolerance_cm)
    if args.features:
        tables += ("\n\n" if tables else "") + format_features(result["features"])
    print(text if args.json else tables)
    return 0
