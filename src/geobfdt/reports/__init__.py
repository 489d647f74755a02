"""Reports: figures and markdown summaries of picks and scores."""
