from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "coursebridge.reporting"
    label = "reporting"
