"""Patches: a well cut into model-sized windows with their targets; labelled-well and synthetic sources."""
