import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coursebridge.accounts.services import api_token_create
from coursebridge.records.importer import import_stage
from coursebridge.records.models import ImportRun
from tests.factories import AcademyFactory, CourseFactory, training_admin_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path / "media"
    academy = AcademyFactory(slug="heart")
    course = CourseFactory(academy=academy, external_id="CARD-1")
    _, token = api_token_create(user=training_admin_of(academy), name="t")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client, academy, course


def test_credit_types_start_with_the_five_defaults_and_admins_add_their_own(api):
    client, _, _ = api

    names = [t["machine_name"] for t in client.get("/api/academies/heart/credit-types").json()]
    added = client.post("/api/academies/heart/credit-types", {"machine_name": "jc_ceu", "name": "Joint Commission CEU"},
                        content_type="application/json")

    assert sorted(names) == ["acpe", "ama_pra_1", "ancc", "iacet_ceu", "moc"]
    assert added.status_code == 201 and added.json()["machine_name"] == "jc_ceu"


def test_upload_preview_and_apply_over_the_api(api):
    client, _, course = api
    offer = client.put(f"/api/academies/heart/courses/{course.pk}/credit-offers",
                       {"credit_type": "ama_pra_1", "max_credits": "2.00"}, content_type="application/json")
    assert offer.status_code == 200

    upload = client.post("/api/academies/heart/imports", {
        "course_id": course.pk,
        "file": SimpleUploadedFile(
            "r.csv", b"external_email,complete,credits,credit_type\na@example.org,1,1,ama_pra_1\n"),
    })
    assert upload.status_code == 202 and upload.json()["status"] == "staging"
    run_id = upload.json()["id"]
    import_stage(run_id=run_id)

    preview = client.get(f"/api/academies/heart/imports/{run_id}").json()
    assert preview["counts"]["errors"] == 1
    refused = client.post(f"/api/academies/heart/imports/{run_id}/apply", {}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "apply_valid_only"
    accepted = client.post(f"/api/academies/heart/imports/{run_id}/apply", {"apply_valid_only": True},
                           content_type="application/json")
    assert accepted.status_code == 202 and accepted.json()["kind"] == "records.apply"
    assert ImportRun.objects.get(pk=run_id).apply_valid_only is True


def test_pars_profile_fields_over_the_api(api):
    client, academy, _ = api
    from tests.factories import GroupFactory, learner_in

    learner = learner_in(GroupFactory(academy=academy))
    url = f"/api/academies/heart/users/{learner.pk}/pars-profile"

    bad = client.put(url, {"npi": "12"}, content_type="application/json")
    good = client.put(url, {"npi": "1234567890", "birth_month": 3, "birth_day": 4}, content_type="application/json")

    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "npi")
    assert good.json() == {"license_state": "", "license_id": "", "npi": "1234567890", "birth_month": 3,
                           "birth_day": 4, "certifying_board": "", "board_id": ""}
    assert client.get(url).json()["npi"] == "1234567890"
