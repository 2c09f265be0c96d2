"""Imports every module that registers job handlers, so a worker knows all job kinds."""

from survey_app.jobs import opinions, retention, sampling, scores, themes  # noqa: F401
