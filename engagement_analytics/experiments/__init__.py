"""Experiment readouts: Welch tests, CUPED, sample-ratio checks and power (issue 5)."""
