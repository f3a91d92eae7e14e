"""The course itself, as opposed to the physics and the models.

- :mod:`.check`      self-checks of the exercises and of the project's validation (``check.project``);
- :mod:`.submission`  the project's submissions and their scorer (``hepcourse project score``), with :mod:`.bumphunt`;
- :mod:`.project`    the student project's samples and reference numbers;
- :mod:`.prose`      :func:`glue`: measured numbers handed to the book's prose (myst-nb);
- :mod:`.plan`       the chapters' lecture plans (prose per section, measured run times);
- :mod:`.teaching`   the teaching builds and their command line (student edition, slides),
  with :mod:`.notebooks` (the notebook conventions), :mod:`.slides` (with the layout in
  :mod:`.slide_plan`, :mod:`.slide_pack`, :mod:`.slide_style`) and :mod:`.folders`
  (output folders a build may clear).

Only :func:`glue` is imported here (it is light), so ``import hepcourse.course.teaching``
stays light.
"""
from .prose import glue

__all__ = ["glue"]
