"""Write constraints.txt (the exact versions `make venv` and CI install) from the environment it runs in,
or print the lowest versions pyproject.toml allows.

    .venv/bin/python scripts/write_constraints.py            # after testing new versions in .venv
    python scripts/write_constraints.py --lowest > lowest.txt  # `make test-wheel`: name==lower bound

constraints.txt holds every package that geobfdt with its test extra needs, directly or not, at the
version installed here: pyproject.toml's requirements and theirs, followed through the installed
packages' metadata (markers evaluated for this Python). --lowest reads pyproject.toml only and pins
each direct requirement to its lower bound; it refuses a requirement without one.
"""

import argparse
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
EXTRA = "test"
HEADER = """\
# Exact versions for `make venv` and CI (pip install -c constraints.txt ...), tested with `make test`.
# pyproject.toml declares the compatible ranges; CONTRIBUTING.md says how to update this file.
# Written by: .venv/bin/python scripts/write_constraints.py
"""


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"][EXTRA]]


def lowest_pins(requirements: list[Requirement]) -> list[str]:
    pins = []
    for req in requirements:
        lower = [s.version for s in req.specifier if s.operator in (">=", "==", "~=")]
        if not lower:
            sys.exit(f"pyproject.toml: {req} has no lower bound")
        pins.append(f"{req.name}=={lower[0]}")
    return pins


def installed_closure(requirements: list[Requirement]) -> dict[str, str]:
    """canonical name -> installed version of every package the requirements pull in."""
    found: dict[str, str] = {}
    pending = [(req, ()) for req in requirements]
    while pending:
        req, extras = pending.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras or ("",)):
            continue
        name = canonicalize_name(req.name)
        dist = metadata.distribution(req.name)
        new_extras = tuple(req.extras)
        if name in found and not new_extras:
            continue
        found[name] = dist.version
        pending += [(Requirement(r), new_extras) for r in dist.requires or ()]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lowest", action="store_true", help="print name==lower bound for each direct requirement")
    args = parser.parse_args()
    requirements = declared_requirements()
    if args.lowest:
        print("\n".join(lowest_pins(requirements)))
        return
    versions = installed_closure(requirements)
    # a local build label (torch's +cpu) is the wheel's, not the version's: torch==2.13.0 accepts 2.13.0+cpu
    lines = [f"{name}=={version.split('+')[0]}" for name, version in sorted(versions.items())]
    (ROOT / "constraints.txt").write_text(HEADER + "\n".join(lines) + "\n")
    print(f"wrote {ROOT / 'constraints.txt'} ({len(lines)} packages)")


if __name__ == "__main__":
    main()
