"""How a file's date format and decimal mark are guessed from a sample
(kpis.ingest.formats): the shortcuts for plain files give the answer the
full comparison gives."""

import pytest

from channelhub.lib.tabular import FileProblem
from kpis.ingest.formats import NeedsChoice, sniff_date_format, sniff_decimal


def test_iso_dates_are_iso_even_with_a_day_that_does_not_exist():
    assert sniff_date_format(["2025-01-02", "2025-02-30", " 2025-12-31 "]) == "%Y-%m-%d"


def test_other_date_formats_are_still_compared():
    assert sniff_date_format(["31/01/2025", "15/02/2025"]) == "%d/%m/%Y"
    with pytest.raises(NeedsChoice):
        sniff_date_format(["01/02/2025", "03/04/2025"])


def test_plain_numbers_in_a_comma_separated_file_have_decimal_dots():
    assert sniff_decimal(["12.50", "3", "", "1000.1"], ",") == "."


def test_numbers_that_are_not_plain_are_still_read_closely():
    assert sniff_decimal(["1.234.567", "12"], ",") == ","
    assert sniff_decimal(["1.234,56", "7,5"], ";") == ","
    with pytest.raises(FileProblem, match="mix decimal commas and decimal dots"):
        sniff_decimal(["1.234,56", "7.25"], ";")
