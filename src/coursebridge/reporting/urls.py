"""Report pages, mounted by web.urls under /a/<slug>/ (namespace "web"), so the tenant-isolation
test walks them with every other academy page."""

from django.urls import URLPattern, path

from coursebridge.reporting import views

academy_urlpatterns: list[URLPattern] = [
    path("admin/dashboard/", views.dashboard, name="dashboard"),
    path("admin/activity-report/", views.activity_report, name="activity_report"),
    path("admin/activity-report/export/", views.activity_export, name="activity_export"),
]
