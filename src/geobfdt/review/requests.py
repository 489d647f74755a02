"""What the review page may send: every request body checked in one place before the session sees it.

A body is at most MAX_BODY_BYTES, JSON nested at most MAX_BODY_DEPTH deep, an object whose keys
make exactly one of its endpoint's forms (plus the optional ones), each value of its field's type
and range: numbers finite and within MAX_ABS, azimuths wrapped into [0, 360), pick types, statuses
and decisions from their lists, three-point picks as three [azimuth_deg, depth_m] pairs. Anything
else is an OptionError, which the app answers with 400 and the message (review/app.py); whether a
depth lies in the well is the session's check (it knows the well).
"""

from __future__ import annotations

import math

from geobfdt.errors import OptionError
from geobfdt.geometry import wrap_azimuth_deg
from geobfdt.io.bounded_json import loads_bounded
from geobfdt.well import PICK_TYPES

MAX_BODY_BYTES = 64 * 1024  # the page's largest body, a three-point pick, is ~100 bytes
MAX_BODY_DEPTH = 3  # {"points": [[azimuth, depth], ...]}
MAX_ABS = 1e7  # metres or degrees: deeper than any well, and far from float overflow in the geometry
REVIEW_STATUSES = ("accepted", "rejected")


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or abs(value) > MAX_ABS:
        raise OptionError(f"{name} must be a finite number within +-{MAX_ABS:g}, got {str(value)[:40]!r}")
    return float(value)


def _one_of(choices):
    def check(name: str, value) -> str:
        if not isinstance(value, str) or value not in choices:
            raise OptionError(f"{name} must be one of {', '.join(choices)}, got {str(value)[:40]!r}")
        return value
    return check


def _points(name: str, value) -> list[list[float]]:
    if not (isinstance(value, list) and len(value) == 3
            and all(isinstance(p, list) and len(p) == 2 for p in value)):
        raise OptionError(f"{name} must be three [azimuth_deg, depth_m] pairs")
    return [[_number(f"{name} azimuth_deg", az), _number(f"{name} depth_m", depth)] for az, depth in value]


FIELDS = {"depth_m": _number, "amplitude_m": _number, "top_m": _number, "bottom_m": _number,
          "azimuth_deg": lambda name, value: float(wrap_azimuth_deg(_number(name, value))),
          "type": _one_of(PICK_TYPES), "status": _one_of(REVIEW_STATUSES), "decision": _one_of(REVIEW_STATUSES),
          "points": _points}

GEOMETRY = ("depth_m", "amplitude_m", "azimuth_deg")
ADD_PICK = ((("points",), GEOMETRY), ("type",))
EDIT_PICK = ((("status",), ("type",), GEOMETRY), ())
INTERVAL = ((("top_m", "bottom_m"),), ())
DECISION = ((("decision",),), ())


def read_body(raw: bytes, schema) -> dict:
    """The checked body of a request; schema: (forms, optional keys), e.g. ADD_PICK."""
    forms, optional = schema
    try:
        body = loads_bounded(raw, MAX_BODY_BYTES, MAX_BODY_DEPTH)
    except ValueError as exc:
        raise OptionError(f"request body: {exc}") from None
    if not isinstance(body, dict):
        raise OptionError("request body: expected a JSON object")
    required = set(body) - set(optional)
    if not any(required == set(form) for form in forms):
        expected = " | ".join(" + ".join(form) for form in forms)
        extra = f" (optional: {', '.join(optional)})" if optional else ""
        got = ", ".join(sorted(str(k)[:20] for k in body)[:6]) or "nothing"
        raise OptionError(f"request body: expected {expected}{extra}; got {got}")
    return {key: FIELDS[key](key, value) for key, value in body.items()}
