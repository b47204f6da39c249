"""The marketplace, the content provider's side: publishers and their hosted AICC courses, customer
accounts and their admins, Lists with Groups, licenses and seats, integrations, deliveries, launches,
API credentials and signed webhooks.

This app never imports an academy app: people are Django's auth users (settings.AUTH_USER_MODEL),
attached to the marketplace through PublisherStaff and CustomerAdmin rows.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q

from coursebridge.core.crypto import EncryptedTextField


class Publisher(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PublisherStaff(models.Model):
    """A person who manages one publisher's courses."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="staff")

    class Meta:
        verbose_name_plural = "publisher staff"

    def __str__(self) -> str:
        return f"{self.publisher} staff #{self.user_id}"


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRING = "retiring", "Retiring"
    RETIRED = "retired", "Retired"
    ARCHIVED = "archived", "Archived"


# Courses an integration still lists (retired ones with active false); archived ones drop out.
LISTED_STATUSES = (CourseStatus.ACTIVE, CourseStatus.RETIRING, CourseStatus.RETIRED)
# Courses a learner may launch.
LAUNCHABLE_STATUSES = (CourseStatus.ACTIVE, CourseStatus.RETIRING)


class MarketCourse(models.Model):
    """A publisher's course. `code` is its public id in the provider API (the LMS's upsert key);
    `categories` holds paths like "|Business|Leadership"; the AICC package is stored through Django's
    storage API: the zip at `package_file`, its files under `package_prefix`, the AU at `au_path`."""

    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="courses")
    code = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    description_text = models.TextField(blank=True)
    description_html = models.TextField(blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    thumbnail_url = models.URLField(max_length=500, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    languages = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    package_file = models.CharField(max_length=300, blank=True)
    package_prefix = models.CharField(max_length=300, blank=True)
    au_path = models.CharField(max_length=300, blank=True)
    package_identifier = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=CourseStatus.choices, default=CourseStatus.ACTIVE)
    retire_date = models.DateField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    replacements = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="replaces")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["publisher", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in LAUNCHABLE_STATUSES

    @property
    def duration_hms(self) -> str:
        seconds = self.duration_seconds
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class CustomerAccount(models.Model):
    """A customer of the marketplace (an organisation with an LMS)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    ppu_enabled = models.BooleanField(default=True, help_text="Add to Library creates Pay Per Use licenses.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerAdmin(models.Model):
    """A learning administrator of one customer account."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="admins")

    def __str__(self) -> str:
        return f"{self.account} admin #{self.user_id}"


class CourseList(models.Model):
    """A curated set of courses, organised in Groups, that an account picks from."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="lists")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class ListGroup(models.Model):
    course_list = models.ForeignKey(CourseList, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["course_list", "name"], name="unique_list_group_name")]

    def __str__(self) -> str:
        return self.name


class ListItem(models.Model):
    group = models.ForeignKey(ListGroup, on_delete=models.CASCADE, related_name="items")
    course = models.ForeignKey(MarketCourse, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "course"], name="unique_list_item")]

    def __str__(self) -> str:
        return f"{self.course_id} in group {self.group_id}"


class LicenseKind(models.TextChoices):
    PPU = "ppu", "Pay Per Use"
    SUBSCRIPTION = "subscription", "Subscription"
    VOLUME = "volume", "Volume"


class License(models.Model):
    """The right of an account to deliver and launch one course. Volume licenses hold `seats`; any
    license may expire. A PPU seat lasts PPU_SEAT_DAYS from the learner's first launch."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="licenses")
    course = models.ForeignKey(MarketCourse, on_delete=models.PROTECT, related_name="licenses")
    kind = models.CharField(max_length=16, choices=LicenseKind.choices)
    seats = models.PositiveIntegerField(null=True, blank=True, help_text="Volume licenses only.")
    seats_used = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course__title", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["account", "course", "kind"], name="unique_license_per_kind"),
            models.CheckConstraint(
                condition=Q(kind="volume", seats__isnull=False) | (~Q(kind="volume") & Q(seats__isnull=True)),
                name="seats_only_on_volume_licenses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} license of {self.course_id} for {self.account_id}"


class Seat(models.Model):
    """A learner's seat on a license, taken at their first launch. `learner_key` is the LMS's
    student id as the launch tells it."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="seat_set")
    learner_key = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["license", "learner_key"], name="one_seat_per_learner")]

    def __str__(self) -> str:
        return f"seat {self.pk} of license {self.license_id}"


class IntegrationKind(models.TextChoices):
    PUSH = "push", "Push (notified at once)"
    PULL = "pull", "Pull (next sync)"
    LEGACY = "legacy", "Legacy (Review and Send)"
    OCN = "ocn", "Legacy SAP SuccessFactors OCN"


LEGACY_KINDS = (IntegrationKind.LEGACY, IntegrationKind.OCN)


class Integration(models.Model):
    """A connection between an account and one of its learning platforms. `ciid` is the Customer
    Integration ID the LMS passes to the provider API."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="integrations")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=IntegrationKind.choices)
    ciid = models.CharField("Customer Integration ID", max_length=64, unique=True)
    active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False, help_text="Send to Integration is the first delivery option.")
    webhook_url = models.URLField(
        max_length=500, blank=True, help_text="Push integrations: where deliveries are announced."
    )
    webhook_secret = EncryptedTextField(blank=True)
    lms_hosts = models.TextField(
        blank=True,
        help_text="The learning platform's hosts (host, or host:port), one per line. A launch that does not name "
        "its learner is identified by a GetParam to its aicc_url only on these hosts (and the webhook's).",
    )
    # The last Delivery.position given out: each delivery takes the next one under a row lock.
    last_position = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="unique_integration_name")]

    def __str__(self) -> str:
        return self.name

    def lms_host_allowed(self, url: str) -> bool:
        """Whether the marketplace may call `url` on the LMS's behalf: its host is one of lms_hosts (with
        any port when the entry has none) or the webhook's host and port."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or "@" in parts.netloc:
            return False
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return False
        host = parts.hostname.lower()
        entries = {line.strip().lower() for line in self.lms_hosts.splitlines() if line.strip()}
        if self.webhook_url:
            hook = urlsplit(self.webhook_url)
            if hook.hostname:
                entries.add(f"{hook.hostname.lower()}:{hook.port or (443 if hook.scheme == 'https' else 80)}")
        return host in entries or f"{host}:{port}" in entries

    @property
    def is_legacy(self) -> bool:
        return self.kind in LEGACY_KINDS


class ApiClient(models.Model):
    """Provider API credentials of an account. The secret is stored hashed and shown once."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="api_clients")
    client_id = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.client_id


