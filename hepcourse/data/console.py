"""One-line notices of the data layer (which source a dataset came from), through logging.

The data layer logs at INFO to loggers under ``"hepcourse"`` and never prints. So that a
notebook user still sees the one-line notice without configuring logging, the first
notice attaches a console handler to the ``"hepcourse"`` logger, but only when that
logger has no handler of its own (the package's NullHandler aside; configure one, or ``logging.getLogger("hepcourse")
.setLevel(logging.WARNING)`` to silence the notices). The handler writes to whatever
``sys.stdout`` is at that moment, so ``contextlib.redirect_stdout`` and pytest's capsys see
the notices as they saw the former ``print`` calls.
"""
from __future__ import annotations

import logging
import sys

ROOT = "hepcourse"


class ConsoleHandler(logging.StreamHandler):
    """A StreamHandler on the current ``sys.stdout`` (looked up at every record)."""

    def __init__(self):
        super().__init__(sys.stdout)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ assigns it; the property ignores it
        pass


def ensure_console() -> None:
    """Attach a :class:`ConsoleHandler` at INFO to the ``"hepcourse"`` logger when it has
    no handler but the package's NullHandler (and give the logger level INFO when it has
    none set)."""
    top = logging.getLogger(ROOT)
    if any(not isinstance(h, logging.NullHandler) for h in top.handlers):
        return
    top.addHandler(ConsoleHandler())
    if top.level == logging.NOTSET:
        top.setLevel(logging.INFO)


def notice(logger: logging.Logger, message: str, *args) -> None:
    """Log ``message`` at INFO on ``logger`` (a child of ``"hepcourse"``), visible by default."""
    ensure_console()
    logger.info(message, *args)
