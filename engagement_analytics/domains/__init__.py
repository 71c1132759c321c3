"""The libraries behind the dbt Python models: ``domains/<domain>/`` serves
``python_models/<domain>/``, and ``ml_metrics`` holds the long metric layout that every domain's
model metrics share (mart ``ml_model_metrics``).

A dbt Python model imports only from here, and nothing here imports from
``engagement_analytics.tooling`` (tests/test_package_layers.py checks both)."""
