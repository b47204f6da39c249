from datetime import timedelta

import pytest
from django.utils import timezone

from coursebridge.core.jobs import LEASE, job_create, job_fail, job_finish, job_is_stale, job_progress, job_start
from coursebridge.core.models import Job, JobStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def new_job(**kwargs) -> Job:
    values = {"kind": "course_export", "academy_id": None, "created_by_id": None, "params": {"format": "csv"}}
    return job_create(**{**values, **kwargs})


def test_job_create_queues_a_job():
    user = UserFactory()

    job = new_job(academy_id=user.academy_id, created_by_id=user.pk)

    stored = Job.objects.get(pk=job.pk)
    assert (stored.kind, stored.status, stored.academy_id, stored.created_by_id, stored.params) == (
        "course_export", JobStatus.QUEUED, user.academy_id, user.pk, {"format": "csv"},
    )
    assert (stored.progress_done, stored.progress_total, stored.percent, stored.is_finished) == (0, 0, 0, False)
    assert stored.started_at is None
    assert stored.lease_until is None


def test_job_start_runs_the_job_with_a_lease():
    job = new_job()
    before = timezone.now()

    started = job_start(job_id=job.pk, total=40)

    assert (started.status, started.progress_total, started.progress_done, started.error) == (
        JobStatus.RUNNING, 40, 0, "",
    )
    assert before <= started.started_at <= timezone.now()
    assert started.lease_until == started.started_at + LEASE
    assert not job_is_stale(started)


def test_job_progress_advances_and_renews_the_lease():
    job = job_start(job_id=new_job().pk, total=40)
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() + timedelta(seconds=1))

    job_progress(job_id=job.pk, done=10)

    stored = Job.objects.get(pk=job.pk)
    assert (stored.progress_done, stored.percent) == (10, 25)
    assert stored.lease_until > timezone.now() + LEASE - timedelta(seconds=30)


@pytest.mark.parametrize(("done", "total", "percent"), [(0, 3, 0), (1, 3, 33), (2, 3, 66), (3, 3, 100),
                                                        (5, 3, 100), (7, 0, 0)])
def test_percent_is_a_whole_number_from_0_to_100(done, total, percent):
    job = job_start(job_id=new_job().pk, total=total)
    job_progress(job_id=job.pk, done=done)

    assert Job.objects.get(pk=job.pk).percent == percent


def test_job_finish_succeeds_with_counts_and_result():
    job = job_start(job_id=new_job().pk, total=40)
    job_progress(job_id=job.pk, done=12)

    finished = job_finish(job_id=job.pk, counts={"rows": 40}, result_file="exports/x.csv", result_name="x.csv")

    stored = Job.objects.get(pk=job.pk)
    assert stored == finished
    assert (stored.status, stored.progress_done, stored.percent, stored.is_finished) == (
        JobStatus.SUCCEEDED, 40, 100, True,
    )
    assert (stored.counts, stored.result_file, stored.result_name, stored.lease_until) == (
        {"rows": 40}, "exports/x.csv", "x.csv", None,
    )
    assert stored.finished_at is not None


def test_a_job_without_items_finishes_at_100_percent():
    job = job_start(job_id=new_job().pk, total=0)

    assert job_finish(job_id=job.pk).percent == 100
    assert Job.objects.get(pk=job.pk).counts == {}


def test_job_fail_keeps_the_error_truncated():
    job = job_start(job_id=new_job().pk, total=10)
    job_progress(job_id=job.pk, done=4)

    job_fail(job_id=job.pk, error="x" * 5000)

    stored = Job.objects.get(pk=job.pk)
    assert (stored.status, stored.is_finished, stored.lease_until, stored.progress_done, stored.percent) == (
        JobStatus.FAILED, True, None, 4, 40,
    )
    assert stored.error == "x" * 2000
    assert stored.finished_at is not None
    assert not job_is_stale(stored)


def test_restarting_a_failed_job_clears_its_error():
    job = job_start(job_id=new_job().pk, total=10)
    job_fail(job_id=job.pk, error="Boom")

    restarted = job_start(job_id=job.pk, total=5)

    assert (restarted.status, restarted.error, restarted.progress_total) == (JobStatus.RUNNING, "", 5)


def test_a_running_job_whose_lease_ran_out_is_stale():
    job = job_start(job_id=new_job().pk, total=10)
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    assert job_is_stale(Job.objects.get(pk=job.pk))


def test_only_running_jobs_can_be_stale():
    queued = new_job()
    long_ago = timezone.now() - timedelta(days=1)
    Job.objects.filter(pk=queued.pk).update(lease_until=long_ago)
    finished = job_finish(job_id=job_start(job_id=new_job().pk, total=1).pk)
    Job.objects.filter(pk=finished.pk).update(lease_until=long_ago)

    assert not job_is_stale(Job.objects.get(pk=queued.pk))
    assert not job_is_stale(Job.objects.get(pk=finished.pk))


def test_late_progress_from_a_dead_worker_does_not_touch_a_finished_job():
    job = job_start(job_id=new_job().pk, total=10)
    job_fail(job_id=job.pk, error="Worker lost")

    job_progress(job_id=job.pk, done=7)

    stored = Job.objects.get(pk=job.pk)
    assert (stored.status, stored.progress_done, stored.lease_until) == (JobStatus.FAILED, 0, None)


def test_job_str_names_kind_id_and_status():
    job = new_job()

    assert str(job) == f"course_export #{job.pk} (queued)"
