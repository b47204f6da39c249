"""Connections to content providers, their sync runs, one record per remote item, and learner
statistics kept aside until their learner exists."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from coursebridge.accounts.models import Academy, Group
from coursebridge.catalog.models import Course
from coursebridge.core.crypto import EncryptedTextField
from coursebridge.core.models import Job


class Connection(models.Model):
    """An academy's link to one provider. Credentials are a JSON object stored encrypted and never
    shown back; `options` holds the non-secret settings. Courses land in `group`'s catalogue and
    library (any group of the tree)."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="connections")
    provider = models.CharField(max_length=60)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="connections")
    enabled = models.BooleanField(default=True)
    credentials = EncryptedTextField(blank=True, default="")
    options = models.JSONField(default=dict, blank=True)
    api_url = models.URLField(max_length=500, blank=True)
    token_url = models.URLField(max_length=500, blank=True)
    sync_time = models.TimeField(default=datetime.time(5, 50))  # UTC
    last_scheduled_on = models.DateField(null=True, blank=True)
    # The lease: a run holds the connection until `lease_until`, renewed as it advances; a dead
    # worker's lease simply runs out.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_holder = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "id"]
        constraints = [models.UniqueConstraint(fields=["academy", "provider"], name="one_connection_per_provider")]

    def __str__(self) -> str:
        return f"{self.provider} for academy {self.academy_id}"


class RunState(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partial: the provider's answer was incomplete, nothing archived"
    FAILED = "failed", "Failed"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Daily schedule"
    MANUAL = "manual", "Sync now"
    API = "api", "API"
    CLI = "cli", "Command line"


COUNT_FIELDS = (
    "created", "updated", "unchanged", "deactivated", "archived", "reactivated", "failed",
    "statistics_rows", "statistics_applied", "statistics_unmatched",
)


class SyncRun(models.Model):
    """One run of a connection: catalogue, then learner statistics."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    full = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    archived = models.PositiveIntegerField(default=0)
    reactivated = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    statistics_rows = models.PositiveIntegerField(default=0)
    statistics_applied = models.PositiveIntegerField(default=0)
    statistics_unmatched = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["connection", "started_at"])]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.connection_id} ({self.state})"

    @property
    def counts(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in COUNT_FIELDS}


class SyncRecord(models.Model):
    """What the academy knows of one remote item: its hash, when it was last seen, its last error."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="records")
    external_id = models.CharField(max_length=200)
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    content_hash = models.CharField(max_length=64, blank=True)
    remote_status = models.CharField(max_length=60, blank=True)
    # True when the sync archived (or deactivated) the course: only then does the sync bring it back.
    retired_by_sync = models.BooleanField(default=False)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_changed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["external_id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="unique_sync_record"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} of connection {self.connection_id}"


class UnmatchedReason(models.TextChoices):
    UNKNOWN_LEARNER = "unknown_learner", "No learner with this email in the academy"
    SEVERAL_LEARNERS = "several_learners", "Several learners share this email"
    UNKNOWN_COURSE = "unknown_course", "The course is not (yet) in the academy"


class UnmatchedStatistic(models.Model):
    """A provider's statistics row the academy could not attach yet. The latest row per email and
    course is kept; each statistics run tries again, so it attaches when the learner appears."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="unmatched")
    email = models.CharField(max_length=254)  # lower-cased
    course_external_id = models.CharField(max_length=200)
    day = models.DateField()
    progress = models.PositiveSmallIntegerField(default=0)
    time_seconds = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=20, choices=UnmatchedReason.choices)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["email", "course_external_id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "email", "course_external_id"],
                                    name="unique_unmatched_statistic"),
        ]

    def __str__(self) -> str:
        return f"unmatched statistic {self.pk} ({self.reason})"
