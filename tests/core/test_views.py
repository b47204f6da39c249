"""The export job through the pages: start it from the course list, follow it, download it; only
its owner (or a site admin) can see it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coursebridge.catalog.exports import course_export_start
from coursebridge.config.celery import app as celery_app
from coursebridge.core.models import Job, JobStatus
from tests.factories import AcademyFactory, CourseFactory, UserFactory, training_admin_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_export_from_the_course_list_runs_and_offers_the_file(
    client_for, eager_tasks, django_capture_on_commit_callbacks
):
    academy = AcademyFactory(slug="riverside")
    admin = training_admin_of(academy)
    CourseFactory(academy=academy, title="Negotiation essentials")
    client = client_for(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:course_export", args=["riverside"]), {"status": ""}, HTTP_HX_REQUEST="true")

    job = Job.objects.get()
    assert response.status_code == 200
    assert f'id="job-{job.pk}"' in response.content.decode()
    assert job.status == JobStatus.SUCCEEDED
    status = client.get(reverse("core:job-status", args=[job.pk]), HTTP_ACCEPT="application/json").json()
    assert status["status"] == "succeeded"
    assert status["percent"] == 100
    assert status["counts"] == {"courses": 1}
    download = client.get(status["download_url"])
    assert download.status_code == 200
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "Negotiation essentials" in body
    assert download["Content-Disposition"].startswith('attachment; filename="courses-')


def test_export_without_javascript_lands_on_the_job_page(client_for, eager_tasks, django_capture_on_commit_callbacks):
    academy = AcademyFactory(slug="riverside")
    client = client_for(training_admin_of(academy))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:course_export", args=["riverside"]), {"status": "archived"})

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:job-status", args=[job.pk])
    assert job.params == {"status": "archived"}
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Done: 0 of 0." in page.content.decode()


def test_export_refuses_an_unknown_status(client_for):
    academy = AcademyFactory(slug="riverside")
    client = client_for(training_admin_of(academy))

    response = client.post(reverse("web:course_export", args=["riverside"]), {"status": "deleted"})

    assert response.status_code == 400
    assert "Unknown status &#x27;deleted&#x27;." in response.content.decode()
    assert Job.objects.count() == 0


def test_a_running_job_polls_itself(client_for):
    academy = AcademyFactory()
    admin = training_admin_of(academy)
    job = course_export_start(academy=academy, by=admin)

    response = client_for(admin).get(reverse("core:job-status", args=[job.pk]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert "Waiting for a worker" in html


def test_another_users_job_is_not_found(client_for):
    academy = AcademyFactory()
    owner = training_admin_of(academy)
    job = course_export_start(academy=academy, by=owner)
    colleague = training_admin_of(academy)
    stranger = training_admin_of(AcademyFactory())

    for user in (colleague, stranger):
        client = client_for(user)
        assert client.get(reverse("core:job-status", args=[job.pk])).status_code == 404
        assert client.get(reverse("core:job-download", args=[job.pk])).status_code == 404


def test_a_site_admin_sees_any_job_and_anonymous_signs_in(client, client_for):
    academy = AcademyFactory()
    job = course_export_start(academy=academy, by=training_admin_of(academy))
    site_admin = UserFactory(academy=None, is_superuser=True, is_staff=True)

    assert client_for(site_admin).get(reverse("core:job-status", args=[job.pk])).status_code == 200
    assert client.get(reverse("core:job-status", args=[job.pk])).status_code == 302


def test_download_of_an_unfinished_job_is_not_found(client_for):
    academy = AcademyFactory()
    owner = training_admin_of(academy)
    job = course_export_start(academy=academy, by=owner)

    assert client_for(owner).get(reverse("core:job-download", args=[job.pk])).status_code == 404
