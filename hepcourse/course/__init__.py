"""The course itself, as opposed to the physics and the models.

- :mod:`.check`      self-checks of the exercises and the project's scorer (``check.project``);
- :mod:`.project`    the student project's samples and reference numbers;
- :mod:`.teaching`   the teaching builds and their command line (student edition, slides),
  with :mod:`.notebooks` (the notebook conventions), :mod:`.slides` and :mod:`.folders`
  (output folders a build may clear).

Nothing is imported here, so ``import hepcourse.course.teaching`` stays light.
"""
