"""JSON from untrusted sources: the depth counted on the bytes is the parsed value's, and what
the parser would choke on (too big, too deep, not JSON, not UTF-8) is a one-line ValueError."""

import json

import pytest
from hypothesis import given, strategies as st

from geobfdt.io.bounded_json import MAX_DEPTH, loads_bounded, nesting_depth, read_json_bounded

# text with quotes, backslashes and brackets inside strings: what a byte scan could miscount
TRICKY = st.text(alphabet='[]{}"\\ab\n\u00e9', max_size=8)
VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TRICKY,
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
                      max_leaves=20)


def depth_of(value) -> int:
    if isinstance(value, (list, dict)):
        items = value.values() if isinstance(value, dict) else value
        return 1 + max((depth_of(v) for v in items), default=0)
    return 0


@given(VALUES, st.booleans())
def test_the_depth_on_the_bytes_is_the_depth_of_the_value(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert nesting_depth(text.encode()) == depth_of(value)
    assert loads_bounded(text, 10**6) == value


@given(st.integers(MAX_DEPTH + 1, 200_000), st.sampled_from(["[", '{"a":']))
def test_deep_nesting_is_refused_without_recursion(depth, opener):
    closer = "]" if opener == "[" else "}"
    with pytest.raises(ValueError, match="nested"):
        loads_bounded(opener * depth + "1" * (opener != "[") + closer * depth, 10**7)


@given(st.binary(max_size=64))
def test_any_bytes_parse_or_are_a_one_line_value_error(data):
    try:
        loads_bounded(data, 10**6)
    except ValueError as exc:
        assert "\n" not in str(exc)


def test_size_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as f:
        f.truncate(2 * 10**9)  # sparse: reading it would take 2 GB
    with pytest.raises(ValueError, match="above the limit"):
        read_json_bounded(path, 10**6)
    with pytest.raises(ValueError, match="above the limit"):
        loads_bounded(b"[]" * 100, 199)
