"""Reading course record files, CSV or XLSX, row by row without holding the file in memory.

Pure: no database. Headers are trimmed, case-folded and their aliases mapped; a byte-order mark is
dropped; UTF-8 is tried first and Windows-1252 taken (with a warning) when the file is not UTF-8;
non-breaking and zero-width spaces are cleaned and reported; a row with the wrong number of columns
is an error for that row only. Whatever the bytes, the reader either yields rows or raises
FileRefused with a message that says what is wrong and where.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from coursebridge.core.errors import DomainError

COLUMNS: tuple[str, ...] = (
    "external_course_id", "title", "external_user_id", "external_email", "first_name", "last_name",
    "enrollment_start", "enrollment_end", "date_completed", "complete", "credits", "credit_type",
    "participant_category", "attended", "credit_expiration",
)
ALIASES: dict[str, str] = {
    "external_mail": "external_email",
    "email": "external_email",
    "e_mail": "external_email",
    "user_email": "external_email",
    "external_uid": "external_user_id",
    "user_external_id": "external_user_id",
    "course_external_id": "external_course_id",
    "course_title": "title",
    "firstname": "first_name",
    "lastname": "last_name",
    "completed": "complete",
    "completion_date": "date_completed",
    "credit_amount": "credits",
}
MAX_FIELD = 1000  # characters kept in one cell; a longer value is a row error
MAX_CSV_FIELD = 1_000_000  # the CSV parser refuses fields longer than this (a quote never closed)
SNIFF_BYTES = 64 * 1024
# Spaces that look like a space, and characters that show as nothing.
NBSP = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a"), " ")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
XLSX_MAGIC = b"PK\x03\x04"


class FileRefused(DomainError):
    """The file as a whole cannot be read; nothing of it is staged."""

    code = "file_refused"


@dataclass
class Row:
    number: int  # 1-based line of the file; the header is row 1
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    warnings: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Header:
    columns: list[str | None]  # canonical name per position; None for an unknown column
    warnings: list[str]
    encoding: str


def normalise_header(raw: str) -> str:
    text = str(raw).translate(INVISIBLE).translate(NBSP).strip().lower()
    text = re.sub(r"[\s\-\.]+", "_", text)
    return ALIASES.get(text, text)


def clean_value(text: str) -> tuple[str, list[str]]:
    """The value with special characters cleaned, and what was cleaned (for the row report)."""
    notes: list[str] = []
    if text.translate(NBSP) != text:
        notes.append("non-breaking spaces replaced by plain spaces")
        text = text.translate(NBSP)
    if text.translate(INVISIBLE) != text:
        notes.append("zero-width characters removed")
        text = text.translate(INVISIBLE)
    if CONTROL_RE.search(text):
        notes.append("control characters removed")
        text = CONTROL_RE.sub("", text)
    text = text.replace("\r", " ").replace("\n", " ")
    stripped = text.strip()
    return stripped, notes


def check_header(raw: list[Any], *, required: list[tuple[str, ...]], encoding: str, warnings: list[str]) -> Header:
    """Map the header's names to columns. `required` lists groups of which one must be present."""
    columns: list[str | None] = []
    seen: dict[str, int] = {}
    unknown: list[str] = []
    for position, name in enumerate(raw, 1):
        text = "" if name is None else str(name)
        canonical = normalise_header(text)
        if not canonical:
            columns.append(None)
            continue
        if canonical not in COLUMNS:
            unknown.append(text.strip()[:60])
            columns.append(None)
            continue
        if canonical in seen:
            raise FileRefused(
                f"The header names the column '{canonical}' twice (columns {seen[canonical]} and {position}).",
                field="header",
            )
        seen[canonical] = position
        columns.append(canonical)
    missing = [" or ".join(group) for group in required if not any(name in seen for name in group)]
    if missing:
        found = ", ".join(c for c in columns if c) or "none"
        raise FileRefused(
            f"The header lacks the required column{'s' if len(missing) > 1 else ''} {'; '.join(missing)}. "
            f"Known columns found: {found}.",
            field="header",
        )
    if unknown:
        warnings.append(f"Unknown column{'s' if len(unknown) > 1 else ''} ignored: {', '.join(unknown)}.")
    return Header(columns=columns, warnings=warnings, encoding=encoding)


def row_from_cells(number: int, cells: list[Any], header: Header, *, ragged_is_error: bool) -> Row | None:
    """A data row, or None for a blank line."""
    texts = ["" if cell is None else cell_text(cell) for cell in cells]
    if not any(t.strip() for t in texts):
        return None
    row = Row(number=number, values={})
    width = len(header.columns)
    if len(texts) != width:
        extra = [t for t in texts[width:] if t.strip()]
        if ragged_is_error or extra:
            row.errors.append(("", f"The row has {len(texts)} columns; the header has {width}."))
            return row
    for position, column in enumerate(header.columns):
        if column is None:
            continue
        raw = texts[position] if position < len(texts) else ""
        value, notes = clean_value(raw)
        if notes:
            row.warnings.append((column, "Cleaned: " + "; ".join(notes) + "."))
        if len(value) > MAX_FIELD:
            row.errors.append((column, f"The value is {len(value)} characters long; at most {MAX_FIELD} are read."))
            continue
        row.values[column] = value
    return row


