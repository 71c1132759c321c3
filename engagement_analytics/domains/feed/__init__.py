"""Feed helpers behind the dbt Python models in python_models/feed/."""
