import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from coursebridge.learning.models import Enrollment
from coursebridge.records.importer import import_apply, import_stage
from coursebridge.records.models import ImportLock, ImportRun, RunStatus
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, learner_in, training_admin_of
from tests.records.factories import offer

pytestmark = pytest.mark.django_db

FILE = (
    b"external_email,first_name,last_name,complete,date_completed,credits,credit_type\r\n"
    b"good@example.org,Gil,Good,1,2024-05-01,2,ama_pra_1\r\n"
    b"bad@example.org,Bea,Bad,0,,2,ama_pra_1\r\n"
)


@pytest.fixture
def setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    academy = AcademyFactory(slug="heart", name="Heart Academy")
    course = CourseFactory(academy=academy, title="Cardiology update", external_id="CARD-1")
    offer(course, "ama_pra_1", "2.00")
    return academy, course, training_admin_of(academy)


def url(name, academy, **kwargs):
    return reverse(f"web:{name}", kwargs={"slug": academy.slug, **kwargs})


def test_an_admin_uploads_previews_downloads_the_report_and_applies_the_valid_rows(setup, client_for):
    academy, course, admin = setup
    client = client_for(admin)

    edit = client.get(reverse("web:course_edit", kwargs={"slug": academy.slug, "course_id": course.pk}))
    assert url("records_course_upload", academy, course_id=course.pk) in edit.content.decode()

    response = client.post(url("records_course_upload", academy, course_id=course.pk),
                           {"file": SimpleUploadedFile("records.csv", FILE)})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == url("records_run", academy, run_id=run.pk)
    assert "Reading and checking every row" in client.get(response["Location"]).content.decode()

    import_stage(run_id=run.pk, job_id=run.stage_job_id)  # what the worker does
    page = client.get(url("records_run", academy, run_id=run.pk)).content.decode()
    assert 'data-count="errors">1<' in page and 'data-count="create">1<' in page
    assert "No credits on a row with complete=0" in page

    report = client.get(url("records_run_report", academy, run_id=run.pk))
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "severity", "outcome", "message"]
    assert ["3", "credits", "error", "Error",
            "No credits on a row with complete=0: import the completion with its credit instead."] in rows

    refused = client.post(url("records_run_apply", academy, run_id=run.pk), follow=True)
    assert "1 row has errors, and the import is all or nothing" in refused.content.decode()
    client.post(url("records_run_apply", academy, run_id=run.pk), {"valid_only": "on"})
    run.refresh_from_db()
    assert run.apply_valid_only is True
    import_apply(run_id=run.pk, job_id=run.apply_job_id)
    page = client.get(url("records_run", academy, run_id=run.pk)).content.decode()
    assert "Written: 1 learner accounts, 1 enrollments, 1 credit records" in page
    assert list(Enrollment.objects.values_list("user__email", flat=True)) == ["good@example.org"]


def test_a_second_upload_while_an_import_runs_says_since_when(setup, client_for):
    academy, course, admin = setup
    run = ImportRun.objects.create(academy=academy, scope="course", course=course, file_name="first.csv",
                                   status=RunStatus.APPLYING)
    since = timezone.now()
    ImportLock.objects.create(academy=academy, key=f"course:{course.pk}", run=run, holder="w1", acquired_at=since,
                              heartbeat_at=since, lease_until=since + timezone.timedelta(minutes=1))

    response = client_for(admin).post(url("records_course_upload", academy, course_id=course.pk),
                                      {"file": SimpleUploadedFile("records.csv", FILE)})

    assert response.status_code == 409
    assert (f"An import is running for this course since {since.strftime('%Y-%m-%d %H:%M:%S')} UTC"
            in response.content.decode())


def test_unlock_from_the_import_page_frees_the_importer_and_stops_the_run(setup, client_for):
    academy, _, admin = setup
    run = ImportRun.objects.create(academy=academy, scope="global", file_name="stuck.csv", status=RunStatus.APPLYING)
    now = timezone.now()
    lock = ImportLock.objects.create(academy=academy, key="global", run=run, holder="w1", acquired_at=now,
                                     heartbeat_at=now, lease_until=now + timezone.timedelta(minutes=1))
    client = client_for(admin)

    page = client.get(url("records_import", academy)).content.decode()
    assert url("records_unlock", academy, lock_id=lock.pk) in page
    assert "Unlock" in client.get(url("records_unlock", academy, lock_id=lock.pk)).content.decode()
    response = client.post(url("records_unlock", academy, lock_id=lock.pk), follow=True)

    assert "Unlocked: the import was stopped and nothing of it was written." in response.content.decode()
    lock.refresh_from_db()
    run.refresh_from_db()
    assert lock.released is True and run.status == RunStatus.CANCELLED


def test_templates_download_per_importer(setup, client_for):
    academy, _, admin = setup
    client = client_for(admin)

    course_file = client.get(url("records_course_template", academy)).content.decode("utf-8-sig")
    global_file = client.get(url("records_global_template", academy)).content.decode("utf-8-sig")

    assert course_file.splitlines()[0].startswith("external_user_id,external_email,first_name")
    assert global_file.splitlines()[0].startswith("external_course_id,title,external_user_id")


def test_learners_cannot_open_the_import_pages(setup, client_for):
    academy, _, _ = setup
    learner = learner_in(GroupFactory(academy=academy))

    response = client_for(learner).get(url("records_import", academy))

    assert response.status_code == 403


def test_a_run_whose_worker_failed_says_so_instead_of_waiting(setup, client_for):
    from coursebridge.core import jobs

    academy, course, admin = setup
    run = ImportRun.objects.create(academy=academy, scope="course", course=course, file_name="r.csv")
    job = jobs.job_create(kind="records.stage", academy_id=academy.pk, created_by_id=admin.pk, params={})
    ImportRun.objects.filter(pk=run.pk).update(stage_job=job)
    jobs.job_fail(job_id=job.pk, error="Reading the file failed: MemoryError.")

    page = client_for(admin).get(url("records_run", academy, run_id=run.pk)).content.decode()

    assert "The worker running this import stopped: nothing of it was written. Upload the file again." in page
    assert "hx-trigger" not in page
