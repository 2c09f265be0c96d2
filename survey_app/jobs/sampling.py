"""Job handlers for sampling."""
