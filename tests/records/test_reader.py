"""The reader on its own: tolerant of what spreadsheets write, and never an exception but FileRefused."""

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from coursebridge.records.reader import FileRefused, read_file

REQUIRED = [("external_user_id", "external_email")]


def read(path, required=REQUIRED):
    header, rows = read_file(path, filename=path.name, required=required)
    return header, list(rows)


def test_a_bom_case_spaces_and_aliases_in_the_header_are_accepted(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"\xef\xbb\xbf External_Mail ,First Name,Credits,Notes\r\na@example.org,Ada,1,x\r\n")

    header, rows = read(path)

    assert header.columns == ["external_email", "first_name", "credits", None]
    assert header.encoding == "utf-8-sig"
    assert header.warnings == ["Unknown column ignored: Notes."]
    assert rows[0].values == {"external_email": "a@example.org", "first_name": "Ada", "credits": "1"}


def test_windows_1252_is_read_with_a_warning(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("external_email;first_name\r\nb@example.org;Zoë\r\n".encode("cp1252"))

    header, rows = read(path)

    assert header.encoding == "cp1252"
    assert header.warnings[0].startswith("The file is not UTF-8: it was read as Windows-1252")
    assert rows[0].values["first_name"] == "Zoë"


def test_special_spaces_are_cleaned_and_reported(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("external_email,last_name\na@example.org\u200b,Van\u00a0Dyke\n", encoding="utf-8")

    _, rows = read(path)

    assert rows[0].values == {"external_email": "a@example.org", "last_name": "Van Dyke"}
    assert rows[0].warnings == [("external_email", "Cleaned: zero-width characters removed."),
                                ("last_name", "Cleaned: non-breaking spaces replaced by plain spaces.")]


def test_a_ragged_row_is_an_error_for_that_row_only(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("external_email,last_name\na@example.org\nb@example.org,B,extra\nc@example.org,C\n")

    _, rows = read(path)

    assert [(r.number, r.errors) for r in rows] == [
        (2, [("", "The row has 1 columns; the header has 2.")]),
        (3, [("", "The row has 3 columns; the header has 2.")]),
        (4, []),
    ]


def test_missing_required_columns_refuse_the_file(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("title,credits\nx,1\n")

    with pytest.raises(FileRefused, match="lacks the required columns external_course_id; external_user_id or"):
        read(path, required=[("external_course_id",), ("external_user_id", "external_email")])


def test_xlsx_is_read_streaming_with_dates_and_numbers_as_text(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["External Email", "date_completed", "credits", "complete"])
    sheet.append(["a@example.org", datetime(2024, 3, 2), 1.5, 1])
    sheet.append([None, None, None, None])
    path = tmp_path / "r.xlsx"
    workbook.save(path)

    header, rows = read(path)

    assert header.encoding == "xlsx"
    assert [r.values for r in rows] == [
        {"external_email": "a@example.org", "date_completed": "2024-03-02", "credits": "1.5", "complete": "1"}]


def test_a_quote_never_closed_refuses_the_file_naming_the_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('external_email,last_name\na@example.org,"open\n' + "x" * 1_100_000 + "\n")

    with pytest.raises(FileRefused, match=r"^Row 2: the file cannot be read past this point"):
        read(path)


HOSTILE_PIECES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b'"', b'""', b",", b";", b"\t", b"\r\n", b"\n", b"\r", b"\x00",
                     b"=HYPERLINK(\"http://x\")", b"+1", b"@SUM(A1)", b"\xc2\xa0", b"\xe2\x80\x8b", b"PK\x03\x04",
                     b"external_email", b"external_user_id", b"credits", b"a@example.org", b"x" * 5000]),
    st.text(max_size=50).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(HOSTILE_PIECES, max_size=30), header=st.booleans())
def test_any_bytes_end_in_rows_or_a_clear_refusal(tmp_path, pieces, header):
    path = tmp_path / "hostile.csv"
    path.write_bytes((b"external_email,credits\r\n" if header else b"") + b"".join(pieces))

    try:
        _, rows = read(path)
    except FileRefused as exc:
        assert exc.message
    else:
        for row in rows:
            assert row.number >= 2
            assert all(isinstance(v, str) and len(v) <= 1000 for v in row.values.values())
