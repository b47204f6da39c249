"""Credit earned in the academy: a completion through the real services awards what the course offers,
never changes an existing credit record, and appears in the PARS file, the transcript and the
certificate."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coursebridge.connectors.statistics import apply_progress
from coursebridge.learning.models import Enrollment, LearningStatus, TimeSource
from coursebridge.learning.services import attempt_record_progress, launch_course
from coursebridge.records.exports import PARS_COLUMNS, certificate_pdf, pars_batch
from coursebridge.records.importer import import_apply
from coursebridge.records.models import CreditRecord, CreditSource
from coursebridge.records.services import course_certificate_set, learner_profile_update
from tests.content.tracking_helpers import open_session, package_course, post_hacp, put_data
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, learner_in
from tests.records.factories import offer, staged, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return GroupFactory(academy=AcademyFactory(slug="heart", name="Heart Academy"), name="Cardiology")


@pytest.fixture
def course(group):
    course = CourseFactory(academy=group.academy, placed_in=group, title="Cardiology update", external_id="CARD-1",
                           launch_url="https://learn.example.org/cardio")
    offer(course, "ama_pra_1", "2.50", variable=True)
    offer(course, "moc", "1.00")
    return course


def credits_of(user):
    return sorted(CreditRecord.objects.filter(user=user).values_list(
        "credit_type__machine_name", "credits", "awarded_on", "source", "run_id"))


def test_completing_a_course_that_offers_credit_awards_each_type_at_its_maximum(group, course):
    learner = learner_in(group, email="ada@example.org")
    attempt = launch_course(user=learner, course=course).attempt

    attempt_record_progress(attempt=attempt, progress=60)
    assert credits_of(learner) == []
    attempt_record_progress(attempt=attempt, status=LearningStatus.COMPLETED)

    today = timezone.localdate()
    assert credits_of(learner) == [("ama_pra_1", Decimal("2.50"), today, CreditSource.NATIVE, None),
                                   ("moc", Decimal("1.00"), today, CreditSource.NATIVE, None)]


def test_a_failed_attempt_earns_nothing_and_a_later_pass_earns_the_credit_once(group, course):
    learner = learner_in(group)
    first = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=first, status=LearningStatus.FAILED)
    assert credits_of(learner) == []

    second = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=second, status=LearningStatus.PASSED)
    attempt_record_progress(attempt=second, status=LearningStatus.PASSED, score=90)
    third = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=third, status=LearningStatus.COMPLETED)

    assert [(t, s) for t, _, _, s, _ in credits_of(learner)] == [("ama_pra_1", "native"), ("moc", "native")]


def test_a_course_without_credit_offers_awards_nothing(group):
    plain = CourseFactory(academy=group.academy, placed_in=group)
    learner = learner_in(group)
    attempt = launch_course(user=learner, course=plain).attempt

    attempt_record_progress(attempt=attempt, status=LearningStatus.COMPLETED)

    assert Enrollment.objects.get(user=learner).status == LearningStatus.COMPLETED
    assert CreditRecord.objects.count() == 0


def test_an_imported_credit_record_is_never_changed_by_a_native_completion(group, course, tmp_path):
    learner = learner_in(group, email="ada@example.org")
    path = write_csv(tmp_path / "records.csv", ["external_email,complete,date_completed,credits,credit_type",
                                                "ada@example.org,0,,,"])
    import_apply(run_id=staged(group.academy, path, course=course).pk)  # enrolled, not completed, no credit
    path = write_csv(tmp_path / "credit.csv", ["external_email,complete,date_completed,credits,credit_type",
                                               "ada@example.org,1,2024-03-01,1.25,ama_pra_1"])
    run = import_apply(run_id=staged(group.academy, path, course=course).pk)
    assert run.result["credits_created"] == 1
    Enrollment.objects.filter(user=learner).update(status=LearningStatus.IN_PROGRESS, completed_at=None)

    attempt = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=attempt, status=LearningStatus.COMPLETED)

    assert credits_of(learner) == [
        ("ama_pra_1", Decimal("1.25"), date(2024, 3, 1), CreditSource.COURSE_IMPORT, run.pk),
        ("moc", Decimal("1.00"), timezone.localdate(), CreditSource.NATIVE, None),
    ]


def test_an_aicc_unit_reporting_passed_over_hacp_earns_the_credit(group):
    au = Client(enforce_csrf_checks=True)  # as an AU posts: no cookies, no CSRF token
    package, _, _ = package_course(group)
    offer(package, "ancc", "3.00")
    learner = learner_in(group, username="lena")
    sid, _ = open_session(learner, package)

    replies = [post_hacp(au, command="GetParam", version="3.5", session_id=sid, aicc_data=""),
               post_hacp(au, command="PutParam", version="3.5", session_id=sid,
                         aicc_data=put_data(status="incomplete", location="p2", time="00:01:00"))]
    assert CreditRecord.objects.count() == 0
    replies.append(post_hacp(au, command="PutParam", version="3.5", session_id=sid,
                             aicc_data=put_data(status="passed", score="90", time="00:05:00")))

    assert [reply["error"] for reply in replies] == ["0", "0", "0"]

    assert credits_of(learner) == [("ancc", Decimal("3.00"), timezone.localdate(), CreditSource.NATIVE, None)]


def test_provider_statistics_that_complete_a_course_earn_the_credit(group, course):
    learner = learner_in(group)
    done_at = datetime(2025, 6, 30, 12, tzinfo=UTC)

    apply_progress(academy_id=group.academy_id, rows={(learner.pk, course.pk): (40, 600)}, day=done_at.date(),
                   time_source=TimeSource.MEASURED, now=done_at)
    assert CreditRecord.objects.count() == 0
    apply_progress(academy_id=group.academy_id, rows={(learner.pk, course.pk): (100, 1200)}, day=done_at.date(),
                   time_source=TimeSource.MEASURED, now=done_at)
    apply_progress(academy_id=group.academy_id, rows={(learner.pk, course.pk): (100, 1300)}, day=done_at.date(),
                   time_source=TimeSource.MEASURED, now=done_at)

    assert credits_of(learner) == [("ama_pra_1", Decimal("2.50"), date(2025, 6, 30), CreditSource.NATIVE, None),
                                   ("moc", Decimal("1.00"), date(2025, 6, 30), CreditSource.NATIVE, None)]


def test_native_credit_is_in_the_pars_file_on_the_transcript_and_on_the_certificate(group, course, client_for):
    learner = learner_in(group, email="ada@example.org", first_name="Ada", last_name="Lovelace")
    learner_profile_update(user=learner, changes={"npi": "1234567890", "birth_month": "7", "birth_day": "9",
                                                  "certifying_board": "abim", "board_id": "998877"})
    course_certificate_set(course=course, enabled=True)
    attempt = launch_course(user=learner, course=course).attempt
    attempt_record_progress(attempt=attempt, status=LearningStatus.PASSED)
    today = timezone.localdate()

    rows = list(csv.reader(io.StringIO(pars_batch(academy=group.academy, course=course, year=today.year)),
                           delimiter="\t"))
    transcript = client_for(learner).get(reverse("web:transcript", kwargs={"slug": "heart"})).content.decode()
    pdf = certificate_pdf(course=course, user=learner)

    assert rows == [PARS_COLUMNS, ["Add", "CARD-1", today.strftime("%m/%d/%Y"), "Ada", "Lovelace", "07/09", "",
                                   "1234567890", "2.50", "ABIM", "998877", "1.00", "MOC", "1.00"]]
    assert "<th>Credit</th>" in transcript
    assert "2.50 AMA PRA Category 1 Credit<br>1.00 MOC points" in transcript
    assert b"(2.50 AMA PRA Category 1 Credit)" in pdf and b"(1.00 MOC points)" in pdf
