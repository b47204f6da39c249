"""Courses, categories and tags, their lifecycle, and their placement in groups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from coursebridge.accounts.models import Academy, Group


class Category(models.Model):
    """A node of the academy's category tree. A provider-created category carries the provider's
    name and path ("|Business|Leadership") and cannot be edited in the academy."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=60, blank=True)
    external_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["academy", "parent", "name", "provider"], name="unique_category_among_siblings"
            ),
            models.UniqueConstraint(
                fields=["academy", "name", "provider"],
                condition=Q(parent__isnull=True),
                name="unique_root_category",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_provider_owned(self) -> bool:
        return bool(self.provider)


class Tag(models.Model):
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["academy", "name"], name="unique_tag_name")]

    def __str__(self) -> str:
        return self.name


class CourseKind(models.TextChoices):
    WEB_LINK = "web_link", "Web link"
    PACKAGE = "package", "Package"
    PROVIDER = "provider", "Provider course"


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ARCHIVED = "archived", "Archived"


class Visibility(models.TextChoices):
    VISIBLE = "visible", "Visible in catalogue and search"
    HIDDEN = "hidden", "Hidden: reachable only through enrollment or a program"


# Fields a provider owns on its courses: read-only in the academy, rewritten by each sync.
PROVIDER_OWNED_FIELDS: tuple[str, ...] = (
    "title",
    "description",
    "image_url",
    "duration_minutes",
    "language",
    "publisher",
    "launch_url",
)


class Course(models.Model):
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="courses")
    kind = models.CharField(max_length=20, choices=CourseKind.choices, default=CourseKind.WEB_LINK)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    provider = models.CharField(max_length=60, blank=True)
    # Null for native courses, so the (academy, provider, external_id) key only binds provider courses.
    external_id = models.CharField(max_length=200, null=True, blank=True)
    launch_url = models.URLField(max_length=1000, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    language = models.CharField(max_length=35, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="courses")
    tags = models.ManyToManyField(Tag, blank=True, related_name="courses")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE)
    status = models.CharField(max_length=10, choices=CourseStatus.choices, default=CourseStatus.ACTIVE)
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_before_archive = models.CharField(max_length=10, choices=CourseStatus.choices, blank=True)
    # Title, description, category and tag names, kept by the services for full-text search.
    search_text = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["academy", "provider", "external_id"], name="unique_provider_course"),
        ]
        indexes = [
            models.Index(fields=["academy", "status", "visibility"]),
            models.Index(fields=["academy", "title"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_from_provider(self) -> bool:
        return bool(self.provider)

    @property
    def read_only_reason(self) -> str:
        if not self.provider:
            return ""
        return (
            f"Set by {self.provider}, which owns this course: changes come from the provider "
            "at each sync, so they cannot be edited here."
        )

    @property
    def status_label(self) -> str:
        """The label transcripts and lists show next to an inactive or archived course."""
        return "" if self.status == CourseStatus.ACTIVE else self.get_status_display()


class CourseStatusChange(models.Model):
    """Every lifecycle change, with its reason and timestamp."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=CourseStatus.choices)
    to_status = models.CharField(max_length=10, choices=CourseStatus.choices)
    reason = models.CharField(max_length=500)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}: {self.reason}"


class PlacementKind(models.TextChoices):
    CATALOGUE = "catalogue", "Catalogue"
    LIBRARY = "library", "Library"


class Placement(models.Model):
    """A course in a group's catalogue (learners of the group and its subgroups see it) or library
    (the pool authors build programs from)."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="placements")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="placements")
    kind = models.CharField(max_length=10, choices=PlacementKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "course", "kind"], name="unique_placement"),
        ]
        indexes = [models.Index(fields=["group", "kind", "course"])]

    def __str__(self) -> str:
        return f"{self.course_id} in {self.kind} of group {self.group_id}"
