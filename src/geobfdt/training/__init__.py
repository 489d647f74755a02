"""Training: the loop, its run folder, and the score thresholds tuned after it."""
