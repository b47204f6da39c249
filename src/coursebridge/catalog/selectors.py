"""Reads of catalogue data, always scoped to one academy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from coursebridge.accounts.models import Academy, User
from coursebridge.accounts.selectors import learner_visible_group_ids
from coursebridge.catalog import search
from coursebridge.catalog.models import Category, Course, CourseStatus, PlacementKind, Visibility


def course_list(*, academy: Academy, status: str | None = None, query: str = "") -> QuerySet[Course]:
    """The admin's course list: every course of the academy, whatever its lifecycle."""
    qs = Course.objects.filter(academy=academy)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(external_id__iexact=query) | Q(provider__iexact=query))
    return qs.order_by("title", "id")


def course_get(*, academy: Academy, course_id: int) -> Course:
    """One course of the academy; Course.DoesNotExist for another academy's id."""
    return Course.objects.get(academy=academy, pk=course_id)


def category_descendant_ids(*, academy: Academy, category_id: int) -> list[int]:
    """The category and every category below it."""
    children: dict[int | None, list[int]] = {}
    for cid, parent_id in Category.objects.filter(academy=academy).values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(cid)
    found, stack = [], [category_id]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def category_tree(*, academy: Academy) -> list[tuple[Category, int]]:
    """Categories in tree order with their depth, for menus and filters."""
    by_parent: dict[int | None, list[Category]] = {}
    for category in Category.objects.filter(academy=academy).order_by("name"):
        by_parent.setdefault(category.parent_id, []).append(category)
    ordered: list[tuple[Category, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for category in by_parent.get(parent_id, []):
            ordered.append((category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    return ordered


@dataclass(frozen=True)
class SearchPage:
    courses: list[Course]
    total: int
    offset: int
    limit: int
    # True when a query matched more than search.MAX_MATCHES courses: `total` is then that bound.
    capped: bool = False

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def catalogue_search(
    *,
    academy: Academy,
    user: User,
    query: str = "",
    category_id: int | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """What a learner finds: active, visible courses placed in the catalogue of one of the learner's
    groups or of an ancestor of one, matching every word of the query (each as a prefix), ranked;
    without a query, the whole catalogue by title. A query counts and ranks at most
    search.MAX_MATCHES matches (the most recently added ones), so its `total` stops there."""
    group_ids = learner_visible_group_ids(user=user, academy=academy)
    if not group_ids:
        return SearchPage(courses=[], total=0, offset=offset, limit=limit)
    where = ["c.academy_id = %s", "c.status = %s", "c.visibility = %s"]
    params: list[Any] = [academy.pk, CourseStatus.ACTIVE, Visibility.VISIBLE]
    # Conditions on other tables, each a subquery about the course `c`.
    related = [
        "SELECT 1 FROM catalog_placement p WHERE p.course_id = c.id AND p.kind = %s "
        f"AND p.group_id IN ({', '.join(['%s'] * len(group_ids))})"
    ]
    related_params: list[Any] = [PlacementKind.CATALOGUE, *group_ids]
    if category_id is not None:
        category_ids = category_descendant_ids(academy=academy, category_id=category_id)
        related.append(
            "SELECT 1 FROM catalog_course_categories cc WHERE cc.course_id = c.id "
            f"AND cc.category_id IN ({', '.join(['%s'] * len(category_ids))})"
        )
        related_params.extend(category_ids)
    terms = search.query_terms(query)
    capped = False
    with connection.cursor() as cursor:
        if terms:
            # The MAX_MATCHES most recently added matches, ranked in one statement and counted as
            # they come back; the page is cut from them.
            expression = search.match_expression(connection.vendor, terms)
            match = search.match_sql(connection.vendor)
            joins, conditions = search.related_sql(connection.vendor, related)
            cursor.execute(
                f"SELECT id FROM (SELECT c.id, c.title, {match.relevance} AS relevance "
                f"FROM catalog_course c {match.join} {joins} "
                f"WHERE {' AND '.join([match.where, *where, *conditions])} "
                f"ORDER BY {match.newest_first} LIMIT %s) m ORDER BY relevance, title, id",
                [
                    *[expression] * match.relevance_params,
                    *(related_params if joins else []),
                    expression, *params,
                    *([] if joins else related_params),
                    search.MAX_MATCHES,
                ],
            )
            ranked = [row[0] for row in cursor.fetchall()]
            total, ids = len(ranked), ranked[offset:offset + limit]
            capped = total >= search.MAX_MATCHES
        else:
            where_sql = " AND ".join([*where, *(f"EXISTS ({sql})" for sql in related)])
            cursor.execute(
                f"SELECT COUNT(*) FROM catalog_course c WHERE {where_sql}",
                [*params, *related_params],
            )
            total = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT c.id FROM catalog_course c WHERE {where_sql} ORDER BY c.title, c.id LIMIT %s OFFSET %s",
                [*params, *related_params, limit, offset],
            )
            ids = [row[0] for row in cursor.fetchall()]
    by_id = Course.objects.prefetch_related("categories", "tags").in_bulk(ids)
    return SearchPage(
        courses=[by_id[i] for i in ids if i in by_id], total=total, offset=offset, limit=limit, capped=capped
    )


def course_visible_to_learner(*, course: Course, user: User) -> bool:
    """True when the course sits in the catalogue of one of the learner's groups or their ancestors."""
    if course.visibility != Visibility.VISIBLE:
        return False
    group_ids = learner_visible_group_ids(user=user, academy=course.academy)
    return course.placements.filter(kind=PlacementKind.CATALOGUE, group_id__in=group_ids).exists()
