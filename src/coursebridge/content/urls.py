"""Content pages. `academy_urlpatterns` are mounted by web.urls under /a/<slug>/ (namespace "web"),
so the tenant-isolation test walks them with every other academy page; `urlpatterns` hold the
endpoints content calls without a session (HACP), mounted at /content/ (namespace "content")."""

from django.urls import URLPattern, path

from coursebridge.content import views, views_admin, views_hacp, views_import

app_name = "content"

academy_urlpatterns: list[URLPattern] = [
    path("admin/courses/import/", views_import.package_import_page, name="package_import"),
    path("admin/courses/import/decide/", views_import.package_import_decide, name="package_import_decide"),
    path("admin/attempts/<int:attempt_id>/", views_admin.attempt_detail, name="attempt_detail"),
    path("play/<int:attempt_id>/", views.player, name="player"),
    path("play/<int:attempt_id>/units/<int:unit_id>/", views.unit_launch, name="unit_launch"),
    path("play/<int:attempt_id>/units/<int:unit_id>/commit/", views.scorm_commit_view, name="scorm_commit"),
    path("play/<int:attempt_id>/units/<int:unit_id>/state/", views.scorm_state_view, name="scorm_state"),
    path("packages/<int:package_id>/files/<path:path>", views.package_file, name="package_file"),
]

urlpatterns: list[URLPattern] = [
    path("hacp", views_hacp.hacp_endpoint, name="hacp"),
]
