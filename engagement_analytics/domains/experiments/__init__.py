"""Experiment readouts behind python_models/experiments/: Welch tests, CUPED, sample-ratio checks and power."""
