"""`coursebridge run`: migrate, load the demo into an empty database, then serve the web app with
one worker and the scheduler beside it. Ctrl-C stops all of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve coursebridge on 127.0.0.1 (PORT overrides 8000) with a worker and the scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-worker", action="store_true")
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from coursebridge.accounts.models import Academy

        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        logins: list[tuple[str, str, str]] = []
        if not options["no_demo"] and not Academy.objects.exists():
            self.stdout.write("Empty database: loading the demo…")
            from coursebridge.web.demo import demo_load

            logins = demo_load().logins
        elif not options["no_demo"]:
            from coursebridge.web.demo import DEMO_LOGINS

            logins = list(DEMO_LOGINS)

        url = f"http://{options['host']}:{options['port']}/"
        web = [
            sys.executable, "-m", "gunicorn", "coursebridge.config.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", os.environ.get("CB_WEB_WORKERS", "2"), "--threads", "4",
            "--access-logfile", "-", "--graceful-timeout", "5",
        ]
        children = [subprocess.Popen(web)]  # noqa: S603
        if not options["no_worker"]:
            worker = [sys.executable, "-m", "coursebridge.cli", "worker", "--beat", "--concurrency", "2"]
            children.append(subprocess.Popen(worker))  # noqa: S603
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"coursebridge is running on {url}"))
        self.stdout.write(f"API docs: {url}api/docs")
        for role, username, password in logins:
            self.stdout.write(f"  {role:<16} {username} / {password}")
        self.stdout.write("Press Ctrl-C to stop.")
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A process stopped; stopping the others.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
