"""Picking whole wells: the detector streamed over a well, and the Hough baseline."""
