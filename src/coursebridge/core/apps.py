from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coursebridge.core"
    label = "core"