class AccessToken(models.Model):
    """A bearer token issued to an API client; only its SHA-256 is stored."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"token {self.pk} of client {self.client_id}"


class Delivery(models.Model):
    """A course delivered to an integration under a license. Push and pull deliveries are sent at
    once; legacy ones wait on the Pending tab until Send to LMS (`sent_at`)."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="deliveries")
    # No index of its own: the unique (integration, course) constraint starts with it.
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="deliveries",
                                    db_index=False)
    course = models.ForeignKey(MarketCourse, on_delete=models.PROTECT, related_name="deliveries")
    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="deliveries")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # False once the course is archived.
    listed = models.BooleanField(default=True)
    # 1, 2, 3… per integration in delivery order: page N of the provider API is the range of positions
    # ((N-1)*limit, N*limit], so a deep page costs what the first one does (gaps only shorten a page).
    position = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["integration", "course"], name="one_delivery_per_integration")]
        indexes = [
            models.Index(fields=["integration", "sent_at", "id"]),
            models.Index(fields=["integration", "position", "course"], condition=Q(sent_at__isnull=False, listed=True),
                         name="marketplace_delivery_feed"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"course {self.course_id} to integration {self.integration_id}"


class Launch(models.Model):
    """One launch of a course's AU by a learner of an account's LMS."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="launches")
    integration = models.ForeignKey(Integration, null=True, on_delete=models.SET_NULL, related_name="+")
    course = models.ForeignKey(MarketCourse, on_delete=models.PROTECT, related_name="+")
    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="launches")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="launches")
    learner_key = models.CharField(max_length=255)
    key = models.CharField(max_length=64, unique=True)
    launched_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-launched_at", "-id"]
        indexes = [models.Index(fields=["account", "launched_at"])]

    def __str__(self) -> str:
        return f"launch {self.pk} of course {self.course_id}"


class WebhookEvent(models.Model):
    """A signed notice to a push integration (a delivery, a lifecycle change), sent with retries."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="webhook_events")
    event = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"


class WebhookAttempt(models.Model):
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of event {self.event_id}"
