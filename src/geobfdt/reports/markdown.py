"""A Markdown report of picked wells: metrics tables, method comparison and plots."""

from __future__ import annotations

from pathlib import Path

from geobfdt.evaluation.metrics import evaluate_wells
from geobfdt.files import write_text_atomic
from geobfdt.io.names import output_path, safe_stem, unique_stems
from geobfdt.well import Pick, Well


def _fmt(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def metrics_table(results_by_method: dict[str, dict]) -> list[str]:
    lines = ["| method | tolerance | F1 | precision | recall | fracture F1 | bedding F1 | class error % "
             "| dip MAE (deg) | azimuth MAE (deg) | median depth / dip / azimuth error (cm / deg / deg) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for method, results in results_by_method.items():
        for key, rep in results["micro"].items():
            o = rep["overall"]
            lines.append(f"| {method} | {key} cm | {_fmt(o['f1'])} | {_fmt(o['precision'])} | {_fmt(o['recall'])} "
                         f"| {_fmt(rep['fracture']['f1'])} | {_fmt(rep['bedding']['f1'])} "
                         f"| {_fmt(o['class_error_pct'], 1)} | {_fmt(o['dip_mae_deg'], 1)} "
                         f"| {_fmt(o['azimuth_mae_deg'], 1)} | {_fmt(o['depth_median_err_cm'], 1)} / "
                         f"{_fmt(o['dip_median_err_deg'], 1)} / {_fmt(o['azimuth_median_err_deg'], 1)} |")
    return lines


def per_well_table(results_by_method: dict[str, dict], tools: dict[str, str]) -> list[str]:
    lines = ["| well | tool | method | fracture F1 @8 cm | bedding F1 @8 cm | dip MAE | azimuth MAE |",
             "|---|---|---|---|---|---|---|"]
    for method, results in results_by_method.items():
        for well, reps in results["per_well"].items():
            rep = reps["8"]
            lines.append(f"| {well} | {tools.get(well, '')} | {method} | {_fmt(rep['fracture']['f1'])} "
                         f"| {_fmt(rep['bedding']['f1'])} | {_fmt(rep['overall']['dip_mae_deg'], 1)} "
                         f"| {_fmt(rep['overall']['azimuth_mae_deg'], 1)} |")
    return lines


def injection_table(injection: dict[str, dict], tools: dict[str, str]) -> list[str]:
    """injection: well name -> {"report": run_injection's report, "against_truth": recovery_against_truth}."""
    lines = ["| well | tool | implants | implants recovered: fracture / bedding | true planes found: fracture / bedding "
             "| false picks added | picks of the well lost |", "|---|---|---|---|---|---|---|"]
    for well, entry in injection.items():
        report, against = entry["report"], entry["against_truth"]
        pair = lambda key: " / ".join(_fmt(against[k][key], 2) for k in ("fracture", "bedding"))  # noqa: E731
        lines.append(f"| {well} | {tools.get(well, '')} | {report['implants']} | {pair('implants_recovered')} "
                     f"| {pair('true_planes_found')} | {report['false_picks_added']} "
                     f"| {report['original_picks_lost_per_copy']:g} of {report['original_picks']} |")
    return lines


def write_report(out_dir, wells: list[Well], truth: dict[str, list[Pick]], predictions: dict[str, dict[str, list[Pick]]],
                 header: list[str], interval_m: float = 6.0, injection: dict[str, dict] | None = None) -> Path:
    """predictions: method -> well name -> picks; injection (optional): injection_table's, per well. Writes
    report.md and figures/ into out_dir."""
    from geobfdt.reports import plots

    out_dir = Path(out_dir)
    figures = out_dir / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    results = {m: evaluate_wells(by_well, truth) for m, by_well in predictions.items()}
    lines = ["# GeoBFDT report", "", *header, "", "## Scores on the held-out wells", "",
             *metrics_table(results), "", "## Per well (8 cm)", "",
             *per_well_table(results, {w.name: w.tool for w in wells}), ""]
    if injection:
        lines += ["## How far to trust the picker on each well: injection-recovery", "",
                  "What `geobfdt inject-test WELL` tells a user without labels (one implanted copy per well: synthetic "
                  "planes shaped like the well's own picks, picked again; docs/model-card.md, \"How far to trust it on "
                  "your well\"), beside what the well's labels say: the share of its true planes (dip below 80 deg) the "
                  "detector found, at 8 cm. The implants' recovery weighs their dip bins as the true planes' dips lie.",
                  "", *injection_table(injection, {w.name: w.tool for w in wells}), ""]
    lines += ["## Wells", ""]
    # figure names from safe stems: a well name is file content (21/10-A5 would make a folder)
    for well, stem in zip(wells, unique_stems([w.name for w in wells])):
        top = well.depth_m[0] + 0.3 * (well.depth_m[-1] - well.depth_m[0])
        sets = [("truth", truth[well.name])] + [(m, predictions[m][well.name]) for m in predictions]
        image_png = output_path(figures, f"{stem}_image.png")
        plots.plot_well(well, sets, top, min(top + interval_m, well.depth_m[-1]), image_png)
        lines += [f"### {well.name} ({well.tool})", "", f"![image with picks](figures/{image_png.name})", ""]
        first = next(iter(predictions))
        summary = plots.plot_pick_summary(well, predictions[first][well.name], figures, f"{stem}_{safe_stem(first)}")
        lines += [f"![{kind}](figures/{png.name})" for kind, png in summary.items()]
        lines.append("")
    return write_text_atomic(out_dir / "report.md", "\n".join(lines) + "\n")
