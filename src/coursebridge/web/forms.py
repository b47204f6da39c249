"""Forms check the shape of what people type; the services decide the rules. A DomainError from a
service lands on the form next to the field at fault (see `add_domain_error`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.db.models import QuerySet

from coursebridge.accounts.models import Group, Role
from coursebridge.catalog.models import PROVIDER_OWNED_FIELDS, Category, Course, CourseStatus, Visibility
from coursebridge.core.errors import DomainError

# Service field names that a form calls differently.
SERVICE_FIELDS = {"category_ids": "categories", "group_id": "group", "parent_id": "parent"}


def add_domain_error(form: forms.Form, exc: DomainError, renames: Mapping[str, str] | None = None) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    name = exc.field or ""
    name = (renames or {}).get(name, SERVICE_FIELDS.get(name, name))
    form.add_error(name if name in form.fields else None, exc.message)


def split_tags(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class GroupChoiceField(forms.ModelChoiceField):
    """Groups shown indented by depth, as in the tree."""

    def label_from_instance(self, obj: Any) -> str:
        return "\u2003" * obj.depth + obj.name


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    category = forms.IntegerField(required=False, min_value=1)
    page = forms.IntegerField(required=False, min_value=1)


class AdminListForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *CourseStatus.choices])


class NameForm(forms.Form):
    name = forms.CharField(max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "Why? Kept in the course's history"}),
        error_messages={"required": "Say why: every lifecycle change keeps its reason."},
    )


class CategoryCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    parent = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, empty_label="(top level)")

    def __init__(self, *args: Any, parents: QuerySet[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]


def role_choices(*, may_grant_training_admin: bool) -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices
            if may_grant_training_admin or value != Role.TRAINING_ADMIN]


class MembershipGrantForm(forms.Form):
    group = GroupChoiceField(queryset=Group.objects.none(), empty_label=None)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.LEARNER)

    def __init__(
        self, *args: Any, groups: QuerySet[Group], may_grant_training_admin: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        self.fields["role"].choices = role_choices(  # type: ignore[attr-defined]
            may_grant_training_admin=may_grant_training_admin
        )


class UserCreateForm(MembershipGrantForm):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    password = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty for a user who signs in through single sign-on only.",
    )

    field_order = ["username", "first_name", "last_name", "email", "password", "group", "role"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. reporting script"}))


class CourseForm(forms.Form):
    """A web-link course. On a provider course, the provider-owned fields are disabled: they show
    the provider's values and whatever is posted for them is ignored."""

    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    launch_url = forms.URLField(max_length=1000, required=False, assume_scheme="https", label="Launch address")
    image_url = forms.URLField(max_length=1000, required=False, assume_scheme="https", label="Image address")
    duration_minutes = forms.IntegerField(required=False, min_value=0, label="Duration (minutes)")
    language = forms.CharField(max_length=35, required=False)
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.VISIBLE)
    categories = CategoryChoiceField(
        queryset=Category.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(required=False, max_length=1000, help_text="Separate tags with commas.")

    def __init__(self, *args: Any, categories: QuerySet[Category], course: Course | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["categories"].queryset = categories  # type: ignore[attr-defined]
        if course is not None and course.is_from_provider:
            for name in PROVIDER_OWNED_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].required = False

    @classmethod
    def initial_for(cls, course: Course) -> dict[str, Any]:
        return {
            "title": course.title,
            "description": course.description,
            "launch_url": course.launch_url,
            "image_url": course.image_url,
            "duration_minutes": course.duration_minutes,
            "language": course.language,
            "visibility": course.visibility,
            "categories": [c.pk for c in course.categories.all() if not c.is_provider_owned],
            "tags": ", ".join(t.name for t in course.tags.all()),
        }

    def provider_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if self.fields[name].disabled]

    def local_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not self.fields[name].disabled]

    def changes(self) -> dict[str, Any]:
        """What to hand course_update: the editable fields that changed, in the service's names."""
        changes: dict[str, Any] = {}
        for name in self.changed_data:
            if self.fields[name].disabled:
                continue
            value = self.cleaned_data[name]
            if name == "categories":
                changes["category_ids"] = [c.pk for c in value]
            elif name == "tags":
                changes["tags"] = split_tags(value)
            else:
                changes[name] = value
        return changes


class CourseCreateForm(CourseForm):
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The course goes into the catalogue and library of these groups.",
    )

    def __init__(self, *args: Any, groups: QuerySet[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = groups  # type: ignore[attr-defined]
        self.fields["groups"].label_from_instance = (  # type: ignore[attr-defined]
            lambda group: "\u2003" * group.depth + group.name
        )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "launch_url": data["launch_url"],
            "image_url": data["image_url"],
            "duration_minutes": data["duration_minutes"],
            "language": data["language"],
            "visibility": data["visibility"],
            "category_ids": [c.pk for c in data["categories"]],
            "tags": split_tags(data["tags"]),
            "groups": list(data["groups"]),
        }


def ids_from(values: Iterable[str]) -> set[int]:
    """Integer ids from posted checkbox values; anything else is ignored."""
    return {int(v) for v in values if v.isdigit()}
