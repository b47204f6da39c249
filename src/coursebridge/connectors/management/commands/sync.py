"""`coursebridge sync CONNECTION [--full]`: run a connection now, with progress on the terminal."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coursebridge.connectors.models import Connection, RunTrigger
from coursebridge.core.errors import DomainError


def find_connection(reference: str) -> Connection:
    """A connection by id, or by "<academy slug>/<provider>"."""
    if reference.isdigit():
        connection = Connection.objects.filter(pk=int(reference)).first()
    else:
        slug, _, provider = reference.partition("/")
        connection = Connection.objects.filter(academy__slug=slug, provider=provider).first()
    if connection is None:
        known = ", ".join(
            f"{c.pk} ({c.academy.slug}/{c.provider})" for c in Connection.objects.select_related("academy")[:20]
        ) or "none"
        raise CommandError(f"No connection '{reference}'. Give an id or ACADEMY/PROVIDER. Known: {known}.")
    return connection


class Command(BaseCommand):
    help = "Sync a connection now: its catalogue, then its learner statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection", help="the connection's id, or ACADEMY-SLUG/PROVIDER")
        parser.add_argument("--full", action="store_true", help="rewrite every course, changed or not")

    def handle(self, *args: Any, **options: Any) -> None:
        from coursebridge.connectors.sync import connection_sync

        connection = find_connection(options["connection"])
        out = self.stdout
        tty = sys.stdout.isatty()

        def progress(stage: str, done: int, total: int | None) -> None:
            width = 30
            if total:
                filled = min(width, int(width * done / total))
                line = f"{stage:<11} [{'#' * filled}{'.' * (width - filled)}] page {done} of {total}"
            else:
                line = f"{stage:<11} page {done}"
            out.write(("\r" + line) if tty else line, ending="" if tty else "\n")
            out.flush()

        try:
            run = connection_sync(connection_id=connection.pk, trigger=RunTrigger.CLI, full=options["full"],
                                  progress=progress)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if tty:
            out.write("")
        counts = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in run.counts.items())
        out.write(f"Run {run.pk}: {run.get_state_display()}. {counts}.")
        for error in run.errors:
            out.write(f"  {error}")
        if run.state == "failed":
            raise CommandError("The sync failed.")
