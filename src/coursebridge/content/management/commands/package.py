"""`coursebridge package inspect FILE [--json]` and
`coursebridge package import --academy SLUG FILE [--group G] [--on-duplicate ask|skip|replace|copy] [--json]`.

inspect reads a package without storing anything and prints what the parsers found; import makes it a
course of the academy. A refused package prints its reason and exits 1 (with --json:
{"error": {"code": ..., "message": ...}} on stdout). A duplicate is asked about when a person is at the
terminal; without one (or with --on-duplicate given) the answer must come from the option.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coursebridge.accounts.models import Academy, Group
from coursebridge.content.packages import ParsedPackage
from coursebridge.content.services import DuplicatePackage, ImportResult, package_import, package_inspect
from coursebridge.core.errors import DomainError

FORMAT_NAMES = {"aicc": "AICC", "scorm12": "SCORM 1.2", "scorm2004": "SCORM 2004"}
ANSWERS = {"s": "skip", "skip": "skip", "r": "replace", "replace": "replace", "c": "copy", "copy": "copy"}


class Command(BaseCommand):
    help = "Inspect a content package (AICC, SCORM 1.2 or 2004 zip), or import it into an academy."
    # The terminal the duplicate question is asked on; tests hand in their own.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{inspect,import}")
        inspect = actions.add_parser("inspect", help="print what the package holds, without importing it")
        inspect.add_argument("file", help="the package: a zip file")
        inspect.add_argument("--json", action="store_true", help="print JSON: format, title, identifier, units")
        imports = actions.add_parser("import", help="import the package as a course of an academy")
        imports.add_argument("file", help="the package: a zip file")
        imports.add_argument("--academy", required=True, metavar="SLUG", help="the academy the course goes to")
        imports.add_argument(
            "--group", metavar="G",
            help="a group id, or its path of names from the root (Sales/EMEA): the course goes into its "
            "catalogue and library",
        )
        imports.add_argument(
            "--on-duplicate", choices=["ask", "skip", "replace", "copy"], default="ask",
            help="when the academy already has this package: ask (at a terminal; otherwise stop and say so), "
            "skip it, replace it with a new version, or keep both as a copy",
        )
        imports.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        self.as_json = bool(options["json"])
        self.terminal: TextIO = options.get("stdin") or sys.stdin
        path = Path(options["file"])
        if not path.is_file():
            self.fail("not_found", f"No package file at '{path}'.")
        if options["action"] == "inspect":
            self.inspect(path)
        else:
            self.import_package(path, options)

    # --- Output ---------------------------------------------------------------------------------

    def fail(self, code: str, message: str, **extra: Any) -> NoReturn:
        """Print the error (JSON on stdout with --json) and exit 1."""
        if self.as_json:
            self.stdout.write(json.dumps({"error": {"code": code, "message": message, **extra}}, ensure_ascii=False))
        raise CommandError(message, returncode=1)

    def emit(self, data: dict[str, Any], lines: list[str]) -> None:
        if self.as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write("\n".join(lines))

    # --- inspect --------------------------------------------------------------------------------

    def inspect(self, path: Path) -> None:
        try:
            parsed = package_inspect(source=path)
        except DomainError as exc:
            self.fail(exc.code, exc.message)
        self.emit(parsed.as_dict(), summary(parsed))

    # --- import ---------------------------------------------------------------------------------

    def import_package(self, path: Path, options: dict[str, Any]) -> None:
        academy = Academy.objects.filter(slug=options["academy"]).first()
        if academy is None:
            self.fail("not_found", f"No academy '{options['academy']}'.")
        group = group_named(academy, options["group"]) if options["group"] else None
        if options["group"] and group is None:
            self.fail("not_found", f"No group '{options['group']}' in the academy '{academy.slug}'.")
        choice = None if options["on_duplicate"] == "ask" else options["on_duplicate"]
        try:
            try:
                result = package_import(
                    academy=academy, source=path, filename=path.name, by=None, group=group, on_duplicate=choice
                )
            except DuplicatePackage as exc:
                if choice is not None or not self.terminal.isatty():
                    self.fail(exc.code, exc.message, existing_course_id=exc.existing_course.pk)
                result = package_import(
                    academy=academy, source=path, filename=path.name, by=None, group=group,
                    on_duplicate=self.ask(exc),
                )
        except DuplicatePackage as exc:  # another import made it a duplicate while we asked
            self.fail(exc.code, exc.message, existing_course_id=exc.existing_course.pk)
        except DomainError as exc:
            self.fail(exc.code, exc.message)
        self.emit(result_dict(result), result_lines(result))

    def ask(self, duplicate: DuplicatePackage) -> str:
        """The question on the terminal, until it gets an answer; the prompt goes to stderr so stdout
        stays the result (JSON with --json)."""
        course = duplicate.existing_course
        self.stderr.write(
            f"The academy already has this package: course '{course.title}' (id {course.pk}).", ending="\n"
        )
        while True:
            self.stderr.write("[s]kip it, [r]eplace it with a new version, or keep both as a [c]opy? ", ending="")
            self.stderr.flush()
            line = self.terminal.readline()
            if not line:
                raise CommandError("No answer: nothing was imported.", returncode=1)
            answer = ANSWERS.get(line.strip().lower())
            if answer:
                return answer


def group_named(academy: Academy, reference: str) -> Group | None:
    """A group of the academy by id, or by its path of names from the root ("Sales/EMEA"; the root's
    own name may lead the path)."""
    reference = reference.strip()
    if reference.isdigit():
        return Group.objects.filter(academy=academy, pk=int(reference)).first()
    names = [part.strip() for part in reference.strip("/").split("/") if part.strip()]
    group = Group.objects.filter(academy=academy, parent__isnull=True).first()
    if group is None or not names:
        return None
    if names[0] == group.name and not group.children.filter(name=names[0]).exists():
        names = names[1:]
    for name in names:
        group = group.children.filter(name=name).first()
        if group is None:
            return None
    return group


def summary(parsed: ParsedPackage) -> list[str]:
    lines = [
        f"{FORMAT_NAMES.get(parsed.format, parsed.format)} package '{parsed.title}'",
        f"Identifier: {parsed.identifier or '(none)'}",
        f"Units ({len(parsed.units)}):",
    ]
    for position, unit in enumerate(parsed.units, 1):
        where = f"{unit.launch} (remote)" if unit.is_remote else unit.launch
        lines.append(f"  {position}. {unit.title or unit.id} [{unit.id}]: {where}")
    if parsed.warnings:
        lines.append("Warnings:")
        lines.extend(f"  - {warning}" for warning in parsed.warnings)
    return lines


def result_dict(result: ImportResult) -> dict[str, Any]:
    package = result.package
    return {
        "outcome": result.outcome,
        "course": {"id": result.course.pk, "title": result.course.title},
        "package": {
            "id": package.pk,
            "version": package.version,
            "format": package.format,
            "identifier": package.identifier,
            "title": package.title,
            "file_count": package.file_count,
            "size_bytes": package.size_bytes,
            "units": [
                {"id": u.pk, "identifier": u.identifier, "title": u.title, "launch": u.launch}
                for u in package.units.order_by("position")
            ],
            "warnings": list(package.warnings),
        },
    }


def result_lines(result: ImportResult) -> list[str]:
    course, package = result.course, result.package
    units = package.units.count()
    what = f"{FORMAT_NAMES.get(package.format, package.format)}, {units} unit{'s' if units != 1 else ''}"
    line = {
        "created": f"Imported '{course.title}' as course {course.pk} ({what}).",
        "copied": f"Imported a copy as course {course.pk} '{course.title}' ({what}).",
        "replaced": f"Replaced the package of course {course.pk} '{course.title}': now version {package.version} "
                    f"({what}).",
        "skipped": f"Skipped: course {course.pk} '{course.title}' already has this package. Nothing changed.",
    }[result.outcome]
    return [line, *(f"Warning: {warning}" for warning in package.warnings)]
