"""Helpers behind the Sparkify warehouse notebook suite.

The house mirrors the suite (DESIGN.md): a shell every stage uses
(``config``, ``paths``, ``aws``, ``runner``, ``cli``) and one package per
stage: ``infra`` (01 and 99), ``warehouse`` (02 and 03), ``staging`` (03's
load), ``analytics`` (04), plus ``local`` (the local stack) and ``datagen``
(Sparkify-format data at any scale). ``display`` renders the tables 01 and 03
show; ``%load_ext sparkify_nb`` gives notebooks SQL cells (``%%sql``).
"""

from typing import Callable

__version__ = "0.1.0"

Progress = Callable[[str], None]
"""How library functions report what they do: one line of text at a time.
Notebooks and the CLI pass ``print``; tests pass a list's ``append``."""


class SparkifyError(Exception):
    """Base class of every error this package raises on purpose."""


def load_ipython_extension(ipython) -> None:
    """``%load_ext sparkify_nb``: the ``%sql`` / ``%%sql`` magics of
    :mod:`sparkify_nb.analytics.magic` (SQL cells on the notebook's target)."""
    from .analytics import magic

    magic.load_ipython_extension(ipython)
