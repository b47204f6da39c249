import pytest
from django.test import Client
from django.urls import reverse

from coursebridge.catalog.models import CourseStatus
from coursebridge.catalog.services import course_archive, course_deactivate
from coursebridge.learning.models import Attempt, Enrollment, LearningStatus, TimeSource
from coursebridge.learning.services import attempt_record_progress, launch_course
from tests.factories import (
    AcademyFactory,
    CategoryFactory,
    CourseFactory,
    GroupFactory,
    UserFactory,
    learner_in,
    root_group,
    training_admin_of,
)

pytestmark = pytest.mark.django_db


def showing(first, last, total):
    return f"Showing {first}\u2013{last} of {total}"


def url(name, academy, **kwargs):
    return reverse(f"web:{name}", kwargs={"slug": academy.slug, **kwargs})


@pytest.fixture
def school():
    academy = AcademyFactory(slug="north", name="North Academy")
    group = GroupFactory(academy=academy, name="Sales")
    return academy, group, learner_in(group)


# Catalogue


def test_catalogue_lists_the_courses_of_the_learners_groups_and_their_ancestors(school, client_for):
    academy, group, learner = school
    CourseFactory(academy=academy, title="Negotiation", placed_in=group)
    CourseFactory(academy=academy, title="Welcome aboard", placed_in=root_group(academy))
    CourseFactory(academy=academy, title="Not placed")
    other = GroupFactory(academy=academy, name="Support")
    CourseFactory(academy=academy, title="Support only", placed_in=other)

    response = client_for(learner).get(url("catalogue", academy))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Negotiation" in content
    assert "Welcome aboard" in content
    assert "Not placed" not in content
    assert "Support only" not in content
    assert showing(1, 2, 2) in content


def test_catalogue_hides_inactive_archived_and_hidden_courses(school, client_for):
    academy, group, learner = school
    CourseFactory(academy=academy, title="Live course", placed_in=group)
    course_deactivate(course=CourseFactory(academy=academy, title="Retired one", placed_in=group), reason="gone")
    course_archive(course=CourseFactory(academy=academy, title="Archived one", placed_in=group), reason="old")
    CourseFactory(academy=academy, title="Hidden one", visibility="hidden", placed_in=group)

    content = client_for(learner).get(url("catalogue", academy)).content.decode()

    assert "Live course" in content
    for title in ("Retired one", "Archived one", "Hidden one"):
        assert title not in content


def test_catalogue_search_matches_every_word_as_a_prefix(school, client_for):
    academy, group, learner = school
    CourseFactory(academy=academy, title="Leadership for new managers", placed_in=group)
    CourseFactory(academy=academy, title="Python basics", placed_in=group)

    content = client_for(learner).get(url("catalogue", academy), {"q": "lead manag"}).content.decode()

    assert "Leadership for new managers" in content
    assert "Python basics" not in content
    assert showing(1, 1, 1) in content
    assert 'value="lead manag"' in content


