"""Every page of the UI, taken from the URL resolver so new pages are covered as they are added,
is requested by a training admin of academy A with academy B's slug and ids: the answer is a
refusal (403 or 404), B's data never shows, and nothing of B changes."""

from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from coursebridge.accounts.models import ApiToken, Group, Membership, User
from coursebridge.accounts.services import api_token_create
from coursebridge.catalog.models import Category, Course, CourseKind, CourseStatusChange, Placement
from coursebridge.connectors.models import Connection, SyncRun
from coursebridge.connectors.services import connection_create
from coursebridge.content.models import Package, Unit, UnitState
from coursebridge.core.models import Job
from coursebridge.learning.models import Attempt, Enrollment
from coursebridge.learning.services import launch_course
from coursebridge.programs.models import Participant, Program, ProgramStep, Session
from coursebridge.programs.services import program_create, program_step_add, session_create, session_participant_add
from coursebridge.records.models import CreditType, ImportLock, ImportRun
from tests.factories import AcademyFactory, CategoryFactory, CourseFactory, GroupFactory, learner_in, training_admin_of

pytestmark = pytest.mark.django_db

MARKER = "zz-beta"
REFUSED = {403, 404}
WRONG_METHOD = 405
# What a careless view would write if it took B's ids: every form field the pages know.
POST_DATA = {
    "name": "hijacked", "reason": "hijacked", "title": "hijacked", "username": "hijacked", "role": "learner",
    "launch_url": "https://hijacked.example.org/", "visibility": "visible", "tags": "hijacked",
}
# Pages that are not about one academy: they must simply never show B's data.
ACADEMY_FREE = {"home", "login", "logout", "academy_list"}
MUST_COVER = {
    "catalogue", "course_detail", "course_start", "transcript", "token_list", "token_revoke", "group_list",
    "group_add_child", "group_rename", "group_delete", "user_list", "user_new", "user_detail", "membership_add",
    "membership_revoke", "course_list", "course_new", "course_edit", "course_placements", "course_archive",
    "course_deactivate", "course_reactivate", "category_list", "category_new", "category_rename",
    "category_delete", "attempt_detail", "player", "unit_launch", "package_file", "scorm_commit",
    "scorm_state", "connection_list", "connection_new", "connection_edit", "connection_test", "connection_sync",
    "connection_runs", "connection_unmatched",
    "my_programs", "session_detail", "session_step_start", "program_list", "program_detail",
    "program_step_add", "program_step_move", "program_step_remove", "session_create", "session_admin",
    "participant_add", "participant_remove", "session_edit", "dashboard", "activity_report", "activity_export",
}


def web_patterns():
    """(name, kwarg names) of every named page under coursebridge.web.urls, includes followed."""
    found = []

    def walk(patterns, inherited):
        for entry in patterns:
            names = inherited | set(entry.pattern.converters)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, names)
            elif isinstance(entry, URLPattern) and entry.name:
                found.append((entry.name, names - set(entry.default_args)))

    walk(get_resolver("coursebridge.web.urls").url_patterns, set())
    return found


