"""Job handlers for scores."""
