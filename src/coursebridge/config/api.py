"""The REST API: one NinjaAPI, each app adds its router.

OpenAPI at /api/openapi.json, interactive docs at /api/docs (served from the local static files,
no internet needed).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI

from coursebridge.accounts.api import router as accounts_router
from coursebridge.accounts.services import api_token_authenticate
from coursebridge.catalog.api import router as catalog_router
from coursebridge.connectors.api import router as connectors_router
from coursebridge.connectors.providers.opensesame.api import router as opensesame_router
from coursebridge.connectors.providers.opensesame.webhook import router as opensesame_webhook_router
from coursebridge.content.api import router as content_router
from coursebridge.core.api import (
    BearerTokenAuth,
    JSONParser,
    SessionAuth,
    install_error_handlers,
    jobs_router,
    json_method_not_allowed,
)
from coursebridge.learning.api import router as learning_router
from coursebridge.programs.api import router as programs_router
from coursebridge.records.api import router as records_router
from coursebridge.reporting.api import router as reporting_router

DESCRIPTION = """
The academy's REST API.

**Authentication.** Send a personal API token as `Authorization: Bearer cb_…` (create one with
`POST /api/me/tokens`; it is shown once). A signed-in browser session works too; with a session,
unsafe methods need the CSRF token in the `X-CSRFToken` header. Without either: 401.

**Academies.** Everything but `/api/me…` and `/api/academies` lives under
`/api/academies/{slug}/`. You enter your own academy only (site admins enter every one); another
academy's slug or object ids answer 404.

**Roles.** Training admins manage the whole academy; group admins the users and groups of the
subtrees they administer; learners read the catalogue and their own enrollments, attempts and
transcript.

**Lists** take `limit` (default 50, at most 200: a bigger value is a 400) and `offset`, and answer
`{"items": [...], "count": N, "limit": L, "offset": O, "next": "<url of the next page>" | null}`.

**Errors** are always `{"error": {"code": "...", "message": "...", "field": "<input at fault>" | null}}`;
validation errors (422) also list every problem in `error.errors`.
"""


class CoursebridgeAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        """Ninja's URL patterns, with a JSON body on its 405 answers like every other error."""
        patterns, app_name, namespace = super().urls
        wrapped: list[Any] = []
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern = URLPattern(
                    pattern.pattern, json_method_not_allowed(pattern.callback), pattern.default_args, pattern.name
                )
            wrapped.append(pattern)
        return wrapped, app_name, namespace


api = CoursebridgeAPI(
    title="coursebridge",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[BearerTokenAuth(api_token_authenticate), SessionAuth()],
    parser=JSONParser(),
)
install_error_handlers(api)
api.add_router("", accounts_router)
api.add_router("", catalog_router)
api.add_router("", learning_router)
api.add_router("", content_router)
api.add_router("", jobs_router)
api.add_router("", records_router)
api.add_router("", connectors_router)
api.add_router("", programs_router)
api.add_router("", reporting_router)
api.add_router("", opensesame_router)
api.add_router("", opensesame_webhook_router)
