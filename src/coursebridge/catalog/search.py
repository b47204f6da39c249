"""Full-text search over courses: SQLite FTS5 or PostgreSQL text search, on Course.search_text.

The index is kept by the database itself (FTS5 triggers, or a generated tsvector column), so bulk
writes and raw SQL keep it right too. `install` is idempotent and also runs after every migrate,
because SQLite drops a table's triggers when a migration rebuilds the table.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

FTS_TABLE = "catalog_course_fts"
MAX_TERMS = 8
# A query ranks and counts at most this many matches: the most recently added ones. Ranking every
# match of a one- or two-letter prefix (most of a big catalogue) would cost a learner seconds;
# past a thousand matches the learner refines the query rather than pages on.
MAX_MATCHES = 1000
TAG_RE = re.compile(r"<[^>]+>")
TERM_RE = re.compile(r"[^\W_]+", re.UNICODE)  # words; the underscore separates like other punctuation

SQLITE_TRIGGERS = {
    "catalog_course_fts_ai": f"""
        CREATE TRIGGER IF NOT EXISTS catalog_course_fts_ai AFTER INSERT ON catalog_course BEGIN
          INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    "catalog_course_fts_ad": f"""
        CREATE TRIGGER IF NOT EXISTS catalog_course_fts_ad AFTER DELETE ON catalog_course BEGIN
          INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        END""",
    "catalog_course_fts_au": f"""
        CREATE TRIGGER IF NOT EXISTS catalog_course_fts_au AFTER UPDATE OF search_text ON catalog_course
        WHEN old.search_text IS NOT new.search_text BEGIN
          INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
          INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
}


def install(connection: BaseDatabaseWrapper | None = None) -> None:
    """Create the search index where it is missing; rebuild it if its triggers had been lost."""
    conn = connection or default_connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_text, "
                "content='catalog_course', content_rowid='id', "
                "tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
            )
            cursor.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'catalog_course_fts_%'")
            present = {row[0] for row in cursor.fetchall()}
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
            if present != set(SQLITE_TRIGGERS):
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        elif conn.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE catalog_course ADD COLUMN IF NOT EXISTS search_vector tsvector "
                "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(search_text, ''))) STORED"
            )
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS catalog_course_search_vector_gin "
                "ON catalog_course USING gin (search_vector)"
            )


def uninstall(connection: BaseDatabaseWrapper | None = None) -> None:
    conn = connection or default_connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif conn.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS catalog_course_search_vector_gin")
            cursor.execute("ALTER TABLE catalog_course DROP COLUMN IF EXISTS search_vector")


def plain_text(value: str) -> str:
    """HTML descriptions become words: tags dropped, entities decoded."""
    return html.unescape(TAG_RE.sub(" ", value or ""))


def build_search_text(title: str, description: str, names: Iterable[str] = ()) -> str:
    """What search looks in: title, description, then category and tag names."""
    parts = [title or "", plain_text(description)]
    parts.extend(n for n in names if n)
    return " ".join(" ".join(parts).split())


def query_terms(query: str) -> list[str]:
    """The words of a learner's query, lower-cased; punctuation and operators are dropped."""
    return [t.lower() for t in TERM_RE.findall(query or "")][:MAX_TERMS]


def match_expression(vendor: str, terms: Sequence[str]) -> str:
    """Every term must match, each as a prefix ("lead" finds "leadership")."""
    if vendor == "postgresql":
        return " & ".join(f"{t}:*" for t in terms)
    return " ".join(f'"{t}"*' for t in terms)


@dataclass(frozen=True)
class MatchSql:
    """SQL fragments that match and rank `c` (catalog_course) against the expression from
    `match_expression`. `where` takes the expression as one parameter, and so does `relevance`
    on PostgreSQL (`relevance_params` says how many times)."""

    join: str
    where: str
    relevance: str  # lower is better
    relevance_params: int
    newest_first: str  # walks the matches from the most recently added course down


def match_sql(vendor: str) -> MatchSql:
    if vendor == "postgresql":
        query = "to_tsquery('simple'::regconfig, %s)"
        return MatchSql(
            join="", where=f"c.search_vector @@ {query}", relevance=f"-ts_rank(c.search_vector, {query})",
            relevance_params=1, newest_first="c.id DESC",
        )
    return MatchSql(
        join=f"JOIN {FTS_TABLE} f ON f.rowid = c.id", where=f"{FTS_TABLE} MATCH %s", relevance="f.rank",
        relevance_params=0, newest_first="f.rowid DESC",
    )


def related_sql(vendor: str, subqueries: Sequence[str]) -> tuple[str, list[str]]:
    """(JOINs, WHERE conditions) that keep only the courses `c` for which every subquery (a
    "SELECT 1 ... WHERE ... = c.id") finds a row. PostgreSQL gets LATERAL joins: they probe an index
    for each match, where EXISTS would be planned as a join reading the whole other table, and
    would make the planner think half the matches fail the check (which leads it to rank every
    match of a common word instead of stopping at the newest). The JOINs' parameters come before
    the WHERE's."""
    if vendor == "postgresql":
        joins = [f"CROSS JOIN LATERAL ({sql} LIMIT 1) AS related_{n}" for n, sql in enumerate(subqueries)]
        return " ".join(joins), []
    return "", [f"EXISTS ({sql})" for sql in subqueries]
