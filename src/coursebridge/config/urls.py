from django.contrib import admin
from django.urls import include, path

from coursebridge.config.api import api

urlpatterns = [
    path("site-admin/", admin.site.urls),
    path("api/", api.urls),
    path("jobs/", include("coursebridge.core.urls")),
    path("content/", include("coursebridge.content.urls")),
    path("marketplace/", include("coursebridge.marketplace.urls")),
    path("", include("coursebridge.web.urls")),
]

handler400 = "coursebridge.web.errors.bad_request"
handler403 = "coursebridge.web.errors.forbidden"
handler404 = "coursebridge.web.errors.not_found"
handler500 = "coursebridge.web.errors.server_error"
