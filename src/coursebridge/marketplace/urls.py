"""The marketplace: UI under /marketplace/, the provider API under /marketplace/api/."""

from django.urls import path, re_path

from coursebridge.marketplace import api, views

app_name = "marketplace"

urlpatterns = [
    # Provider API (OpenSesame's wire format)
    path("api/oauth2/token", api.token, name="api_token"),
    path("api/v1/content", api.content, name="api_content"),
    path("api/v1/content/<str:code>/package", api.package, name="api_package"),
    re_path(r"^api/(?P<rest>.*)$", api.not_found, name="api_not_found"),
    # The learner
    path("aicc/<str:ciid>/<str:code>/", views.aicc_launch, name="aicc_launch"),
    path("content/<str:key>/<path:path>", views.content_file, name="content_file"),
    # The customer admin
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/<slug:account>/", views.dashboard, name="dashboard"),
    path("accounts/<slug:account>/lists/", views.list_index, name="list_index"),
    path("accounts/<slug:account>/lists/<int:list_id>/", views.list_detail, name="list_detail"),
    path("accounts/<slug:account>/lists/<int:list_id>/add-to-library", views.library_add, name="library_add"),
    path("accounts/<slug:account>/lists/<int:list_id>/deliver", views.deliver, name="deliver"),
    path("accounts/<slug:account>/deliveries/<int:job_id>/", views.delivery_status, name="delivery_status"),
    path("accounts/<slug:account>/jobs/<int:job_id>/", views.job_status, name="job_status"),
    path("accounts/<slug:account>/courses/", views.my_courses, name="my_courses"),
    path("accounts/<slug:account>/integrations/<int:integration_id>/courses/", views.legacy_queue,
         name="legacy_queue"),
    path("accounts/<slug:account>/integrations/<int:integration_id>/courses/send", views.legacy_send,
         name="legacy_send"),
    path("accounts/<slug:account>/integrations/<int:integration_id>/courses/<int:delivery_id>/remove",
         views.legacy_remove, name="legacy_remove"),
    path("accounts/<slug:account>/activity/", views.activity, name="activity"),
]
