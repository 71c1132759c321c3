"""What a person runs against the warehouse: the command line (``python -m engagement_analytics``),
build and publish, the raw-data contract check, warehouse comparison, the data generator and
importers, the report, the answer book and the benchmark harness."""
