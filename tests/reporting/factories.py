"""One small academy with known learning records, so every dashboard figure can be checked by hand.

Period of interest: 2026-03-01 to 2026-03-07 (UTC).

    learner  group          course   status       when                    time (source)
    ana      Sales          Intro    completed    03-02 10:00             3600 measured (1800 on 03-01, 1800 on 03-02)
    ana      Sales          Python   in_progress  last 03-03              1800 estimated (03-03)
    ben      Sales/East     Intro    passed       03-02 15:00, score 88.5 1200 measured (03-02)
    ben      Sales/East     Python   completed    03-05, in a session     5400 estimated (03-05)
    cy       Support        Excel    failed       03-04 (not a completion) 600 measured (03-04)
    cy       Support        Intro    not_started                          a 0-second estimated day on 03-06
    dee      (no group)     Excel    completed    02-20 (before)           900 measured (02-20)
"""

from __future__ import annotations

from datetime import date

from coursebridge.accounts.models import Role
from coursebridge.learning.models import ActivityDay, LearningStatus, TimeSource
from coursebridge.learning.services import activity_totals_refresh
from coursebridge.programs.services import session_participant_add
from tests.factories import (
    AcademyFactory,
    CourseFactory,
    GroupFactory,
    ProviderCourseFactory,
    UserFactory,
    learner_in,
    member,
    training_admin_of,
)
from tests.programs.factories import at, enrollment, open_session, program_with

D = date(2026, 3, 1)


def day(n: int) -> date:
    return date(2026, 3, n)


def activity(user, course, when: date, seconds: int, cumulative: int, source: str = TimeSource.MEASURED,
             progress: int = 0) -> ActivityDay:
    """A day written directly (exact seconds), with its daily total refreshed as every writer does."""
    row = ActivityDay.objects.create(academy_id=course.academy_id, user=user, course=course, day=when,
                                     time_source=source, seconds=seconds, cumulative_seconds=cumulative,
                                     progress=progress)
    activity_totals_refresh(academy_id=course.academy_id, days=[when])
    return row


def build_campus() -> dict:
    academy = AcademyFactory(slug="campus", name="Campus")
    sales = GroupFactory(academy=academy, name="Sales")
    east = GroupFactory(academy=academy, parent=sales, name="East")
    support = GroupFactory(academy=academy, name="Support")
    admin = training_admin_of(academy, username="admin")
    sales_admin = UserFactory(academy=academy, username="sales-admin")
    member(sales_admin, sales, Role.GROUP_ADMIN)
    ana = learner_in(sales, username="ana", first_name="Ana", last_name="Alves", email="ana@example.org")
    ben = learner_in(east, username="ben", first_name="Ben", last_name="Berg", email="ben@example.org")
    cy = learner_in(support, username="cy", first_name="=HYPERLINK(\"http://evil\")", last_name="Cy",
                    email="cy@example.org")
    dee = UserFactory(academy=academy, username="dee", first_name="Dée", last_name="Durand", email="dee@example.org")
    intro = CourseFactory(academy=academy, title="Intro")
    python = ProviderCourseFactory(academy=academy, title="Python", provider="openclassrooms")
    excel = CourseFactory(academy=academy, title="Excel")
    session = open_session(program_with([python], title="Data path"), name="Spring cohort")
    session_participant_add(session=session, user=ben)

    enrollment(ana, intro, status=LearningStatus.COMPLETED, progress=100, seconds=3600, first=at(day(1), 9),
               last=at(day(2), 10), completed=at(day(2), 10))
    enrollment(ana, python, status=LearningStatus.IN_PROGRESS, progress=40, seconds=1800,
               source=TimeSource.THEORETICAL, first=at(day(3)), last=at(day(3)))
    enrollment(ben, intro, status=LearningStatus.PASSED, progress=100, seconds=1200, first=at(day(2), 14),
               last=at(day(2), 15), completed=at(day(2), 15), score=88.5)
    enrollment(ben, python, status=LearningStatus.COMPLETED, progress=100, seconds=5400,
               source=TimeSource.THEORETICAL, first=at(day(3)), last=at(day(5)), completed=at(day(5)),
               entry_key=f"session:{session.pk}")
    enrollment(cy, excel, status=LearningStatus.FAILED, progress=30, seconds=600, first=at(day(4)), last=at(day(4)),
               completed=at(day(4)), score=12)
    enrollment(cy, intro)
    enrollment(dee, excel, status=LearningStatus.COMPLETED, progress=100, seconds=900, first=at(date(2026, 2, 20)),
               last=at(date(2026, 2, 20)), completed=at(date(2026, 2, 20)))

    activity(ana, intro, day(1), 1800, 1800)
    activity(ana, intro, day(2), 1800, 3600, progress=100)
    activity(ana, python, day(3), 1800, 1800, TimeSource.THEORETICAL, 40)
    activity(ben, intro, day(2), 1200, 1200, progress=100)
    activity(ben, python, day(5), 5400, 5400, TimeSource.THEORETICAL, 100)
    activity(cy, excel, day(4), 600, 600, progress=30)
    activity(cy, intro, day(6), 0, 0, TimeSource.THEORETICAL)
    activity(dee, excel, date(2026, 2, 20), 900, 900, progress=100)
    return {
        "academy": academy, "sales": sales, "east": east, "support": support, "admin": admin,
        "sales_admin": sales_admin, "ana": ana, "ben": ben, "cy": cy, "dee": dee, "intro": intro,
        "python": python, "excel": excel, "session": session,
    }
