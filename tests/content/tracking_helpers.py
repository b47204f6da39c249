"""Package courses made directly in the database (no zip), a learner's started attempt on them,
HACP sessions, and a reader for HACP replies: what the tracking, HACP and admin view tests share."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client
from django.utils import timezone

from coursebridge.accounts.models import Group, User
from coursebridge.catalog.models import Course, CourseKind
from coursebridge.content.aicc_runtime import new_session
from coursebridge.content.models import Package, Unit, UnitState
from coursebridge.content.tracking import unit_state_for
from coursebridge.learning.models import Attempt, LearningStatus
from coursebridge.learning.services import enrollment_create
from tests.factories import CourseFactory

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
