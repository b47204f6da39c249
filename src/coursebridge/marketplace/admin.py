"""Django admin for the marketplace's staff: publishers and their courses (with the AICC package
upload, validated by the content parsers), customer accounts with their admins, integrations with
the "Issue API credentials" action (the secret is shown once), licenses, deliveries and webhooks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from coursebridge.core.errors import DomainError
from coursebridge.marketplace import credentials, services
from coursebridge.marketplace.models import (
    ApiClient,
    CourseList,
    CourseStatus,
    CustomerAccount,
    CustomerAdmin,
    Delivery,
    Integration,
    License,
    ListGroup,
    MarketCourse,
    Publisher,
    PublisherStaff,
    WebhookAttempt,
    WebhookEvent,
)
from coursebridge.marketplace.packages import package_store


class PublisherStaffInline(admin.TabularInline):
    model = PublisherStaff
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [PublisherStaffInline]


class MarketCourseForm(forms.ModelForm):
    package = forms.FileField(required=False, help_text="An AICC package (zip). It replaces the current one.")
    image_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    thumbnail_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = MarketCourse
        fields = ["publisher", "code", "title", "description_text", "description_html", "image_url", "thumbnail_url",
                  "duration_seconds", "languages", "categories", "status", "retire_date", "status_reason",
                  "replacements"]

    def clean_categories(self) -> list[str]:
        value = self.cleaned_data["categories"] or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.startswith("|") for v in value):
            raise forms.ValidationError('Categories are a list of paths like ["|Business|Leadership"].')
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("package")
        if upload and data.get("code"):
            try:
                self.stored = package_store(code=data["code"], data=upload.read())
            except DomainError as exc:
                self.add_error("package", exc.message)
        return data

    def save(self, commit: bool = True) -> MarketCourse:
        course = super().save(commit=False)
        stored = getattr(self, "stored", None)
        if stored is not None:
            course.package_file = stored.package_file
            course.package_prefix = stored.package_prefix
            course.au_path = stored.au_path
            course.package_identifier = stored.identifier
        if commit:
            course.save()
            self.save_m2m()
        return course


@admin.register(MarketCourse)
class MarketCourseAdmin(admin.ModelAdmin):
    form = MarketCourseForm
    list_display = ["title", "publisher", "status", "retire_date", "code"]
    list_filter = ["status", "publisher"]
    search_fields = ["title", "code"]
    readonly_fields = ["package_file", "au_path", "package_identifier"]
    filter_horizontal = ["replacements"]
    actions = ["retire_now", "archive", "reactivate"]

    def save_model(self, request: HttpRequest, obj: MarketCourse, form: forms.ModelForm, change: bool) -> None:
        """A status changed here goes through the lifecycle services, which tell every push integration
        the course went to (their LMSs then sync it)."""
        wanted = obj.status
        if change and "status" in form.changed_data:
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if change and "status" in form.changed_data:
            try:
                self._lifecycle(obj, wanted, reason=obj.status_reason, retire_date=form.cleaned_data.get("retire_date"))
            except DomainError as exc:
                messages.error(request, f"The status stays {obj.get_status_display().lower()}: {exc.message}")

    @staticmethod
    def _lifecycle(course: MarketCourse, status: str, *, reason: str = "", retire_date: Any = None) -> None:
        if status == CourseStatus.RETIRED:
            services.course_retire(course=course, reason=reason)
        elif status == CourseStatus.ARCHIVED:
            services.course_archive(course=course, reason=reason)
        elif status == CourseStatus.ACTIVE:
            services.course_reactivate(course=course)
        elif status == CourseStatus.RETIRING:
            if retire_date is None:
                raise DomainError("a retiring course needs its retire date.", field="retire_date")
            services.course_retire_schedule(course=course, retire_date=retire_date, reason=reason,
                                            replacements=list(course.replacements.all()))

    def _each(self, request: HttpRequest, queryset: QuerySet[MarketCourse], status: str, done: str) -> None:
        changed = 0
        for course in queryset:
            try:
                self._lifecycle(course, status, reason=course.status_reason)
            except DomainError as exc:
                messages.error(request, f"“{course.title}”: {exc.message}")
            else:
                changed += 1
        if changed:
            messages.success(request, f"{changed} course(s) {done}; the learning platforms they went to were told.")

    @admin.action(description="Retire now (launches refused; LMSs told)")
    def retire_now(self, request: HttpRequest, queryset: QuerySet[MarketCourse]) -> None:
        self._each(request, queryset, CourseStatus.RETIRED, "retired")

    @admin.action(description="Archive (no longer listed; LMSs told)")
    def archive(self, request: HttpRequest, queryset: QuerySet[MarketCourse]) -> None:
        self._each(request, queryset, CourseStatus.ARCHIVED, "archived")

    @admin.action(description="Make active again (LMSs told)")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[MarketCourse]) -> None:
        self._each(request, queryset, CourseStatus.ACTIVE, "made active")


class CustomerAdminInline(admin.TabularInline):
    model = CustomerAdmin
    extra = 0
    raw_id_fields = ["user"]


class IntegrationInline(admin.TabularInline):
    model = Integration
    extra = 0
    fields = ["name", "kind", "ciid", "active", "is_default", "webhook_url", "lms_hosts"]
    readonly_fields = ["ciid"]


@admin.register(CustomerAccount)
class CustomerAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "ppu_enabled"]
    search_fields = ["name", "slug"]
    inlines = [CustomerAdminInline, IntegrationInline]


class IntegrationForm(forms.ModelForm):
    # Write-only: a new secret replaces the stored one; the stored one is never shown.
    new_webhook_secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False),
                                         help_text="Leave empty to keep the current secret.")
    webhook_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Integration
        fields = ["account", "name", "kind", "active", "is_default", "webhook_url", "lms_hosts"]

    def save(self, commit: bool = True) -> Integration:
        integration = super().save(commit=False)
        if self.cleaned_data.get("new_webhook_secret"):
            integration.webhook_secret = self.cleaned_data["new_webhook_secret"]
        if not integration.ciid:
            integration.ciid = services.new_code("ciid-")
        if commit:
            integration.save()
        return integration


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationForm
    list_display = ["name", "account", "kind", "ciid", "active"]
    list_filter = ["kind", "active"]
    readonly_fields = ["ciid"]
    actions = ["issue_credentials"]

    @admin.action(description="Issue API credentials (the secret is shown once)")
    def issue_credentials(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        token_url = request.build_absolute_uri(reverse("marketplace:api_token"))
        api_url = request.build_absolute_uri(reverse("marketplace:api_content"))
        for integration in queryset.select_related("account"):
            issued = credentials.credentials_issue(account=integration.account, integration_name=integration.name)
            messages.warning(request, (
                f"{integration.account.name} · {integration.name}: CIID {issued.ciid}, client id {issued.client_id}, "
                f"client secret {issued.client_secret} (copy it now: it is not shown again). Token URL {token_url}, "
                f"API URL {api_url}."
            ))


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["client_id", "account", "created_at", "revoked_at"]
    fields = ["account", "client_id", "created_at", "revoked_at"]
    readonly_fields = ["account", "client_id", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    list_display = ["course", "account", "kind", "seats", "seats_used", "expires_at", "paused"]
    list_filter = ["kind", "paused"]
    raw_id_fields = ["course"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["course", "integration", "account", "created_at", "sent_at"]
    raw_id_fields = ["course", "license", "created_by"]


class ListGroupInline(admin.TabularInline):
    model = ListGroup
    extra = 0


@admin.register(CourseList)
class CourseListAdmin(admin.ModelAdmin):
    list_display = ["title", "account"]
    inlines = [ListGroupInline]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    readonly_fields = ["number", "status_code", "error", "duration_ms", "at"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event", "integration", "status", "attempts", "created_at", "delivered_at"]
    list_filter = ["status", "event"]
    inlines = [WebhookAttemptInline]
