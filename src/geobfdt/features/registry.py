"""The features a well can be searched for, by name: one detect function each."""

from __future__ import annotations

from geobfdt.features.breakouts import detect_breakouts
from geobfdt.features.vugs import detect_vugs

# name -> detect(well, picks, progress=None) -> FeatureResult (progress(rows) as rows are done); picks (may be empty) keep vugs off plane traces
# and let breakouts flag the picks that lie on induced fractures
FEATURES = {"vugs": detect_vugs, "breakouts": detect_breakouts}
