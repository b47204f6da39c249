"""The demo's course records: credit offered by one course with a certificate, a course-level import
already applied (credit for learners who completed it, a held row, a refused row), and a global
import of legacy data waiting in preview. It adds no user, course or enrollment to the demo."""

from __future__ import annotations

from django.core.files.base import ContentFile

from coursebridge.accounts.models import Academy, User
from coursebridge.catalog.models import Course, CourseKind
from coursebridge.learning.models import Enrollment, LearningStatus
from coursebridge.records.importer import import_apply, import_create, import_stage
from coursebridge.records.models import ImportScope
from coursebridge.records.selectors import credit_type_get
from coursebridge.records.services import course_certificate_set, course_credit_offer_set, credit_types_ensure


def records_demo_load(*, academy: Academy, admin: User) -> None:
    credit_types_ensure(academy=academy)
    course = (
        Course.objects.filter(academy=academy, kind=CourseKind.WEB_LINK, enrollments__status=LearningStatus.COMPLETED)
        .order_by("title").first()
    )
    if course is None:
        return
    if not course.external_id:
        course.external_id = "DEMO-CME-1"
        course.save(update_fields=["external_id"])
    course_credit_offer_set(course=course, credit_type=credit_type_get(academy=academy, machine_name="ama_pra_1"),
                            max_credits="2.00", variable_allowed=True)
    course_credit_offer_set(course=course, credit_type=credit_type_get(academy=academy, machine_name="moc"),
                            max_credits="2.00", variable_allowed=False)
    course_certificate_set(course=course, enabled=True)
    completed = Enrollment.objects.filter(course=course, status=LearningStatus.COMPLETED).select_related("user")
    lines = ["external_email,first_name,last_name,enrollment_start,date_completed,complete,credits,credit_type,"
             "participant_category"]
    for enrollment in completed:
        user = enrollment.user
        day = (enrollment.completed_at or enrollment.enrolled_at).date().isoformat()
        lines.append(f"{user.email},{user.first_name},{user.last_name},{day},{day},1,1.75,ama_pra_1,physician")
        lines.append(f"{user.email},{user.first_name},{user.last_name},{day},{day},1,2,moc,")
    lines.append("new.physician@example.org,Noor,Haddad,2024-02-01,2024-02-02,1,2,ama_pra_1,physician")
    lines.append("not.finished@example.org,Theo,Marsh,2024-02-01,,0,1,ama_pra_1,")
    run = import_create(academy=academy, scope=ImportScope.COURSE, course=course, by=admin,
                        source=ContentFile("\r\n".join(lines).encode()), filename="cme-attendance-2024.csv",
                        hold_unknown=True)
    import_apply(run_id=import_stage(run_id=run.pk).pk, valid_only=True)
    legacy = "\r\n".join([
        "external_course_id,title,external_email,complete,date_completed,credits,credit_type",
        "LEGACY-2019-ETHICS,Medical ethics (2019),admin@demo.example,1,2019-06-12,3,ancc",
        "LEGACY-2019-ETHICS,Medical ethics (2019),new.physician@example.org,1,2019-06-12,3,ancc",
    ]).encode()
    run = import_create(academy=academy, scope=ImportScope.GLOBAL, course=None, by=admin,
                        source=ContentFile(legacy), filename="legacy-transcripts-2019.csv")
    import_stage(run_id=run.pk)
