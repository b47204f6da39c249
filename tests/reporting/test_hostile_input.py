"""Hostile text in names and titles: exports never carry a formula, charts stay well-formed SVG."""

import io
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from coursebridge.catalog.exports import FORMULA_PREFIXES
from coursebridge.reporting.activity import _text_cell
from coursebridge.reporting.charts import Series, bar_chart, column_chart

# Text as people type it, plus the characters spreadsheets and markup care about.
hostile = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40) | \
    st.sampled_from(["=1+1", "+SUM(A1)", "-2", "@cmd", "\t=x", "\r=x", "<script>", "]]>", "&amp;", "'\"<>"])


@given(hostile)
def test_an_exported_cell_never_starts_a_formula_and_loses_nothing(text):
    cell = _text_cell(text)

    assert not cell.startswith(FORMULA_PREFIXES)
    assert cell == text or (cell == "'" + text and text.startswith(FORMULA_PREFIXES))


@settings(max_examples=30, deadline=None)
@given(st.lists(hostile.filter(lambda t: all(c >= " " or c in "\t\n\r" for c in t)), min_size=1, max_size=4))
def test_xlsx_cells_written_from_hostile_text_are_text(texts):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("t")
    sheet.append([_text_cell(t) for t in texts])
    target = io.BytesIO()
    book.save(target)

    cells = next(iter(load_workbook(io.BytesIO(target.getvalue())).active.iter_rows()))
    assert all(c.data_type != "f" for c in cells)


xml_safe = hostile.filter(lambda t: all(c >= " " or c in "\t\n\r" for c in t) and "\ufffe" not in t
                          and "\uffff" not in t)


@given(st.lists(xml_safe, min_size=1, max_size=5), st.lists(st.integers(0, 10**6), min_size=5, max_size=5))
def test_charts_with_hostile_labels_are_well_formed_svg(labels, values):
    values = values[: len(labels)]
    for chart in (
        bar_chart(title="<b>&", labels=labels, series=[Series("x<y", [float(v) for v in values], "s1")]),
        column_chart(title="t", labels=labels, series=[Series("a", [float(v) for v in values], "s1"),
                                                       Series("b&", [float(v) for v in values], "s2")]),
    ):
        root = ET.fromstring(chart)  # noqa: S314 - our own output, parsed to prove it well-formed
        assert root.tag == "figure"
        assert "<script" not in chart
