import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from coursebridge.core.errors import DomainError
from coursebridge.learning.models import Enrollment, LearningStatus
from coursebridge.records.exports import PARS_COLUMNS, certificate_pdf, pars_batch, pars_missing
from coursebridge.records.importer import import_apply
from coursebridge.records.models import CourseShell
from coursebridge.records.services import SHELL_CERTIFICATE_REASON, course_certificate_set, learner_profile_update
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, learner_in, training_admin_of
from tests.records.factories import offer, staged, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    course = CourseFactory(academy=AcademyFactory(slug="heart", name="Heart Academy"), title="Cardiology update",
                           external_id="CARD-1")
    offer(course, "ama_pra_1", "2.00", variable=True)
    offer(course, "moc", "2.00", variable=True)
    return course


def imported(course, tmp_path, lines, scope="course"):
    path = write_csv(tmp_path / f"{scope}.csv", lines)
    run = staged(course.academy, path, course=course if scope == "course" else None, scope=scope)
    return import_apply(run_id=run.pk)


def test_a_completed_learner_gets_a_pdf_certificate_naming_credits_by_type(course, tmp_path, client_for):
    learner = learner_in(GroupFactory(academy=course.academy), email="ada@example.org", first_name="Ada",
                         last_name="Lovelace")
    imported(course, tmp_path, ["external_email,complete,date_completed,credits,credit_type",
                                "ada@example.org,1,2024-04-05,1.5,ama_pra_1", "ada@example.org,1,2024-04-05,1,moc"])
    course_certificate_set(course=course, enabled=True)

    pdf = certificate_pdf(course=course, user=learner)
    response = client_for(learner).get(reverse("web:records_certificate", kwargs={"slug": "heart",
                                                                                  "course_id": course.pk}))

    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    for text in (b"(Ada Lovelace)", b"(Cardiology update)", b"(on 2024-04-05)", b"(1.50 AMA PRA Category 1 Credit)",
                 b"(1.00 MOC points)"):
        assert text in pdf
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_no_certificate_before_completion_or_when_the_course_issues_none(course):
    learner = learner_in(GroupFactory(academy=course.academy))
    Enrollment.objects.create(academy=course.academy, user=learner, course=course)

    with pytest.raises(DomainError, match=r"This course issues no certificate\."):
        certificate_pdf(course=course, user=learner)
    course_certificate_set(course=course, enabled=True)
    with pytest.raises(DomainError, match=r"The certificate is issued once the course is completed\."):
        certificate_pdf(course=course, user=learner)


def test_course_shells_cannot_carry_a_certificate_and_the_page_says_why(course, tmp_path, client_for):
    imported(course, tmp_path, ["external_course_id,title,external_email,complete", "OLD-1,Old,a@example.org,1"],
             scope="global")
    shell = CourseShell.objects.get().course

    with pytest.raises(DomainError) as refused:
        course_certificate_set(course=shell, enabled=True)
    page = client_for(training_admin_of(course.academy)).get(
        reverse("web:records_course_upload", kwargs={"slug": "heart", "course_id": shell.pk})).content.decode()

    assert refused.value.message == SHELL_CERTIFICATE_REASON
    assert "Imported course shells do not have certificates" in page
    assert "create a course first, then import the enrollments into it" in page


def test_pars_counts_course_level_imports_and_never_the_global_importer(course, tmp_path):
    imported(course, tmp_path, ["external_email,first_name,last_name,complete,date_completed,credits,credit_type",
                                "ada@example.org,Ada,Lovelace,1,2024-04-05,1.5,ama_pra_1",
                                "ada@example.org,Ada,Lovelace,1,2024-04-05,1,moc",
                                "bob@example.org,Bob,Brown,1,2023-12-31,2,ama_pra_1"])
    imported(course, tmp_path, ["external_course_id,title,external_email,first_name,last_name,complete,date_completed,"
                                "credits,credit_type",
                                "CARD-1,,old@example.org,Old,Timer,1,2024-02-01,2,ama_pra_1"], scope="global")
    ada = Enrollment.objects.get(user__email="ada@example.org").user
    learner_profile_update(user=ada, changes={"license_state": "ny", "license_id": "123456", "birth_month": "7",
                                              "birth_day": "9", "certifying_board": "abim", "board_id": "998877"})

    rows = list(csv.reader(io.StringIO(pars_batch(academy=course.academy, course=course, year=2024)),
                           delimiter="\t"))

    assert rows == [PARS_COLUMNS, ["Add", "CARD-1", "04/05/2024", "Ada", "Lovelace", "07/09", "NY", "123456", "1.50",
                                   "ABIM", "998877", "1.00", "MOC", "1.00"]]
    assert pars_missing(academy=course.academy, course=course, year=2023)[0].missing == [
        "birth month and day", "license state and ID, or NPI"]


def test_profile_fields_are_checked(course):
    learner = learner_in(GroupFactory(academy=course.academy))

    with pytest.raises(DomainError, match=r"An NPI is 10 digits\."):
        learner_profile_update(user=learner, changes={"npi": "12"})
    with pytest.raises(DomainError, match=r"'ZZ' is not a US state or territory code\."):
        learner_profile_update(user=learner, changes={"license_state": "zz"})
    profile = learner_profile_update(user=learner, changes={"npi": "1234567890", "birth_month": 2, "birth_day": 29})

    assert (profile.npi, profile.birth_month, profile.birth_day) == ("1234567890", 2, 29)


def test_an_existing_completion_is_never_changed_by_an_import(course, tmp_path):
    learner = learner_in(GroupFactory(academy=course.academy), email="done@example.org")
    done_at = datetime(2020, 1, 1, tzinfo=UTC)
    Enrollment.objects.create(academy=course.academy, user=learner, course=course, status=LearningStatus.COMPLETED,
                              completed_at=done_at, progress=100)

    run = imported(course, tmp_path, ["external_email,complete,date_completed", "done@example.org,1,2024-01-01"])

    assert run.counts["unchanged"] == 1
    assert Enrollment.objects.get(user=learner).completed_at == done_at


def test_a_learner_finds_the_certificate_under_my_certificates(course, tmp_path, client_for):
    learner = learner_in(GroupFactory(academy=course.academy), email="ada@example.org")
    imported(course, tmp_path, ["external_email,complete,date_completed,credits,credit_type",
                                "ada@example.org,1,2024-04-05,1.5,ama_pra_1"])
    course_certificate_set(course=course, enabled=True)

    page = client_for(learner).get(reverse("web:records_certificates", kwargs={"slug": "heart"})).content.decode()

    assert "Cardiology update" in page and "1.50 AMA PRA Category 1 Credit" in page
    assert reverse("web:records_certificate", kwargs={"slug": "heart", "course_id": course.pk}) in page
