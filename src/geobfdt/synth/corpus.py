"""A corpus on disk: per well `<WELL>.dlis`, `<WELL>_picks.csv` and the truth of its other
features (`<WELL>_vugs.csv`, `_vug_fraction.csv`, `_breakouts.csv`, `_induced.csv`), plus
`manifest.json`.

Per-well seeds are spawned from the corpus seed (numpy SeedSequence), so a corpus is
reproducible whatever the number of workers. Tools are apportioned to the configured
mix (largest remainders, then shuffled) so every tool with a positive weight appears in
a corpus of three wells or more; deviated wells likewise get their share of the corpus. Files are written the way vendors deliver them: depth
in m, ft or 0.1 in, some logged upward, nulls as NaN, -9999 or -999.25.
"""

from __future__ import annotations

import json
import multiprocessing
import re
from pathlib import Path

import numpy as np

from geobfdt.errors import OptionError
from geobfdt.files import write_text_atomic
from geobfdt.io.picks import write_picks_csv
from geobfdt.io.tables import write_table_csv
from geobfdt.synth.config import SynthConfig
from geobfdt.synth.generator import synthesize_well
from geobfdt.synth.truth import TRUTH_SUFFIXES, truth_tables

CHANNEL = {"fmi": ("FMI_STAT", -9999.0), "slim": ("IMG_STAT", -999.25), "lwd": ("RES_BD_IMG", None)}
DEPTH_UNITS = ("m", "m", "m", "ft", "0.1 in")


def apportion_tools(rng, wells: int, mix: dict) -> list[str]:
    names = sorted(mix)
    weights = np.array([mix[n] for n in names], float)
    quota = wells * weights / weights.sum()
    counts = np.floor(quota).astype(int)
    for i in np.argsort(-(quota - counts))[: wells - counts.sum()]:
        counts[i] += 1
    tools = [n for n, c in zip(names, counts) for _ in range(c)]
    return [tools[i] for i in rng.permutation(wells)]


def _well_job(job: dict) -> dict:
    """Synthesise one well and write its two files; returns its manifest entry."""
    from geobfdt.io import write_dlis

    cfg = SynthConfig.from_dict(job["config"])
    well, picks = synthesize_well(job["seed"], length_m=job["length_m"], config=cfg, tool=job["tool"],
                                  name=job["name"])
    out = Path(job["out_dir"])
    channel, null = CHANNEL[well.tool]
    write_dlis(well, out / f"{well.name}.dlis", depth_unit=job["depth_unit"], decreasing=job["decreasing"],
               null_value=null, image_channel_name=channel, image_units="ohm.m")
    write_picks_csv(out / f"{well.name}_picks.csv", picks)
    for suffix, table in truth_tables(well).items():  # vugs, vug fraction, breakouts, induced fractures
        write_table_csv(out / f"{well.name}{suffix}", table)
    tool = well.provenance["tool"]
    return {
        "name": well.name, "seed": job["seed"], "tool": well.tool, "columns": well.width,
        "depth_step_m": tool["depth_step_m"], "bit_size_in": tool["bit_size_in"], "n_pads": tool["n_pads"],
        "top_m": round(float(well.depth_m[0]), 4), "length_m": round(float(well.depth_m[-1] - well.depth_m[0]), 4),
        "deviated": well.deviated,
        "inclination_deg": None if well.inclination_deg is None else round(float(np.mean(well.inclination_deg)), 2),
        "hole_azimuth_deg": None if well.hole_azimuth_deg is None else round(float(well.hole_azimuth_deg[0]), 2),
        "null_fraction": round(float(np.isnan(well.image).mean()), 4),
        "picks": {kind: sum(p.type == kind for p in picks) for kind in ("fracture", "bedding")},
        "dlis": f"{well.name}.dlis", "picks_csv": f"{well.name}_picks.csv",
        "depth_unit": job["depth_unit"], "decreasing": job["decreasing"], "image_channel": channel,
        "distractors": {k: well.provenance[k] for k in ("dif_zones_m", "breakouts", "vugs")},
    }


def corpus_files(out_dir) -> list[Path]:
    """The files a corpus in out_dir was written as (manifest.json and every SYN<n> well's files), found
    by the names this module gives them, never by names read from the manifest."""
    out = Path(out_dir)
    pattern = re.compile(r"SYN\d+(" + "|".join(map(re.escape, (".dlis", "_picks.csv", *TRUTH_SUFFIXES))) + ")")
    wells = [p for p in out.iterdir() if p.is_file() and pattern.fullmatch(p.name)] if out.is_dir() else []
    manifest = out / "manifest.json"
    return sorted(wells) + ([manifest] if manifest.is_file() else [])


def corpus_jobs(out_dir, wells: int, length_m: float, seed: int, config: SynthConfig) -> list[dict]:
    rng = np.random.default_rng(seed)
    tools = apportion_tools(rng, wells, config.tool_mix)
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(wells)]
    deviated = np.zeros(wells, bool)
    deviated[rng.permutation(wells)[: int(round(wells * config.deviated_fraction))]] = True
    width = max(2, len(str(wells)))
    return [{"out_dir": str(out_dir), "name": f"SYN{i + 1:0{width}d}", "seed": s, "tool": t, "length_m": length_m,
             "config": config.replace(deviated_fraction=float(d)).to_dict(),
             "depth_unit": str(rng.choice(DEPTH_UNITS)), "decreasing": bool(rng.random() < 0.3)}
            for i, (s, t, d) in enumerate(zip(seeds, tools, deviated))]


def synthesize_corpus(out_dir, wells: int = 14, length_m: float = 60.0, seed: int = 0,
                      config: SynthConfig | None = None, workers: int = 2, progress=None) -> list[Path]:
    """Write the corpus; returns the DLIS paths in well order. `progress(n_done)` is called per well."""
    if wells < 1:
        raise OptionError(f"--wells must be at least 1, got {wells}")
    if not length_m > 0:
        raise OptionError(f"--length-m must be positive, got {length_m}")
    config = config or SynthConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = corpus_jobs(out, wells, length_m, seed, config)
    workers = max(1, min(int(workers), wells))
    if workers == 1:
        results = []
        for job in jobs:
            results.append(_well_job(job))
            if progress:
                progress(1)
    else:
        # spawn, not fork: callers (demo, ablate) may have torch threads running
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = []
            for entry in pool.imap(_well_job, jobs):
                results.append(entry)
                if progress:
                    progress(1)
    write_text_atomic(out / "manifest.json", json.dumps({"generator": "geobfdt synth", "seed": seed, "wells": results,
                                                        "length_m": length_m, "config": config.to_dict()}, indent=1))
    return [out / r["dlis"] for r in results]
