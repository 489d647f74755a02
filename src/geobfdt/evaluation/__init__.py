"""Evaluation: matching picks to interpreted ones and scoring them."""
