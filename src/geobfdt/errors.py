"""The one exception type the CLI turns into a one-line message and exit code 2."""


class GeoBFDTError(Exception):
    """A problem with the user's input (file, option, model) rather than a bug."""
