"""Each provider course shows where it came from and when it last changed: on its admin page and
over the API; a course made in the academy has no origin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from coursebridge.accounts.services import api_token_create
from coursebridge.catalog.models import Course
from coursebridge.connectors.models import SyncRecord
from coursebridge.connectors.sync import connection_sync
from tests.connectors.opensesame.factories import fast_session, opensesame_connection
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, learner_in, training_admin_of
from tests.fakes.opensesame import FakeOpenSesame, os_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced():
    academy = AcademyFactory(slug="origin-academy")
    team = GroupFactory(academy=academy, name="Sales team")
    with FakeOpenSesame() as fake:
        fake.courses = [os_course("os-7", "Leading Teams"), os_course("os-8", "Delegation")]
        connection = opensesame_connection(team, fake)
        connection_sync(connection_id=connection.pk, session=fast_session(connection))
        fake.courses = [os_course("os-7", "Leading Teams, second edition")]
        connection_sync(connection_id=connection.pk, session=fast_session(connection))
    return {"academy": academy, "team": team, "connection": connection}


def test_the_admin_page_of_a_provider_course_shows_its_origin(client, synced):
    admin = training_admin_of(synced["academy"], username="olga")
    client.force_login(admin)
    changed = Course.objects.get(external_id="os-7")
    gone = Course.objects.get(external_id="os-8")
    SyncRecord.objects.filter(external_id="os-7").update(last_changed_at=timezone.now() - timedelta(days=2))
    when = SyncRecord.objects.get(external_id="os-7").last_changed_at

    page = client.get(f"/a/origin-academy/admin/courses/{changed.pk}/edit/").content.decode()
    card = page[page.index('id="course-origin"'):page.index("</section>", page.index('id="course-origin"'))]
    assert "<dd>OpenSesame</dd>" in card
    assert "<code>os-7</code> · status “active”" in card
    assert f"<dd>{timezone.localtime(when):%Y-%m-%d %H:%M}</dd>" in card
    assert f'href="/a/origin-academy/admin/connections/{synced["connection"].pk}/runs/"' in card

    retired = client.get(f"/a/origin-academy/admin/courses/{gone.pk}/edit/").content.decode()
    assert "Made inactive by a sync: the provider stopped offering it." in retired


def test_a_course_made_in_the_academy_has_no_origin(client, synced):
    native = CourseFactory(academy=synced["academy"], title="Our onboarding")
    client.force_login(training_admin_of(synced["academy"], username="olga"))

    page = client.get(f"/a/origin-academy/admin/courses/{native.pk}/edit/").content.decode()

    assert 'id="course-origin"' not in page


def test_the_api_tells_the_origin_to_training_admins_only(synced):
    course = Course.objects.get(external_id="os-7")
    record = SyncRecord.objects.get(external_id="os-7")
    _, token = api_token_create(user=training_admin_of(synced["academy"], username="olga"), name="t")
    admin = Client(headers={"Authorization": f"Bearer {token}"})

    answer = admin.get(f"/api/academies/origin-academy/courses/{course.pk}/origin")

    assert answer.status_code == 200
    body = answer.json()
    assert body == {
        "course_id": course.pk, "provider": "opensesame", "connection_id": synced["connection"].pk,
        "external_id": "os-7", "remote_status": "active", "added_at": body["added_at"],
        "last_seen_at": body["last_seen_at"], "last_changed_at": body["last_changed_at"], "retired_by_sync": False,
        "last_error": "",
    }
    assert body["last_changed_at"].startswith(record.last_changed_at.isoformat()[:19])
    native = CourseFactory(academy=synced["academy"])
    missing = admin.get(f"/api/academies/origin-academy/courses/{native.pk}/origin")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == (f"Course {native.pk} of this academy did not come from a "
                                                  "connection.")
    _, learner_token = api_token_create(user=learner_in(synced["team"], username="lena"), name="t")
    learner = Client(headers={"Authorization": f"Bearer {learner_token}"})
    assert learner.get(f"/api/academies/origin-academy/courses/{course.pk}/origin").status_code == 403
