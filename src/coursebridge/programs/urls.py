"""Program pages, mounted by web.urls under /a/<slug>/ (namespace "web"), so the tenant-isolation
test walks them with every other academy page."""

from django.urls import URLPattern, path

from coursebridge.programs import views

academy_urlpatterns: list[URLPattern] = [
    path("programs/", views.my_programs, name="my_programs"),
    path("programs/sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("programs/sessions/<int:session_id>/steps/<int:step_id>/start/", views.session_step_start,
         name="session_step_start"),
    path("admin/programs/", views.program_list, name="program_list"),
    path("admin/programs/<int:program_id>/", views.program_detail, name="program_detail"),
    path("admin/programs/<int:program_id>/edit/", views.program_edit, name="program_edit"),
    path("admin/programs/<int:program_id>/steps/", views.program_step_add, name="program_step_add"),
    path("admin/programs/<int:program_id>/steps/<int:step_id>/move/", views.program_step_move,
         name="program_step_move"),
    path("admin/programs/<int:program_id>/steps/<int:step_id>/remove/", views.program_step_remove,
         name="program_step_remove"),
    path("admin/programs/<int:program_id>/sessions/", views.session_create, name="session_create"),
    path("admin/sessions/<int:session_id>/", views.session_admin, name="session_admin"),
    path("admin/sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path("admin/sessions/<int:session_id>/participants/", views.participant_add, name="participant_add"),
    path("admin/sessions/<int:session_id>/participants/<int:participant_id>/remove/", views.participant_remove,
         name="participant_remove"),
]
