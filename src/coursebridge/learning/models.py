"""Enrollments and attempts: what learners did, with progress, score, time and its source."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from coursebridge.accounts.models import Academy
from coursebridge.catalog.models import Course


class LearningStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


FINISHED_STATUSES = frozenset({LearningStatus.COMPLETED, LearningStatus.PASSED, LearningStatus.FAILED})


class TimeSource(models.TextChoices):
    MEASURED = "measured", "Measured"
    THEORETICAL = "theoretical", "Estimate (theoretical time x progress)"
    IMPORTED = "imported", "Imported"


class EntryPoint(models.TextChoices):
    CATALOGUE = "catalogue", "Catalogue"
    SESSION = "session", "Program session"


class Progress(models.Model):
    """What enrollments and attempts both track."""

    status = models.CharField(max_length=12, choices=LearningStatus.choices, default=LearningStatus.NOT_STARTED)
    progress = models.PositiveSmallIntegerField(default=0)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    time_source = models.CharField(max_length=12, choices=TimeSource.choices, default=TimeSource.MEASURED)
    first_activity_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Enrollment(Progress):
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    entry_point = models.CharField(max_length=10, choices=EntryPoint.choices, default=EntryPoint.CATALOGUE)
    # "catalogue", or "session:<id>" once program sessions exist: one enrollment per entry point.
    entry_key = models.CharField(max_length=40, default="catalogue")
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course", "entry_key"], name="unique_enrollment_entry"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="enrollment_progress_0_100"),
        ]
        indexes = [
            models.Index(fields=["academy", "user"]),
            models.Index(fields=["academy", "course"]),
            # The dashboards read these indexes alone, never the table: status counts, completions over
            # time (a range), each learner's and each course's counts.
            models.Index(fields=["academy", "status"], name="enrollment_academy_status"),
            models.Index(fields=["academy", "completed_at", "status"], name="enrollment_academy_completed"),
            models.Index(fields=["academy", "user", "status"], name="enrollment_user_status"),
            models.Index(fields=["academy", "course", "status"], name="enrollment_course_status"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class Attempt(Progress):
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()

    class Meta:
        ordering = ["enrollment_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "number"], name="unique_attempt_number"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="attempt_progress_0_100"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.enrollment}"


class ActivityDay(models.Model):
    """One learner's activity in one course on one day (UTC), per time source: what dashboards chart
    over time. `cumulative_seconds` is the learner's total time in the course for that source at the
    end of the day; `seconds` is that day's part (the increase since the learner's previous row of
    the same source), so a day re-recorded with the same total changes nothing. Measured time comes
    from tracking, estimated ("theoretical") time from provider statistics: the two are never added
    together without saying so."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    time_source = models.CharField(max_length=12, choices=TimeSource.choices)
    seconds = models.PositiveIntegerField(default=0)
    cumulative_seconds = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)  # at the end of the day, 0-100

    class Meta:
        ordering = ["day", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course", "time_source", "day"], name="unique_activity_day"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="activity_day_progress_0_100"),
        ]
        indexes = [
            models.Index(fields=["academy", "day"]),
            # The dashboards' charts over time read this index alone.
            models.Index(fields=["academy", "day", "user", "time_source", "seconds"], name="activity_day_dashboard"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id} on {self.day}: {self.seconds}s {self.time_source}"


class ActivityDayTotal(models.Model):
    """One academy's activity days of one day, summed: the learners with time recorded that day (any
    source) and the day's seconds per time source. What the whole-academy dashboard charts over time
    read instead of every learner's rows. Kept by `learning.services.activity_totals_refresh`, which
    every writer of activity days calls for the days it wrote, and which recomputes those days from
    the activity days themselves (never adds to a stored total), so a total always equals its rows."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    active_learners = models.PositiveIntegerField(default=0)
    measured_seconds = models.PositiveBigIntegerField(default=0)
    theoretical_seconds = models.PositiveBigIntegerField(default=0)
    imported_seconds = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["academy_id", "day"]
        constraints = [models.UniqueConstraint(fields=["academy", "day"], name="unique_activity_day_total")]

    def __str__(self) -> str:
        return f"academy {self.academy_id} on {self.day}: {self.active_learners} active"
