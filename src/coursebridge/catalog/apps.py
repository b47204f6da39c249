from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from coursebridge.catalog import search

    search.install(connections[using])


class CatalogConfig(AppConfig):
    name = "coursebridge.catalog"
    label = "catalog"

    def ready(self) -> None:
        # SQLite drops a table's triggers when a migration rebuilds it; put the index back after migrate.
        post_migrate.connect(_ensure_search_index, sender=self, dispatch_uid="catalog_search_index")
