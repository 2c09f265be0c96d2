"""Pure analytics: Chinese text processing, theme clustering, sentiment, satisfaction
statistics and appraisal grading.

Never imports survey_app, litestar or piccolo (a test checks it).
"""
