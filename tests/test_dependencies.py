"""pyproject.toml declares ranges and constraints.txt pins versions inside them (CONTRIBUTING.md)."""

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from write_constraints import declared_requirements, lowest_pins  # noqa: E402


def _pins() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pins = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {canonicalize_name(r.name): next(iter(r.specifier)).version for r in pins}


def test_every_requirement_is_a_range_with_a_lower_bound_not_a_pin():
    for req in declared_requirements():
        operators = {s.operator for s in req.specifier}
        assert ">=" in operators and "==" not in operators, f"pyproject.toml: {req} (ranges there, pins in constraints.txt)"


def test_constraints_pin_every_requirement_inside_its_range():
    pins = _pins()
    for req in declared_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"constraints.txt has no pin for {req.name}: rerun scripts/write_constraints.py"
        assert req.specifier.contains(pins[name], prereleases=True), f"constraints.txt {name}=={pins[name]} is outside {req}"


def test_lowest_pins_are_the_lower_bounds():
    pins = lowest_pins([Requirement("numpy>=2.0,<3"), Requirement("tqdm>=4.66")])
    assert pins == ["numpy==2.0", "tqdm==4.66"]
    with pytest.raises(SystemExit, match="no lower bound"):
        lowest_pins([Requirement("numpy<3")])