def cell_text(cell: Any) -> str:
    """An XLSX cell as the text a CSV would hold: dates in ISO 8601, whole numbers without '.0'."""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time(0) else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


# --- Opening -----------------------------------------------------------------------------------------


def detect_encoding(path: Path) -> tuple[str, list[str]]:
    """utf-8-sig when the whole file decodes as UTF-8 (read in blocks), else cp1252 with a warning."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileRefused("The file is UTF-16 encoded: save it as CSV UTF-8 (or Windows-1252) and upload it again.")
        handle.seek(0)
        try:
            while block := handle.read(1024 * 1024):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252", [
                "The file is not UTF-8: it was read as Windows-1252 (Excel's default). Check accented names in "
                "the preview; saving as 'CSV UTF-8' avoids the question."
            ]
    return "utf-8-sig", []


def sniff_delimiter(path: Path, encoding: str) -> str:
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES).decode(encoding, errors="replace")
    first = sample.splitlines()[0] if sample.splitlines() else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _lines_without_nul(text: IO[str]) -> Iterator[str]:
    for line in text:
        yield line.replace("\x00", "")


def read_csv(path: Path, *, required: list[tuple[str, ...]]) -> tuple[Header, Iterator[Row]]:
    encoding, warnings = detect_encoding(path)
    delimiter = sniff_delimiter(path, encoding)
    # cp1252 leaves five bytes undefined; decode them as their Latin-1 code points rather than fail.
    handle = path.open("r", encoding=encoding, errors="strict" if encoding != "cp1252" else "replace", newline="")
    csv.field_size_limit(MAX_CSV_FIELD)
    reader = csv.reader(_lines_without_nul(handle), delimiter=delimiter, strict=False)
    try:
        raw_header = next(reader, None)
    except csv.Error as exc:
        handle.close()
        raise FileRefused(f"Row 1 (the header) cannot be read: {exc}.", field="header") from exc
    if raw_header is None or not any(h.strip() for h in raw_header):
        handle.close()
        raise FileRefused("The file is empty: the first row must name the columns.", field="header")
    try:
        header = check_header(raw_header, required=required, encoding=encoding, warnings=warnings)
    except FileRefused:
        handle.close()
        raise

    def rows() -> Iterator[Row]:
        try:
            while True:
                start = reader.line_num + 1  # a quoted field can span lines: a row is named by its first
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise FileRefused(
                        f"Row {start}: the file cannot be read past this point ({exc}); a quote that "
                        "is opened and never closed is the usual cause.",
                    ) from exc
                row = row_from_cells(start, cells, header, ragged_is_error=True)
                if row is not None:
                    yield row
        finally:
            handle.close()

    return header, rows()


def read_xlsx(path: Path, *, required: list[tuple[str, ...]]) -> tuple[Header, Iterator[Row]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise FileRefused("The file is not a readable XLSX workbook.") from exc
    except Exception as exc:  # openpyxl raises many kinds on hostile workbooks; each means "unreadable"
        raise FileRefused("The file is not a readable XLSX workbook.") from exc
    try:
        sheet = workbook.worksheets[0]
        cells_iter = sheet.iter_rows(values_only=True)
        raw_header = next(cells_iter, None)
    except Exception as exc:
        workbook.close()
        raise FileRefused("The first sheet of the workbook cannot be read.") from exc
    if raw_header is None or not any(c is not None and str(c).strip() for c in raw_header):
        workbook.close()
        raise FileRefused("The first sheet is empty: its first row must name the columns.", field="header")
    header_cells = list(raw_header)
    while header_cells and (header_cells[-1] is None or not str(header_cells[-1]).strip()):
        header_cells.pop()
    try:
        header = check_header(header_cells, required=required, encoding="xlsx", warnings=[])
    except FileRefused:
        workbook.close()
        raise

    def rows() -> Iterator[Row]:
        number = 1
        try:
            for cells in cells_iter:
                number += 1
                row = row_from_cells(number, list(cells), header, ragged_is_error=False)
                if row is not None:
                    yield row
        except FileRefused:
            raise
        except Exception as exc:
            raise FileRefused(f"Row {number + 1} of the workbook cannot be read.") from exc
        finally:
            workbook.close()

    return header, rows()


def read_file(path: Path, *, filename: str, required: list[tuple[str, ...]]) -> tuple[Header, Iterator[Row]]:
    """The header and a stream of rows; XLSX by its signature, CSV otherwise."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if not magic:
        raise FileRefused("The file is empty: the first row must name the columns.", field="header")
    if magic == XLSX_MAGIC or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(path, required=required)
    return read_csv(path, required=required)
