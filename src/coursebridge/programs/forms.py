"""Forms of the program pages: they check the shape of the input; the services check the rules."""

from __future__ import annotations

from django import forms

from coursebridge.programs.models import StepOrder


class ProgramForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    order = forms.ChoiceField(choices=StepOrder.choices, widget=forms.RadioSelect,
                              help_text="Linear: each step opens once the one before is completed.")


class StepAddForm(forms.Form):
    course = forms.TypedChoiceField(coerce=int, label="Course")

    def __init__(self, *args: object, courses: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["course"].choices = [("", "Choose a course…"), *courses]  # type: ignore[attr-defined]


class SessionForm(forms.Form):
    name = forms.CharField(max_length=300)
    starts_on = forms.DateField(label="Starts on", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Ends on", widget=forms.DateInput(attrs={"type": "date"}),
                              help_text="The session closes at the end of this day (UTC).")


class ParticipantForm(forms.Form):
    user = forms.TypedChoiceField(coerce=int, required=False, label="A learner", empty_value=None)
    group = forms.TypedChoiceField(coerce=int, required=False, label="Or a group (with its subgroups)",
                                   empty_value=None)

    def __init__(self, *args: object, users: list[tuple[int, str]], groups: list[tuple[int, str]],
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["user"].choices = [("", "—"), *users]  # type: ignore[attr-defined]
        self.fields["group"].choices = [("", "—"), *groups]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (data.get("user") is None) == (data.get("group") is None):
            raise forms.ValidationError("Choose either a learner or a group.")
        return data
