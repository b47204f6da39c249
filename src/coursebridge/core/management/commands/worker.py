"""`coursebridge worker`: a Celery worker; with the embedded broker it also runs the scheduler."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run a background worker (and the scheduler, with --beat or with the embedded broker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--beat", action="store_true", help="also run the scheduler in this worker")
        parser.add_argument("--no-beat", action="store_true", help="never run the scheduler here")
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument("--loglevel", default="info")
        parser.add_argument(
            "--pool", default="prefork", choices=["prefork", "solo", "threads"],
            help="prefork (default) runs tasks in child processes; solo runs them in this process",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from coursebridge.config.celery import app

        beat = options["beat"] or (settings.CELERY_EMBEDDED_BROKER and not options["no_beat"])
        argv = [
            "worker",
            f"--loglevel={options['loglevel']}",
            f"--concurrency={options['concurrency']}",
            f"--pool={options['pool']}",
            "--without-gossip",
            "--without-mingle",
        ]
        if beat:
            argv += ["--beat", f"--schedule={settings.VAR_DIR / 'scheduler-state'}"]
        app.worker_main(argv)
