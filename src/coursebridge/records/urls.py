"""Pages of the course record importer. `academy_urlpatterns` are mounted by web.urls under
/a/<slug>/ (namespace "web"), so the tenant-isolation test walks them with every other page."""

from django.urls import URLPattern, path

from coursebridge.records import views

academy_urlpatterns: list[URLPattern] = [
    path("import/", views.import_home, name="records_import"),
    path("import/global/", views.global_upload, name="records_global_upload"),
    path("import/global/template.csv", views.template_download, {"scope": "global"},
         name="records_global_template"),
    path("import/courses/template.csv", views.template_download, {"scope": "course"},
         name="records_course_template"),
    path("import/credit-types/", views.credit_type_list, name="records_credit_types"),
    path("import/credit-types/<int:credit_type_id>/", views.credit_type_edit, name="records_credit_type_edit"),
    path("import/courses/<int:course_id>/", views.course_upload, name="records_course_upload"),
    path("import/courses/<int:course_id>/offers/", views.course_offer_set, name="records_offer_set"),
    path("import/courses/<int:course_id>/certificate/", views.certificate_toggle, name="records_certificate_toggle"),
    path("import/courses/<int:course_id>/pars/", views.pars_page, name="records_pars"),
    path("import/runs/<int:run_id>/", views.run_page, name="records_run"),
    path("import/runs/<int:run_id>/report.csv", views.run_report, name="records_run_report"),
    path("import/runs/<int:run_id>/apply/", views.run_apply, name="records_run_apply"),
    path("import/held/assign/", views.held_assign, name="records_held_assign"),
    path("import/locks/<int:lock_id>/unlock/", views.lock_unlock, name="records_unlock"),
    path("import/users/<int:user_id>/profile/", views.profile_edit, name="records_profile"),
    path("me/certificates/", views.my_certificates, name="records_certificates"),
    path("courses/<int:course_id>/certificate.pdf", views.certificate_download, name="records_certificate"),
]
