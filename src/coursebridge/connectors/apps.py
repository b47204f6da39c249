from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "coursebridge.connectors"
    label = "connectors"

    def ready(self) -> None:
        # Providers register themselves; provider courses launch through their provider.
        from coursebridge.connectors import registry

        registry.load_providers()
