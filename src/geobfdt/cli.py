"""`geobfdt` command line: one sub-command per module in geobfdt.commands.

Each command module defines HELP (one line), add_arguments(parser) and run(args) -> int.
A GeoBFDTError (bad file, bad option, bad model) becomes a one-line message and exit 2. Any
other exception is a bug in GeoBFDT: one line that says so, its traceback in a log file in the
system temp folder (the line gives its path) and exit 70 (EX_SOFTWARE). Output into a pipe its
reader has closed (`| head`) ends quietly with exit 141.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from geobfdt import __version__
from geobfdt.errors import EX_SOFTWARE, GeoBFDTError, report_bug

COMMANDS = ["info", "synth", "plot", "train", "pretrain", "predict", "features", "inject_test", "calibrate", "review",
            "evaluate", "demo", "ablate", "ship"]


def _available_commands():
    for name in COMMANDS:
        try:
            yield name, importlib.import_module(f"geobfdt.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"geobfdt.commands.{name}":
                raise


class _Parser(argparse.ArgumentParser):
    """argparse's usage errors as one line, like every other error (the usage is in --help)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="geobfdt",
        description="Pick fractures and bedding planes in borehole image logs (DLIS, LAS, NPZ) "
                    "with a Detection Transformer.")
    parser.add_argument("--version", action="version", version=f"geobfdt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in _available_commands():
        p = sub.add_parser(name.replace("_", "-"), help=module.HELP, description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(_run=module.run, _parser=p)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the command's parser, so the line names the command and its --help
            args._parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # an option argparse refused (its one line is printed): exit 2 like any error
        if exc.code in (0, None):  # --help, --version
            raise
        return int(exc.code) if isinstance(exc.code, int) else 2
    try:
        code = int(args._run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        # the reader went away (`geobfdt evaluate ... | head`): stop quietly as Unix tools do;
        # stdout goes to devnull so that Python's own flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except GeoBFDTError as exc:
        # one line even when a message quotes text from a file (a library's multi-line reason)
        message = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
        print(f"geobfdt {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"geobfdt {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - not bad input: a bug, said to be one
        print(f"geobfdt {args.command}: {report_bug(exc, 'geobfdt ' + ' '.join(map(str, argv or sys.argv[1:])))}",
              file=sys.stderr)
        return EX_SOFTWARE


if __name__ == "__main__":
    sys.exit(main())