def test_catalogue_search_from_htmx_answers_only_the_results(school, client_for):
    academy, group, learner = school
    CourseFactory(academy=academy, title="Leadership", placed_in=group)
    CourseFactory(academy=academy, title="Python basics", placed_in=group)

    response = client_for(learner).get(url("catalogue", academy), {"q": "pyth"}, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="results"' not in content
    assert "Python basics" in content
    assert "Leadership" not in content
    assert "HX-Request" in response["Vary"]


def test_catalogue_page_has_the_live_search_box_and_works_without_javascript(school, client_for):
    academy, _, learner = school

    content = client_for(learner).get(url("catalogue", academy)).content.decode()

    assert f'hx-get="{url("catalogue", academy)}"' in content
    assert 'hx-trigger="input changed delay:300ms, search"' in content
    assert 'hx-target="#results"' in content
    assert f'<form class="search" method="get" action="{url("catalogue", academy)}"' in content
    assert "/static/web/htmx.min.js" in content
    assert "https://" not in content.split("<body")[0]


def test_catalogue_category_filter_includes_subcategories(school, client_for):
    academy, group, learner = school
    business = CategoryFactory(academy=academy, name="Business")
    leadership = CategoryFactory(academy=academy, name="Leadership", parent=business)
    CategoryFactory(academy=academy, name="Technology")
    CourseFactory(academy=academy, title="Lead teams", placed_in=group).categories.add(leadership)
    CourseFactory(academy=academy, title="Budgeting", placed_in=group).categories.add(business)
    CourseFactory(academy=academy, title="Kubernetes", placed_in=group)

    content = client_for(learner).get(url("catalogue", academy), {"category": business.pk}).content.decode()

    assert "Lead teams" in content
    assert "Budgeting" in content
    assert "Kubernetes" not in content
    assert "Technology" in content  # the tree is still offered
    assert f'href="?category={business.pk}" aria-current="true"' in content
    assert "In <strong>Business</strong>" in content


def test_catalogue_pages_by_twenty_with_previous_and_next(school, client_for):
    academy, group, learner = school
    for n in range(25):
        CourseFactory(academy=academy, title=f"Course {n:02d}", placed_in=group)
    client = client_for(learner)

    first = client.get(url("catalogue", academy)).content.decode()
    second = client.get(url("catalogue", academy), {"page": 2}).content.decode()

    assert showing(1, 20, 25) in first
    assert "Course 19" in first and "Course 20" not in first
    assert 'rel="next" href="?page=2"' in first
    assert showing(21, 25, 25) in second
    assert "Course 20" in second and "Course 19" not in second
    assert 'rel="prev" href="?page=1"' in second


def test_catalogue_empty_states_say_why(school, client_for):
    academy, group, learner = school
    loner = UserFactory(academy=academy)

    no_group = client_for(loner).get(url("catalogue", academy)).content.decode()
    empty = client_for(learner).get(url("catalogue", academy)).content.decode()
    CourseFactory(academy=academy, title="Python", placed_in=group)
    no_match = client_for(learner).get(url("catalogue", academy), {"q": "zebra"}).content.decode()

    assert "You are not in any group of this academy yet." in no_group
    assert "No course in your catalogue yet." in empty
    assert "No course matches “zebra”." in no_match


def test_catalogue_needs_a_signed_in_user(school):
    academy, _, _ = school

    response = Client().get(url("catalogue", academy))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/a/{academy.slug}/catalogue/"


def test_live_search_after_the_session_ended_sends_the_whole_page_to_sign_in(school):
    academy, _, _ = school
    page = f"http://testserver{url('catalogue', academy)}?q=lead"

    response = Client().get(url("catalogue", academy), {"q": "lead"},
                            headers={"HX-Request": "true", "HX-Current-URL": page})

    assert response.status_code == 204
    assert response["HX-Redirect"] == (
        f"/accounts/login/?next=http%3A//testserver/a/{academy.slug}/catalogue/%3Fq%3Dlead"
    )


def test_another_academys_catalogue_is_not_found(school, client_for):
    _, _, learner = school
    other = AcademyFactory(name="Other Academy")

    response = client_for(learner).get(url("catalogue", other))

    assert response.status_code == 404
    assert "Other Academy" not in response.content.decode()


def test_academy_address_leads_to_the_catalogue(school, client_for):
    academy, _, learner = school

    response = client_for(learner).get(url("academy_home", academy))

    assert response.status_code == 302
    assert response["Location"] == url("catalogue", academy)


# Course presentation


def test_course_page_shows_the_course_and_a_start_form(school, client_for):
    academy, group, learner = school
    category = CategoryFactory(academy=academy, name="Sales skills")
    course = CourseFactory(
        academy=academy, title="Closing deals", placed_in=group, duration_minutes=90, language="en",
        image_url="https://img.example.org/deals.png",
        description='<p>Close <b>more</b> deals.</p><script>alert("x")</script><img src=x onerror="alert(1)">',
    )
    course.categories.add(category)
    course.tags.create(academy=academy, name="negotiation")

    response = client_for(learner).get(url("course_detail", academy, course_id=course.pk))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Closing deals " in content
    assert "<p>Close <b>more</b> deals.</p>" in content
    assert "alert" not in content
    assert "onerror" not in content
    assert "1 h 30 min" in content
    assert "<dd>en</dd>" in content
    assert '<img src="https://img.example.org/deals.png"' in content
    assert '<span class="chip">Sales skills</span>' in content
    assert "#negotiation" in content
    assert f'action="{url("course_start", academy, course_id=course.pk)}"' in content
    assert "csrfmiddlewaretoken" in content
    assert ">START</button>" in content


def test_archived_course_page_shows_the_label_and_explains_instead_of_start(school, client_for):
    academy, group, learner = school
    course = CourseFactory(academy=academy, title="Old course", placed_in=group)
    course_archive(course=course, reason="Replaced")

    content = client_for(learner).get(url("course_detail", academy, course_id=course.pk)).content.decode()

    assert '<span class="badge status-archived">Archived</span>' in content
    assert "This course is archived and cannot be launched." in content
    assert "course_start" not in content
    assert url("course_start", academy, course_id=course.pk) not in content


def test_inactive_course_the_learner_started_can_be_opened_and_continued(school, client_for):
    academy, group, learner = school
    course = CourseFactory(academy=academy, title="Retiring course", placed_in=group)
    launch_course(user=learner, course=course)
    course.placements.all().delete()
    course_deactivate(course=course, reason="Provider removed it")

    content = client_for(learner).get(url("course_detail", academy, course_id=course.pk)).content.decode()

    assert '<span class="badge status-inactive">Inactive</span>' in content
    assert ">CONTINUE</button>" in content


def test_course_page_of_a_course_outside_the_learners_catalogue_is_not_found(school, client_for):
    academy, _, learner = school
    elsewhere = CourseFactory(academy=academy, title="Elsewhere", placed_in=GroupFactory(academy=academy))
    other_academy_course = CourseFactory(title="Foreign")

    client = client_for(learner)

    assert client.get(url("course_detail", academy, course_id=elsewhere.pk)).status_code == 404
    response = client.get(url("course_detail", academy, course_id=other_academy_course.pk))
    assert response.status_code == 404
    assert "Foreign" not in response.content.decode()


def test_training_admin_may_preview_any_course_of_the_academy(school, client_for):
    academy, _, _ = school
    course = CourseFactory(academy=academy, title="Draft for later")

    response = client_for(training_admin_of(academy)).get(url("course_detail", academy, course_id=course.pk))

    assert response.status_code == 200
    assert "Draft for later" in response.content.decode()


# START


def test_start_launches_the_course_and_redirects_to_its_address(school, client_for):
    academy, group, learner = school
    course = CourseFactory(academy=academy, launch_url="https://learn.example.org/deals", placed_in=group)

    response = client_for(learner).post(url("course_start", academy, course_id=course.pk))

    assert response.status_code == 302
    assert response["Location"] == "https://learn.example.org/deals"
    enrollment = Enrollment.objects.get(user=learner, course=course)
    assert enrollment.status == LearningStatus.IN_PROGRESS
    assert Attempt.objects.filter(enrollment=enrollment).count() == 1


def test_start_is_a_post(school, client_for):
    academy, group, learner = school
    course = CourseFactory(academy=academy, placed_in=group)

    response = client_for(learner).get(url("course_start", academy, course_id=course.pk))

    assert response.status_code == 405
    assert not Enrollment.objects.exists()


def test_start_of_an_archived_course_is_refused_with_the_message(school, client_for):
    academy, group, learner = school
    course = CourseFactory(academy=academy, title="Old course", placed_in=group)
    course_archive(course=course, reason="Replaced")

    response = client_for(learner).post(url("course_start", academy, course_id=course.pk))

    content = response.content.decode()
    assert response.status_code == 403
    assert "&#x27;Old course&#x27; is archived and cannot be launched." in content
    assert f'href="{url("course_detail", academy, course_id=course.pk)}"' in content
    assert not Enrollment.objects.exists()


def test_start_of_an_inactive_course_not_started_is_refused(school, client_for):
    academy, group, learner = school
    course = CourseFactory(academy=academy, title="Retired", placed_in=group)
    course_deactivate(course=course, reason="withdrawn by the provider")

    response = client_for(learner).post(url("course_start", academy, course_id=course.pk))

    assert response.status_code == 403
    assert "is no longer offered (withdrawn by the provider)" in response.content.decode()


def test_start_of_a_course_outside_the_catalogue_is_not_found(school, client_for):
    academy, _, learner = school
    course = CourseFactory(academy=academy, placed_in=GroupFactory(academy=academy))

    response = client_for(learner).post(url("course_start", academy, course_id=course.pk))

    assert response.status_code == 404
    assert not Enrollment.objects.exists()


def test_start_needs_the_csrf_token(school):
    academy, group, learner = school
    course = CourseFactory(academy=academy, placed_in=group)
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)

    response = client.post(url("course_start", academy, course_id=course.pk))

    assert response.status_code == 403
    assert not Enrollment.objects.exists()


