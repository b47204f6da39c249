from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "coursebridge.records"
    label = "records"
    verbose_name = "Course records"
