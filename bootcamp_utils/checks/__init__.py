"""Self-checks for the exercises: ``check("exercise-id", answer)``.

Every check works the right answer out from the data itself (never from a stored value)
and compares exactly; when the answer is wrong it says what is wrong and gives a hint: the
common mistakes (a tuple where one integer was asked for, the intercept forgotten, the edges
of the wrong window function...) are recognised and named. Exercises are designed so that a
constant typed in without opening the file is not an answer.

The package has one module per lesson, so that a student can read how an answer was judged:

* :mod:`._registry`: :class:`Feedback`, :func:`check`, the registry :data:`EXERCISES`, and
  the helpers that read an answer strictly (:func:`~._registry.integer` refuses ``True`` and
  ``1.9``);
* :mod:`.lesson01`: the exercises of notebook 01 (ids ``01-...``);
* :mod:`.lesson02`: the exercises of notebook 02 (ids ``02-...``);
* :mod:`.lesson03`: the exercises of notebook 03 (ids ``03-...``);
* :mod:`.lesson04`: the exercises of notebook 04 (ids ``04-...``);
* :mod:`.lesson05`: the exercises of notebook 05 (ids ``05-...``);
* :mod:`.lesson06`: the exercises of notebook 06 (ids ``06-...``).

Adding a lesson takes two lines beyond its checks: write ``lessonNN.py`` starting with
``from ._registry import exercise, right, wrong`` (and any other helper), decorate each check
with ``@exercise("NN-name", "the question")``, then add the module to the import line
below (importing a module registers its exercises)::

    from . import lesson01, lesson02, lesson03, lesson04, lesson05, lesson06  # noqa: F401
"""

from __future__ import annotations

from . import lesson01, lesson02, lesson03, lesson04, lesson05, lesson06  # noqa: F401 (importing a module registers its exercises)
from ._registry import EXERCISES, Feedback, check

__all__ = ["EXERCISES", "Feedback", "check"]
