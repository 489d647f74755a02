"""`geobfdt review`: check, correct and complete picks in a browser (docs/review.md)."""
