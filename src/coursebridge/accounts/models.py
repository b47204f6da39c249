"""Academies (tenants), their users, the group tree and the roles held per group."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Academy(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "academies"

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person. Every user but a site admin belongs to exactly one academy."""

    academy = models.ForeignKey(
        Academy, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["academy", "external_id"], condition=~Q(external_id=""), name="unique_user_external_id"
            )
        ]
        indexes = [models.Index(fields=["academy", "email"])]

    @property
    def is_site_admin(self) -> bool:
        return bool(self.is_superuser)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Group(models.Model):
    """A node of the academy's group tree. `path` holds the ids from the root, like "/1/5/9/",
    so a subtree is one indexed prefix query and the ancestors are read off the path."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="groups")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(max_length=200)
    path = models.CharField(max_length=1000, db_index=True, blank=True)
    depth = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unique_group_name_among_siblings"),
            models.UniqueConstraint(
                fields=["academy"], condition=Q(parent__isnull=True), name="one_root_group_per_academy"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this group."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class Role(models.TextChoices):
    TRAINING_ADMIN = "training_admin", "Training admin"
    GROUP_ADMIN = "group_admin", "Group admin"
    AUTHOR = "author", "Author"
    LEARNER = "learner", "Learner"


class Membership(models.Model):
    """A role held by a user in a group; it applies to the group's whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "group", "role"], name="unique_membership_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} in {self.group}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the clear token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
