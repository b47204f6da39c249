"""Held rows attach when the learner's account is created, by any path, in bulk."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coursebridge.accounts.models import Role, User
from coursebridge.accounts.services import user_create
from coursebridge.learning.models import Enrollment, LearningStatus
from coursebridge.records.held import held_records_attach
from coursebridge.records.importer import import_apply
from coursebridge.records.models import CreditRecord, CreditSource, HeldRecord
from tests.factories import AcademyFactory, CourseFactory, root_group, training_admin_of
from tests.records.factories import offer, staged, write_csv

pytestmark = pytest.mark.django_db

HEADER = "external_email,external_user_id,first_name,last_name,enrollment_start,date_completed,complete,credits," \
         "credit_type"


@pytest.fixture
def course(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    course = CourseFactory(academy=AcademyFactory(slug="heart", name="Heart Academy"), title="Cardiology update",
                           external_id="CARD-1")
    offer(course, "ama_pra_1", "2.00", variable=True)
    offer(course, "moc", "2.00")
    return course


def hold(course, tmp_path, *rows, name="held.csv"):
    run = import_apply(run_id=staged(course.academy, write_csv(tmp_path / name, [HEADER, *rows]), course=course,
                                     hold_unknown=True).pk)
    assert run.result["held"] == len(rows), run.result
    return run


def records_of(user):
    enrollments = list(Enrollment.objects.filter(user=user).values_list("course_id", "status", "completed_at"))
    credits = sorted(CreditRecord.objects.filter(user=user).values_list("credit_type__machine_name", "credits",
                                                                        "awarded_on", "source", "run_id"))
    return enrollments, credits


def test_a_learner_created_by_the_service_receives_the_rows_held_under_their_email(course, tmp_path):
    run = hold(course, tmp_path, "later@example.org,,L,A,2024-03-01,2024-03-02,1,1.5,ama_pra_1",
               "later@example.org,,L,A,2024-03-01,2024-03-02,1,2,moc",
               "other@example.org,,O,T,2024-03-01,2024-03-02,1,2,moc")

    later = user_create(academy=course.academy, username="later", email="Later@Example.org")

    assert records_of(later) == (
        [(course.pk, LearningStatus.COMPLETED, datetime(2024, 3, 2, tzinfo=UTC))],
        [("ama_pra_1", Decimal("1.50"), date(2024, 3, 2), CreditSource.COURSE_IMPORT, run.pk),
         ("moc", Decimal("2.00"), date(2024, 3, 2), CreditSource.COURSE_IMPORT, run.pk)],
    )
    assert list(HeldRecord.objects.values_list("email", flat=True)) == ["other@example.org"]


def test_rows_held_under_an_external_id_attach_to_the_account_with_that_id(course, tmp_path):
    run = hold(course, tmp_path, ",EMP-7,E,M,2024-03-01,2024-03-02,1,2,moc")

    employee = user_create(academy=course.academy, username="emp7", external_id="EMP-7")

    assert records_of(employee)[1] == [("moc", Decimal("2.00"), date(2024, 3, 2), "course_import", run.pk)]
    assert HeldRecord.objects.count() == 0


def test_an_admin_creating_the_user_in_the_ui_attaches_the_held_rows(course, tmp_path, client_for):
    hold(course, tmp_path, "nia@example.org,,N,I,2024-03-01,,0,,")
    admin = training_admin_of(course.academy)

    response = client_for(admin).post(reverse("web:user_new", kwargs={"slug": "heart"}), {
        "username": "nia", "email": "nia@example.org", "first_name": "Nia", "last_name": "Ide", "password": "",
        "group": root_group(course.academy).pk, "role": Role.LEARNER,
    })

    nia = User.objects.get(username="nia")
    assert response.status_code == 302
    assert records_of(nia) == ([(course.pk, LearningStatus.NOT_STARTED, None)], [])
    assert HeldRecord.objects.count() == 0


def test_a_user_created_through_the_api_receives_the_held_rows(course, tmp_path, client_for):
    hold(course, tmp_path, "api@example.org,,A,P,2024-03-01,2024-03-04,1,2,ama_pra_1")
    admin = training_admin_of(course.academy)

    response = client_for(admin).post("/api/academies/heart/users", {"username": "api-user",
                                                                    "email": "api@example.org"},
                                      content_type="application/json")

    assert response.status_code == 201, response.content
    assert records_of(User.objects.get(username="api-user"))[1][0][:3] == ("ama_pra_1", Decimal("2.00"),
                                                                           date(2024, 3, 4))


def test_an_import_that_creates_learners_applies_the_rows_held_for_them(course, tmp_path):
    held_run = hold(course, tmp_path, "new@example.org,,N,W,2024-01-01,2024-01-05,1,1,ama_pra_1")
    path = write_csv(tmp_path / "second.csv", [HEADER, "new@example.org,,N,W,2024-02-01,2024-02-03,1,2,moc",
                                               "fresh@example.org,,F,R,2024-02-01,2024-02-03,1,2,moc"])

    run = import_apply(run_id=staged(course.academy, path, course=course).pk)

    new = User.objects.get(email="new@example.org")
    assert run.result["learners_created"] == 2
    assert records_of(new) == (
        [(course.pk, LearningStatus.COMPLETED, datetime(2024, 1, 5, tzinfo=UTC))],  # the held row came first
        [("ama_pra_1", Decimal("1.00"), date(2024, 1, 5), "course_import", held_run.pk),
         ("moc", Decimal("2.00"), date(2024, 2, 3), "course_import", run.pk)],
    )
    assert HeldRecord.objects.count() == 0


def test_existing_records_are_never_changed_by_held_rows(course, tmp_path):
    hold(course, tmp_path, "done@example.org,,D,O,2024-03-01,2024-03-02,1,2,moc")
    # The account appears without the listener (as the site admin's Django admin would create it) and
    # the learner completes the course in the academy first.
    user = User.objects.create(academy=course.academy, username="done", email="done@example.org")
    Enrollment.objects.create(academy=course.academy, user=user, course=course, status=LearningStatus.IN_PROGRESS)
    CreditRecord.objects.create(academy=course.academy, user=user, course=course, credits=Decimal("0.5"),
                                credit_type=course_offer_type(course, "moc"), source=CreditSource.NATIVE)

    result = held_records_attach(academy_id=course.academy_id, user_ids=[user.pk])

    assert result == {"assigned": 1, "enrollments_created": 0, "credits_created": 0}
    assert records_of(user) == ([(course.pk, LearningStatus.IN_PROGRESS, None)],
                                [("moc", Decimal("0.50"), None, "native", None)])
    assert HeldRecord.objects.count() == 0


def course_offer_type(course, machine_name):
    from coursebridge.records.selectors import credit_type_get

    return credit_type_get(academy=course.academy, machine_name=machine_name)


def test_held_rows_of_another_academy_are_not_attached(course, tmp_path):
    hold(course, tmp_path, "twin@example.org,,T,W,2024-03-01,2024-03-02,1,2,moc")
    elsewhere = AcademyFactory(slug="elsewhere")

    twin = user_create(academy=elsewhere, username="twin", email="twin@example.org")

    assert records_of(twin) == ([], [])
    assert HeldRecord.objects.count() == 1


def test_attaching_costs_one_query_when_nothing_is_held_and_does_not_grow_with_the_learners(
        course, tmp_path, django_assert_num_queries):
    many = [user_create(academy=course.academy, username=f"many{n}", email=f"many{n}@example.org").pk
            for n in range(60)]
    with django_assert_num_queries(1):
        held_records_attach(academy_id=course.academy_id, user_ids=many)
    hold(course, tmp_path, "few@example.org,,F,E,2024-03-01,2024-03-02,1,2,moc",
         "late7@example.org,,L,A,2024-03-01,2024-03-02,1,2,moc")
    # Accounts made without the listener, so the rows wait for the calls measured below.
    few = [User.objects.create(academy=course.academy, username="few", email="few@example.org").pk]
    late = [User.objects.create(academy=course.academy, username=f"late{n}", email=f"late{n}@example.org").pk
            for n in range(60)]

    with CaptureQueriesContext(connection) as small:
        few_result = held_records_attach(academy_id=course.academy_id, user_ids=few)
    with CaptureQueriesContext(connection) as large:
        late_result = held_records_attach(academy_id=course.academy_id, user_ids=late)

    assert few_result == late_result == {"assigned": 1, "enrollments_created": 1, "credits_created": 1}
    assert len(small.captured_queries) == len(large.captured_queries)
