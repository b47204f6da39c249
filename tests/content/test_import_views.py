"""The import pages: upload (plain form and the script's XMLHttpRequest), the duplicate question with
the upload kept on the server, refusals next to the file field; and the units on the course page."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from coursebridge.accounts.models import Role
from coursebridge.catalog.models import Course, Placement
from coursebridge.content import views_import
from coursebridge.content.inspect import inspect_package
from coursebridge.content.models import Package
from coursebridge.content.packages import PackageRefused
from coursebridge.content.services import package_import
from coursebridge.content.tracking import unit_state_for, unit_state_record
from coursebridge.learning.models import Attempt, LearningStatus
from coursebridge.learning.services import enrollment_create
from tests.content.import_helpers import aicc_zip, scorm12_files, scorm12_zip, write, zip_bytes
from tests.factories import (
    PASSWORD,
    AcademyFactory,
    CourseFactory,
    GroupFactory,
    UserFactory,
    learner_in,
    member,
    root_group,
    training_admin_of,
)

pytestmark = pytest.mark.django_db

XHR = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    return tmp_path


def pending_files(tmp_path: Path) -> list[str]:
    folder = tmp_path / "var" / "pending-imports"
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def upload(content: bytes, name: str = "course.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


def url(academy, name: str = "import") -> str:
    return f"/a/{academy.slug}/admin/courses/import/" + ("decide/" if name == "decide" else "")


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_page_offers_a_file_and_the_groups_and_is_linked_from_the_course_list(client_for):
    academy = AcademyFactory(name="Acme")
    GroupFactory(academy=academy, name="Sales")
    client = client_for(training_admin_of(academy))

    page = client.get(url(academy))
    courses = client.get(f"/a/{academy.slug}/admin/courses/")

    html = page.content.decode()
    assert page.status_code == 200
    assert (
        '<input type="file" name="file" accept=".zip,application/zip" required aria-describedby="id_file_helptext" '
        'id="id_file">'
    ) in html
    assert ">No group: place it later</option>" in html
    assert "\u2003Sales</option>" in html
    assert 'enctype="multipart/form-data" data-upload' in html
    assert '<progress max="100" value="0" aria-label="Upload progress">' in html
    assert "/static/content/import.js" in html
    assert f'href="/a/{academy.slug}/admin/courses/import/">Import a package</a>' in courses.content.decode()


@pytest.mark.parametrize("role", [Role.GROUP_ADMIN, Role.AUTHOR, Role.LEARNER])
def test_only_training_admins_may_import(client_for, role):
    academy = AcademyFactory()
    user = UserFactory(academy=academy)
    member(user, root_group(academy), role)
    client = client_for(user)

    page = client.get(url(academy))
    posted = client.post(url(academy), {"file": upload(scorm12_zip())})

    assert (page.status_code, posted.status_code) == (403, 403)
    assert Course.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(client):
    academy = AcademyFactory()

    response = client.get(url(academy))

    assert (response.status_code, response["Location"]) == (
        302,
        f"/accounts/login/?next=/a/{academy.slug}/admin/courses/import/",
    )


def test_a_plain_form_upload_imports_and_opens_the_course_edit_page(client_for):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy, name="Sales")
    client = client_for(training_admin_of(academy))

    response = client.post(url(academy), {"file": upload(aicc_zip(), "fire.zip"), "group": group.pk})

    course = Course.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/a/{academy.slug}/admin/courses/{course.pk}/edit/")
    assert flashed(response)[0] == "'Fire Safety' imported with 1 unit(s). Check its details and placements below."
    assert sorted(Placement.objects.values_list("group__name", "kind")) == [
        ("Sales", "catalogue"),
        ("Sales", "library"),
    ]
    assert client.get(response["Location"]).status_code == 200


def test_the_scripts_upload_gets_where_to_go_as_json(client_for):
    academy = AcademyFactory()
    client = client_for(training_admin_of(academy))

    response = client.post(url(academy), {"file": upload(scorm12_zip())}, headers=XHR)

    course = Course.objects.get()
    assert (response.status_code, response.json()) == (
        200,
        {"redirect": f"/a/{academy.slug}/admin/courses/{course.pk}/edit/"},
    )


def test_a_missing_file_is_asked_for_next_to_the_field(client_for):
    academy = AcademyFactory()
    client = client_for(training_admin_of(academy))

    response = client.post(url(academy), {})

    assert response.status_code == 400
    assert '<p class="error" role="alert">Choose the package file to upload.</p>' in response.content.decode()


def test_a_refused_package_shows_the_reason_next_to_the_file_and_stores_nothing(client_for, storage):
    academy = AcademyFactory()
    client = client_for(training_admin_of(academy))
    with pytest.raises(PackageRefused) as parser_said:
        inspect_package(BytesIO(b"not a zip"))

    page = client.post(url(academy), {"file": upload(b"not a zip")})
    fragment = client.post(url(academy), {"file": upload(b"not a zip")}, headers=XHR)

    reason = f'<p class="error" role="alert">{parser_said.value.message}</p>'
    assert (page.status_code, fragment.status_code) == (400, 400)
    assert reason in page.content.decode() and "<html" in page.content.decode()
    assert reason in fragment.content.decode()
    assert fragment.content.decode().startswith('<section class="card form-card" id="package-import">')
    assert (Course.objects.count(), Package.objects.count()) == (0, 0)
    assert not (storage / "media").exists() or not any((storage / "media").rglob("*.*"))


def test_a_group_of_another_academy_is_refused(client_for):
    academy = AcademyFactory()
    foreign = GroupFactory(academy=AcademyFactory())
    client = client_for(training_admin_of(academy))

    response = client.post(url(academy), {"file": upload(scorm12_zip()), "group": foreign.pk})

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert Course.objects.count() == 0


# --- The duplicate question -----------------------------------------------------------------------


def ask_duplicate(client, academy, content: bytes, group=None, headers=None):
    data = {"file": upload(content, "fire-v2.zip")}
    if group is not None:
        data["group"] = group.pk
    return client.post(url(academy), data, headers=headers or {})


def token_of(response) -> str:
    html = response.content.decode()
    start = html.index('name="token" value="') + len('name="token" value="')
    return html[start : html.index('"', start)]


def test_a_duplicate_asks_naming_the_course_and_keeps_the_upload(client_for, storage):
    academy = AcademyFactory()
    client = client_for(training_admin_of(academy))
    first = package_import(academy=academy, source=BytesIO(aicc_zip()), filename="fire.zip", by=None).course

    upload = aicc_zip(title="Fire Safety 2")  # once: a zip made a second later has other timestamps

    response = ask_duplicate(client, academy, upload)

    html = response.content.decode()
    token = token_of(response)
    assert response.status_code == 200
    assert "<h1>This package is already here</h1>" in html
    assert (
        f'fire-v2.zip holds the same package as the existing course\n      <a href="/a/{academy.slug}/admin/'
        f'courses/{first.pk}/edit/">Fire Safety</a> (id {first.pk}).'
    ) in html
    for value, label in (
        ("skip", "Skip: keep the course as it is"),
        ("replace", "Replace it with a new version"),
        ("copy", "Keep both: import a copy"),
    ):
        assert f'name="choice" value="{value}"' in html and label in html
    assert pending_files(storage) == [f"{token}.zip"]
    assert (storage / "var" / "pending-imports" / f"{token}.zip").read_bytes() == upload
    assert client.session[views_import.SESSION_KEY] == {
        token: {"academy": academy.pk, "filename": "fire-v2.zip", "group": None},
    }
    assert (Course.objects.count(), Package.objects.count()) == (1, 1)


def test_the_script_gets_the_question_as_a_fragment(client_for):
    academy = AcademyFactory()
    client = client_for(training_admin_of(academy))
    package_import(academy=academy, source=BytesIO(aicc_zip()), filename="fire.zip", by=None)

    response = ask_duplicate(client, academy, aicc_zip(), headers=XHR)

    assert response.status_code == 200
    assert response.content.decode().startswith('<section class="card form-card" id="package-import">')
    assert "<html" not in response.content.decode()


def test_replace_answers_without_a_second_upload_and_cleans_up(client_for, storage):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy, name="Sales")
    client = client_for(training_admin_of(academy))
    first = package_import(academy=academy, source=BytesIO(aicc_zip()), filename="fire.zip", by=None).course
    token = token_of(ask_duplicate(client, academy, aicc_zip(title="Fire Safety 2"), group=group))

    response = client.post(url(academy, "decide"), {"token": token, "choice": "replace"})

    assert (response.status_code, response["Location"]) == (302, f"/a/{academy.slug}/admin/courses/{first.pk}/edit/")
    assert flashed(response) == [
        "'Fire Safety 2' now launches version 2 of its package. Attempts made with earlier versions keep their records."
    ]
    assert list(Package.objects.order_by("version").values_list("course", "version", "is_current")) == [
        (first.pk, 1, False),
        (first.pk, 2, True),
    ]
    assert sorted(Placement.objects.values_list("group__name", "kind")) == [
        ("Sales", "catalogue"),
        ("Sales", "library"),
    ]
    assert pending_files(storage) == []
    assert views_import.SESSION_KEY not in client.session
    again = client.post(url(academy, "decide"), {"token": token, "choice": "copy"})
    assert again.status_code == 400
    assert "This upload is no longer waiting for an answer. Upload the package again." in again.content.decode()
    assert Package.objects.count() == 2


def test_skip_and_copy_answers(client_for, storage):
    academy = AcademyFactory()
    client = client_for(training_admin_of(academy))
    first = package_import(academy=academy, source=BytesIO(aicc_zip()), filename="fire.zip", by=None).course

    skipped = client.post(
        url(academy, "decide"),
        {
            "token": token_of(ask_duplicate(client, academy, aicc_zip())),
            "choice": "skip",
        },
    )
    skip_messages = flashed(skipped)
    copied = client.post(
        url(academy, "decide"),
        {
            "token": token_of(ask_duplicate(client, academy, aicc_zip())),
            "choice": "copy",
        },
    )

    copy = Course.objects.exclude(pk=first.pk).get()
    assert (skipped.status_code, skipped["Location"]) == (302, f"/a/{academy.slug}/admin/courses/{first.pk}/edit/")
    assert skip_messages == ["Skipped: 'Fire Safety' keeps its package. Nothing changed."]
    assert (copied.status_code, copied["Location"], copy.title) == (
        302,
        f"/a/{academy.slug}/admin/courses/{copy.pk}/edit/",
        "Fire Safety (copy)",
    )
    assert pending_files(storage) == []


def test_a_new_upload_replaces_the_one_waiting_and_stale_ones_are_swept(client_for, storage):
    academy = AcademyFactory()
    client = client_for(training_admin_of(academy))
    package_import(academy=academy, source=BytesIO(aicc_zip()), filename="fire.zip", by=None)
    first_token = token_of(ask_duplicate(client, academy, aicc_zip()))
    stale = storage / "var" / "pending-imports" / "left-by-someone.zip"
    stale.write_bytes(b"old")
    long_ago = time.time() - views_import.PENDING_LIFETIME_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))

    second_token = token_of(ask_duplicate(client, academy, aicc_zip()))

    assert pending_files(storage) == [f"{second_token}.zip"]
    assert list(client.session[views_import.SESSION_KEY]) == [second_token]
    old = client.post(url(academy, "decide"), {"token": first_token, "choice": "copy"})
    assert old.status_code == 400
    assert Course.objects.count() == 1


def test_a_token_works_only_in_its_own_session_and_academy(client_for, storage):
    academy = AcademyFactory()
    other = AcademyFactory()
    admin = training_admin_of(academy)
    package_import(academy=academy, source=BytesIO(aicc_zip()), filename="fire.zip", by=None)
    token = token_of(ask_duplicate(client_for(admin), academy, aicc_zip()))
    other_admin_client = client_for(training_admin_of(academy))
    other_academy_client = client_for(training_admin_of(other))

    stranger = other_admin_client.post(url(academy, "decide"), {"token": token, "choice": "copy"})
    elsewhere = other_academy_client.post(url(other, "decide"), {"token": token, "choice": "copy"})
    forged = other_admin_client.post(url(academy, "decide"), {"token": "../../secret_key", "choice": "copy"})
    no_choice = client_for(admin).post(url(academy, "decide"), {"token": token})

    assert [r.status_code for r in (stranger, elsewhere, forged, no_choice)] == [400, 400, 400, 400]
    assert (Course.objects.count(), pending_files(storage)) == (1, [f"{token}.zip"])


def test_deciding_is_a_post(client_for):
    academy = AcademyFactory()

    response = client_for(training_admin_of(academy)).get(url(academy, "decide"))

    assert response.status_code == 405


# --- Units on the course page ---------------------------------------------------------------------


def test_the_course_page_lists_the_units_with_the_learners_status(client_for):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy)
    learner = learner_in(group)
    result = package_import(
        academy=academy,
        filename="fire.zip",
        by=None,
        group=group,
        source=BytesIO(
            aicc_zip(
                aus=(
                    ("A1", "Raise the alarm", "index.html"),
                    ("A2", "Leave safely", "two.html"),
                    ("A3", "Meet outside", "three.html"),
                )
            )
        ),
    )
    units = list(result.package.units.order_by("position"))
    before = client_for(learner).get(f"/a/{academy.slug}/courses/{result.course.pk}/").content.decode()
    enrollment = enrollment_create(user=learner, course=result.course)
    now = timezone.now()
    attempt = Attempt.objects.create(
        academy=academy, enrollment=enrollment, number=1, started_at=now, status=LearningStatus.IN_PROGRESS
    )
    unit_state_record(
        state_id=unit_state_for(attempt=attempt, unit_id=units[0].pk).pk, lesson_status="passed", score_raw=Decimal(90)
    )
    unit_state_record(state_id=unit_state_for(attempt=attempt, unit_id=units[1].pk).pk, lesson_status="incomplete")

    after = client_for(learner).get(f"/a/{academy.slug}/courses/{result.course.pk}/").content.decode()

    assert '<ol class="unit-list">\n      <li>Raise the alarm</li><li>Leave safely</li><li>Meet outside</li>' in before
    assert (
        '<li>Raise the alarm <span class="pill status-passed">Passed</span></li>'
        '<li>Leave safely <span class="pill status-incomplete">Incomplete</span></li>'
        "<li>Meet outside</li>"
    ) in after


def test_a_web_link_course_page_has_no_unit_list(client_for):
    academy = AcademyFactory()
    group = GroupFactory(academy=academy)
    course = CourseFactory(academy=academy, placed_in=group)

    html = client_for(learner_in(group)).get(f"/a/{academy.slug}/courses/{course.pk}/").content.decode()

    assert "unit-list" not in html


# --- In the browser -------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_upload_shows_its_progress_and_the_question_in_a_browser(live_server, tmp_path, monkeypatch):
    """A real upload through the script: the progress bar fills, the duplicate question replaces the
    form without leaving the page, and the answer lands on the course edit page."""
    from playwright.sync_api import expect

    from tests.browser import chromium_context

    academy = AcademyFactory(slug="campus")
    GroupFactory(academy=academy, name="Sales")
    admin = training_admin_of(academy, username="dana")
    package = write(tmp_path / "safety.zip", zip_bytes({**scorm12_files(), "media/film.bin": os.urandom(6_000_000)}))
    package_import(academy=academy, source=package, filename="safety.zip", by=None)
    with chromium_context(monkeypatch, timeout_ms=20_000) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", admin.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/a/campus/admin/courses/")
        page.click("text=Import a package")
        page.evaluate("""() => {
            window.progressSeen = [];
            const bar = document.querySelector('[data-progress] progress');
            new MutationObserver(() => window.progressSeen.push(Number(bar.value))).observe(
                bar, {attributes: true, attributeFilter: ['value']});
        }""")
        page.set_input_files("#id_file", str(package))
        page.select_option("#id_group", label="\u2003Sales")
        page.click("text=Upload and import")
        expect(page.locator("#package-import h1")).to_have_text("This package is already here", timeout=20_000)
        seen = page.evaluate("() => window.progressSeen")
        assert page.url == f"{live_server.url}/a/campus/admin/courses/import/"
        page.click("text=Replace it with a new version")
        expect(page.locator(".messages")).to_contain_text("now launches version 2 of its package", timeout=20_000)
        course = Course.objects.get(academy=academy)
        assert page.url == f"{live_server.url}/a/campus/admin/courses/{course.pk}/edit/"
    assert seen[-1] == 100
    assert seen == sorted(seen)
    assert list(Package.objects.order_by("version").values_list("version", "is_current")) == [(1, False), (2, True)]
    assert sorted(Placement.objects.values_list("group__name", flat=True)) == ["Sales", "Sales"]
