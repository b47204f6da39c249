"""The customer admin's pages, through Django's test client: the seed's path from a List to My
Courses and the legacy queue, CSV exports, and bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from coursebridge.core.models import Job
from coursebridge.marketplace import services
from coursebridge.marketplace.models import Delivery, License
from tests.marketplace import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(media):
    account = f.account(slug="acme", name="Acme Corp")
    admin = f.admin_of(account, "ada")
    pub = f.publisher("Skillful")
    courses = [f.course(pub, title=f"Course {i}", package=False) for i in range(4)]
    course_list = services.list_create(account=account, title="Onboarding", groups=[
        ("Basics", courses[:2]), ("Advanced", courses[2:])])
    push = f.integration(account, "push", name="Push LMS", webhook_url="http://127.0.0.1:9/hook")
    legacy = f.integration(account, "legacy", name="Old LMS")
    client = Client()
    client.force_login(admin)
    return {"account": account, "admin": admin, "courses": courses, "list": course_list, "push": push,
            "legacy": legacy, "client": client}


def url(shop, rest=""):
    return f"/marketplace/accounts/{shop['account'].slug}/{rest}"


def test_the_list_page_shows_groups_and_checkboxes(shop):
    page = shop["client"].get(url(shop, f"lists/{shop['list'].pk}/")).content.decode()

    assert page.count('name="courses"') == 4
    assert page.count('class="group-toggle"') == 2
    assert 'id="select-all"' in page
    assert 'id="add-to-library"' in page
    assert "Dashboard" in page and "My Courses" in page and "Activity Report" in page and "Lists" in page


def test_add_to_library_then_deliver_to_push_and_legacy_then_send(shop):
    client, courses = shop["client"], shop["courses"]
    ids = [str(c.pk) for c in courses[:3]]

    added = client.post(url(shop, f"lists/{shop['list'].pk}/add-to-library"), {"courses": ids})
    progress = client.get(added["Location"]).content.decode()
    refused = client.post(url(shop, f"lists/{shop['list'].pk}/deliver"), {"courses": [*ids, str(courses[3].pk)]})
    started = client.post(url(shop, f"lists/{shop['list'].pk}/deliver"), {
        "courses": ids, "confirm": "1", "integrations": [shop["push"].pk, shop["legacy"].pk]})
    status = client.get(started["Location"]).content.decode()
    again = client.post(url(shop, f"lists/{shop['list'].pk}/deliver"), {
        "courses": ids, "confirm": "1", "integrations": [shop["push"].pk]})
    again_status = client.get(again["Location"]).content.decode()

    assert "Added 3 Pay Per Use licenses to your library." in progress
    assert "1 course has no active license and was removed from the queue:\n  “Course 3”." in refused.content.decode()
    assert "Delivered 6 courses." in status
    assert "Push LMS was notified: the courses appear in your learning platform in a few moments." in status
    assert "View Status" in status and "Review and Send" in status
    assert "3 courses had already been delivered to this integration: nothing changed for them." in again_status
    assert Delivery.objects.count() == 6

    queue = client.get(url(shop, f"integrations/{shop['legacy'].pk}/courses/")).content.decode()
    first = Delivery.objects.filter(integration=shop["legacy"]).order_by("course__title").first()
    client.post(url(shop, f"integrations/{shop['legacy'].pk}/courses/{first.pk}/remove"))
    sent = client.post(url(shop, f"integrations/{shop['legacy'].pk}/courses/send"))
    job_id = sent["Location"].split("job=")[1]
    polled = client.get(url(shop, f"jobs/{job_id}/"), headers={"HX-Request": "true"})
    history = client.get(url(shop, f"integrations/{shop['legacy'].pk}/courses/?tab=history")).content.decode()

    assert queue.count('class="btn small danger trash"') == 3
    assert polled["HX-Redirect"].endswith("?tab=history")
    assert history.count("<td>Sent</td>") == 2
    assert "<td>Course 0</td>" not in history

    mine = client.get(url(shop, "courses/")).content.decode()
    assert mine.count("<tr>") == 4  # header + 3 courses
    csv_text = b"".join(client.get(url(shop, "courses/?format=csv")).streaming_content).decode()
    header = "Course,Course ID,Publisher,License,Integrations,Status,First delivered,Last sent"
    assert csv_text.splitlines()[0] == header
    assert csv_text.splitlines()[1].startswith("Course 0,course-")
    assert ",Skillful,Pay Per Use,Old LMS (sent); Push LMS (sent),Active," in csv_text.splitlines()[2]
    assert len(csv_text.splitlines()) == 4


def test_the_license_question_is_asked_and_answered(shop):
    client, course = shop["client"], shop["courses"][0]
    f.license_for(shop["account"], course, "ppu")
    f.license_for(shop["account"], course, "volume", seats=3)

    asked = client.post(url(shop, f"lists/{shop['list'].pk}/deliver"), {"courses": [course.pk]})
    unanswered = client.post(url(shop, f"lists/{shop['list'].pk}/deliver"), {
        "courses": [course.pk], "confirm": "1", "integrations": [shop["push"].pk]})
    delivered_unanswered = Delivery.objects.count()
    answered = client.post(url(shop, f"lists/{shop['list'].pk}/deliver"), {
        "courses": [course.pk], "confirm": "1", "integrations": [shop["push"].pk], f"license-{course.pk}": "volume"})

    assert "Which license should be used?" in asked.content.decode()
    assert f'name="license-{course.pk}" value="volume"' in asked.content.decode()
    assert unanswered.status_code == 400
    assert "Choose which license to use for each course below." in unanswered.content.decode()
    assert delivered_unanswered == 0
    assert answered.status_code == 302
    assert Delivery.objects.get().license == License.objects.get(kind="volume")


def test_no_integration_chosen_is_a_clear_error(shop):
    course = shop["courses"][0]
    f.license_for(shop["account"], course)
    answer = shop["client"].post(url(shop, f"lists/{shop['list'].pk}/deliver"),
                                 {"courses": [course.pk], "confirm": "1"})
    assert answer.status_code == 400
    assert "Choose at least one integration." in answer.content.decode()
    assert not Job.objects.exists()


def test_the_activity_report_and_its_csv(shop):
    course = shop["courses"][0]
    course.au_path = "index.html"
    course.save()
    f.delivered(shop["account"], shop["push"], [course])
    anonymous = Client()
    anonymous.get(f"/marketplace/aicc/{shop['push'].ciid}/{course.code}/?student_id=emp-1")
    anonymous.get(f"/marketplace/aicc/{shop['push'].ciid}/{course.code}/?student_id=emp-1")

    page = shop["client"].get(url(shop, "activity/")).content.decode()
    csv_lines = b"".join(shop["client"].get(url(shop, "activity/?format=csv")).streaming_content).decode().splitlines()
    bad = shop["client"].get(url(shop, "activity/?start=yesterday"))

    assert "<td>emp-1</td>" in page
    assert csv_lines[0] == "Date,Course,Course ID,Learner,License,Launches"
    assert csv_lines[1].endswith(f",Course 0,{course.code},emp-1,Pay Per Use,2")
    assert bad.status_code == 400
    assert "The start date &#x27;yesterday&#x27; is not a date like 2026-01-31." in bad.content.decode()


def test_anonymous_people_sign_in_and_admins_of_one_account_see_only_theirs(shop):
    other = f.account(slug="zeta", name="Zeta Inc")
    zeta_list = services.list_create(account=other, title="Zeta secrets", groups=[])
    zeta_legacy = f.integration(other, "legacy")

    assert Client().get(url(shop, "lists/"))["Location"].startswith("/marketplace/login/")
    for path in ["/marketplace/accounts/zeta/", "/marketplace/accounts/zeta/lists/",
                 f"/marketplace/accounts/zeta/lists/{zeta_list.pk}/", f"{url(shop)}lists/{zeta_list.pk}/",
                 f"{url(shop)}integrations/{zeta_legacy.pk}/courses/"]:
        answer = shop["client"].get(path)
        assert answer.status_code == 404, path
        assert "Zeta" not in answer.content.decode()
