"""The one exception type for mistakes a user can fix.

The CLI turns an :class:`EmogenError` into a single ``error: ...`` line and a non-zero exit; any
other exception is a bug in emogen and keeps its traceback.
"""


class EmogenError(ValueError):
    """Bad input, bad configuration or a bad checkpoint: the message says what was wrong and what is
    accepted."""
