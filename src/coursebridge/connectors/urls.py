"""Connector pages, mounted by web.urls under /a/<slug>/ (namespace "web") so the tenant-isolation
test walks them with every other academy page."""

from django.urls import URLPattern, path

from coursebridge.connectors import views
from coursebridge.connectors.providers.opensesame import views as opensesame_views

academy_urlpatterns: list[URLPattern] = [
    path("admin/connections/", views.connection_list, name="connection_list"),
    path("admin/connections/new/", views.connection_new, name="connection_new"),
    path("admin/connections/<int:connection_id>/", views.connection_edit, name="connection_edit"),
    path("admin/connections/<int:connection_id>/test/", views.connection_test, name="connection_test"),
    path("admin/connections/<int:connection_id>/sync/", views.connection_sync, name="connection_sync"),
    path("admin/connections/<int:connection_id>/runs/", views.connection_runs, name="connection_runs"),
    path("admin/connections/<int:connection_id>/unmatched/", views.connection_unmatched,
         name="connection_unmatched"),
    path("admin/control-panel/content-providers/", opensesame_views.content_providers, name="content_providers"),
]
