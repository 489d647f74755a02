"""Products of the image besides the planes: vugs, breakouts and drilling-induced fractures.

Every feature is one module with a `detect_<feature>(well, picks) -> FeatureResult`
(per-depth curves, per-object tables, a summary), registered in `registry.FEATURES`; the
multi-well runner, the writers (output.py), the figures and the evaluation handle any
FeatureResult the same way, so a new feature is one module plus its registry line.
"""
