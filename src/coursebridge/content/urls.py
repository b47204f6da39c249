"""Content pages. `academy_urlpatterns` are mounted by web.urls under /a/<slug>/ (namespace "web"),
so the tenant-isolation test walks them with every other academy page; `urlpatterns` hold the
endpoints content calls without a session (HACP), mounted at /content/ (namespace "content")."""

from django.urls import URLPattern, path

from coursebridge.content import views_admin, views_hacp, views_import

app_name = "content"

academy_urlpatterns: list[URLPattern] = [
    path("admin/courses/import/", views_import.package_import_page, name="package_import"),
    path("admin/courses/import/decide/", views_import.package_import_decide, name="package_import_decide"),
    path("admin/attempts/<int:attempt_id>/", views_admin.attempt_detail, name="attempt_detail"),
]

urlpatterns: list[URLPattern] = [
    path("hacp", views_hacp.hacp_endpoint, name="hacp"),
]
