from decimal import Decimal

import pytest
from django.db import connection, transaction

from coursebridge.accounts.models import User
from coursebridge.learning.models import Enrollment, LearningStatus, TimeSource
from coursebridge.records.importer import import_apply
from coursebridge.records.models import CourseShell, CreditRecord, CreditSource, HeldRecord, RunStatus
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, learner_in
from tests.records.factories import offer, staged, write_csv

pytestmark = pytest.mark.django_db

HEADER = "external_email,first_name,last_name,enrollment_start,date_completed,complete,credits,credit_type"


@pytest.fixture
def course(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    academy = AcademyFactory(slug="heart", name="Heart Academy")
    course = CourseFactory(academy=academy, title="Cardiology update", external_id="CARD-1")
    offer(course, "ama_pra_1", "2.00", variable=True)
    offer(course, "moc", "2.00")
    return course


def messages_of(run):
    return {row.number: [tuple(m) for m in row.messages] for row in run.rows.all()}


def test_a_clean_course_file_creates_learners_enrollments_and_credits(course, tmp_path):
    group = GroupFactory(academy=course.academy)
    known = learner_in(group, email="known@example.org")
    path = write_csv(tmp_path / "records.csv", [
        HEADER,
        "known@example.org,Kim,Known,2024-03-01,2024-03-02,1,1.50,ama_pra_1",
        "known@example.org,Kim,Known,2024-03-01,2024-03-02,1,2,moc",
        "new@example.org,Nia,New,2024-03-01,2024-03-03,1,2.00,ama_pra_1",
        "enrolled@example.org,Eve,Enrolled,2024-03-01,,0,,",
    ])

    run = staged(course.academy, path, course=course)

    assert run.status == RunStatus.STAGED
    assert run.counts == {"rows": 4, "create": 4, "unchanged": 0, "held": 0, "errors": 0, "warnings": 0,
                          "new_learners": 2, "new_shells": 0}
    assert len(run.warnings) == 1 and run.warnings[0].startswith("The course has no required course object")

    run = import_apply(run_id=run.pk)

    assert run.status == RunStatus.APPLIED
    assert run.result == {"learners_created": 2, "shells_created": 0, "enrollments_created": 3, "credits_created": 3,
                          "held": 0, "unchanged": 0}
    new = User.objects.get(email="new@example.org")
    assert (new.academy_id, new.first_name, new.last_name, new.has_usable_password()) == (
        course.academy_id, "Nia", "New", False)
    enrollment = Enrollment.objects.get(user=new, course=course)
    assert (enrollment.status, enrollment.time_source, enrollment.entry_key, enrollment.completed_at.date().isoformat()
            ) == (LearningStatus.COMPLETED, TimeSource.IMPORTED, "catalogue", "2024-03-03")
    credits = CreditRecord.objects.values_list("user__email", "credit_type__machine_name", "credits", "source")
    assert sorted(credits) == [
        ("known@example.org", "ama_pra_1", Decimal("1.50"), CreditSource.COURSE_IMPORT),
        ("known@example.org", "moc", Decimal("2.00"), CreditSource.COURSE_IMPORT),
        ("new@example.org", "ama_pra_1", Decimal("2.00"), CreditSource.COURSE_IMPORT),
    ]
    assert Enrollment.objects.get(user=known, course=course).status == LearningStatus.COMPLETED


def test_importing_the_same_file_twice_changes_nothing(course, tmp_path):
    path = write_csv(tmp_path / "records.csv", [HEADER, "a@example.org,A,A,2024-03-01,2024-03-02,1,2,ama_pra_1"])
    import_apply(run_id=staged(course.academy, path, course=course).pk)
    before = (list(Enrollment.objects.values()), list(CreditRecord.objects.values()), User.objects.count())

    again = staged(course.academy, path, course=course)

    assert again.counts["unchanged"] == 1 and again.counts["create"] == 0
    assert messages_of(again) == {2: [("", "Already exists, not changed: enrollment and ama_pra_1 credit.", "info")]}
    import_apply(run_id=again.pk)
    assert (list(Enrollment.objects.values()), list(CreditRecord.objects.values()), User.objects.count()) == before


def test_every_broken_rule_is_a_row_message_and_all_or_nothing_writes_nothing(course, tmp_path):
    path = write_csv(tmp_path / "records.csv", [
        HEADER,
        "ok@example.org,O,K,2024-03-01,2024-03-02,1,2,ama_pra_1",
        "zero@example.org,Z,Z,2024-03-01,,0,1,ama_pra_1",
        "over@example.org,O,V,2024-03-01,2024-03-02,1,3,ama_pra_1",
        "fixed@example.org,F,X,2024-03-01,2024-03-02,1,1,moc",
        "type@example.org,T,Y,2024-03-01,2024-03-02,1,1,acpe",
        "nope@example.org,N,O,2024-03-01,2024-03-02,1,1,unknown_type",
        "not-an-email,N,E,03/01/2024,2024-03-02,1,,",
        "ok@example.org,O,K,2024-03-01,2024-03-02,1,2,ama_pra_1",
        "ragged@example.org,R",
    ])

    run = staged(course.academy, path, course=course)
    messages = messages_of(run)

    assert run.counts["errors"] == 8 and run.counts["create"] == 1
    assert messages[3] == [("credits", "No credits on a row with complete=0: import the completion with its credit "
                                       "instead.", "error")]
    assert messages[4] == [("credits", "3.00 is above the course's maximum of 2.00 ama_pra_1 credits.", "error")]
    assert messages[5] == [("credits", "1.00 is below the course's 2.00 moc credits, and variable credit is not "
                                       "allowed for this type: allow it on the course first.", "error")]
    assert messages[6] == [("credit_type", "The course does not offer acpe credit: add it to the course's credit "
                                           "offer first.", "error")]
    assert messages[7][0][0] == "credit_type" and "'unknown_type' is not a credit type" in messages[7][0][1]
    assert messages[8] == [("external_email", "'not-an-email' is not an email address.", "error"),
                           ("enrollment_start", "'03/01/2024' is not an ISO 8601 date (YYYY-MM-DD).", "error")]
    assert messages[9] == [("credit_type", "A second row for this learner, course and credit type (the first is row "
                                           "2): one row per credit type awarded.", "error")]
    assert messages[10] == [("", "The row has 2 columns; the header has 8.", "error")]

    run = import_apply(run_id=run.pk)

    assert run.status == RunStatus.NOT_APPLIED
    assert "8 rows have errors" in run.file_error
    assert (Enrollment.objects.count(), CreditRecord.objects.count(), User.objects.filter(
        academy=course.academy).count()) == (0, 0, 0)


def test_valid_only_applies_the_good_rows(course, tmp_path):
    path = write_csv(tmp_path / "records.csv", [
        HEADER, "ok@example.org,O,K,2024-03-01,2024-03-02,1,2,ama_pra_1", "bad,B,D,2024-03-01,,1,,"])

    run = import_apply(run_id=staged(course.academy, path, course=course).pk, valid_only=True)

    assert run.status == RunStatus.APPLIED
    assert list(Enrollment.objects.values_list("user__email", flat=True)) == ["ok@example.org"]


def test_unknown_learners_can_be_held_until_they_sign_up(course, tmp_path):
    path = write_csv(tmp_path / "records.csv", [HEADER, "later@example.org,L,A,2024-03-01,2024-03-02,1,2,ama_pra_1"])

    run = import_apply(run_id=staged(course.academy, path, course=course, hold_unknown=True).pk)

    assert run.result["held"] == 1
    assert list(HeldRecord.objects.values_list("email", "row_number", "course_id")) == [
        ("later@example.org", 2, course.pk)]
    assert not User.objects.filter(email="later@example.org").exists()


def test_the_global_importer_creates_course_shells_and_its_credit_never_counts_for_pars(course, tmp_path):
    path = write_csv(tmp_path / "legacy.csv", [
        "External_Course_ID,Title,external_mail,complete,date_completed,credits,credit_type",
        "OLD-1,Old course,a@example.org,1,2019-05-01,3,ancc",
        "OLD-1,Old course renamed,b@example.org,1,2019-05-01,3,ancc",
        "CARD-1,,c@example.org,1,2019-05-01,2,ama_pra_1",
    ])

    run = staged(course.academy, path, scope="global")
    assert run.counts["errors"] == 0, messages_of(run)
    assert messages_of(run)[3][0] == ("title", "Another row gave this course the title 'Old course'; the first title "
                                                "is kept.", "warning")
    run = import_apply(run_id=run.pk)

    shell = CourseShell.objects.get()
    assert (shell.course.title, shell.course.external_id, shell.course.visibility) == ("Old course", "OLD-1", "hidden")
    assert run.result["shells_created"] == 1 and run.result["credits_created"] == 3
    assert set(CreditRecord.objects.values_list("source", flat=True)) == {CreditSource.GLOBAL_IMPORT}


def test_held_rows_go_to_learners_who_signed_up_since(course, tmp_path, client_for):
    from django.urls import reverse

    from tests.factories import training_admin_of

    path = write_csv(tmp_path / "records.csv", [HEADER, "later@example.org,L,A,2024-03-01,2024-03-02,1,2,ama_pra_1",
                                                "never@example.org,N,V,2024-03-01,2024-03-02,1,2,ama_pra_1"])
    import_apply(run_id=staged(course.academy, path, course=course, hold_unknown=True).pk)
    later = learner_in(GroupFactory(academy=course.academy), email="Later@example.org")

    response = client_for(training_admin_of(course.academy)).post(
        reverse("web:records_held_assign", kwargs={"slug": course.academy.slug}), {"action": "assign"}, follow=True)

    assert "1 held row(s) given to learners who now have an account (1 enrollments, 1 credit records); 1 still held." \
        in response.content.decode()
    assert Enrollment.objects.get(user=later, course=course).status == LearningStatus.COMPLETED
    assert list(CreditRecord.objects.values_list("user_id", "credits")) == [(later.pk, Decimal("2.00"))]
    assert list(HeldRecord.objects.values_list("email", flat=True)) == ["never@example.org"]


@pytest.mark.parametrize("scan_from", [5000, 0], ids=["looked-up-per-thousand", "one-pass-over-the-accounts"])
def test_a_learner_who_got_an_account_since_the_preview_is_found_not_duplicated(course, tmp_path, monkeypatch,
                                                                                 scan_from):
    monkeypatch.setattr("coursebridge.records.importer.SCAN_FROM", scan_from)
    path = write_csv(tmp_path / "records.csv", [HEADER, "since@example.org,S,I,2024-03-01,2024-03-02,1,2,ama_pra_1",
                                                "brand@example.org,B,R,2024-03-01,2024-03-02,1,2,ama_pra_1"])
    run = staged(course.academy, path, course=course)
    since = learner_in(GroupFactory(academy=course.academy), email="Since@Example.org")

    run = import_apply(run_id=run.pk)

    assert run.result["learners_created"] == 1
    assert sorted(User.objects.filter(academy=course.academy).values_list("email", flat=True)) == [
        "Since@Example.org", "brand@example.org"]
    assert Enrollment.objects.get(user=since, course=course).status == LearningStatus.COMPLETED


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the apply turns off sequential scans (enable_seqscan), a setting SQLite lacks",
)
def test_the_apply_reads_existing_records_by_index_and_restores_the_planner_setting(course):
    from coursebridge.records.importer import _by_index

    sql = "EXPLAIN SELECT user_id, course_id, credit_type_id FROM records_creditrecord WHERE user_id IN (1, 2, 3)"
    with transaction.atomic(), connection.cursor() as cursor:
        with _by_index():
            cursor.execute(sql)
            plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute("SHOW enable_seqscan")
        after = cursor.fetchone()[0]

    assert "Seq Scan" not in plan and "Index" in plan, plan
    assert after == "on"
