"""The questions the import asks of a whole column at once, from its bytes
(kpis.ingest.checks: `all_plain_numbers`, `has_character`,
`every_cell_starts_with_a_digit`), answer as the cell-by-cell rules they
replace do, for any cells: sliced and chunked columns, empty cells, accents."""

from __future__ import annotations

import re

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis.ingest.checks import (
    PLAIN_NUMBER,
    all_plain_numbers,
    every_cell_starts_with_a_digit,
    has_character,
)

CELL = st.text(alphabet="0123456789.,:-+ eé€/", max_size=8)
CELLS = st.lists(CELL, max_size=12)


def shapes(cells: list[str], cut: int) -> list[pa.Array | pa.ChunkedArray]:
    """The same cells as one array, as a slice of a longer one, and in chunks."""
    whole = pa.array(["9.9.9", *cells, "x"], pa.string())
    cut = min(cut, len(cells))
    return [
        pa.array(cells, pa.string()),
        whole.slice(1, len(cells)),
        pa.chunked_array([pa.array(cells[:cut], pa.string()), pa.array(cells[cut:], pa.string())]),
    ]


@settings(max_examples=300, deadline=None)
@given(CELLS, st.integers(0, 12))
def test_plain_numbers_as_the_regular_expression_says(cells, cut):
    expected = all(re.fullmatch(PLAIN_NUMBER.strip("^$"), c) for c in cells)
    for column in shapes(cells, cut):
        assert all_plain_numbers(column) == expected


@settings(max_examples=300, deadline=None)
@given(CELLS, st.integers(0, 12), st.sampled_from([".", ":", ","]))
def test_a_character_anywhere_in_a_column(cells, cut, character):
    expected = any(character in c for c in cells)
    for column in shapes(cells, cut):
        assert has_character(column, character) == expected


@settings(max_examples=300, deadline=None)
@given(CELLS, st.integers(0, 12))
def test_every_cell_starting_with_a_digit(cells, cut):
    expected = bool(cells) and all(c[:1].isdigit() for c in cells)
    for column in shapes(cells, cut):
        assert every_cell_starts_with_a_digit(column) == expected


def test_columns_with_missing_cells_take_the_cell_by_cell_rules():
    column = pa.array(["12", None, "3.5"], pa.string())
    assert all_plain_numbers(column)  # a missing cell is no counter-example
    assert has_character(column, ".") and not has_character(column, ":")
    assert not every_cell_starts_with_a_digit(column)