@pytest.fixture
def beta(settings, tmp_path):
    """Academy B with one of everything, each named with the marker."""
    settings.MEDIA_ROOT = tmp_path / "media"
    academy = AcademyFactory(slug=f"{MARKER}-academy", name=f"{MARKER} Academy")
    group = GroupFactory(academy=academy, name=f"{MARKER} group")
    learner = learner_in(group, username=f"{MARKER}-learner", first_name=MARKER, email=f"{MARKER}@example.org")
    category = CategoryFactory(academy=academy, name=f"{MARKER} category")
    course = CourseFactory(academy=academy, title=f"{MARKER} course", description=MARKER, placed_in=group)
    course.categories.add(category)
    launch_course(user=learner, course=course)
    token, _ = api_token_create(user=learner, name=f"{MARKER} token")
    connection = connection_create(academy=academy, provider="openclassrooms", group=group,
                                   credentials={"client_id": MARKER}, api_url=f"http://127.0.0.1:9/{MARKER}")
    # A package course with a stored file: the player's units and the package files.
    package_course = CourseFactory(academy=academy, kind=CourseKind.PACKAGE, launch_url="", title=f"{MARKER} package",
                                   placed_in=group)
    package = Package.objects.create(academy=academy, course=package_course, format="scorm12", identifier=MARKER,
                                     title=MARKER, storage_prefix=f"packages/{MARKER}/")
    unit = Unit.objects.create(package=package, position=0, identifier=MARKER, title=MARKER, launch="index.html")
    default_storage.save(f"{package.storage_prefix}index.html", ContentFile(f"<p>{MARKER}</p>".encode()))
    run = ImportRun.objects.create(academy=academy, scope="course", course=course, file_name=f"{MARKER}.csv")
    credit_type = CreditType.objects.create(academy=academy, machine_name="zz_beta", name=f"{MARKER} credit")
    lock = ImportLock.objects.create(academy=academy, key=f"course:{course.pk}", run=run, holder=MARKER,
                                     acquired_at=run.created_at, heartbeat_at=run.created_at,
                                     lease_until=run.created_at + timedelta(hours=1))
    # A program session the learner follows.
    program = program_create(academy=academy, title=f"{MARKER} program")
    step = program_step_add(program=program, course=course)
    session = session_create(program=program, name=f"{MARKER} session", starts_on=date(2020, 1, 1),
                             ends_on=date(2099, 1, 1))
    participant = session_participant_add(session=session, user=learner)
    return {
        "run": run, "lock": lock, "credit_type": credit_type,
        "academy": academy, "group": group, "user": learner, "category": category, "course": course,
        "token": token, "membership": Membership.objects.get(user=learner), "package": package, "unit": unit,
        "connection": connection,
        "program": program, "step": step, "session": session, "participant": participant,
    }


def snapshot(academy):
    """Everything of B a page could change."""
    return {
        "courses": sorted(Course.objects.filter(academy=academy).values_list("id", "title", "status", "visibility")),
        "changes": CourseStatusChange.objects.filter(course__academy=academy).count(),
        "placements": sorted(Placement.objects.filter(academy=academy).values_list("group_id", "course_id", "kind")),
        "groups": sorted(Group.objects.filter(academy=academy).values_list("id", "name", "path")),
        "categories": sorted(Category.objects.filter(academy=academy).values_list("id", "name", "parent_id")),
        "users": sorted(User.objects.filter(academy=academy).values_list("id", "username", "is_active")),
        "memberships": sorted(Membership.objects.filter(group__academy=academy).values_list("user_id", "group_id",
                                                                                            "role")),
        "tokens": sorted(ApiToken.objects.filter(user__academy=academy).values_list("id", "revoked_at")),
        "enrollments": Enrollment.objects.filter(academy=academy).count(),
        "attempts": Attempt.objects.filter(academy=academy).count(),
        "tags": sorted(Course.tags.through.objects.filter(course__academy=academy).values_list("tag_id", flat=True)),
        "import_runs": sorted(ImportRun.objects.filter(academy=academy).values_list("id", "status")),
        "import_locks": sorted(ImportLock.objects.filter(academy=academy).values_list("id", "released", "lease_until")),
        "credit_types": sorted(CreditType.objects.filter(academy=academy).values_list("id", "machine_name", "name",
                                                                                      "unit")),
        "unit_states": sorted(UnitState.objects.filter(academy=academy).values_list("id", "lesson_status",
                                                                                   "total_time_seconds")),
        "connections": sorted(Connection.objects.filter(academy=academy).values_list("id", "group_id", "credentials",
                                                                                     "lease_until")),
        "sync_runs": SyncRun.objects.filter(academy=academy).count(),
        "programs": sorted(Program.objects.filter(academy=academy).values_list("id", "title", "order")),
        "steps": sorted(ProgramStep.objects.filter(academy=academy).values_list("id", "course_id", "position")),
        "sessions": sorted(Session.objects.filter(academy=academy).values_list("id", "name", "ends_on")),
        "participants": sorted(Participant.objects.filter(academy=academy).values_list("id", "user_id", "group_id")),
    }


