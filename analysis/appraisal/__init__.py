"""Appraisal (绩效考核) mechanics: weighted components, period weights, bonus/deduction/veto,
grades by thresholds or forced distribution, red/yellow card warnings (research/scoring.md §A3).
Pure: no web or database imports.
"""
