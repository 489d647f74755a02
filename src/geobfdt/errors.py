"""Errors a caller can tell apart: what was wrong with the user's input, by kind of input.

Every one is a `GeoBFDTError`, which the CLI prints as one line and exit code 2. Anything else
that escapes is a bug in GeoBFDT, not bad input: the CLI reports it as such (cli.py).
"""


class GeoBFDTError(Exception):
    """A problem with the user's input (file, option, model) rather than a bug."""


class WellFileError(GeoBFDTError):
    """A well file (DLIS, LAS, NPZ) that cannot be read or does not hold a usable image."""


class PickFileError(GeoBFDTError):
    """A pick or review file (CSV, Geolog, WellCAD, DLIS dips) that cannot be read."""


class ModelFileError(GeoBFDTError):
    """A file that is not a GeoBFDT model, or a model that does not fit the request."""


class RunFolderError(GeoBFDTError):
    """A training run folder whose files are damaged or disagree with the command (--resume)."""


class OptionError(GeoBFDTError):
    """An option or argument value, or a combination of them, that cannot be used."""
