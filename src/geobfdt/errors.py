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


EX_SOFTWARE = 70  # sysexits.h: an internal software error, the exit code of a bug


def report_bug(exc: BaseException, where: str) -> str:
    """One line that says `exc` is a bug in GeoBFDT, with the path of a log holding its traceback.

    The log is a new file in the system temp folder (never in a folder the user named); where
    it cannot be written the line says so. where: what was running (a command, a well)."""
    import tempfile
    import traceback

    from geobfdt import __version__

    detail = (str(exc).splitlines() or [""])[0][:200]
    text = f"geobfdt {__version__}, {where}\n" + "".join(traceback.format_exception(exc))
    try:
        fd, log = tempfile.mkstemp(prefix="geobfdt-crash-", suffix=".log")
        with open(fd, "w", encoding="utf-8") as f:
            f.write(text)
        saved = f"traceback written to {log}"
    except OSError as write_error:
        saved = f"no traceback log ({write_error.strerror})"
    return (f"internal error (a bug in GeoBFDT, not a problem with your input): {type(exc).__name__}: {detail}; "
            f"{saved}; please report it")
