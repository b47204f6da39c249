"""The connection form: the synchronized group, write-only credentials, addresses and schedule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from coursebridge.accounts.models import Group
from coursebridge.connectors.models import Connection
from coursebridge.connectors.providers.base import Provider
from coursebridge.web.forms import GroupChoiceField


class ConnectionForm(forms.Form):
    group = GroupChoiceField(
        queryset=Group.objects.none(), label="Synchronized group",
        help_text="Its catalogue and library receive the provider's courses; learners of the group and its "
                  "subgroups see them. Any group of the tree.",
    )
    api_url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="API address",
                             help_text="Leave empty for the provider's own address.")
    token_url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Token address",
                               help_text="Leave empty for the provider's own address.")
    sync_time = forms.TimeField(label="Daily sync time (UTC)", help_text="Catalogue and statistics, every day.",
                                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    enabled = forms.BooleanField(required=False, label="Sync every day")

    def __init__(self, *args: Any, provider: Provider, groups: QuerySet[Group],
                 connection: Connection | None = None, stored: dict[str, bool] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        for spec in provider.credential_fields:
            is_stored = bool(stored and stored.get(spec.name))
            self.fields[f"cred_{spec.name}"] = forms.CharField(
                label=spec.label, required=connection is None, max_length=1000, strip=True,
                # Write-only: never rendered back, even after an error.
                widget=forms.PasswordInput(render_value=False, attrs={
                    "autocomplete": "off",
                    "placeholder": "Stored: leave blank to keep it" if is_stored else "",
                }),
                help_text=spec.help,
            )

    @property
    def credential_fields(self) -> list[forms.BoundField]:
        return [self[f"cred_{spec.name}"] for spec in self.provider.credential_fields]

    def credentials(self) -> dict[str, str]:
        return {spec.name: self.cleaned_data.get(f"cred_{spec.name}") or "" for spec in self.provider.credential_fields}

    @staticmethod
    def initial_for(connection: Connection) -> dict[str, Any]:
        return {"group": connection.group_id, "api_url": connection.api_url, "token_url": connection.token_url,
                "sync_time": connection.sync_time, "enabled": connection.enabled}
