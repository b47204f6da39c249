from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "coursebridge.programs"
    label = "programs"
