"""Every marketplace page, taken from the URL resolver so new pages are covered as they are added, is
requested by an admin of account A with account B's slug and ids, and with A's slug and B's ids: the
answer is a 404 (or 405), B's data never shows, and nothing of B changes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from coursebridge.core.jobs import job_create
from coursebridge.marketplace import services
from coursebridge.marketplace.models import CourseList, Delivery, Integration, License
from tests.marketplace import factories as f

pytestmark = pytest.mark.django_db

MARKER = "zebra"
# Pages that take no account: the sign-in pages, the learner's launch (a CIID and a launch key stand
# for the account there) and the provider API (its token does).
ACCOUNT_FREE = {"home", "login", "logout", "aicc_launch", "content_file", "api_token", "api_content", "api_package",
                "api_not_found"}


def patterns():
    found = []

    def walk(entries, inherited):
        for entry in entries:
            names = inherited | set(entry.pattern.converters)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, names)
            elif isinstance(entry, URLPattern) and entry.name:
                found.append((entry.name, names))

    walk(get_resolver("coursebridge.marketplace.urls").url_patterns, set())
    return found


@pytest.fixture
def beta(media):
    account = f.account(slug=f"{MARKER}-co", name=f"{MARKER} Co")
    course = f.course(title=f"{MARKER} course", package=False)
    course_list = services.list_create(account=account, title=f"{MARKER} list", groups=[(f"{MARKER} group", [course])])
    legacy = f.integration(account, "legacy", name=f"{MARKER} LMS")
    f.delivered(account, legacy, [course])
    job = job_create(kind="marketplace.deliver", academy_id=None, created_by_id=None,
                     params={"account_id": account.pk, "integration_ids": [legacy.pk], "licenses": {}})
    return {"account": account, "list": course_list, "integration": legacy, "job": job,
            "delivery": Delivery.objects.get(integration=legacy)}


def snapshot(account):
    return {
        "deliveries": sorted(Delivery.objects.filter(account=account).values_list("id", "sent_at")),
        "licenses": sorted(License.objects.filter(account=account).values_list("id", "kind")),
        "lists": sorted(CourseList.objects.filter(account=account).values_list("id", "title")),
        "integrations": sorted(Integration.objects.filter(account=account).values_list("id", "name")),
    }


def fill(names, slug, beta):
    values = {"account": slug, "list_id": beta["list"].pk, "job_id": beta["job"].pk,
              "integration_id": beta["integration"].pk, "delivery_id": beta["delivery"].pk}
    unknown = names - set(values)
    assert not unknown, f"teach this test how to fill {sorted(unknown)} with account B's ids"
    return {name: values[name] for name in names}


def test_the_walk_knows_every_page():
    for name, names in patterns():
        assert name in ACCOUNT_FREE or "account" in names, name


@pytest.mark.parametrize("own_slug", [False, True], ids=["b-slug", "a-slug-b-ids"])
def test_an_admin_of_a_cannot_enter_account_b_through_any_page(beta, own_slug):
    alpha = f.account(slug="alpha")
    client = Client()
    client.force_login(f.admin_of(alpha))
    before = snapshot(beta["account"])
    checked = 0

    for name, names in patterns():
        if name in ACCOUNT_FREE or (own_slug and names == {"account"}):
            continue
        address = reverse(f"marketplace:{name}", kwargs=fill(names, alpha.slug if own_slug else beta["account"].slug,
                                                            beta))
        for method, answer in {
            "GET": client.get(address),
            "POST": client.post(address, {"courses": [1], "integrations": [beta["integration"].pk], "confirm": "1"}),
            "POST htmx": client.post(address, {"courses": [1]}, headers={"HX-Request": "true"}),
        }.items():
            assert answer.status_code in {404, 405}, (method, address, answer.status_code)
            assert MARKER not in answer.content.decode().lower(), (method, address)
        checked += 1

    assert checked >= (7 if own_slug else 12)
    assert snapshot(beta["account"]) == before
