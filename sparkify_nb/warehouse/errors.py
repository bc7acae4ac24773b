"""The warehouse's error, in a module of its own so that :mod:`.connect` and
:mod:`.data_api` can both raise it."""

from .. import SparkifyError


class WarehouseError(SparkifyError):
    """A statement failed or the warehouse cannot be reached; the message names
    the statement (its first line) or the target, never a credential."""
