"""The one error hierarchy of the application layer.

Services (and the jobs and commands that call them) raise these; each carries a Chinese message
for the person who caused it. The web layer maps each kind to an HTTP status in one place
(web/errors.py), the CLI prints the message, so no service needs to know about either.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A use case could not be carried out; str(error) is the Chinese message to show."""


class InvalidInput(ServiceError, ValueError):
    """What the user entered or uploaded is wrong (HTTP 400); nothing was changed."""


class NotFound(ServiceError):
    """The record does not exist, or the user may not know that it does (HTTP 404)."""


class Forbidden(ServiceError):
    """The user is known but may not do this (HTTP 403)."""


class Conflict(ServiceError):
    """The request clashes with the current state, e.g. a closed campaign (HTTP 409)."""
