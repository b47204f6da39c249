from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "coursebridge.learning"
    label = "learning"