# Transcript


def test_transcript_shows_every_enrollment_with_its_progress(school, client_for):
    academy, group, learner = school
    active = CourseFactory(academy=academy, title="Active course", placed_in=group)
    archived = CourseFactory(academy=academy, title="Archived course", placed_in=group)
    finished = CourseFactory(academy=academy, title="Finished course", placed_in=group)
    launch_course(user=learner, course=active)
    attempt = launch_course(user=learner, course=finished).attempt
    attempt_record_progress(attempt=attempt, status=LearningStatus.PASSED, score=87.5, time_spent_seconds=3900)
    launch_course(user=learner, course=archived)
    Enrollment.objects.filter(course=archived).update(
        progress=40, time_spent_seconds=1200, time_source=TimeSource.THEORETICAL
    )
    course_archive(course=archived, reason="Replaced")

    response = client_for(learner).get(url("transcript", academy))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<tr>") == 4  # the head row and three enrollments
    assert 'Archived course</a> <span class="badge status-archived">Archived</span>' in content
    assert '<span class="pill status-in-progress">In progress</span>' in content
    assert '<span class="pill status-passed">Passed</span>' in content
    assert 'style="width: 40%"' in content
    assert "20 min <span class=\"estimate\"" in content
    assert "87.5" in content
    assert "1 h 05 min" in content
    finished_row = content.split("Finished course")[1].split("</tr>")[0]
    assert finished_row.count("<time") == 3  # first, last activity and completion
    assert '<td data-label="Attempts" class="num">1</td>' in finished_row


def test_transcript_empty_state(school, client_for):
    academy, _, learner = school

    content = client_for(learner).get(url("transcript", academy)).content.decode()

    assert "Nothing here yet." in content
    assert url("catalogue", academy) in content


def test_transcript_shows_only_the_signed_in_learners_enrollments(school, client_for):
    academy, group, learner = school
    colleague = learner_in(group)
    course = CourseFactory(academy=academy, title="Shared course", placed_in=group)
    launch_course(user=colleague, course=course)

    content = client_for(learner).get(url("transcript", academy)).content.decode()

    assert "Shared course" not in content
    assert course.status == CourseStatus.ACTIVE
