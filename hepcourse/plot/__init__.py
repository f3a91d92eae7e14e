"""Physics plots: data vs fit with pulls, ROC curves, training histories, detector bands.

Every function draws on a matplotlib Axes (made for you when ``ax`` is None), labels its
axes with units and returns the Axes (or the Figure for multi-panel plots).
"""
from .fits import data_vs_fit, style
from .pid import beta_vs_p, cherenkov_vs_p, dedx_vs_p, efficiency_vs_p
from .calibration import confusion_matrix, reliability_diagram
from .rare import average_images, event_display, precision_recall, significance_plot, significance_scan, working_point
from .curves import auc_vs_mass, background_rejection, roc, score_distributions
from .training import training_history
