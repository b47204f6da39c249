"""Package courses made directly in the database (no zip), a learner's started attempt on them,
HACP sessions, and a reader for HACP replies: what the tracking, HACP and admin view tests share."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from coursebridge.accounts.models import Group, User
from coursebridge.catalog.models import Course, CourseKind
from coursebridge.content import hacp
from coursebridge.content.aicc_runtime import hacp_handle, new_session
from coursebridge.content.models import AiccSession, Package, Unit, UnitState
from coursebridge.content.tracking import unit_state_for
from coursebridge.learning.models import Attempt, LearningStatus
from coursebridge.learning.services import enrollment_create
from tests.factories import CourseFactory, learner_in

HACP_PATH = "/content/hacp"


def package_course(
    group: Group,
    *,
    units: int = 1,
    mastery: Decimal | None = None,
    au_password: str = "",
    remote: bool = False,
    parameters: str = "",
    identifier: str = "COURSE-1",
    assets: int = 0,
) -> tuple[Course, Package, list[Unit]]:
    """An AICC package course placed in the group's catalogue, with `units` AUs (then `assets`
    units that are not SCOs)."""
    course = CourseFactory(academy=group.academy, kind=CourseKind.PACKAGE, launch_url="", placed_in=group)
    package = Package.objects.create(
        academy=group.academy,
        course=course,
        format="aicc",
        identifier=identifier,
        title=course.title,
        storage_prefix="" if remote else f"packages/{group.academy_id}/test/",
    )
    made = []
    for position in range(units + assets):
        made.append(
            Unit.objects.create(
                package=package,
                position=position,
                identifier=f"A{position + 1}",
                title=f"Unit {position + 1}",
                launch=(
                    f"https://au.example.net/course/unit{position + 1}.html"
                    if remote
                    else f"au{position + 1}/index.html"
                ),
                is_remote=remote,
                parameters=parameters,
                mastery_score=mastery,
                au_password=au_password,
                core_vendor="lang=en" if position == 0 else "",
                max_time_allowed="00:30:00",
                time_limit_action="C,N",
                is_sco=position < units,
            )
        )
    return course, package, made


def started_attempt(learner: User, course: Course) -> Attempt:
    """An attempt in progress, as START records it (without opening the player)."""
    enrollment = enrollment_create(user=learner, course=course)
    now = timezone.now()
    number = enrollment.attempts.count() + 1
    return Attempt.objects.create(
        academy_id=course.academy_id,
        enrollment=enrollment,
        number=number,
        started_at=now,
        status=LearningStatus.IN_PROGRESS,
        first_activity_at=now,
        last_activity_at=now,
    )


def state_of(attempt: Attempt, unit: Unit) -> UnitState:
    return unit_state_for(attempt=attempt, unit_id=unit.pk)


def open_session(learner: User, course: Course, unit: Unit | None = None) -> tuple[str, UnitState]:
    """Start the course as the learner and open an HACP session on its first (or the given) unit."""
    attempt = started_attempt(learner, course)
    unit = unit or course.packages.get(is_current=True).units.order_by("position").first()
    assert unit is not None
    state = state_of(attempt, unit)
    return new_session(state=state), state


def session_after_get_param(
    group: Group, *, username: str = "lena", mastery: Decimal | None = None, au_password: str = "",
    get_param: bool = True,
) -> tuple[str, UnitState]:
    """A one-AU package course, a learner who started it, and an HACP session on it past its
    GetParam (unless `get_param` is False)."""
    course, _, _ = package_course(group, mastery=mastery, au_password=au_password)
    sid, state = open_session(learner_in(group, username=username), course)
    if get_param:
        message = {"command": "GetParam", "session_id": sid, "au_password": au_password}
        assert hacp_handle(hacp.request_from_fields(message)).startswith("error=0")
    return sid, state


UNUSABLE_CASES = ("password", "before GetParam", "exited", "expired")


def session_a_message_may_not_use(group: Group, case: str) -> tuple[str, UnitState]:
    """A session (after one PutParam where the protocol allows it) that a PutParam without the AU's
    password may not use: its AU has a password, it is before GetParam, it has exited, or it has
    expired (one of UNUSABLE_CASES)."""
    sid, state = session_after_get_param(group, au_password="s3cret" if case == "password" else "",
                                         get_param=case != "before GetParam")
    if case in {"exited", "expired"}:
        put_param_sent(sid, status="incomplete")
    if case == "exited":
        AiccSession.objects.filter(state=state).update(exited_at=timezone.now())
    if case == "expired":
        AiccSession.objects.filter(state=state).update(last_seen_at=timezone.now() - timedelta(days=2))
    return sid, state


def put_param_sent(sid: str, **values: str) -> None:
    """A PutParam of `values` (put_data's) through hacp_handle, which must succeed."""
    reply = hacp_handle(hacp.request_from_fields(
        {"command": "PutParam", "session_id": sid, "aicc_data": put_data(**values)}))
    assert reply.startswith("error=0"), reply


def hacp_reply(text: str) -> dict[str, str]:
    """error, error_text and aicc_data of a reply (aicc_data: the block after its line)."""
    assert text.endswith("\r\n"), text
    head, sep, data = text.partition("aicc_data=")
    fields = dict(line.split("=", 1) for line in head.split("\r\n") if line)
    if sep:
        fields["aicc_data"] = data.removeprefix("\r\n").removesuffix("\r\n")
    return fields


def post_hacp(client: Client, **fields: str) -> dict[str, str]:
    response = client.post(HACP_PATH, fields)
    assert response.status_code == 200, response
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return hacp_reply(response.content.decode())


def core_of(aicc_data: str) -> dict[str, str]:
    """The [Core] pairs of a GetParam reply in the standard's spelling of the keywords, after
    checking that each is repeated in lower case with the same value."""
    core: dict[str, str] = {}
    lowered: dict[str, str] = {}
    inside = False
    for line in aicc_data.split("\r\n"):
        if line.startswith("["):
            inside = line == "[Core]"
        elif inside and "=" in line:
            key, value = line.split("=", 1)
            (lowered if key == key.lower() else core)[key] = value
    assert lowered == {key.lower(): value for key, value in core.items()}
    return core


def put_data(
    *, status: str = "", location: str = "", score: str = "", time: str = "", lesson: str | None = None
) -> str:
    lines = ["[Core]", f"Lesson_Location={location}", f"Lesson_Status={status}", f"Score={score}", f"Time={time}"]
    if lesson is not None:
        lines += ["[Core_Lesson]", lesson]
    return "\r\n".join(lines) + "\r\n"
