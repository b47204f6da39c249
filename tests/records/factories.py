"""Helpers for the records tests: files written as an admin would save them, and runs staged through
the real services."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from coursebridge.accounts.models import Academy
from coursebridge.catalog.models import Course
from coursebridge.records.importer import import_create, import_stage
from coursebridge.records.models import CourseCreditOffer, ImportRun
from coursebridge.records.selectors import credit_type_get


def write_csv(path: Path, lines: list[str], *, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = "\r\n".join(lines) + "\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode(encoding))
    return path


def offer(course: Course, machine_name: str, max_credits: str, *, variable: bool = False) -> CourseCreditOffer:
    credit_type = credit_type_get(academy=course.academy, machine_name=machine_name)
    return CourseCreditOffer.objects.create(academy=course.academy, course=course, credit_type=credit_type,
                                            max_credits=Decimal(max_credits), variable_allowed=variable)


def staged(academy: Academy, path: Path, *, course: Course | None = None, hold_unknown: bool = False,
           scope: str | None = None) -> ImportRun:
    run = import_create(academy=academy, scope=scope or ("course" if course else "global"), course=course, by=None,
                        source=path, filename=path.name, hold_unknown=hold_unknown)
    return import_stage(run_id=run.pk)
