"""Engagement analytics warehouse, in two parts that only depend one way.

- ``engagement_analytics.domains``: the libraries behind the dbt Python models, one package per
  folder of ``python_models/`` (feed, face, moderation, experiments) and the metric layout they
  share. Plain typed functions, tested with pytest; they import nothing from ``tooling``.
- ``engagement_analytics.tooling``: what a person runs (``python -m engagement_analytics``):
  build and publish, the contract check, warehouse comparison, the data generator and
  importers, the report, the answer book and the benchmark harness.
"""
