"""DETR-style sinusoid detector: build_model, build_criterion and the pieces they wire together."""

from .criterion import SetCriterion, build_criterion
from .detector import Detector, build_model, count_parameters
from .matcher import HungarianMatcher, build_matcher

__all__ = ["Detector", "HungarianMatcher", "SetCriterion", "build_criterion", "build_matcher", "build_model",
           "count_parameters"]
