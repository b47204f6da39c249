"""The duplicate policy: an OpenSesame course new to the academy whose id is the identifier of an AICC
package uploaded by hand (the same course, downloaded from OpenSesame earlier). Skip leaves the
uploaded course alone, replace turns it into the synced course (same row: enrollments, transcripts
and old package versions stay), keep both adds the synced course next to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coursebridge.catalog.models import Course
from coursebridge.connectors.providers.base import CatalogItem
from coursebridge.connectors.providers.opensesame import mapping

if TYPE_CHECKING:
    from coursebridge.connectors.models import Connection, SyncRun

POLICIES = ("skip", "replace", "keep_both")
DEFAULT_POLICY = "skip"


def policy_of(connection: Connection) -> str:
    value = str((connection.options or {}).get("duplicate_policy") or DEFAULT_POLICY)
    return value if value in POLICIES else DEFAULT_POLICY


def uploaded_matches(*, academy_id: int, external_ids: list[str]) -> dict[str, tuple[int, str]]:
    """identifier -> (course id, title) of the academy's uploaded package courses with that identifier."""
    from coursebridge.content.models import Package

    if not external_ids:
        return {}
    found: dict[str, tuple[int, str]] = {}
    rows = (Package.objects.filter(academy_id=academy_id, identifier__in=external_ids, is_current=True,
                                   course__provider="")
            .order_by("course_id").values_list("identifier", "course_id", "course__title"))
    for identifier, course_id, title in rows:
        found.setdefault(identifier, (course_id, title))
    return found


def apply_duplicate_policy(*, run: SyncRun, connection: Connection, items: list[CatalogItem],
                           existing: dict[str, int]) -> list[CatalogItem]:
    new = [item for item in items if item.external_id not in existing and item.row is not None]
    policy = policy_of(connection)
    if not new or policy == "keep_both":
        return items
    matches = uploaded_matches(academy_id=connection.academy_id, external_ids=[i.external_id for i in new])
    if not matches:
        return items
    if policy == "skip":
        for external_id, (course_id, title) in sorted(matches.items()):
            note = (f"course '{external_id}': skipped, the academy already has it as the uploaded course "
                    f"'{title}' (#{course_id}); the duplicate policy is Skip.")
            if len(run.errors) < 200:
                run.errors.append(note)
        return [item for item in items if item.external_id not in matches]
    for external_id, (course_id, _) in matches.items():
        # The uploaded course becomes the synced one; the upsert then finds and updates it.
        Course.objects.filter(pk=course_id, provider="").update(provider=mapping.PROVIDER, external_id=external_id)
    return items
