"""Preprocessing: normalisation, gap filling and resampling of the image; training augmentation."""
