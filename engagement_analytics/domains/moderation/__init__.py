"""Moderation and prediction models: claims analysis, claims classifier, verified-status
regression. Plain typed functions called by the dbt Python models in python_models/moderation/."""
