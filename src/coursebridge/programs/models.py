"""Programs (templates of ordered course steps) and their sessions (dated runs with participants).

What a learner has done in a session is not stored here: a step's state is read from the learner's
enrollment in the step's course under the session's entry key ("session:<id>"), so it can never
disagree with the learning records (see docs/program-sessions.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from coursebridge.accounts.models import Academy, Group
from coursebridge.catalog.models import Course


class StepOrder(models.TextChoices):
    LINEAR = "linear", "Linear: each step opens when the one before is completed"
    FREE = "free", "Free: steps in any order"


class Program(models.Model):
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    order = models.CharField(max_length=10, choices=StepOrder.choices, default=StepOrder.LINEAR)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["academy", "title"])]

    def __str__(self) -> str:
        return self.title


class ProgramStep(models.Model):
    """One course of a program, at its place (positions count from 1, without gaps)."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="steps")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="program_steps")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["program_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["program", "course"], name="unique_program_course"),
        ]

    def __str__(self) -> str:
        return f"step {self.position} of {self.program_id}: {self.course_id}"


class Session(models.Model):
    """A dated run of a program. Learners may start steps from `starts_on` to `ends_on` included
    (UTC days); after the end date the session is closed and read-only."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="sessions")
    name = models.CharField(max_length=300)
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="session_ends_after_start"),
        ]
        indexes = [models.Index(fields=["academy", "starts_on"])]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """A user, or a group (its members and the members of its subgroups), taking part in a session."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
                name="participant_user_or_group",
            ),
            models.UniqueConstraint(fields=["session", "user"], condition=Q(user__isnull=False),
                                    name="unique_session_user"),
            models.UniqueConstraint(fields=["session", "group"], condition=Q(group__isnull=False),
                                    name="unique_session_group"),
        ]

    def __str__(self) -> str:
        return f"{'user ' + str(self.user_id) if self.user_id else 'group ' + str(self.group_id)} in {self.session_id}"
