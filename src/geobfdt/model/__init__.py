"""DETR-style sinusoid detector: build_model, build_criterion and the pieces they wire together."""

from geobfdt.model.criterion import SetCriterion, build_criterion
from geobfdt.model.detector import Detector, build_model, count_parameters
from geobfdt.model.matcher import HungarianMatcher, build_matcher

__all__ = ["Detector", "HungarianMatcher", "SetCriterion", "build_criterion", "build_matcher", "build_model",
           "count_parameters"]
