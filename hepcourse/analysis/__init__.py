"""Analysis steps on simulated or real events: the Z-peak fit
(:mod:`~hepcourse.analysis.zpeak`), one candidate per event
(:mod:`~hepcourse.analysis.candidates`), particle identification
(:mod:`~hepcourse.analysis.pid`) and jets on calorimeter images
(:mod:`~hepcourse.analysis.jets`). Import the modules directly.
"""
