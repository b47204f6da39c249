"""Report filters as forms: the shape of the input; the scope and the services check the rest."""

from __future__ import annotations

from django import forms

from coursebridge.reporting.activity import FORMATS, ReportFilters


class DashboardForm(forms.Form):
    group = forms.IntegerField(required=False, min_value=1)
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))


class ReportForm(forms.Form):
    group = forms.IntegerField(required=False, min_value=1)
    course = forms.IntegerField(required=False, min_value=1)
    provider = forms.CharField(required=False, max_length=60)
    date_from = forms.DateField(required=False, label="Active from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="Active until", widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(group_id=data.get("group"), course_id=data.get("course"),
                             provider=(data.get("provider") or "").strip(), date_from=data.get("date_from"),
                             date_to=data.get("date_to"))


class ExportForm(ReportForm):
    format = forms.ChoiceField(choices=[(f, f.upper()) for f in FORMATS])


def first_error(form: forms.Form) -> tuple[str, str]:
    """(field, message) of the first problem, for an error page that names the input at fault."""
    for name, errors in form.errors.items():
        return name, f"{name.replace('_', ' ').capitalize()}: {errors[0]}"
    return "", "Invalid filters."
