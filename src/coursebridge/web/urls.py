"""The pages. Everything about one academy lives under /a/<slug>/, where the academy is resolved
for the signed-in user (their own, or any for a site admin) before a view runs."""

from django.urls import include, path

from coursebridge.connectors.urls import academy_urlpatterns as connectors_academy_patterns
from coursebridge.content.urls import academy_urlpatterns as content_academy_patterns
from coursebridge.programs.urls import academy_urlpatterns as programs_academy_patterns
from coursebridge.records.urls import academy_urlpatterns as records_academy_patterns
from coursebridge.reporting.urls import academy_urlpatterns as reporting_academy_patterns
from coursebridge.web.views import categories, courses, groups, home, learner, tokens, users

app_name = "web"

academy_patterns = [
    path("", learner.academy_home, name="academy_home"),
    path("catalogue/", learner.catalogue, name="catalogue"),
    path("courses/<int:course_id>/", learner.course_detail, name="course_detail"),
    path("courses/<int:course_id>/start/", learner.course_start, name="course_start"),
    path("transcript/", learner.transcript, name="transcript"),
    path("me/tokens/", tokens.token_list, name="token_list"),
    path("me/tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("admin/groups/", groups.group_list, name="group_list"),
    path("admin/groups/<int:group_id>/subgroups/", groups.group_add_child, name="group_add_child"),
    path("admin/groups/<int:group_id>/rename/", groups.group_rename_view, name="group_rename"),
    path("admin/groups/<int:group_id>/delete/", groups.group_delete_view, name="group_delete"),
    path("admin/users/", users.user_list, name="user_list"),
    path("admin/users/new/", users.user_new, name="user_new"),
    path("admin/users/<int:user_id>/", users.user_detail, name="user_detail"),
    path("admin/users/<int:user_id>/memberships/", users.membership_add, name="membership_add"),
    path(
        "admin/users/<int:user_id>/memberships/<int:membership_id>/revoke/",
        users.membership_remove,
        name="membership_revoke",
    ),
    path("admin/courses/", courses.course_list, name="course_list"),
    path("admin/courses/new/", courses.course_new, name="course_new"),
    path("admin/courses/export/", courses.course_export, name="course_export"),
    path("admin/courses/<int:course_id>/edit/", courses.course_edit, name="course_edit"),
    path("admin/courses/<int:course_id>/placements/", courses.course_placements, name="course_placements"),
    path("admin/courses/<int:course_id>/archive/", courses.course_lifecycle, {"action": "archive"},
         name="course_archive"),
    path("admin/courses/<int:course_id>/deactivate/", courses.course_lifecycle, {"action": "deactivate"},
         name="course_deactivate"),
    path("admin/courses/<int:course_id>/reactivate/", courses.course_lifecycle, {"action": "reactivate"},
         name="course_reactivate"),
    path("admin/categories/", categories.category_list, name="category_list"),
    path("admin/categories/new/", categories.category_new, name="category_new"),
    path("admin/categories/<int:category_id>/rename/", categories.category_rename_view, name="category_rename"),
    path("admin/categories/<int:category_id>/delete/", categories.category_delete_view, name="category_delete"),
]

academy_patterns += content_academy_patterns
academy_patterns += records_academy_patterns
academy_patterns += connectors_academy_patterns
academy_patterns += programs_academy_patterns
academy_patterns += reporting_academy_patterns

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", home.LoginView.as_view(), name="login"),
    path("accounts/logout/", home.LogoutView.as_view(), name="logout"),
    path("academies/", home.academy_list, name="academy_list"),
    path("a/<slug:slug>/", include(academy_patterns)),
]