def fill(kwarg_names, slug, beta):
    values = {
        "slug": slug, "course_id": beta["course"].pk, "group_id": beta["group"].pk, "user_id": beta["user"].pk,
        "category_id": beta["category"].pk, "membership_id": beta["membership"].pk, "token_id": beta["token"].pk,
        "attempt_id": Attempt.objects.filter(academy=beta["academy"]).values_list("pk", flat=True).first(),
        "unit_id": beta["unit"].pk, "package_id": beta["package"].pk, "path": "index.html",
        "run_id": beta["run"].pk, "lock_id": beta["lock"].pk, "credit_type_id": beta["credit_type"].pk,
        "connection_id": beta["connection"].pk,
        "program_id": beta["program"].pk, "step_id": beta["step"].pk, "session_id": beta["session"].pk,
        "participant_id": beta["participant"].pk,
    }
    unknown = kwarg_names - set(values)
    assert not unknown, f"teach this test how to fill {sorted(unknown)} with academy B's ids"
    return {name: values[name] for name in kwarg_names}


def client_as(user):
    client = Client()
    client.force_login(user)
    return client


def assert_refused(address, responses):
    statuses = {method: r.status_code for method, r in responses.items()}
    assert set(statuses.values()) <= REFUSED | {WRONG_METHOD}, (address, statuses)
    assert set(statuses.values()) & REFUSED, (address, statuses)
    for method, response in responses.items():
        assert MARKER not in response.content.decode().lower(), (method, address)


def request_both(admin, address, beta):
    extra = {"group": beta["group"].pk, "parent": beta["category"].pk, "catalogue": [beta["group"].pk],
             "library": [beta["group"].pk], "categories": [beta["category"].pk], "course": beta["course"].pk,
             "user": beta["user"].pk, "direction": "up", "format": "csv"}
    return {
        "GET": client_as(admin).get(address),
        "POST": client_as(admin).post(address, {**POST_DATA, **extra}),
        "POST htmx": client_as(admin).post(address, {**POST_DATA, **extra}, headers={"HX-Request": "true"}),
    }


def test_the_walk_covers_every_page():
    names = {name for name, _ in web_patterns()}

    assert names >= MUST_COVER | ACADEMY_FREE


def test_a_training_admin_of_a_cannot_enter_academy_b_through_any_page(beta):
    alpha = AcademyFactory(slug="alpha", name="Alpha Academy")
    admin = training_admin_of(alpha)
    before = snapshot(beta["academy"])
    checked = 0

    for name, kwarg_names in web_patterns():
        if "slug" not in kwarg_names:
            continue
        address = reverse(f"web:{name}", kwargs=fill(kwarg_names, beta["academy"].slug, beta))
        assert_refused(address, request_both(admin, address, beta))
        checked += 1

    assert checked >= len(MUST_COVER)
    assert snapshot(beta["academy"]) == before


def test_academy_b_ids_under_academy_a_are_not_found(beta):
    alpha = AcademyFactory(slug="alpha", name="Alpha Academy")
    admin = training_admin_of(alpha)
    before = snapshot(beta["academy"])
    checked = 0

    for name, kwarg_names in web_patterns():
        if "slug" not in kwarg_names or kwarg_names == {"slug"}:
            continue
        address = reverse(f"web:{name}", kwargs=fill(kwarg_names, alpha.slug, beta))
        assert_refused(address, request_both(admin, address, beta))
        checked += 1

    assert checked >= 16
    assert snapshot(beta["academy"]) == before


def test_academy_a_forms_refuse_references_to_academy_b(beta):
    """A's own create pages, posted with B's group, category and parent ids, do nothing to B."""
    alpha = AcademyFactory(slug="alpha", name="Alpha Academy")
    admin = training_admin_of(alpha)
    before = snapshot(beta["academy"])
    extra = {"group": beta["group"].pk, "groups": [beta["group"].pk], "parent": beta["category"].pk,
             "categories": [beta["category"].pk], "course": beta["course"].pk, "user": beta["user"].pk,
             "format": "csv"}

    for name, kwarg_names in web_patterns():
        if kwarg_names != {"slug"}:
            continue
        address = reverse(f"web:{name}", kwargs={"slug": alpha.slug})
        response = client_as(admin).post(address, {**POST_DATA, **extra})
        # Success only where posting is the admin's own business: their API tokens, an export of A's courses.
        expected = {"token_list": {200}, "course_export": {302}}.get(name, {400, 405})
        assert response.status_code in expected, (address, response)
        assert MARKER not in response.content.decode().lower(), address

    assert snapshot(beta["academy"]) == before
    assert not Course.objects.filter(title="hijacked").exists()
    assert not User.objects.filter(username="hijacked").exists()
    assert set(Job.objects.values_list("academy_id", flat=True)) == {alpha.pk}


