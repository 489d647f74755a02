"""Find vugs, breakouts and drilling-induced fractures in whole wells, without the picking model.

Per well (STEM: the input file's stem made safe, as for predict), in --out:
  vugs:      <STEM>_vugs.csv (one row per vug: depth_m, azimuth_deg, area_cm2,
             equivalent_diameter_mm, circularity, height_mm, width_mm, contrast_sd),
             <STEM>_vugs_curves.csv and .las (vug_fraction_pct: % of the image area in vugs in a
             0.5 m sliding window, every 0.1 m; also .dlis where the input was DLIS)
  breakouts: <STEM>_breakouts.csv (top_m, bottom_m, azimuth_deg and azimuth2_deg of the two lobes,
             width_deg, contrast), <STEM>_induced.csv (drilling-induced fracture segments)
  and <STEM>_<feature>_summary.json (counts; for breakouts the SHmax azimuth with its 95%
  interval from breakouts and from induced fractures, and their agreement).
--plot adds <STEM>_<feature>.png. An --out that is the folder of an input well holding a synthetic
corpus's truth files under those names is refused before any work. `geobfdt predict --features ...` does the same beside the
picks, keeps vugs off the picked traces and flags picks lying on induced fractures.
docs/vugs.md and docs/breakouts.md have the methods and their measured accuracy.

Example:
  geobfdt features corpus/ --out feats/ --features vugs breakouts --plot
"""

from __future__ import annotations

from geobfdt.commands import (add_reader_options, bounded_int, field_exit, output_folder, reader_options,
                              refuse_replacing_labels, well_paths)

HELP = "find vugs, breakouts and drilling-induced fractures (no model needed)"


def add_feature_option(p) -> None:
    """--features, worded once for `features` and `predict`."""
    from geobfdt.features.registry import FEATURES

    p.add_argument("--features", nargs="+", choices=sorted(FEATURES), default=None, metavar="FEATURE",
                   help=f"features to find per well, from: {', '.join(sorted(FEATURES))} (docs/vugs.md, "
                        "docs/breakouts.md; default: all with `features`, none with `predict`)")


def add_arguments(p):
    p.add_argument("wells", nargs="+", metavar="WELL", help="well files (DLIS, LAS, NPZ), or folders of them")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the per-well files")
    add_feature_option(p)
    add_reader_options(p)
    p.add_argument("--plot", action="store_true", help="also write <STEM>_<feature>.png per well")
    p.add_argument("--workers", type=bounded_int(1, 256), metavar="N",
                   help="run the wells on a local Dask cluster of N worker processes (default: in this process)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    from geobfdt.io.names import input_stems
    from geobfdt.synth.truth import TRUTH_SUFFIXES
    from geobfdt.picking.field import PredictSettings, run_wells, summary_table

    output_folder(args.out)
    features = tuple(args.features or ("vugs", "breakouts"))
    settings = PredictSettings(out=args.out, method="none", read_options=reader_options(args), plot=args.plot,
                               features=features)
    paths = well_paths(args.wells)
    stems = input_stems(paths)
    refuse_replacing_labels(paths, stems, args.out, TRUTH_SUFFIXES)
    results = run_wells(paths, stems, settings, workers=args.workers, progress=not args.no_progress)
    print(summary_table(results, picks=False))
    return field_exit(results, "features")
