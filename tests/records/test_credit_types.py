"""Credit types: the academy admin lists, adds and edits them on a page of their own (and over the API);
a course offers them from its import page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from coursebridge.accounts.services import api_token_create
from coursebridge.records.models import CourseCreditOffer, CreditType
from tests.factories import AcademyFactory, CourseFactory, GroupFactory, learner_in, training_admin_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def academy():
    return AcademyFactory(slug="heart", name="Heart Academy")


def url(name, academy, **kwargs):
    return reverse(f"web:{name}", kwargs={"slug": academy.slug, **kwargs})


def types_of(academy):
    return list(CreditType.objects.filter(academy=academy, is_default=False).values_list("machine_name", "name",
                                                                                           "unit"))


def test_the_page_lists_the_defaults_and_adds_a_type(academy, client_for):
    client = client_for(training_admin_of(academy))

    page = client.get(url("records_credit_types", academy)).content.decode()
    response = client.post(url("records_credit_types", academy), {"machine_name": "jc_ceu",
                                                                  "name": "Joint Commission CEU", "unit": "CEU"},
                           follow=True)

    for name in ("ama_pra_1", "AMA PRA Category 1 Credit", "ancc", "acpe", "iacet_ceu", "moc"):
        assert name in page
    assert "Credit type &#x27;Joint Commission CEU&#x27; added: files write it jc_ceu." in response.content.decode()
    assert types_of(academy) == [("jc_ceu", "Joint Commission CEU", "CEU")]


@pytest.mark.parametrize(("machine_name", "message"), [
    ("JC CEU", "&#x27;JC CEU&#x27; is not a machine name: use lower-case letters, digits and &#x27;_&#x27;, starting "
               "with a letter, at most 60 characters. For example &#x27;jc_ceu&#x27;."),
    ("9lives", "&#x27;9lives&#x27; is not a machine name: use lower-case letters, digits and &#x27;_&#x27;, starting "
               "with a letter, at most 60 characters."),
    ("moc", "The academy already has a credit type &#x27;moc&#x27;."),
])
def test_a_bad_or_taken_machine_name_is_refused_next_to_the_field(academy, client_for, machine_name, message):
    client = client_for(training_admin_of(academy))

    response = client.post(url("records_credit_types", academy), {"machine_name": machine_name, "name": "Some credit"})

    assert response.status_code in {400, 409}
    assert message in response.content.decode()
    assert types_of(academy) == []


def test_editing_changes_name_and_unit_but_never_the_machine_name(academy, client_for):
    client = client_for(training_admin_of(academy))
    client.post(url("records_credit_types", academy), {"machine_name": "jc_ceu", "name": "JC", "unit": ""})
    credit_type = CreditType.objects.get(machine_name="jc_ceu")

    form = client.get(url("records_credit_type_edit", academy, credit_type_id=credit_type.pk)).content.decode()
    response = client.post(url("records_credit_type_edit", academy, credit_type_id=credit_type.pk),
                           {"machine_name": "hacked", "name": "Joint Commission CEU", "unit": "CEU"})
    empty = client.post(url("records_credit_type_edit", academy, credit_type_id=credit_type.pk),
                        {"name": "  ", "unit": ""})

    assert 'value="jc_ceu"' in form and "disabled" in form and "Fixed: files and credit records already use it." in form
    assert response.status_code == 302
    assert empty.status_code == 400 and "A credit type needs a name." in empty.content.decode()
    assert types_of(academy) == [("jc_ceu", "Joint Commission CEU", "CEU")]


def test_the_import_page_and_the_course_page_link_to_the_credit_types(academy, client_for):
    course = CourseFactory(academy=academy)
    client = client_for(training_admin_of(academy))
    link = f'href="{url("records_credit_types", academy)}"'

    assert link in client.get(url("records_import", academy)).content.decode()
    assert link in client.get(url("records_course_upload", academy, course_id=course.pk)).content.decode()


def test_a_course_offers_a_new_type_with_a_maximum_and_variable_credit(academy, client_for):
    course = CourseFactory(academy=academy)
    client = client_for(training_admin_of(academy))
    client.post(url("records_credit_types", academy), {"machine_name": "jc_ceu", "name": "Joint Commission CEU"})
    credit_type = CreditType.objects.get(machine_name="jc_ceu")

    response = client.post(url("records_offer_set", academy, course_id=course.pk), {
        "credit_type": credit_type.pk, "max_credits": "1.5", "variable_allowed": "on"}, follow=True)

    assert "The course offers Joint Commission CEU." in response.content.decode()
    assert "Joint Commission CEU (<code>jc_ceu</code>): at most 1.50, variable" in response.content.decode()
    assert list(CourseCreditOffer.objects.values_list("course_id", "credit_type_id", "max_credits",
                                                      "variable_allowed")) == [
        (course.pk, credit_type.pk, Decimal("1.50"), True)]


def test_learners_cannot_open_the_credit_types(academy, client_for):
    learner = learner_in(GroupFactory(academy=academy))

    assert client_for(learner).get(url("records_credit_types", academy)).status_code == 403


def test_the_api_renames_a_type_and_refuses_a_bad_machine_name(academy, client):
    _, token = api_token_create(user=training_admin_of(academy), name="t")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    client.get("/api/academies/heart/credit-types")  # the first read creates the defaults
    moc = CreditType.objects.get(academy=academy, machine_name="moc")

    renamed = client.patch(f"/api/academies/heart/credit-types/{moc.pk}", {"name": "MOC points (ABIM)"},
                           content_type="application/json")
    refused = client.post("/api/academies/heart/credit-types", {"machine_name": "Bad-Name", "name": "Bad"},
                          content_type="application/json")

    assert renamed.status_code == 200
    assert (renamed.json()["machine_name"], renamed.json()["name"], renamed.json()["unit"]) == (
        "moc", "MOC points (ABIM)", "points")
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "invalid", "field": "machine_name",
        "message": "'Bad-Name' is not a machine name: use lower-case letters, digits and '_', starting with a "
                   "letter, at most 60 characters. For example 'bad_name'.",
    }
