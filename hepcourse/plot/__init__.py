"""Physics plots: data vs fit with pulls, ROC curves, training histories, detector bands,
feature distributions. Drawing only: the numbers come from :mod:`hepcourse.stats` and
:mod:`hepcourse.analysis`.

Every function draws on a matplotlib Axes (made for you when ``ax`` is None), labels its
axes with units and returns the Axes (or the Figure / seaborn grid for multi-panel plots).
"""
from .calibration import confusion_matrix, reliability_diagram
from .curves import auc_vs_mass, background_rejection, roc, score_distributions
from .features import correlation_matrix, feature_pairs
from .fits import data_vs_fit, style
from .jets import jet_constituents
from .pid import beta_vs_p, cherenkov_vs_p, dedx_vs_p, efficiency_vs_p
from .rare import average_images, event_display, precision_recall, significance_plot
from .training import training_history

__all__ = [
    "auc_vs_mass", "average_images", "background_rejection", "beta_vs_p", "cherenkov_vs_p",
    "confusion_matrix", "correlation_matrix", "data_vs_fit", "dedx_vs_p", "efficiency_vs_p",
    "event_display", "feature_pairs", "jet_constituents", "precision_recall", "reliability_diagram", "roc",
    "score_distributions", "significance_plot", "style", "training_history",
]
