from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "coursebridge.marketplace"
    label = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        # The demo shows the provider's side too; the academy's demo runs this part without importing it.
        from coursebridge.core.demo import DemoPart, demo_part_register
        from coursebridge.marketplace import demo

        demo_part_register(DemoPart(name="marketplace", load=demo.demo_load, delete=demo.demo_delete))
