"""Pure questionnaire domain: models, definition formats, skip logic, answer validation, sampling.

Never imports survey_app, litestar or piccolo (a test checks it).
"""
