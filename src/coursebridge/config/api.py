"""The REST API: one NinjaAPI, each app adds its router."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="coursebridge", version="1", urls_namespace="api")
