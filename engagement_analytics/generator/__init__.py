"""Deterministic generator of every raw-data contract file, with planted effects and a truth file."""

from engagement_analytics.generator.writer import CONTRACT_FILES, generate

__all__ = ["CONTRACT_FILES", "generate"]
