"""Seeded physics generators, one per dataset, with the same schema as the real data.

Each is a function of the number of events (jets) and a keyword-only ``seed`` (an int or a
numpy Generator; same seed, same numbers). The modules are named by the physics they
generate, the functions by the dataset they stand in for:

=====================  ====================================  ============================
function               module                                stands in for
=====================  ====================================  ============================
``zmumu(n)``           :mod:`~hepcourse.simulate.drell_yan`  uproot-Zmumu.root (CMS 2010)
``hzz(n)``             :mod:`~hepcourse.simulate.higgs_4l`   uproot-HZZ.root
``hepmass(n)``         :mod:`~hepcourse.simulate.resonant_ttbar`  UCI HEPMASS
``pid(n)``             :mod:`~hepcourse.simulate.tracks`     identified tracks (chapter 4)
``images(n)``          :mod:`~hepcourse.simulate.calorimeter`  calorimeter images (chapter 5)
``dimuon_search(n)``   :mod:`~hepcourse.simulate.dimuon`     the project's collisions
``jets(n)``            :mod:`~hepcourse.simulate.top_tagging`  the top-tagging reference
                                                             sample (Pythia 8 + FastJet)
``dijets(n)``          :mod:`~hepcourse.simulate.dijet_resonance`  the LHC Olympics 2020
                                                             R&D dijets (Pythia 8 + FastJet)
=====================  ====================================  ============================
"""
from .calorimeter import images
from .dijet_resonance import dijets
from .dimuon import dimuon_search
from .drell_yan import zmumu
from .higgs_4l import hzz
from .resonant_ttbar import hepmass
from .top_tagging import jets
from .tracks import pid

__all__ = ["dijets", "dimuon_search", "hepmass", "hzz", "images", "jets", "pid", "zmumu"]
