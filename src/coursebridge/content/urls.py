"""Content pages. `academy_urlpatterns` are mounted by web.urls under /a/<slug>/ (namespace "web"),
so the tenant-isolation test walks them with every other academy page; `urlpatterns` hold the
endpoints content calls without a session (HACP), mounted at /content/ (namespace "content")."""

from django.urls import URLPattern

app_name = "content"

academy_urlpatterns: list[URLPattern] = []

urlpatterns: list[URLPattern] = []
