"""A listing streamed in pieces reads exactly as the same list dumped at once."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service import present

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(st.lists(JSON, max_size=5))
def test_a_streamed_array_is_the_array_dumped_at_once(values: list[Any]) -> None:
    assert "".join(present.dumps_array(iter(values))) == present.dumps(values)


@pytest.mark.parametrize("text", ["\x85", "a\u2028b", "\u2029", "\x1c\x1d\x1e", "\r"])
def test_a_string_holding_a_unicode_line_break_is_left_whole(text: str) -> None:
    values = [{"title": text}, text]
    assert "".join(present.dumps_array(iter(values))) == present.dumps(values)


def test_an_empty_stream_is_an_empty_array() -> None:
    assert "".join(present.dumps_array(iter(()))) == "[]" == present.dumps([])
