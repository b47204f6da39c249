from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "coursebridge.content"
    label = "content"

    def ready(self) -> None:
        # Package courses launch through the learning gate; the content app says how.
        from coursebridge.content import launch

        launch.register()
