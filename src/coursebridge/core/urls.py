from django.urls import path

from coursebridge.core import views

app_name = "core"

urlpatterns = [
    path("<int:job_id>/", views.job_status, name="job-status"),
    path("<int:job_id>/download", views.job_download, name="job-download"),
]
