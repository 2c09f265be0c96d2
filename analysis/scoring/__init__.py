"""Satisfaction statistics: score mappings, design-based estimators, flags, shrinkage and
response data-quality flags (research/scoring.md Part A1–A2). Pure: no web or database imports.
"""
