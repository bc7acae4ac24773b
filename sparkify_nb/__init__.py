"""Helpers behind the Sparkify warehouse notebook suite.

One module per concern (see DESIGN.md): ``config``, ``aws``, ``local_stack``,
``infra``, ``warehouse``, ``schema``, ``staging``, ``transform``, ``quality``,
``analytics``, ``charts``, ``datagen``, ``runner`` and the ``cli`` on top.
"""

__version__ = "0.1.0"


class SparkifyError(Exception):
    """Base class of every error this package raises on purpose."""
