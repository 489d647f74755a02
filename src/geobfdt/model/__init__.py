"""DETR-style sinusoid detector: build_model, build_criterion and the pieces they wire together.

The names load on first use, so that `geobfdt.model.checkpoint` (model-file settings) can be read
without importing torch (picking/engine.py)."""

from importlib import import_module

_HOMES = {"SetCriterion": "criterion", "build_criterion": "criterion", "Detector": "detector",
          "build_model": "detector", "count_parameters": "detector", "HungarianMatcher": "matcher",
          "build_matcher": "matcher"}

__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(import_module(f"geobfdt.model.{_HOMES[name]}"), name)
    raise AttributeError(name)
