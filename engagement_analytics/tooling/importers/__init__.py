"""Importers: convert public datasets into the raw-data contract."""
