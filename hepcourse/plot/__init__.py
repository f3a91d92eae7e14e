"""Physics plots: data vs fit with pulls, ROC curves, training histories, detector bands.

Every function draws on a matplotlib Axes (made for you when ``ax`` is None), labels its
axes with units and returns the Axes (or the Figure for multi-panel plots).
"""
from .fits import data_vs_fit, style
