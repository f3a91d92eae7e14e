"""Seeded physics generators, one per dataset, with the same schema as the real data.

Each is a function of the number of events and a seed (same seed, same numbers).
"""
from .zmumu import hzz, zmumu

__all__ = ["hzz", "zmumu"]
