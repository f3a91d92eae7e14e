"""Self-checks for the exercises and the project, with feedback rather than pass/fail.

In a notebook, after your solution:

    from hepcourse.course import check
    check.exercise("1.1", globals())      # looks up the variables the problem asked for

Each check says what it found, what a good solution reaches and, if you are off, where
to look. A check that finds none of the variables says the problem is not attempted yet;
one that finds a variable of the wrong kind (None, a string, a wrong shape, NaN...) says
which variable and what it should hold. A check never raises on an answer; only an
unknown key (a typo in the notebook) is a ValueError, listing the known keys.

In the student edition a passing check also shows the problem's discussion (the
instructor's notebook has it as a cell tagged ``discussion`` after the self-check; the
student build keeps it in ``notebooks/discussions.json``), with the numbers of your run.

The notebooks' science statements ("the network beats the cuts") are :func:`claim` lines:
they print what was measured and the expected range, fail the instructor builds
(``HEPCOURSE_STRICT_CLAIMS=1``) and only warn in a student's run or on real data.

The checks live in one module per chapter, named by topic (the keys are the notebooks'
problem numbers):

===================  ======  =====================================================
module               keys    chapter
===================  ======  =====================================================
:mod:`.fitting`      1.x     fits of the Z peak, cross-validation, awkward arrays
:mod:`.learning`     2.x     how a network learns: likelihood ratio, backpropagation, optimisers
:mod:`.hepmass`      3.x     the parametrised HEPMASS network
:mod:`.pid`          4.x     particle identification
:mod:`.rare`         5.x     a CNN for rare decays on calorimeter images
:mod:`.jets`         6.x     jets as sets: Pythia top and QCD jets, IRC safety, the tagger's cut
:mod:`.anomaly`      7.x     searches without a signal model: counting, sculpting, k-fold, the flow
:mod:`.gpu`          8.x     GPUs, compilation, resumable training
:mod:`.beamline`     A.x     the appendix: steering a beam (SVD, returns, damping, reward design)
:mod:`.scoring`      —       :func:`project`, the self-check of the project's validation
:mod:`.claims`       —       :func:`claim`, the notebooks' science guards
:mod:`.core`         —       :class:`Feedback`, :func:`value`, :func:`auc`, the registry
===================  ======  =====================================================
"""
from __future__ import annotations

from . import anomaly, beamline, fitting, gpu, hepmass, jets, learning, pid, rare  # noqa: F401  (importing registers the checks)
from .claims import claim
from .core import _EXERCISES, AnswerError, Feedback, auc, exercise, keys, value  # noqa: F401
from .scoring import project

__all__ = ["AnswerError", "Feedback", "auc", "claim", "exercise", "keys", "project", "value"]
