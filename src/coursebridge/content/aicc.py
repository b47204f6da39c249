"""AICC CMI001 course structure files to a ParsedPackage.

A course is a set of files sharing a base name: the .crs (INI-like: [Course], [Course_Behavior],
[Course_Description]) and the .au, .des and .cst tables, with optional .ort, .pre and .cmp. Real
files differ from the specification, so they are read defensively: table columns are found by
header name, case-insensitively and in any order (Storyline and iSpring order them differently);
values may be quoted and hold commas; lines end in CRLF, LF or CR; a byte-order mark and a missing
final newline are fine; text that is not UTF-8 is read as Windows-1252.

File_Name is either a path inside the package (we host it) or an absolute http(s) address (a remote
AU on another host). Pure code: no Django.
"""

from __future__ import annotations

import contextlib
import csv
import io
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from coursebridge.content.packages import PackageRefused, ParsedPackage, ParsedUnit
from coursebridge.content.safezip import SafeZip
from coursebridge.content.scorm import (
    is_web_url,
    launch_and_parameters,
    parse_score,
    resolve_in_package,
    url_scheme,
)

CRS_SECTIONS = {"course", "course_behavior", "course_description"}
_SECTION = re.compile(r"^\[\s*([^\[\]]+?)\s*\]$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def decode_text(data: bytes, filename: str, warnings: list[str]) -> str:
    """Text of a course file: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order
    mark, else Windows-1252 (with a warning)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("utf-16")
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("utf-8-sig")
    warnings.append(f"{filename} is not UTF-8; it is read as Windows-1252.")
    return data.decode("cp1252", errors="replace")


def normalise_key(name: str) -> str:
    """A header or key as we look it up: lower case, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", name.strip().strip('"').strip().lower())


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@dataclass
class CourseFile:
    """The .crs: keys of every group by normalised group and key name, and the description."""

    groups: dict[str, dict[str, str]] = field(default_factory=dict)
    description: str = ""

    def get(self, group: str, key: str) -> str:
        return self.groups.get(group, {}).get(key, "")


def parse_crs(text: str, filename: str, warnings: list[str]) -> CourseFile:
    course = CourseFile()
    group: str | None = None
    description: list[str] = []
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        line = raw.strip()
        match = _SECTION.match(line)
        # Inside the free-text description only a known group header ends it.
        if match and (group != "course_description" or normalise_key(match.group(1)) in CRS_SECTIONS):
            group = normalise_key(match.group(1))
            course.groups.setdefault(group, {})
            continue
        if group == "course_description":
            description.append(raw.rstrip())
            continue
        if not line or line.startswith((";", "#")):
            continue
        if "=" not in line:
            warnings.append(f"{filename} line {number}: {line[:60]!r} is not a key=value line; it is ignored.")
            continue
        if group is None:
            warnings.append(f"{filename} line {number}: a key before any [group]; it is read as part of [Course].")
            group = "course"
        key, _, value = line.partition("=")
        course.groups.setdefault(group, {})[normalise_key(key)] = _unquote(value)
    course.description = "\n".join(description).strip()
    return course


@dataclass
class TableRow:
    line: int
    cells: list[str]


@dataclass
class Table:
    """A CSV course table: normalised header names and the data rows with their line numbers."""

    filename: str
    headers: list[str]
    rows: list[TableRow]
    header_line: int = 1

    def column(self, name: str) -> int | None:
        key = normalise_key(name)
        return self.headers.index(key) if key in self.headers else None

    def value(self, row: TableRow, name: str) -> str:
        index = self.column(name)
        if index is None or index >= len(row.cells):
            return ""
        return row.cells[index]

    def require(self, *names: str) -> None:
        missing = [name for name in names if self.column(name) is None]
        if missing:
            found = ", ".join(h for h in self.headers if h) or "none"
            raise PackageRefused(
                "invalid",
                f"{self.filename} line {self.header_line}: the header row has no {' or '.join(missing)} column "
                f"(columns found: {found}).",
            )


def read_table(text: str, filename: str) -> Table:
    """The table's header row and its non-blank data rows (cells stripped of surrounding blanks)."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=False)
    headers: list[str] | None = None
    header_line = 1
    rows: list[TableRow] = []
    try:
        for cells in reader:
            stripped = [cell.strip() for cell in cells]
            if not any(stripped):
                continue
            if headers is None:
                headers = [normalise_key(cell) for cell in stripped]
                header_line = reader.line_num
                continue
            rows.append(TableRow(line=reader.line_num, cells=stripped))
    except csv.Error as exc:
        raise PackageRefused(
            "invalid", f"{filename} line {reader.line_num}: not a readable CSV table ({exc})."
        ) from exc
    if headers is None:
        raise PackageRefused("invalid", f"{filename} is empty: it has no header row.")
    return Table(filename=filename, headers=headers, rows=rows, header_line=header_line)


def _find_sibling(archive: SafeZip, crs_path: str, extension: str, warnings: list[str]) -> str | None:
    """The course file with `extension` next to the .crs: same base name (any letter case), else the
    only file with that extension in the folder (with a warning)."""
    folder = posixpath.dirname(crs_path)
    stem = posixpath.splitext(posixpath.basename(crs_path))[0].lower()
    candidates = [
        name for name in archive.names() if posixpath.dirname(name) == folder and name.lower().endswith(f".{extension}")
    ]
    for name in candidates:
        if posixpath.splitext(posixpath.basename(name))[0].lower() == stem:
            return name
    if len(candidates) == 1:
        warnings.append(f"{candidates[0]} is used as the .{extension} file of {crs_path} although their names differ.")
        return candidates[0]
    return None


def _read(archive: SafeZip, path: str, warnings: list[str]) -> str:
    return decode_text(archive.read_bytes(path), path, warnings)


def parse_aicc(archive: SafeZip, crs_path: str, warnings: list[str]) -> ParsedPackage:
    """Read the course whose .crs is at `crs_path`; File_Name paths are relative to its folder."""
    folder = posixpath.dirname(crs_path)
    root = f"{folder}/" if folder else ""
    course = parse_crs(_read(archive, crs_path, warnings), crs_path, warnings)
    if "course" not in course.groups:
        warnings.append(f"{crs_path} has no [Course] group.")
    au_path = _find_sibling(archive, crs_path, "au", warnings)
    if au_path is None:
        raise PackageRefused(
            "missing_launch", f"The package has no .au file next to {crs_path}: there is no assignable unit to launch."
        )
    titles = _titles(archive, crs_path, warnings)
    units = _units(archive, au_path, root, titles, warnings)
    units = _order(archive, crs_path, units, warnings)
    for extension, what in (
        ("pre", "prerequisites are not enforced: every unit can be launched"),
        ("cmp", "completion requirements are not applied: each unit reports its own status"),
        ("ort", "objective relationships are not used"),
    ):
        path = _find_sibling(archive, crs_path, extension, warnings)
        if path is not None:
            table = read_table(_read(archive, path, warnings), path)
            if table.rows:
                warnings.append(f"{path}: {what}.")
    identifier = course.get("course", "course_id").strip()
    if not identifier:
        warnings.append(
            f"{crs_path}: [Course] has no Course_ID; a second import of this course cannot be recognised as a "
            "duplicate."
        )
    title = " ".join(course.get("course", "course_title").split())
    if not title:
        title = units[0].title if len(units) == 1 else identifier
        warnings.append(f"{crs_path}: [Course] has no Course_Title.")
    declared = course.get("course", "total_aus").strip()
    if declared.isdigit() and int(declared) != len(units):
        warnings.append(f"{crs_path}: Total_AUs says {int(declared)}, the .au file lists {len(units)}.")
    return ParsedPackage(
        format="aicc",
        title=title,
        identifier=identifier,
        units=units,
        description=course.description,
        version=course.get("course", "version").strip(),
        warnings=warnings,
    )


def _titles(archive: SafeZip, crs_path: str, warnings: list[str]) -> dict[str, str]:
    """Titles of units and blocks by lower-case System_ID, from the .des file."""
    des_path = _find_sibling(archive, crs_path, "des", warnings)
    if des_path is None:
        warnings.append(f"The package has no .des file next to {crs_path}; units are titled by their System_ID.")
        return {}
    table = read_table(_read(archive, des_path, warnings), des_path)
    table.require("system_id")
    if table.column("title") is None:
        warnings.append(f"{des_path} has no Title column; units are titled by their System_ID.")
        return {}
    titles: dict[str, str] = {}
    for row in table.rows:
        system_id = table.value(row, "system_id")
        title = " ".join(table.value(row, "title").split())
        if system_id and title:
            titles.setdefault(system_id.lower(), title)
    return titles


def _units(archive: SafeZip, au_path: str, root: str, titles: dict[str, str], warnings: list[str]) -> list[ParsedUnit]:
    table = read_table(_read(archive, au_path, warnings), au_path)
    table.require("system_id", "file_name")
    units: list[ParsedUnit] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        where = f"{au_path} line {row.line}"
        system_id = table.value(row, "system_id")
        if not system_id:
            raise PackageRefused("invalid", f"{where}: System_ID is empty.")
        key = system_id.lower()
        if key in first_line:
            raise PackageRefused(
                "invalid", f"{where}: the System_ID {system_id!r} is already used on line {first_line[key]}."
            )
        first_line[key] = row.line
        file_name = table.value(row, "file_name")
        if not file_name:
            raise PackageRefused(
                "missing_launch", f"{where}: AU {system_id!r} has no File_Name, so there is nothing to launch."
            )
        launch, is_remote, query = _launch_of(archive, root, system_id, file_name, where, warnings)
        launch, parameters = launch_and_parameters(launch, is_remote, query, table.value(row, "web_launch"))
        units.append(
            ParsedUnit(
                id=system_id,
                title=titles.get(key, system_id),
                launch=launch,
                is_remote=is_remote,
                parameters=parameters,
                mastery_score=parse_score(
                    table.value(row, "mastery_score"), where=where, what="Mastery_Score", warnings=warnings
                ),
                max_score=parse_score(table.value(row, "max_score"), where=where, what="Max_Score", warnings=warnings),
                max_time_allowed=table.value(row, "max_time_allowed"),
                time_limit_action=table.value(row, "time_limit_action"),
                core_vendor=table.value(row, "core_vendor"),
                au_password=table.value(row, "au_password"),
                is_sco=True,
            )
        )
    if not units:
        raise PackageRefused("missing_launch", f"{au_path} lists no assignable unit, so there is nothing to launch.")
    return units


def _launch_of(
    archive: SafeZip, root: str, system_id: str, file_name: str, where: str, warnings: list[str]
) -> tuple[str, bool, str]:
    """(launch path or URL, is remote, query/fragment of a package path to pass as parameters)."""
    if is_web_url(file_name):
        return file_name, True, ""
    if url_scheme(file_name) or file_name.startswith(("/", "\\")):
        raise PackageRefused(
            "unsafe_path",
            f"{where}: AU {system_id!r} File_Name {file_name!r} is neither a path inside the package nor an "
            "http(s) address.",
        )
    path, _, fragment = file_name.partition("#")
    path, _, query = path.partition("?")
    suffix = (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    subject = f"AU {system_id!r} launches"
    try:
        member = resolve_in_package(archive, root, path, where=where, subject=subject, warnings=warnings)
    except PackageRefused as exc:
        decoded = unquote(path)
        if exc.code != "missing_file" or decoded == path:
            raise
        # File_Name written as a URL ("my%20course/index.html").
        try:
            member = resolve_in_package(archive, root, decoded, where=where, subject=subject, warnings=warnings)
        except PackageRefused:
            raise exc from None
    return member, False, suffix


def _order(archive: SafeZip, crs_path: str, units: list[ParsedUnit], warnings: list[str]) -> list[ParsedUnit]:
    """Units in the order of the course structure (.cst): depth-first from the root block. Units the
    structure leaves out follow in .au order."""
    cst_path = _find_sibling(archive, crs_path, "cst", warnings)
    if cst_path is None:
        warnings.append(f"The package has no .cst file next to {crs_path}; units follow the .au order.")
        return units
    table = read_table(_read(archive, cst_path, warnings), cst_path)
    members: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    for row in table.rows:
        block = row.cells[0].lower() if row.cells else ""
        if not block:
            continue
        members.setdefault(block, []).extend(cell for cell in row.cells[1:] if cell)
        lines.setdefault(block, row.line)
    by_id = {unit.id.lower(): unit for unit in units}
    ordered: list[ParsedUnit] = []
    placed: set[str] = set()
    if "root" in members:
        starts = ["root"]
    else:
        referenced = {member.lower() for values in members.values() for member in values}
        starts = [block for block in members if block not in referenced]
        if members:
            warnings.append(f"{cst_path} has no ROOT block; the blocks no other block contains are read as the root.")
    visited: set[str] = set()
    stack: list[tuple[bool, str]] = [(False, block) for block in reversed(starts)]  # (is a unit, id)
    while stack:
        is_unit, key = stack.pop()
        if is_unit:
            if key not in placed:
                placed.add(key)
                ordered.append(by_id[key])
            continue
        if key in visited:
            continue
        visited.add(key)
        children: list[tuple[bool, str]] = []
        for member in members.get(key, []):
            member_key = member.lower()
            if member_key in by_id:
                children.append((True, member_key))
            elif member_key in members:
                children.append((False, member_key))
            else:
                warnings.append(f"{cst_path} line {lines.get(key, 1)}: {member!r} is neither a unit nor a block.")
        stack.extend(reversed(children))
    left_out = [unit for unit in units if unit.id.lower() not in placed]
    if left_out:
        names = ", ".join(repr(unit.id) for unit in left_out[:5]) + (" …" if len(left_out) > 5 else "")
        warnings.append(f"{cst_path}: the units {names} are not in the course structure; they follow the others.")
    return ordered + left_out
