"""Every scheduled entry names a task the worker knows."""

from coursebridge.config.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    scheduled = {name: entry["task"] for name, entry in app.conf.beat_schedule.items()}

    assert sorted(scheduled.values()) == [
        "connectors.schedule_due", "content.purge_aicc_sessions", "marketplace.retire_due",
        "reporting.snapshot_measured_time",
    ]
    assert set(scheduled.values()) <= set(app.tasks)