def test_pages_outside_any_academy_never_show_academy_b(beta):
    admin = training_admin_of(AcademyFactory(slug="alpha", name="Alpha Academy"))
    before = snapshot(beta["academy"])

    for name, kwarg_names in web_patterns():
        if "slug" in kwarg_names:
            continue
        assert name in ACADEMY_FREE, f"{name} is outside /a/<slug>/: decide how it is isolated and test it"
        address = reverse(f"web:{name}", kwargs=fill(kwarg_names, "", beta))
        for method, response in request_both(admin, address, beta).items():
            assert response.status_code < 500, (method, address)
            assert MARKER not in response.content.decode().lower(), (method, address)

    assert snapshot(beta["academy"]) == before


def test_academy_pages_on_academy_a_itself_still_work(beta):
    """The refusals above are about B: the same admin is served on A's own pages."""
    alpha = AcademyFactory(slug="alpha", name="Alpha Academy")
    admin = training_admin_of(alpha)

    for name in ("catalogue", "transcript", "group_list", "user_list", "course_list", "category_list",
                 "connection_list", "connection_new", "my_programs", "program_list", "dashboard", "activity_report"):
        response = client_as(admin).get(reverse(f"web:{name}", kwargs={"slug": alpha.slug}))
        assert response.status_code == 200, name
        assert MARKER not in response.content.decode().lower(), name


# The content endpoints outside any academy (mounted at /content/): the aicc_sid is their only
# credential, so what stands for isolation is that nothing but a live session id opens a session.
CONTENT_ACADEMY_FREE = {"hacp"}


def test_content_endpoints_outside_any_academy_are_known():
    from coursebridge.content.urls import urlpatterns

    assert {entry.name for entry in urlpatterns} == CONTENT_ACADEMY_FREE


def test_the_hacp_endpoint_gives_academy_b_sessions_to_no_one_else(beta):
    """Anyone (signed in to A, or not at all) posting what could be known of B's session (its
    stored hash, its row id, the unit state's id, a near miss of the id) gets error 3, and B's
    tracking does not change."""
    from coursebridge.content.aicc_runtime import new_session, sid_hash
    from coursebridge.content.models import AiccSession, Package, Unit, UnitState

    attempt = Attempt.objects.get(academy=beta["academy"])
    package = Package.objects.create(academy=beta["academy"], course=beta["course"], format="aicc",
                                     identifier=MARKER, title=MARKER)
    unit = Unit.objects.create(package=package, position=0, identifier="A1", title=MARKER, launch="index.html")
    state = UnitState.objects.create(academy=beta["academy"], attempt=attempt, unit=unit)
    sid = new_session(state=state)
    session = AiccSession.objects.get(sid_hash=sid_hash(sid))
    admin = training_admin_of(AcademyFactory(slug="alpha", name="Alpha Academy"))
    before = snapshot(beta["academy"])

    for client in (Client(), client_as(admin)):
        for guess in (session.sid_hash, str(session.pk), str(state.pk), sid[:-1], sid.upper() + "0", ""):
            for command in ("GetParam", "PutParam", "PutInteractions", "ExitAU"):
                response = client.post(reverse("content:hacp"), {
                    "command": command, "session_id": guess,
                    "aicc_data": "[Core]\r\nLesson_Status=passed\r\nTime=01:00:00",
                })
                assert response.status_code == 200
                assert response.content.decode() == "error=3\r\nerror_text=Invalid Session ID\r\n", (guess, command)

    state.refresh_from_db()
    assert (state.lesson_status, state.total_time_seconds, state.sessions, state.data) == ("not attempted", 0, 0, {})
    assert AiccSession.objects.get(pk=session.pk).got_params is False
    assert snapshot(beta["academy"]) == before
