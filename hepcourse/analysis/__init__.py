"""Analysis steps on simulated or real events: the Z-peak fit
(:mod:`~hepcourse.analysis.zpeak`), one candidate per event
(:mod:`~hepcourse.analysis.candidates`), particle identification
(:mod:`~hepcourse.analysis.pid`), jets on calorimeter images
(:mod:`~hepcourse.analysis.jets`) and top tagging on jets of particles
(:mod:`~hepcourse.analysis.jet_tagging`). Import the modules directly.
"""
