import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from coursebridge.accounts.models import Role
from coursebridge.catalog.services import course_archive
from coursebridge.content.models import Unit, UnitState
from coursebridge.content.scorm_runtime import runtime_token
from coursebridge.content.tracking import unit_state_for, unit_state_record
from coursebridge.content.views import clean_package_path
from tests.content.player_helpers import runtime_config, scorm_course, started
from tests.factories import AcademyFactory, GroupFactory, learner_in, member, training_admin_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def group():
    return GroupFactory(name="Sales")


@pytest.fixture
def lena(group):
    return learner_in(group, username="lena", first_name="Lena", last_name="Berg")


@pytest.fixture
def golf(group, lena):
    """Three SCOs; Lena has started the course."""
    course, package, units = scorm_course(
        group,
        units=3,
        title="Golf explained",
        files={
            "shared/app.js": "window.ready = true;",
            "shared/style.css": "body { color: green; }",
            "sco1/pic.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        },
    )
    attempt = started(lena, course)
    return {"course": course, "package": package, "units": units, "attempt": attempt}


def player_url(slug, attempt, unit=None):
    url = reverse("web:player", args=[slug, attempt.pk])
    return f"{url}?unit={unit.pk}" if unit is not None else url


def launch_url(slug, attempt, unit):
    return reverse("web:unit_launch", args=[slug, attempt.pk, unit.pk])


def file_url(slug, package, path):
    return reverse("web:package_file", args=[slug, package.pk, path])


def commit_url(slug, attempt, unit):
    return reverse("web:scorm_commit", args=[slug, attempt.pk, unit.pk])


def toc(html):
    """(title, status label, current?) of each unit in the table of contents."""
    rows = re.findall(
        r'<li class="toc-unit( current)?" data-unit="\d+">\s*<a [^>]*>([^<]+)</a>\s*'
        r'<span class="pill [^"]+" data-status>([^<]+)</span>',
        html,
    )
    return [(title, label, bool(current)) for current, title, label in rows]


def finish(attempt, unit, status="completed"):
    state = unit_state_for(attempt=attempt, unit_id=unit.pk)
    unit_state_record(state_id=state.pk, lesson_status=status)
    return state


# --- The player page --------------------------------------------------------------------------------


def test_the_player_shows_the_course_its_units_and_opens_the_first_unit_not_finished(client_for, lena, golf):
    slug, attempt, units = lena.academy.slug, golf["attempt"], golf["units"]
    finish(attempt, units[0], "passed")

    response = client_for(lena).get(player_url(slug, attempt))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Golf explained</h1>" in html
    assert toc(html) == [
        ("Lesson 1", "Passed", False),
        ("Lesson 2", "Not started", True),
        ("Lesson 3", "Not started", False),
    ]
    assert f'src="{launch_url(slug, attempt, units[1])}"' in html
    assert f'href="{player_url(slug, attempt, units[0])}" rel="prev"' in html
    assert f'href="{player_url(slug, attempt, units[2])}" rel="next"' in html
    assert response["Cache-Control"] == "no-store"


def test_the_player_opens_the_unit_asked_for_and_the_last_has_no_next(client_for, lena, golf):
    slug, attempt, units = lena.academy.slug, golf["attempt"], golf["units"]

    html = client_for(lena).get(player_url(slug, attempt, units[2])).content.decode()

    assert [current for _, _, current in toc(html)] == [False, False, True]
    assert f'href="{player_url(slug, attempt, units[1])}" rel="prev"' in html
    assert 'rel="next"' not in html
    assert '<span class="btn disabled" aria-disabled="true">Next \u203a</span>' in html


def test_when_every_unit_is_finished_the_player_opens_the_first(client_for, lena, golf):
    for unit in golf["units"]:
        finish(golf["attempt"], unit)

    html = client_for(lena).get(player_url(lena.academy.slug, golf["attempt"])).content.decode()

    assert toc(html) == [
        ("Lesson 1", "Completed", True),
        ("Lesson 2", "Completed", False),
        ("Lesson 3", "Completed", False),
    ]


def test_a_single_unit_package_has_no_previous_or_next(client_for, group, lena):
    course, _, _ = scorm_course(group, units=1)
    attempt = started(lena, course)

    html = client_for(lena).get(player_url(lena.academy.slug, attempt)).content.decode()

    assert len(toc(html)) == 1
    assert "Previous" not in html and "Next \u203a" not in html


def test_a_unit_of_another_package_or_a_bad_unit_is_not_found(client_for, group, lena, golf):
    _, _, others = scorm_course(group, units=1)
    client = client_for(lena)

    for query in (f"?unit={others[0].pk}", "?unit=abc", "?unit="):
        response = client.get(reverse("web:player", args=[lena.academy.slug, golf["attempt"].pk]) + query)
        assert response.status_code == 404, query


def test_the_scorm12_player_carries_the_runtime_with_a_working_token(client_for, lena, golf):
    slug, attempt, units = lena.academy.slug, golf["attempt"], golf["units"]

    html = client_for(lena).get(player_url(slug, attempt)).content.decode()
    config = runtime_config(html)

    assert (config["version"], config["unitId"]) == ("1.2", units[0].pk)
    assert config["commitUrl"] == commit_url(slug, attempt, units[0])
    assert config["initial"]["cmi.core.student_name"] == "Berg, Lena"
    assert config["initial"]["cmi.core.entry"] == "ab-initio"
    assert html.index('id="scorm-runtime"') < html.index("content/scorm-api.js") < html.index("<iframe")
    response = client_for(lena).post(
        config["commitUrl"],
        json.dumps(
            {
                "token": config["token"],
                "seq": 1,
                "elements": {"cmi.core.lesson_status": "incomplete"},
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert UnitState.objects.get(attempt=attempt, unit=units[0]).lesson_status == "incomplete"


def test_the_scorm2004_player_declares_its_version(client_for, group, lena):
    course, _, _ = scorm_course(group, format="scorm2004")
    attempt = started(lena, course)

    config = runtime_config(client_for(lena).get(player_url(lena.academy.slug, attempt)).content.decode())

    assert config["version"] == "2004"
    assert config["initial"]["cmi.completion_status"] == "unknown"


def test_an_aicc_player_has_no_scorm_runtime_and_its_unit_launch_goes_to_the_au(client_for, group, lena):
    course, package, units = scorm_course(group, format="aicc")
    attempt = started(lena, course)
    client = client_for(lena)

    html = client.get(player_url(lena.academy.slug, attempt)).content.decode()
    response = client.get(launch_url(lena.academy.slug, attempt, units[0]))

    assert runtime_config(html) == {}
    assert "Open it in a new window" in html
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        "http://testserver" + file_url(lena.academy.slug, package, "sco1/index.html")
    )
    assert query["aicc_url"] == ["http://testserver" + reverse("content:hacp")]
    assert len(query["aicc_sid"][0]) == 32
    assert UnitState.objects.get(attempt=attempt, unit=units[0]).aicc_sessions.count() == 1


# --- Who may play ------------------------------------------------------------------------------------


def test_only_the_attempts_own_learner_opens_the_player(client_for, group, lena, golf):
    slug, attempt, units = lena.academy.slug, golf["attempt"], golf["units"]
    colleague = learner_in(group)
    started(colleague, golf["course"])
    admin = training_admin_of(group.academy)
    other = AcademyFactory()
    outsider = training_admin_of(other)

    for user in (colleague, admin):
        client = client_for(user)
        for address in (player_url(slug, attempt), launch_url(slug, attempt, units[0])):
            assert client.get(address).status_code == 404, (user, address)
    for address in (
        player_url(other.slug, attempt),
        launch_url(other.slug, attempt, units[0]),
        player_url(slug, attempt),
    ):
        assert client_for(outsider).get(address).status_code == 404, address
    anonymous = Client().get(player_url(slug, attempt))
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/accounts/login/?next={player_url(slug, attempt)}")


def test_an_archived_course_is_refused_at_the_player_and_at_every_unit_launch(client_for, lena, golf):
    slug, attempt, units = lena.academy.slug, golf["attempt"], golf["units"]
    course_archive(course=golf["course"], reason="replaced by a newer course")
    client = client_for(lena)

    for address in (player_url(slug, attempt), launch_url(slug, attempt, units[1])):
        response = client.get(address)
        html = response.content.decode()
        assert response.status_code == 403, address
        assert "This course cannot be started" in html
        assert (
            "'Golf explained' is archived. Your progress is kept, and you can finish the course once it is reactivated."
        ) in html.replace("&#x27;", "'")


def test_a_course_without_a_current_package_is_refused(client_for, lena, golf):
    golf["package"].is_current = False
    golf["package"].save()

    response = client_for(lena).get(player_url(lena.academy.slug, golf["attempt"]))

    assert response.status_code == 403
    assert "has no package to play yet" in response.content.decode()


# --- Unit launch --------------------------------------------------------------------------------------


def test_a_sco_launches_as_its_package_file_with_the_item_parameters(client_for, lena, golf):
    slug, attempt, units, package = lena.academy.slug, golf["attempt"], golf["units"], golf["package"]
    Unit.objects.filter(pk=units[0].pk).update(launch="sco1/index.html?lang=en#intro", parameters="?mode=1")
    client = client_for(lena)

    framed = client.get(launch_url(slug, attempt, units[0]), headers={"Sec-Fetch-Dest": "iframe"})
    on_its_own = client.get(launch_url(slug, attempt, units[0]), headers={"Sec-Fetch-Dest": "document"})

    assert (framed.status_code, framed["Location"]) == (
        302,
        file_url(slug, package, "sco1/index.html") + "?lang=en&mode=1#intro",
    )
    assert (on_its_own.status_code, on_its_own["Location"]) == (302, player_url(slug, attempt, units[0]))


def test_an_asset_launch_marks_it_completed(client_for, group, lena):
    course, package, units = scorm_course(group, units=1, assets=1)
    attempt = started(lena, course)

    response = client_for(lena).get(
        launch_url(lena.academy.slug, attempt, units[1]), headers={"Sec-Fetch-Dest": "document"}
    )

    assert (response.status_code, response["Location"]) == (
        302,
        file_url(lena.academy.slug, package, "asset1/index.html"),
    )
    assert UnitState.objects.get(attempt=attempt, unit=units[1]).lesson_status == "completed"
    attempt.refresh_from_db()
    assert attempt.status == "in_progress"  # assets do not finish a course; its SCO does


def test_a_remote_unit_launches_at_its_address_and_other_schemes_are_refused(client_for, lena, golf):
    slug, attempt, units = lena.academy.slug, golf["attempt"], golf["units"]
    Unit.objects.filter(pk=units[0].pk).update(
        launch="https://cdn.example.net/golf/start.html", is_remote=True, parameters="lang=en"
    )
    Unit.objects.filter(pk=units[1].pk).update(launch="javascript:alert(1)", is_remote=True)
    client = client_for(lena)

    remote = client.get(launch_url(slug, attempt, units[0]))
    script = client.get(launch_url(slug, attempt, units[1]))

    assert (remote.status_code, remote["Location"]) == (302, "https://cdn.example.net/golf/start.html?lang=en")
    assert script.status_code == 404


# --- Package files ----------------------------------------------------------------------------------


def test_package_files_are_served_to_the_learner_with_their_type_and_safe_headers(client_for, lena, golf):
    slug, package = lena.academy.slug, golf["package"]
    client = client_for(lena)

    page = client.get(file_url(slug, package, "sco1/index.html"))
    script = client.get(file_url(slug, package, "shared/app.js"))
    style = client.get(file_url(slug, package, "shared/style.css"))
    picture = client.get(file_url(slug, package, "sco1/pic.svg"))

    assert page.status_code == 200
    assert b"".join(page.streaming_content) == b"<!doctype html><title>Lesson 1</title>"
    assert [r["Content-Type"] for r in (page, script, style, picture)] == [
        "text/html",
        "text/javascript",
        "text/css",
        "image/svg+xml",
    ]
    assert (page["X-Content-Type-Options"], page["X-Frame-Options"], page["Content-Security-Policy"]) == (
        "nosniff",
        "SAMEORIGIN",
        "frame-ancestors 'self'",
    )


def test_package_files_go_to_admins_and_learners_with_an_attempt_only(client_for, group, lena, golf):
    slug, package = lena.academy.slug, golf["package"]
    address = file_url(slug, package, "sco1/index.html")
    group_admin = learner_in(group)
    member(group_admin, group, Role.GROUP_ADMIN)
    other = AcademyFactory()

    assert client_for(training_admin_of(group.academy)).get(address).status_code == 200
    assert client_for(group_admin).get(address).status_code == 200
    assert client_for(learner_in(group)).get(address).status_code == 404
    outsider = client_for(training_admin_of(other))
    assert outsider.get(address).status_code == 404
    assert outsider.get(file_url(other.slug, package, "sco1/index.html")).status_code == 404
    assert Client().get(address).status_code == 302


def test_package_paths_cannot_leave_the_package(client_for, group, lena, golf):
    slug, package = lena.academy.slug, golf["package"]
    _, neighbour, _ = scorm_course(group, files={"secret.html": "neighbour's secret"})
    default_storage.save("secret.html", ContentFile(b"storage root secret"))
    neighbour_folder = neighbour.storage_prefix.rstrip("/").rsplit("/", 1)[1]
    client = client_for(lena)
    base = reverse("web:package_file", args=[slug, package.pk, "x"])[:-1]

    for path in (
        "../secret.html",
        f"../{neighbour_folder}/secret.html",
        "sco1/../../secret.html",
        "../../../secret.html",
        "%2e%2e/secret.html",
        "sco1/%2e%2e/%2e%2e/secret.html",
        "..%2fsecret.html",
        "..%5csecret.html",
        "/etc/passwd",
        "%2fetc%2fpasswd",
        "sco1/..%5c..%5csecret.html",
        "sco1",
        "sco1/",
        "missing.html",
        "sco1/index.html%00.txt",
        ".",
    ):
        response = client.get(base + path)
        assert response.status_code == 404, path
    assert client.get(base + "sco1/./index.html").status_code == 200


def test_clean_package_path():
    assert clean_package_path("a/b/../c.html") is None
    assert clean_package_path("a/./c.html") == "a/c.html"
    assert clean_package_path("a//c.html") == "a/c.html"
    for bad in ("", "/a", "..", "../a", "a\\b", "a\x00", "."):
        assert clean_package_path(bad) is None, bad


def test_another_academys_package_files_are_not_found_even_for_its_own_ids(client_for, golf):
    other = AcademyFactory()
    other_group = GroupFactory(academy=other)
    stranger = learner_in(other_group)
    _, other_package, _ = scorm_course(other_group)
    client = client_for(stranger)

    assert client.get(file_url(other.slug, golf["package"], "sco1/index.html")).status_code == 404
    assert client.get(file_url(golf["course"].academy.slug, other_package, "sco1/index.html")).status_code == 404


# --- The commit endpoint ------------------------------------------------------------------------------


def launched(client, slug, attempt, unit=None):
    return runtime_config(client.get(player_url(slug, attempt, unit)).content.decode())


def post(client, url, body, content_type="application/json"):
    return client.post(url, body if isinstance(body, str) else json.dumps(body), content_type=content_type)


def test_a_commit_answers_with_the_unit_and_the_attempt(client_for, lena, golf):
    client = client_for(lena)
    config = launched(client, lena.academy.slug, golf["attempt"])

    response = post(
        client,
        config["commitUrl"],
        {
            "token": config["token"],
            "seq": 1,
            "terminated": True,
            "elements": {
                "cmi.core.lesson_status": "passed",
                "cmi.core.score.raw": "90",
                "cmi.core.session_time": "0000:00:42",
            },
        },
    )

    assert response.status_code == 200
    assert response.json() == {
        "applied": True,
        "seq": 1,
        "unit": {
            "id": golf["units"][0].pk,
            "status": "passed",
            "label": "Passed",
            "progress": 100,
            "total_time_seconds": 42,
        },
        "attempt": {"status": "in_progress", "progress": 33, "score": 90.0, "time_spent_seconds": 42},
    }


def test_a_beacon_posted_as_text_is_accepted_and_a_replay_is_ignored(client_for, lena, golf):
    client = client_for(lena)
    config = launched(client, lena.academy.slug, golf["attempt"])
    body = {"token": config["token"], "seq": 3, "elements": {"cmi.core.lesson_location": "7"}}

    first = post(client, config["commitUrl"], body, content_type="text/plain;charset=UTF-8")
    replay = post(client, config["commitUrl"], {**body, "seq": 2, "elements": {"cmi.core.lesson_location": "1"}})

    assert (first.status_code, first.json()["applied"]) == (200, True)
    assert (replay.status_code, replay.json()["applied"], replay.json()["seq"]) == (200, False, 3)
    assert UnitState.objects.get(attempt=golf["attempt"], unit=golf["units"][0]).location == "7"


def test_commit_errors_are_clear_json(client_for, lena, golf):
    client = client_for(lena)
    slug, attempt, units = lena.academy.slug, golf["attempt"], golf["units"]
    config = launched(client, slug, attempt)
    url = config["commitUrl"]
    second = launched(client, slug, attempt, units[1])

    cases = [
        (post(client, url, "{not json"), 400, "malformed_json", "The commit is not valid JSON.", None),
        (
            post(client, url, {"token": config["token"], "seq": 0, "elements": {}}),
            400,
            "validation_error",
            "The commit is not valid: Input should be greater than or equal to 1.",
            "seq",
        ),
        (
            post(client, url, {"token": config["token"], "seq": 1, "elements": {"cmi.core.lesson_status": "done"}}),
            400,
            "invalid",
            'cmi.core.lesson_status must be one of "passed", "completed", "failed", "incomplete", "browsed".',
            "cmi.core.lesson_status",
        ),
        (
            post(client, url, {"token": "forged", "seq": 1, "elements": {}}),
            403,
            "forbidden",
            "The launch token is not valid. Reload the page to continue.",
            "token",
        ),
        (
            post(client, url, {"token": second["token"], "seq": 1, "elements": {}}),
            403,
            "forbidden",
            "The launch token belongs to another unit. Reload the page.",
            "token",
        ),
        (
            post(Client(), url, {"token": config["token"], "seq": 1, "elements": {}}),
            401,
            "unauthenticated",
            "Your session has ended. Sign in again, then reload the player.",
            None,
        ),
    ]

    for response, status, code, message, field in cases:
        assert response.status_code == status, response.content
        assert response.json() == {"error": {"code": code, "message": message, "field": field}}
    assert client.get(url).status_code == 405
    assert UnitState.objects.get(attempt=attempt, unit=units[0]).sessions == 0


def test_no_one_but_the_learner_commits_to_the_attempt_even_with_its_token(client_for, lena, golf, group):
    slug, attempt, units = lena.academy.slug, golf["attempt"], golf["units"]
    state = unit_state_for(attempt=attempt, unit_id=units[0].pk)
    _, token = runtime_token(state=state, user=lena)
    body = {"token": token, "seq": 1, "elements": {"cmi.core.lesson_status": "failed"}}
    other = AcademyFactory()

    for user, academy_slug in (
        (learner_in(group), slug),
        (training_admin_of(group.academy), slug),
        (training_admin_of(other), other.slug),
        (training_admin_of(other), slug),
    ):
        response = post(client_for(user), commit_url(academy_slug, attempt, units[0]), body)
        assert response.status_code == 404, user
        assert response.json()["error"]["code"] == "not_found"
    unknown_unit = post(client_for(lena), commit_url(slug, attempt, units[2]), body)
    assert unknown_unit.status_code == 404
    assert UnitState.objects.get(pk=state.pk).lesson_status == "not attempted"


def test_the_state_endpoint_gives_the_initial_values_as_they_are_now(client_for, lena, golf, group):
    client = client_for(lena)
    config = launched(client, lena.academy.slug, golf["attempt"])
    post(client, config["commitUrl"], {"token": config["token"], "seq": 1, "elements": {
        "cmi.core.lesson_location": "12", "cmi.core.exit": "suspend"}})
    state_url = config["stateUrl"]

    now = post(client, state_url, {"token": config["token"]})
    forged = post(client, state_url, {"token": "forged"})
    extra = post(client, state_url, {"token": config["token"], "seq": 1})
    colleague = post(client_for(learner_in(group)), state_url, {"token": config["token"]})

    assert config["initial"]["cmi.core.lesson_location"] == ""
    assert now.status_code == 200
    assert (now.json()["initial"]["cmi.core.lesson_location"], now.json()["initial"]["cmi.core.entry"]) == (
        "12", "resume",
    )
    assert (forged.status_code, forged.json()["error"]["code"]) == (403, "forbidden")
    assert (extra.status_code, extra.json()["error"]["field"]) == (400, "seq")
    assert (colleague.status_code, colleague.json()["error"]["code"]) == (404, "not_found")
    assert client.get(state_url).status_code == 405
