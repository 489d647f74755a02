"""Score predicted picks against interpreted picks.

PRED and TRUTH are pick files or folders of them. Wells are paired by name: the `well`
column when present, else the file name (`<WELL>_picks.csv` -> WELL). A folder is read
as its `*_picks.csv` files, or all `*.csv` files when there are none. Two single files
holding one well each are paired even if their names differ.

Matching is one-to-one on depth within the tolerance (optimal assignment); metrics are
micro-averaged over wells. Definitions: docs/evaluation.md.

--strata adds recall at the tolerance on the hard cases, per class: faint (contrast under 3
background sd) and partial (30-50 % of the trace visible) true planes, when the truth file has
the contrast_sd / coverage_frac columns `geobfdt synth` writes; planes with another true plane
within 8 cm (crossing); apparent dip above 80 deg (with precision and F1: the picked dip says
which predictions belong there).
"""

from __future__ import annotations

import json

from geobfdt.io.pick_sets import pair_wells
from geobfdt.commands import output_file, positive_float
from geobfdt.files import write_text_atomic
from geobfdt.errors import GeoBFDTError
from geobfdt.well import PICK_TYPES

HELP = "score predicted picks against true picks (recall, precision, F1, angle errors)"
TABLE_TOLERANCES_CM = (3.0, 5.0, 8.0)


def add_arguments(parser) -> None:
    parser.add_argument("pred", help="predicted picks: a file or a folder of <WELL>_picks.csv")
    parser.add_argument("truth", help="true picks: a file or a folder of <WELL>_picks.csv")
    parser.add_argument("--tolerance-cm", type=positive_float, default=8.0,
                        help="depth tolerance for a hit, in cm (default 8)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON instead of tables")
    parser.add_argument("--out", help="also write the full result as JSON to this file")
    parser.add_argument("--strata", action="store_true",
                        help="also report the hard cases: faint, partial, crossing, apparent dip > 80 deg")


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


def run(args) -> int:
    from geobfdt.evaluation.metrics import evaluate_wells
    from geobfdt.evaluation.strata import strata_report

    if not args.tolerance_cm > 0:
        raise GeoBFDTError(f"--tolerance-cm must be positive, got {args.tolerance_cm}")
    if args.out:
        output_file(args.out)
    pred, truth = pair_wells(args.pred, args.truth)
    tolerances = sorted(set(TABLE_TOLERANCES_CM) | {float(args.tolerance_cm)})
    result = evaluate_wells(pred, truth, tolerances_cm=tolerances)
    result["tolerance_cm"] = float(args.tolerance_cm)
    if args.strata:
        result["strata"] = strata_report(pred, truth, args.tolerance_cm / 100.0)
    text = json.dumps(result, indent=2)
    if args.out:
        write_text_atomic(args.out, text + "\n")
    tables = format_tables(result, args.tolerance_cm)
    if args.strata:
        tables += "\n\n" + format_strata(result["strata"], args.tolerance_cm)
    print(text if args.json else tables)
    return 0
