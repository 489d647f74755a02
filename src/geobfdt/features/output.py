"""Writing any FeatureResult: curves as CSV and LAS (and DLIS where the well came as DLIS),
each table as CSV, the summary as JSON; every file named <STEM>_..., inside the output folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from geobfdt.features.result import FeatureResult
from geobfdt.files import write_text_atomic
from geobfdt.io.names import output_path
from geobfdt.io.tables import write_curves_dlis, write_curves_las, write_table_csv


def write_feature(result: FeatureResult, out_dir, stem: str, well_name: str = "", dlis: bool = False) -> list[Path]:
    """The files of one feature of one well; returns their paths.

    <STEM>_<feature>_curves.csv / .las / .dlis (curves), <STEM>_<table>.csv (one per table),
    <STEM>_<feature>_summary.json."""
    written = []
    if result.curves:
        columns = {"depth_m": result.depth_m, **{name: values for name, (values, _) in result.curves.items()}}
        written.append(output_path(out_dir, f"{stem}_{result.feature}_curves.csv"))
        write_table_csv(written[-1], columns)
        written.append(output_path(out_dir, f"{stem}_{result.feature}_curves.las"))
        write_curves_las(written[-1], result.depth_m, result.curves, well_name)
        if dlis:
            written.append(output_path(out_dir, f"{stem}_{result.feature}_curves.dlis"))
            write_curves_dlis(written[-1], result.depth_m, result.curves, well_name)
    for table, columns in result.tables.items():
        written.append(output_path(out_dir, f"{stem}_{table}.csv"))
        write_table_csv(written[-1], columns)
    written.append(output_path(out_dir, f"{stem}_{result.feature}_summary.json"))
    write_text_atomic(written[-1], json.dumps({"well": well_name, "feature": result.feature, **result.summary},
                                              indent=1, default=lambda v: v.item() if isinstance(v, np.generic) else str(v)))
    return written
