import pytest
from django.urls import reverse

from coursebridge.accounts.models import Role
from coursebridge.catalog.models import Category
from coursebridge.catalog.services import provider_categories_ensure
from tests.factories import AcademyFactory, CategoryFactory, GroupFactory, UserFactory, member, training_admin_of

pytestmark = pytest.mark.django_db


def url(name, academy, **kwargs):
    return reverse(f"web:{name}", kwargs={"slug": academy.slug, **kwargs})


@pytest.fixture
def academy():
    return AcademyFactory()


@pytest.fixture
def admin_client(academy, client_for):
    return client_for(training_admin_of(academy))


def test_tree_marks_provider_categories_and_offers_no_edit_for_them(academy, admin_client):
    business = CategoryFactory(academy=academy, name="Business")
    CategoryFactory(academy=academy, name="Budgets", parent=business)
    leaf = provider_categories_ensure(academy=academy, provider="opensesame", paths=["|Tech|Cloud"])["|Tech|Cloud"]

    content = admin_client.get(url("category_list", academy)).content.decode()
    tree = content.split('<ul class="tree-list">')[1]

    assert tree.index("Business") < tree.index("Budgets") < tree.index("Tech") < tree.index("Cloud")
    assert f'style="--depth: 1" id="category-{leaf.pk}"' in content
    cloud_row = content.split(f'id="category-{leaf.pk}"')[1].split("</li>")[0]
    assert ">from opensesame</span>" in cloud_row
    assert "Rename" not in cloud_row and "Delete" not in cloud_row
    assert url("category_rename", academy, category_id=business.pk) in content


def test_create_rename_and_delete_a_category(academy, admin_client):
    business = CategoryFactory(academy=academy, name="Business")

    created = admin_client.post(url("category_new", academy), {"name": "Finance", "parent": business.pk})
    finance = Category.objects.get(name="Finance")
    renamed = admin_client.post(url("category_rename", academy, category_id=finance.pk), {"name": "Money"})
    confirm = admin_client.get(url("category_delete", academy, category_id=finance.pk))
    deleted = admin_client.post(url("category_delete", academy, category_id=finance.pk))

    assert created.status_code == 302
    assert finance.parent == business
    assert renamed.status_code == 302
    assert "Delete the category “Money”?" in confirm.content.decode()
    assert deleted.status_code == 302
    assert list(Category.objects.values_list("name", flat=True)) == ["Business"]


def test_duplicate_category_is_refused_next_to_the_name(academy, admin_client):
    CategoryFactory(academy=academy, name="Business")

    response = admin_client.post(url("category_new", academy), {"name": "Business"})

    content = response.content.decode()
    assert response.status_code == 400
    assert "A category named &#x27;Business&#x27; already exists there." in content.split('for="id_name"')[1].split(
        "</div>")[0]


def test_provider_categories_cannot_be_renamed_or_deleted(academy, admin_client):
    leaf = provider_categories_ensure(academy=academy, provider="opensesame", paths=["|Tech"])["|Tech"]

    renamed = admin_client.post(url("category_rename", academy, category_id=leaf.pk), {"name": "Mine"})
    confirm = admin_client.get(url("category_delete", academy, category_id=leaf.pk))
    deleted = admin_client.post(url("category_delete", academy, category_id=leaf.pk))

    assert renamed.status_code == 400
    assert "&#x27;Tech&#x27; is created and managed by opensesame; it cannot be changed here." in (
        renamed.content.decode()
    )
    assert "which manages it: it cannot be deleted here." in confirm.content.decode()
    assert 'type="submit" class="btn danger"' not in confirm.content.decode()
    assert deleted.status_code == 400
    leaf.refresh_from_db()
    assert leaf.name == "Tech"


def test_category_with_subcategories_is_not_deleted(academy, admin_client):
    business = CategoryFactory(academy=academy, name="Business")
    CategoryFactory(academy=academy, name="Budgets", parent=business)

    response = admin_client.post(url("category_delete", academy, category_id=business.pk))

    assert response.status_code == 400
    assert "Delete or move its subcategories first." in response.content.decode()
    assert Category.objects.count() == 2


def test_categories_are_for_training_admins(academy, client_for):
    group_admin = UserFactory(academy=academy)
    member(group_admin, GroupFactory(academy=academy), Role.GROUP_ADMIN)

    response = client_for(group_admin).post(url("category_new", academy), {"name": "Mine"})

    assert response.status_code == 403
    assert not Category.objects.exists()
