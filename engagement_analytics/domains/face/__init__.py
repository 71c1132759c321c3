"""Face helpers behind the dbt Python models in python_models/face/: expression segments and forecasts."""
