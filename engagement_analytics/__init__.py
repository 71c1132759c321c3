"""Engagement analytics warehouse: the data generator, importers and the tested helpers behind
the dbt Python models."""
