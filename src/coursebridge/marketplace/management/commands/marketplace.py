"""`coursebridge marketplace issue-credentials --account SLUG [--integration NAME] [--json] [--base-url URL]`:
new provider API credentials for a customer account. The client secret is printed once; only its
hash is kept."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from coursebridge.core.errors import DomainError
from coursebridge.marketplace import credentials
from coursebridge.marketplace.models import CustomerAccount

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = "Marketplace administration: issue-credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue-credentials", help="new API credentials and the CIID of an integration")
        issue.add_argument("--account", required=True, help="the customer account's slug")
        issue.add_argument("--integration", help="the integration's name (created as a pull integration if missing)")
        issue.add_argument("--json", action="store_true", help="print one JSON object")
        issue.add_argument("--base-url", default=DEFAULT_BASE_URL, help="the marketplace's address, for the URLs")

    def handle(self, *args: Any, **options: Any) -> None:
        account = CustomerAccount.objects.filter(slug=options["account"]).first()
        if account is None:
            raise CommandError(f"No customer account with the slug {options['account']!r}.")
        try:
            issued = credentials.credentials_issue(account=account, integration_name=options.get("integration"))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        base = options["base_url"].rstrip("/")
        data = issued.as_dict(token_url=base + reverse("marketplace:api_token"),
                              api_url=base + reverse("marketplace:api_content").removesuffix("/v1/content"))
        if options["json"]:
            self.stdout.write(json.dumps(data))
            return
        for key, value in data.items():
            self.stdout.write(f"{key:<14} {value}")
        self.stdout.write("The client secret is shown only now: store it in the learning platform.")
