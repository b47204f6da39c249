"""The Celery application. Tasks are discovered in every installed app's tasks.py."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursebridge.config.settings")

app = Celery("coursebridge")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    timezone="UTC",
    beat_schedule={
        # Housekeeping at a quiet hour (UTC).
        "content.purge_aicc_sessions": {"task": "content.purge_aicc_sessions", "schedule": crontab(hour=3, minute=17)},
        # Each connection's daily sync starts at its own time: this looks every five minutes.
        "connectors-daily-syncs": {"task": "connectors.schedule_due", "schedule": 300.0},
        # The marketplace retires the courses whose retirement date has come.
        "marketplace.retire_due": {"task": "marketplace.retire_due", "schedule": crontab(hour=0, minute=30)},
    },
)
app.autodiscover_tasks()
# Measured time per learner and course per day, for the dashboards' charts (reporting/services.py).
app.conf.beat_schedule["reporting.snapshot_measured_time"] = {
    "task": "reporting.snapshot_measured_time", "schedule": crontab(minute=5),
}
