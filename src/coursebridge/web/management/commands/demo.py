"""`coursebridge demo`: load the demo academy (migrating first when needed) and print its logins.
An existing demo academy is left as it is unless --reset is given."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from coursebridge.core.errors import DomainError


class Command(BaseCommand):
    help = "Load the demo academy with its users, courses and learning records, and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo academy and its users, then load it again"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from coursebridge.web import demo

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            call_command("migrate", interactive=False, verbosity=0)
        if options["reset"]:
            if demo.demo_delete():
                self.stdout.write(f"Deleted the demo academy '{demo.DEMO_SLUG}' and its users.")
        elif demo.demo_exists():
            self.stdout.write(
                f"The demo academy '{demo.DEMO_SLUG}' already exists: nothing changed. "
                "Use --reset to delete and load it again."
            )
            return
        began = time.monotonic()
        try:
            result = demo.demo_load()
        except DomainError as exc:
            raise CommandError(f"The demo could not be loaded: {exc.message}") from exc
        counts = demo.demo_counts(result.academy)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded '{result.academy.name}' in {time.monotonic() - began:.1f} s: {counts['groups']} groups, "
                f"{counts['users']} users, {counts['courses']} courses ({counts['inactive']} inactive, "
                f"{counts['archived']} archived), {counts['enrollments']} enrollments."
            )
        )
        self.stdout.write("Sign in with any of these accounts (username / password):")
        for role, username, password in result.logins:
            self.stdout.write(f"  {role:<16} {username} / {password}")
