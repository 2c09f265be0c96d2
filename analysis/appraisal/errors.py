"""Errors of the appraisal package; messages are Chinese and shown to users as they are."""


class AppraisalError(ValueError):
    """Bad appraisal input (score rows that do not fit the scheme …)."""


class SchemeError(AppraisalError):
    """An appraisal scheme (YAML) that is not valid; the message says where."""
