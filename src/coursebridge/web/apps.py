from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "coursebridge.web"
    label = "web"
