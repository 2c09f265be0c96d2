"""Jinja templates. Kept at the repository top level; installed as the package survey_app.templates."""
