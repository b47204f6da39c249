"""`coursebridge import-records --academy SLUG [--course EXTERNAL_ID] FILE [--dry-run] [--apply-valid-only]
[--hold-unknown] [--json]`.

Without --course the global importer runs (legacy data, course shells, never PARS). Every row is
read and checked first; then, unless --dry-run, the import is applied: all or nothing, or only the
valid rows with --apply-valid-only. Exit status: 0 when the file is clean, 1 when rows were refused,
2 when the file itself was refused (or the import could not run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coursebridge.accounts.models import Academy
from coursebridge.catalog.models import Course
from coursebridge.core.errors import DomainError
from coursebridge.records.importer import import_apply, import_create, import_stage
from coursebridge.records.models import ImportRun, ImportScope, RunStatus
from coursebridge.records.selectors import credit_types, run_report_rows

MAX_LISTED = 1000  # errors and warnings listed in the output; the counts cover them all


class Command(BaseCommand):
    help = "Import course records (enrollments, completions, credits) from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV or XLSX file")
        parser.add_argument("--academy", required=True, metavar="SLUG")
        parser.add_argument("--course", metavar="EXTERNAL_ID",
                            help="the course (its external id, or its number): the course-level importer, whose "
                                 "records count toward PARS. Without it: the global importer for legacy data")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--apply-valid-only", action="store_true",
                            help="write the valid rows even when others are refused (default: all or nothing)")
        parser.add_argument("--hold-unknown", action="store_true",
                            help="hold rows of unknown learners until they sign up, instead of creating accounts")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        self.as_json = bool(options["json"])
        path = Path(options["file"])
        if not path.is_file():
            self.refuse("not_found", f"No file at '{path}'.")
        academy = Academy.objects.filter(slug=options["academy"]).first()
        if academy is None:
            self.refuse("not_found", f"No academy '{options['academy']}'.")
        course = None
        if options["course"]:
            course = course_named(academy, options["course"])
            if course is None:
                self.refuse("not_found", f"No course '{options['course']}' in the academy '{academy.slug}'.")
        credit_types(academy=academy)  # the defaults exist before the first file is checked
        try:
            run = import_create(
                academy=academy, scope=ImportScope.COURSE if course else ImportScope.GLOBAL, course=course, by=None,
                source=path, filename=path.name, hold_unknown=options["hold_unknown"],
            )
            run = import_stage(run_id=run.pk)
            if run.status == RunStatus.STAGED and not options["dry_run"]:
                if not run.counts.get("errors") or options["apply_valid_only"]:
                    run = import_apply(run_id=run.pk, valid_only=options["apply_valid_only"])
        except DomainError as exc:
            self.refuse(exc.code, exc.message)
        self.report(run, dry_run=options["dry_run"])

    def refuse(self, code: str, message: str) -> NoReturn:
        if self.as_json:
            self.stdout.write(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
        raise CommandError(message, returncode=2)

    def report(self, run: ImportRun, *, dry_run: bool) -> None:
        if run.status in {RunStatus.REFUSED, RunStatus.CANCELLED, RunStatus.FAILED}:
            self.refuse("file_refused", run.file_error)
        errors: list[dict[str, Any]] = []
        warnings: list[dict[str, Any]] = [{"row": None, "column": None, "message": w} for w in run.warnings]
        for row in run_report_rows(run=run).iterator(chunk_size=2000):
            for column, message, severity in row.messages:
                target = errors if severity == "error" else warnings if severity == "warning" else None
                if target is not None and len(target) < MAX_LISTED:
                    target.append({"row": row.number, "column": column or None, "message": message})
        counts = dict(run.counts)
        applied = run.status == RunStatus.APPLIED
        data = {
            "import": run.pk, "importer": run.scope, "status": run.status, "applied": applied,
            "rows": counts.get("rows", 0), "valid": counts.get("rows", 0) - counts.get("errors", 0),
            "errors": errors, "warnings": warnings, "counts": counts, "result": run.result if applied else None,
        }
        if self.as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            lines = [
                f"{counts.get('rows', 0)} rows: {counts.get('create', 0)} to create, {counts.get('unchanged', 0)} "
                f"already there (not changed), {counts.get('held', 0)} held, {counts.get('errors', 0)} refused.",
            ]
            lines += [f"Warning: {w['message']}" for w in warnings if w["row"] is None]
            lines += [f"Row {e['row']}{', ' + e['column'] if e['column'] else ''}: {e['message']}" for e in errors]
            if applied:
                r = run.result
                lines.append(f"Applied: {r['learners_created']} learners, {r['enrollments_created']} enrollments, "
                             f"{r['credits_created']} credit records, {r['held']} held, {r['shells_created']} "
                             "course shells created.")
            elif dry_run:
                lines.append("Dry run: nothing was written.")
            else:
                lines.append("Nothing was written: the import is all or nothing (see --apply-valid-only).")
            self.stdout.write("\n".join(lines))
        if counts.get("errors"):
            raise CommandError("Rows were refused.", returncode=1)


def course_named(academy: Academy, reference: str) -> Course | None:
    course = Course.objects.filter(academy=academy, external_id=reference).order_by("provider").first()
    if course is None and reference.isdigit():
        course = Course.objects.filter(academy=academy, pk=int(reference)).first()
    return course
