"""Files the records app hands out: the import templates, the row report, the PARS learner batch
file with its missing-profile report, and course certificates as PDF."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from coursebridge.accounts.models import Academy, User
from coursebridge.catalog.models import Course
from coursebridge.core.errors import DomainError, NotFound
from coursebridge.learning.models import FINISHED_STATUSES, Enrollment
from coursebridge.records.models import CourseShell, CreditRecord, CreditSource, ImportRun, ImportScope, LearnerProfile
from coursebridge.records.selectors import course_certificate, credits_of, run_report_rows
from coursebridge.records.services import SHELL_CERTIFICATE_REASON

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

TEMPLATE_COLUMNS = {
    ImportScope.COURSE: [
        "external_user_id", "external_email", "first_name", "last_name", "enrollment_start", "enrollment_end",
        "date_completed", "complete", "credits", "credit_type", "participant_category", "attended",
        "credit_expiration",
    ],
    ImportScope.GLOBAL: [
        "external_course_id", "title", "external_user_id", "external_email", "first_name", "last_name",
        "enrollment_start", "enrollment_end", "date_completed", "complete", "credits", "credit_type",
        "participant_category", "attended", "credit_expiration",
    ],
}
TEMPLATE_EXAMPLE = {
    "external_course_id": "CARD-2024", "title": "Cardiology update 2024", "external_user_id": "",
    "external_email": "learner@example.org", "first_name": "Ada", "last_name": "Lovelace",
    "enrollment_start": "2024-03-01", "enrollment_end": "2024-03-02", "date_completed": "2024-03-02",
    "complete": "1", "credits": "1.50", "credit_type": "ama_pra_1", "participant_category": "physician",
    "attended": "1", "credit_expiration": "",
}


def spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def template_csv(scope: str) -> bytes:
    """The importer's columns and one example row, UTF-8 with a byte-order mark so Excel reads it right."""
    columns = TEMPLATE_COLUMNS[ImportScope(scope)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([TEMPLATE_EXAMPLE[c] for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def report_lines(run: ImportRun) -> Iterator[str]:
    """The row report as CSV lines (row, column, severity, outcome, message), streamed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(["row", "column", "severity", "outcome", "message"])
    yield "\ufeff" + flush()
    if run.file_error:
        writer.writerow(["", "", "error", "file refused", spreadsheet_safe(run.file_error)])
    for message in run.warnings:
        writer.writerow(["", "", "warning", "", spreadsheet_safe(message)])
    yield flush()
    for row in run_report_rows(run=run).iterator(chunk_size=2000):
        for column, message, severity in row.messages:
            writer.writerow([row.number, column, severity, row.get_outcome_display(), spreadsheet_safe(message)])
        if out.tell() > 64 * 1024:
            yield flush()
    yield flush()


# --- PARS ------------------------------------------------------------------------------------------

PARS_COLUMNS = [
    "Record Action", "ACCME Activity ID", "Completion Date", "First Name", "Last Name", "Date of Birth",
    "Licensing State", "Licensing ID or NPI", "Number of CME Credits", "Certifying Board", "Certifying Board ID",
    "Total Board Credits", "Credit Type", "Credits Awarded for Credit Type",
]
CME_TYPE = "ama_pra_1"
MOC_TYPE = "moc"


@dataclass
class ParsLearner:
    user: User
    profile: LearnerProfile | None
    completed_on: date
    cme: Decimal
    moc: Decimal

    @property
    def missing(self) -> list[str]:
        p = self.profile
        gaps = []
        if p is None or p.birth_month is None or p.birth_day is None:
            gaps.append("birth month and day")
        if p is None or not (p.npi or (p.license_state and p.license_id)):
            gaps.append("license state and ID, or NPI")
        if self.moc and (p is None or not (p.certifying_board and p.board_id)):
            gaps.append("certifying board and board ID")
        if not self.user.first_name or not self.user.last_name:
            gaps.append("first and last name")
        return gaps


def pars_learners(*, academy: Academy, course: Course, year: int) -> list[ParsLearner]:
    """Learners with PARS credit for the course in the year: course-level imports and credit earned in
    the academy. Credit from the global importer (legacy data) never counts."""
    if course.academy_id != academy.pk:
        raise NotFound("No such course.")
    if not 1900 <= year <= 2200:
        raise DomainError("A year between 1900 and 2200.", field="year")
    records = CreditRecord.objects.filter(
        academy=academy, course=course, awarded_on__year=year,
        source__in=[CreditSource.COURSE_IMPORT, CreditSource.NATIVE],
    ).select_related("credit_type").order_by("user_id")
    per_user: dict[int, dict[str, object]] = {}
    for record in records:
        entry = per_user.setdefault(record.user_id, {"cme": Decimal(0), "moc": Decimal(0), "on": record.awarded_on})
        if record.credit_type.machine_name == CME_TYPE:
            entry["cme"] = record.credits
        elif record.credit_type.machine_name == MOC_TYPE:
            entry["moc"] = record.credits
        if record.awarded_on and (entry["on"] is None or record.awarded_on > entry["on"]):  # type: ignore[operator]
            entry["on"] = record.awarded_on
    completions = dict(Enrollment.objects.filter(
        academy=academy, course=course, user_id__in=list(per_user), completed_at__isnull=False,
        status__in=list(FINISHED_STATUSES),
    ).values_list("user_id", "completed_at"))
    users = User.objects.in_bulk(list(per_user))
    profiles = {p.user_id: p for p in LearnerProfile.objects.filter(academy=academy, user_id__in=list(per_user))}
    learners = []
    for user_id, entry in per_user.items():
        completed = completions.get(user_id)
        learners.append(ParsLearner(
            user=users[user_id], profile=profiles.get(user_id),
            completed_on=completed.date() if completed else entry["on"],  # type: ignore[arg-type]
            cme=entry["cme"], moc=entry["moc"],  # type: ignore[arg-type]
        ))
    learners.sort(key=lambda learner: (learner.user.last_name, learner.user.first_name, learner.user.pk))
    return learners


def pars_batch(*, academy: Academy, course: Course, year: int) -> str:
    """The learner batch file, tab-delimited with a header row (remove it if your upload asks so)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\r\n")
    writer.writerow(PARS_COLUMNS)
    for learner in pars_learners(academy=academy, course=course, year=year):
        p = learner.profile
        birth = f"{p.birth_month:02d}/{p.birth_day:02d}" if p and p.birth_month and p.birth_day else ""
        writer.writerow([
            "Add", course.external_id or "", learner.completed_on.strftime("%m/%d/%Y"),
            learner.user.first_name, learner.user.last_name, birth, p.license_state if p else "",
            (p.npi or p.license_id) if p else "", learner.cme or "", p.certifying_board if p and learner.moc else "",
            p.board_id if p and learner.moc else "", learner.moc or "", "MOC" if learner.moc else "",
            learner.moc or "",
        ])
    return out.getvalue()


def pars_missing(*, academy: Academy, course: Course, year: int) -> list[ParsLearner]:
    return [learner for learner in pars_learners(academy=academy, course=course, year=year) if learner.missing]


# --- Certificates ----------------------------------------------------------------------------------


def certificate_refusal(*, course: Course, enrollment: Enrollment | None) -> str:
    """Why no certificate can be had, or "" when one can."""
    if CourseShell.objects.filter(course=course).exists():
        return SHELL_CERTIFICATE_REASON
    certificate = course_certificate(course=course)
    if certificate is None or not certificate.enabled:
        return "This course issues no certificate."
    if enrollment is None or enrollment.status not in FINISHED_STATUSES or enrollment.completed_at is None:
        return "The certificate is issued once the course is completed."
    return ""


def certificate_pdf(*, course: Course, user: User) -> bytes:
    enrollment = Enrollment.objects.filter(academy_id=course.academy_id, course=course, user=user).order_by(
        "-completed_at").first()
    reason = certificate_refusal(course=course, enrollment=enrollment)
    if reason:
        raise DomainError(reason)
    assert enrollment is not None and enrollment.completed_at is not None
    certificate = course_certificate(course=course)
    assert certificate is not None
    credits = list(credits_of(academy=course.academy, user_id=user.pk, course_id=course.pk))
    lines = [
        (24, certificate.title),
        (14, ""),
        (14, "This certifies that"),
        (20, user.display_name),
        (14, "completed"),
        (18, course.title),
        (12, f"on {enrollment.completed_at.date().isoformat()}"),
        (12, ""),
    ]
    if credits:
        lines.append((13, "Credits awarded:"))
        lines += [(12, f"{c.credits} {c.credit_type.name}") for c in credits]
    lines += [(10, ""), (10, course.academy.name)]
    return simple_pdf(lines)


def _pdf_text(text: str) -> str:
    data = text.encode("cp1252", errors="replace").decode("latin-1")
    return data.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def simple_pdf(lines: list[tuple[int, str]]) -> bytes:
    """A one-page A4 landscape PDF of centred lines in Helvetica (size, text)."""
    width, height = 842, 595
    content = ["BT"]
    y = height - 110
    for size, text in lines:
        # Helvetica averages about half the font size per character: centre on that.
        x = max(40, int(width / 2 - len(text) * size * 0.26))
        content.append(f"/F1 {size} Tf 1 0 0 1 {x} {y} Tm ({_pdf_text(text)}) Tj")
        y -= int(size * 1.9)
    content.append("ET")
    stream = "\n".join(content).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Resources << /Font << /F1 4 0 R >> >> "
        f"/Contents 5 0 R >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
