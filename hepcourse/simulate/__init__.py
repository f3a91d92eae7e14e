"""Seeded physics generators, one per dataset, with the same schema as the real data.

Each is a function of the number of events and a seed (same seed, same numbers).
"""
from .hepmass import hepmass
from .zmumu import hzz, zmumu
from .pid import pid
from .images import images

__all__ = ["hepmass", "hzz", "zmumu", "pid", "images"]
