"""Classify: partner countries and themes from data-file vocabularies."""
