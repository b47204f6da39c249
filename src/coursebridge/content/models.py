"""Imported packages, their units, and what each unit recorded for each attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from coursebridge.accounts.models import Academy
from coursebridge.catalog.models import Course
from coursebridge.learning.models import Attempt


class PackageFormat(models.TextChoices):
    AICC = "aicc", "AICC"
    SCORM12 = "scorm12", "SCORM 1.2"
    SCORM2004 = "scorm2004", "SCORM 2004"


class Package(models.Model):
    """One imported version of a course's package. Replacing a package adds a version; the course
    launches its current one, and attempts keep pointing at the units they used."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="packages")
    format = models.CharField(max_length=10, choices=PackageFormat.choices)
    identifier = models.CharField(max_length=255, blank=True)  # AICC Course_ID, SCORM manifest identifier
    title = models.CharField(max_length=300)
    schema_version = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    # Where the extracted files live in the default storage ("packages/<academy>/<uuid>/"), empty
    # when every unit is remote.
    storage_prefix = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course_id", "-version"]
        indexes = [models.Index(fields=["academy", "identifier"])]
        constraints = [
            models.UniqueConstraint(fields=["course", "version"], name="unique_package_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version} ({self.format})"


class Unit(models.Model):
    """An AICC assignable unit or a SCORM SCO/asset of a package version, in launch order."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="units")
    position = models.PositiveIntegerField()
    identifier = models.CharField(max_length=255)
    title = models.CharField(max_length=300)
    launch = models.CharField(max_length=2000)  # path inside the package, or an absolute URL
    is_remote = models.BooleanField(default=False)
    parameters = models.CharField(max_length=2000, blank=True)
    is_sco = models.BooleanField(default=True)
    mastery_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    # SCORM 2004 adlcp:completionThreshold (0..1): with a progress measure, it decides completion.
    completion_threshold = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    max_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    max_time_allowed = models.CharField(max_length=40, blank=True)
    time_limit_action = models.CharField(max_length=40, blank=True)
    core_vendor = models.TextField(blank=True)
    au_password = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["package_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["package", "position"], name="unique_unit_position"),
        ]

    def __str__(self) -> str:
        return self.title


class UnitState(models.Model):
    """What one unit recorded during one attempt: the runtime data the next launch resumes from,
    and the raw tracking data an admin can inspect."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="unit_states")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="states")
    # Normalised: not attempted, incomplete, completed, passed, failed, browsed.
    lesson_status = models.CharField(max_length=20, default="not attempted")
    success_status = models.CharField(max_length=20, blank=True)  # SCORM 2004: passed, failed, unknown
    exit_mode = models.CharField(max_length=20, blank=True)  # suspend, logout, time-out, normal, ""
    location = models.CharField(max_length=1000, blank=True)
    suspend_data = models.TextField(blank=True)
    score_raw = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    score_max = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    score_min = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    score_scaled = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    total_time_seconds = models.PositiveIntegerField(default=0)
    # Every element the content set (SCORM cmi.*) or sent (AICC groups), for the admin's view.
    data = models.JSONField(default=dict, blank=True)
    sessions = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "unit"], name="unique_unit_state"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} in attempt {self.attempt_id}: {self.lesson_status}"


class AiccSession(models.Model):
    """An HACP session: the aicc_sid is the AU's only credential. Only its SHA-256 is stored; it is
    bound to one unit state, expires after a day idle and is refused after ExitAU."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    state = models.ForeignKey(UnitState, on_delete=models.CASCADE, related_name="aicc_sessions")
    sid_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    got_params = models.BooleanField(default=False)
    put_params = models.BooleanField(default=False)
    exited_at = models.DateTimeField(null=True, blank=True)
    session_time_seconds = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"HACP session {self.pk} for {self.state_id}"
