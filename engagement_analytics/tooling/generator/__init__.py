"""Deterministic generator of every raw-data contract file, with planted effects and a truth file."""

from engagement_analytics.tooling.generator.profiles import PROFILES, GeneratorProfile, get_profile
from engagement_analytics.tooling.generator.writer import CONTRACT_FILES, generate

__all__ = ["CONTRACT_FILES", "PROFILES", "GeneratorProfile", "generate", "get_profile"]
