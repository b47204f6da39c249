"""Course records: credit types and what a course offers of them, course shells, imports with their
staged rows and lock leases, credit records, certificates, and the learner profile fields PARS needs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from coursebridge.accounts.models import Academy
from coursebridge.catalog.models import Course

# Every academy starts with these (machine name as files write it, display name, unit).
DEFAULT_CREDIT_TYPES: tuple[tuple[str, str, str], ...] = (
    ("ama_pra_1", "AMA PRA Category 1 Credit", "credits"),
    ("ancc", "ANCC contact hours", "contact hours"),
    ("acpe", "ACPE", "contact hours"),
    ("iacet_ceu", "IACET CEU", "CEU"),
    ("moc", "MOC points", "points"),
)


class CreditType(models.Model):
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    machine_name = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["academy", "machine_name"], name="unique_credit_type_name")]

    def __str__(self) -> str:
        return self.name


class CourseCreditOffer(models.Model):
    """A credit type a course awards: at most `max_credits`; below it only when variable credit is allowed."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    credit_type = models.ForeignKey(CreditType, on_delete=models.CASCADE, related_name="offers")
    max_credits = models.DecimalField(max_digits=6, decimal_places=2)
    variable_allowed = models.BooleanField(default=False)

    class Meta:
        ordering = ["credit_type__name"]
        constraints = [models.UniqueConstraint(fields=["course", "credit_type"], name="unique_course_credit_offer")]

    def __str__(self) -> str:
        return f"{self.max_credits} {self.credit_type} for course {self.course_id}"


class CourseShell(models.Model):
    """A course the global importer created for an unknown external_course_id: it holds legacy
    records only, has no course objects and cannot carry a certificate."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="records_shell")
    created_by_run = models.ForeignKey("ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"shell of course {self.course_id}"


class ImportScope(models.TextChoices):
    COURSE = "course", "Course record import"
    GLOBAL = "global", "Global course record import (legacy data)"


class RunStatus(models.TextChoices):
    STAGING = "staging", "Reading and checking"
    STAGED = "staged", "Preview ready"
    REFUSED = "refused", "File refused"
    APPLYING = "applying", "Applying"
    APPLIED = "applied", "Applied"
    NOT_APPLIED = "not_applied", "Not applied: rows were refused"
    CANCELLED = "cancelled", "Stopped: nothing written"
    FAILED = "failed", "Failed: nothing written"


class ImportRun(models.Model):
    """One uploaded file: staged, previewed, then applied (or not)."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=10, choices=ImportScope.choices)
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    stored_file = models.CharField(max_length=255, blank=True)
    hold_unknown = models.BooleanField(default=False)
    apply_valid_only = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.STAGING)
    encoding = models.CharField(max_length=20, blank=True)
    file_error = models.TextField(blank=True)
    # File-level warnings (encoding, unknown columns, no required course object).
    warnings = models.JSONField(default=list, blank=True)
    # rows, create, unchanged, held, errors, warnings; after apply: users, enrollments, credits, held, shells.
    counts = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    stage_job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    apply_job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["academy", "scope", "created_at"])]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.scope}, {self.status})"

    @property
    def counts_for_pars(self) -> bool:
        return self.scope == ImportScope.COURSE


class RowOutcome(models.TextChoices):
    CREATE = "create", "To create"
    UNCHANGED = "unchanged", "Already exists, not changed"
    HELD = "held", "Held until the learner signs up"
    ERROR = "error", "Error"


class StagedRow(models.Model):
    """One data row of an uploaded file, as read and checked. `data` holds the cleaned values;
    `messages` the row report: [column, message, severity]."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # 1-based line of the file, the header being row 1
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices)
    data = models.JSONField(default=dict)
    messages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="unique_staged_row")]

    def __str__(self) -> str:
        return f"row {self.number} of import {self.run_id}: {self.outcome}"


class CreditSource(models.TextChoices):
    COURSE_IMPORT = "course_import", "Course record import"
    GLOBAL_IMPORT = "global_import", "Global import (legacy)"
    NATIVE = "native", "Earned in the academy"


class CreditRecord(models.Model):
    """Credit of one type awarded to one learner for one course. Never updated by an import."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    credit_type = models.ForeignKey(CreditType, on_delete=models.PROTECT, related_name="+")
    credits = models.DecimalField(max_digits=6, decimal_places=2)
    awarded_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    participant_category = models.CharField(max_length=20, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=CreditSource.choices)
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course_id", "user_id", "credit_type_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course", "credit_type"], name="unique_credit_record"),
        ]
        indexes = [models.Index(fields=["academy", "course"])]

    def __str__(self) -> str:
        return f"{self.credits} {self.credit_type_id} to {self.user_id} in {self.course_id}"

    @property
    def counts_for_pars(self) -> bool:
        return self.source != CreditSource.GLOBAL_IMPORT


class HeldRecord(models.Model):
    """A row for a learner without an account, kept until the learner signs up."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    row_number = models.PositiveIntegerField()
    external_user_id = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["academy", "email"]), models.Index(fields=["academy", "external_user_id"])]

    def __str__(self) -> str:
        return f"held row {self.row_number} of import {self.run_id}"


class ImportLock(models.Model):
    """One import at a time per course (key "course:<id>") and one global import per academy (key
    "global"). A lease: the worker renews `lease_until` with a heartbeat; a lease that ran out, or was
    released by Unlock, is free to take."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    holder = models.CharField(max_length=64)
    acquired_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    lease_until = models.DateTimeField()
    released = models.BooleanField(default=False)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["academy", "key"], name="unique_import_lock")]

    def __str__(self) -> str:
        return f"lock {self.key} of academy {self.academy_id}"


class LearnerProfile(models.Model):
    """What PARS needs about a learner that the account does not hold."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="records_profile")
    license_state = models.CharField(max_length=2, blank=True)
    license_id = models.CharField(max_length=40, blank=True)
    npi = models.CharField(max_length=10, blank=True)
    birth_month = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(null=True, blank=True)
    certifying_board = models.CharField(max_length=20, blank=True)
    board_id = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_month__isnull=True) | Q(birth_month__gte=1, birth_month__lte=12),
                name="learner_profile_birth_month",
            ),
            models.CheckConstraint(
                condition=Q(birth_day__isnull=True) | Q(birth_day__gte=1, birth_day__lte=31),
                name="learner_profile_birth_day",
            ),
        ]

    def __str__(self) -> str:
        return f"PARS profile of {self.user_id}"


class CourseCertificate(models.Model):
    """The course issues a PDF certificate on completion, naming the credits by type."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="records_certificate")
    title = models.CharField(max_length=200, default="Certificate of completion")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"certificate of course {self.course_id}"
