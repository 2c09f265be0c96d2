"""Job handlers for themes."""
